"""Open the built report site in headless Chromium and check it as a reader would.

Uses Debian's Chromium (/usr/bin/chromium) through Playwright; never downloads a browser.
For every page at the site's root it checks: the page loads with no console error; its title is
real and distinct; every image decodes; every local link resolves (a ``#fragment`` to an element
that exists); no request leaves the machine; the visible text shows no code until a "show code"
toggle is clicked, and clicking one shows it; every web address shown is an anchor whose text is
its full URL; every chart has real alt text and a CSV link beside it that resolves and parses; the
page does not scroll sideways at a phone width of 390 px; every chart image links to its full-size
PNG, which exists; every sortable table (a notebook table with its script, the Sources table) is
used from the keyboard: Tab from its filter box walks through its headings, Enter sorts a column
ascending and Space descending, and the heading says so (``aria-sort``) and shows it (an arrow).
Typing a filter that matches nothing says so ("No rows match") in an aria-live region. At 1280 px no
notebook table and no Sources table is wider than its box (which would hide columns behind a sideways
scroll); at 390 px the Sources page still shows its sort buttons, and one sorts. A notebook table
longer than its box, scrolled inside it, still shows its headings at the top of the box (both widths).
The search page, opened with a query, finds pages with no console error. The landing page and an
analysis page show exactly one search control at desktop and at phone width, and pressing it opens
the search box.
Screenshots of the landing page, one analysis page and the Data dictionary, at desktop and phone
width, are saved beside the report (never into it, which is published): into build/browser-check/
by default.

A self-test then plants one fault per check in a copy of the site and fails if any goes unnoticed.
Usage: python tools/browser_check.py REPORT_DIR [--screenshots DIR]
"""

from __future__ import annotations

import base64
import csv
import io
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHROMIUM = "/usr/bin/chromium"
# Flags for a closed network and a root user (see the tool library's notes on this machine).
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
# Titles a page must not have: a default, not a heading.
PLACEHOLDER_TITLES = {"", "notebook", "untitled", "index"}
# Alt text that says nothing: nbconvert's default and file-name-like words.
EMPTY_ALT = re.compile(
    r"^\s*$|no description has been provided|^<Figure size|\.(png|jpe?g|gif|svg|webp)$"
    r"|^(png|image|img|figure|chart|output)[\w .-]*$",
    re.I,
)
MIN_ALT_CHARS = 20

# JavaScript run in each page (kept here so the checks read as Python).
JS_VISIBLE_CODE = """() => Array.from(document.querySelectorAll('div.cell div.cell_input pre, details.setup-code pre'))
    .filter(pre => pre.checkVisibility())
    .map(pre => pre.textContent.split('\\n').map(l => l.trim()).filter(Boolean)[0] || '(blank)')"""
JS_UNLINKED_URLS = r"""() => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, el = node.parentElement;
        if (!el || el.closest('a, script, style, pre, code, textarea') || !el.checkVisibility()) continue;
        const urls = node.textContent.match(/https?:\/\/\S+/g);
        if (urls) found.push(...urls);
    }
    return found;
}"""
JS_WEB_ANCHORS = """() => Array.from(document.querySelectorAll('a[href]'))
    .filter(a => /^https?:/i.test(a.getAttribute('href')) && a.checkVisibility())
    .map(a => [a.getAttribute('href'), a.textContent.trim()])"""
JS_CHARTS = """() => Array.from(document.querySelectorAll('div.cell div.cell_output img')).map(img => {
    const cell = img.closest('div.cell');
    const full = img.closest('a[href]');
    const csv = Array.from(cell.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))
        // The chart's own download: an inline data:text/csv link or a local .csv file (a source's web
        // address that happens to end in .csv is a source, not the chart's data).
        .filter(h => /^data:text\\/csv[;,]/i.test(h)
            || (!/^([a-z][a-z0-9+.-]*:|\\/\\/)/i.test(h) && /\\.csv([?#].*)?$/i.test(h)));
    return [img.getAttribute('alt') || '', csv, full ? full.getAttribute('href') : null];
})"""
#: Tables whose headings sort: a notebook table that carries its script, and the Sources table.
SORTABLE = "div.re-table:has(> script) table.re-table, table.sortable"
#: The arrows a sorted heading shows, by the value of its aria-sort.
ARROWS = {"ascending": "\u25b2", "descending": "\u25bc"}
JS_FOCUSED_HEADING = """(table) => {
    const el = document.activeElement, th = el && el.closest('th');
    return th && table.tHead && table.tHead.contains(th) && el !== th ? th.cellIndex : -1;
}"""
JS_SORT_STATE = """(table, column) => {
    const heads = Array.from(table.tHead.rows[0].cells);
    const values = Array.from(table.tBodies[0].rows).map(r => r.cells[column].textContent.trim());
    const number = /^-?[0-9][0-9,]*(\\.[0-9]+)?$/;
    const cmp = (x, y) => number.test(x) && number.test(y)
        ? parseFloat(x.replace(/,/g, '')) - parseFloat(y.replace(/,/g, '')) : x.localeCompare(y);
    const ordered = dir => values.every((v, i) => i === 0 || dir * cmp(values[i - 1], v) <= 0);
    const th = heads[column];
    return {
        sort: th.getAttribute('aria-sort'),
        others: heads.filter(h => h !== th && h.hasAttribute('aria-sort')).length,
        text: th.checkVisibility() ? th.innerText : '',
        ascending: ordered(1), descending: ordered(-1),
    };
}"""
JS_UNSORTED_COLUMN = """(table) => {
    const number = /^-?[0-9][0-9,]*(\\.[0-9]+)?$/;
    const cmp = (x, y) => number.test(x) && number.test(y)
        ? parseFloat(x.replace(/,/g, '')) - parseFloat(y.replace(/,/g, '')) : x.localeCompare(y);
    const rows = Array.from(table.tBodies[0].rows);
    const count = table.tHead.rows[0].cells.length;
    for (let c = 1; c < count; c++) {
        const v = rows.map(r => r.cells[c].textContent.trim());
        const up = v.some((x, i) => i > 0 && cmp(v[i - 1], x) < 0);
        if (up && v.some((x, i) => i > 0 && cmp(v[i - 1], x) > 0)) return c;
    }
    return count > 1 ? 1 : 0;
}"""

#: A table may be this many pixels wider than its box (borders, rounding) before it counts as cut off.
TABLE_SLACK = 8
#: Tables that must fit their box at desktop width: notebook tables and the Sources table.
FITTING_TABLES = "table.re-table, table.sources"
JS_TABLE_OVERFLOW = """async (sel) => { await document.fonts.ready;  // widths with the page's own fonts
  return Array.from(document.querySelectorAll(sel)).map(t => {
    const box = t.closest('.cell_output, .output, .sources-wrapper') || t.parentElement;
    return [t.id || t.className, Math.round(t.scrollWidth), Math.round(box.clientWidth)];
}); }"""
#: Notebook tables taller than the screen: each must scroll inside its own box (.re-table-scroll); scrolled
#: half-way down inside it, where its headings are against the top of the box (sticky: 0 px apart).
#: A tall table outside such a box gives null (its headings leave the screen as the page scrolls).
JS_STICKY_HEADINGS = """() => Array.from(document.querySelectorAll('table.re-table')).map(table => {
        const box = table.closest('.re-table-scroll'), th = table.querySelector('thead th');
        if (!box) return table.offsetHeight > window.innerHeight ? [table.id, null] : null;
        if (!th || box.scrollHeight <= box.clientHeight + 40) return null;
        box.scrollTop = Math.round((box.scrollHeight - box.clientHeight) / 2);
        const gap = th.getBoundingClientRect().top - box.getBoundingClientRect().top;
        box.scrollTop = 0;
        return [table.id, Math.round(gap)];
    }).filter(Boolean)"""
#: Typed into a filter box: matches no row of any table.
NO_MATCH = "zqxj-no-such-row"
JS_LIVE_STATUS = """(table) => {
    let el = table;
    for (let i = 0; i < 4 && el; i++, el = el.parentElement) {
        const live = Array.from(el.querySelectorAll('[aria-live]')).map(n => n.textContent.trim()).filter(Boolean);
        if (live.length) return live.join(' | ');
    }
    return '';
}"""
#: The site's search controls a reader can see (a field or a button), outside the search dialog itself.
JS_SEARCH_CONTROLS = """() => Array.from(document.querySelectorAll(
    '.search-button__button, .search-button-field, input[type=search][name=q]'))
    .filter(el => !el.closest('dialog') && el.checkVisibility())
    .map(el => el.className || el.tagName)"""
#: The query the search page is opened with: a word every build's pages contain (the default focus country).
SEARCH_QUERY = "Georgia"
#: Where screenshots go when no folder is given (beside the report, never inside it).
SCREENSHOTS = Path("build") / "browser-check"


def pages(report: Path) -> list[Path]:
    """The site's pages: every HTML file at its root, the landing page first."""
    found = sorted(report.glob("*.html"), key=lambda p: (p.name != "index.html", p.name))
    return [p for p in found if p.name not in ("genindex.html",)]


def check(report: Path, screenshots: Path | None = None) -> list[str]:
    """Return the problems found in the site at ``report`` (empty when it passes).

    With ``screenshots``, a folder outside the report, the landing page and one analysis page are
    photographed into it.
    """
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    site = pages(report)
    if not (report / "index.html").is_file():
        return [f"{report} has no index.html"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            desktop = _new_page(browser, DESKTOP, problems)
            titles: dict[str, str] = {}
            ids: dict[str, set[str]] = {}
            links: list[tuple[str, str]] = []
            for path in site:
                name = path.name
                response = desktop.goto(path.as_uri())
                if response is None or not response.ok:
                    problems.append(f"{name} did not load")
                    continue
                problems += _check_title(name, desktop.title(), titles)
                widths = desktop.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
                problems += [f"{name}: image {i} has natural width 0" for i, w in enumerate(widths) if w <= 0]
                ids[name] = set(desktop.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
                hrefs = desktop.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
                links += [(name, href) for href in hrefs]
                problems += _check_urls(name, desktop)
                problems += _check_charts(name, path, desktop)
                problems += _check_code_hidden(name, desktop)
                problems += _check_sortable(name, desktop)
                problems += _check_table_fit(name, desktop)
                problems += _check_sticky_headings(name, desktop, "desktop")
            problems += _check_links(report, links, ids)
            problems += _check_search(report, desktop)
            problems += _check_search_box(report, desktop, "desktop")
            phone = _new_page(browser, PHONE, problems)
            problems += _check_phone_sort(report, phone)
            problems += _check_search_box(report, phone, "phone")
            for path in site:
                phone.goto(path.as_uri())
                wide = phone.evaluate(
                    "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                if wide > 1:
                    problems.append(
                        f"{path.name} scrolls sideways by {wide} px at a phone width of {PHONE['width']} px"
                    )
                problems += _check_sticky_headings(path.name, phone, "phone")
            if screenshots is not None:
                problems += _screenshots(report, site, desktop, phone, screenshots)
        finally:
            browser.close()
    return problems


def _new_page(browser, viewport: dict[str, int], problems: list[str]):
    """A page that reports console errors and blocks (and reports) any request off the machine."""
    page = browser.new_page(viewport=viewport)

    def route(request_route) -> None:
        url = request_route.request.url
        if urlsplit(url).scheme in LOCAL_SCHEMES:
            request_route.continue_()
        else:
            problems.append(f"{page.url.rsplit('/', 1)[-1]}: request leaves the machine: {url}")
            request_route.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda msg: problems.append(f"console error on {page.url}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"console error on {page.url}: {exc}"))
    return page


def _check_title(name: str, title: str, seen: dict[str, str]) -> list[str]:
    """A page's title is a real one and no other page has it."""
    text = " ".join(title.split())
    heading = text.split(" — ")[0].split(" | ")[0].strip()
    if heading.lower() in PLACEHOLDER_TITLES:
        return [f"{name}: title {title!r} is not a real title"]
    if text in seen:
        return [f"{name}: title {title!r} is the same as {seen[text]}'s"]
    seen[text] = name
    return []


def _check_code_hidden(name: str, page) -> list[str]:
    """No code cell's source is visible until a toggle is clicked; clicking the first toggle shows its code."""
    code = page.locator("div.cell div.cell_input pre")
    if code.count() == 0:
        return []
    shown = page.evaluate(JS_VISIBLE_CODE)
    problems = [f"{name}: code is visible before any toggle is clicked: {line!r}" for line in shown]
    toggles = page.locator("div.cell details.hide > summary")
    if toggles.count() == 0:
        return [*problems, f"{name}: code cells have no 'show code' toggle"]
    first = page.locator("div.cell:has(details.hide > summary)").first.locator("div.cell_input pre").first
    toggles.first.click()
    if not first.evaluate("pre => pre.checkVisibility()"):
        problems.append(f"{name}: clicking the first 'show code' toggle does not show its code")
    toggles.first.click()
    return problems


def _check_sortable(name: str, page) -> list[str]:
    """Each sortable table works from the keyboard and says which column is sorted, and how."""
    problems = []
    for number, table in enumerate(page.locator(SORTABLE).all(), start=1):
        where = f"{name}: sortable table {number}"
        problems += _check_sortable_table(where, page, table)
    return problems


def _check_sortable_table(where: str, page, table) -> list[str]:
    """Tab from the filter box walks the headings; Enter sorts ascending, Space descending.

    The sorted heading carries ``aria-sort`` (no other heading does) and shows its arrow.
    """
    box = table.locator("xpath=ancestor::div[1]")
    heading_count = table.locator("thead tr").first.locator("th").count()
    filters = box.locator("xpath=preceding-sibling::input[@type='search'][1] | ./input[@type='search']")
    if filters.count() == 0:
        return [f"{where} has no filter box (its script did not run)"]
    filters.first.focus()
    for column in range(heading_count):
        page.keyboard.press("Tab")
        focused = table.evaluate(JS_FOCUSED_HEADING)
        if focused != column:
            went = f"heading {focused + 1}" if focused >= 0 else "outside the headings"
            return [f"{where}: heading {column + 1} is not reached with Tab from the filter box (focus: {went})"]
    column = table.evaluate(JS_UNSORTED_COLUMN)
    control = table.locator("thead tr").first.locator("th").nth(column).locator("button, [tabindex], a[href]").first
    problems = []
    for key, sort in (("Enter", "ascending"), ("Space", "descending")):
        control.focus()
        page.keyboard.press(" " if key == "Space" else key)
        state = table.evaluate(JS_SORT_STATE, column)
        if state["sort"] != sort:
            problems.append(f"{where}: {key} on heading {column + 1} gives aria-sort={state['sort']!r}, not {sort!r}")
        if state["others"]:
            problems.append(f"{where}: after {key}, {state['others']} other heading(s) still carry aria-sort")
        if ARROWS[sort] not in state["text"]:
            problems.append(f"{where}: after {key}, heading {column + 1} shows no {sort} arrow {ARROWS[sort]}")
        if not state[sort]:
            problems.append(f"{where}: after {key} on heading {column + 1}, the rows are not in {sort} order")
    return problems + _check_filter_feedback(where, page, table, filters.first)


def _check_filter_feedback(where: str, page, table, box) -> list[str]:
    """A filter that matches no row says "No rows match" in an aria-live region; clearing it brings the rows back."""
    box.fill(NO_MATCH)
    said = table.evaluate(JS_LIVE_STATUS)
    box.fill("")
    if "No rows match" not in said:
        return [f"{where}: a filter matching nothing announces no 'No rows match' (aria-live text: {said!r})"]
    return []


def _check_table_fit(name: str, page) -> list[str]:
    """At desktop width no notebook or Sources table is wider than its box (nothing cut off or hidden)."""
    return [
        f"{name}: table {label!r} is {width} px wide in a box of {room} px: it is cut off at {DESKTOP['width']} px"
        for label, width, room in page.evaluate(JS_TABLE_OVERFLOW, FITTING_TABLES)
        if width - room > TABLE_SLACK
    ]


def _check_sticky_headings(name: str, page, width: str) -> list[str]:
    """A notebook table that scrolls inside its box keeps its headings at the top of the box."""
    problems = []
    for label, gap in page.evaluate(JS_STICKY_HEADINGS):
        if gap is None:
            problems.append(
                f"{name}: table {label!r} is taller than the screen at {width} width, outside a box of "
                "its own: its headings scroll away"
            )
        elif abs(gap) > 2:
            problems.append(
                f"{name}: table {label!r} scrolled inside its box at {width} width shows no headings "
                f"({gap} px from its top)"
            )
    return problems


def _check_phone_sort(report: Path, page) -> list[str]:
    """At phone width the Sources page shows its sort buttons, and pressing one sorts the cards."""
    sources = report / "sources.html"
    if not sources.is_file():
        return []
    page.goto(sources.as_uri())
    where = f"sources.html at {PHONE['width']} px"
    buttons = page.locator("table.sources thead th button")
    visible = [b for b in buttons.all() if b.is_visible()]
    if not visible:
        return [f"{where}: no sort button is visible, so a phone reader cannot sort"]
    column = page.locator("table.sources").evaluate(JS_UNSORTED_COLUMN)
    button = buttons.nth(column)
    if not button.is_visible():
        return [f"{where}: the sort button of column {column + 1} is not visible"]
    button.click()
    state = page.locator("table.sources").evaluate(JS_SORT_STATE, column)
    if state["sort"] != "ascending" or not state["ascending"]:
        return [
            f"{where}: pressing the sort button of column {column + 1} does not sort it (aria-sort={state['sort']!r})"
        ]
    return []


def _check_urls(name: str, page) -> list[str]:
    """Every web address shown is an anchor, and an anchor that shows an address shows all of it."""
    problems = [
        f"{name}: web address shown as plain text, not a link: {url}" for url in page.evaluate(JS_UNLINKED_URLS)
    ]
    for href, text in page.evaluate(JS_WEB_ANCHORS):
        if re.match(r"(https?://|www\.)", text, re.I) and text.rstrip("/") != href.rstrip("/"):
            problems.append(f"{name}: link text {text!r} is not its full address {href!r}")
        elif text.endswith(("…", "...")):
            problems.append(f"{name}: link text {text!r} is cut")
    return problems


def _check_charts(name: str, path: Path, page) -> list[str]:
    """Each chart has alt text that says something and a CSV download beside it that parses."""
    problems = []
    for number, (alt, csv_links, full) in enumerate(page.evaluate(JS_CHARTS), start=1):
        if EMPTY_ALT.search(alt) or len(alt.strip()) < MIN_ALT_CHARS:
            problems.append(f"{name}: chart {number} has no real alt text ({alt!r})")
        problems += [f"{name}: chart {number} {p}" for p in _full_size_problems(path.parent, full)]
        if not csv_links:
            problems.append(f"{name}: chart {number} has no CSV link beside it")
            continue
        problems += [f"{name}: chart {number}: {p}" for p in _csv_problems(path.parent, csv_links[0])]
    return problems


def _full_size_problems(folder: Path, href: str | None) -> list[str]:
    """What is wrong with a chart's link to its full-size PNG ([] when it links to a PNG file that exists)."""
    if href is None:
        return ["is not a link to its full-size image"]
    parts = urlsplit(href)
    if parts.scheme or href.startswith("//") or not parts.path.lower().endswith(".png"):
        return [f"links to {href}, not to a PNG file of the site"]
    if not (folder / unquote(parts.path)).resolve().is_file():
        return [f"links to its full-size image {href}, which does not exist"]
    return []


def _check_search(report: Path, page) -> list[str]:
    """The search page, opened from disk with a query, lists results (console errors are caught by the page)."""
    search = report / "search.html"
    if not search.is_file():
        return ["the site has no search.html"]
    page.goto(f"{search.as_uri()}?q={SEARCH_QUERY}")
    results = page.locator("#search-results ul.search li")
    try:
        results.first.wait_for(state="attached", timeout=15000)
    except Exception:  # Playwright's TimeoutError: no result appeared
        return [f"search.html?q={SEARCH_QUERY} lists no result"]
    page.wait_for_timeout(500)  # let the search finish (and any failing fetch log its error)
    return []


def _check_search_box(report: Path, page, width: str) -> list[str]:
    """Each analysis page shows exactly one search control, and pressing it opens a search box."""
    problems = []
    for path in [p for p in pages(report) if re.match(r"\d", p.name)][:1] + [report / "index.html"]:
        page.goto(path.as_uri())
        where = f"{path.name} at {width} width"
        shown = page.evaluate(JS_SEARCH_CONTROLS)
        if len(shown) != 1:
            problems.append(f"{where}: {len(shown)} search controls are visible, not one: {shown}")
            continue
        page.locator(".search-button__button, .search-button-field").filter(visible=True).first.click()
        box = page.locator("#pst-search-dialog input[type=search]")
        if box.count() == 0 or not box.first.is_visible():
            problems.append(f"{where}: pressing the search control opens no search box")
        page.keyboard.press("Escape")
    return problems


def _csv_problems(folder: Path, href: str) -> list[str]:
    """What is wrong with the CSV file a link points to ([] when it exists, parses and has a source column)."""
    problems = _csv_content_problems(folder, href)
    if href.startswith("data:") and len(href) > 60:
        short = f"{href[:45]}… ({len(href)} characters)"
        problems = [p.replace(href, short) for p in problems]
    return problems


def _csv_content_problems(folder: Path, href: str) -> list[str]:
    """The problems of :func:`_csv_problems`, naming the link in full."""
    try:
        if href.startswith("data:"):
            header, _, payload = href.partition(",")
            raw = base64.b64decode(payload) if header.endswith(";base64") else unquote(payload).encode()
            content = raw.decode("utf-8")
        else:
            target = (folder / unquote(urlsplit(href).path)).resolve()
            if not target.is_file():
                return [f"CSV link {href} does not resolve"]
            content = target.read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(content, newline="")))
    except (UnicodeDecodeError, csv.Error, ValueError) as exc:
        return [f"CSV {href} does not parse: {exc}"]
    if len(rows) < 2:
        return [f"CSV {href} has no data rows"]
    ragged = [i + 1 for i, row in enumerate(rows) if len(row) != len(rows[0])]
    if ragged:
        return [
            f"CSV {href} does not parse: line {ragged[0]} has {len(rows[ragged[0] - 1])} fields, "
            f"the header {len(rows[0])}"
        ]
    if not any("source" in column.lower() for column in rows[0]):
        return [f"CSV {href} has no source column (header: {rows[0]})"]
    return []


def _check_links(report: Path, links: list[tuple[str, str]], ids: dict[str, set[str]]) -> list[str]:
    """Every local link resolves to a file, and a #fragment to an element of that page."""
    problems = []
    for name, href in dict.fromkeys(links):
        parts = urlsplit(href)
        if parts.scheme or href.startswith("//"):
            continue
        target = (report / name).parent / unquote(parts.path) if parts.path else report / name
        target = target.resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"{name} links to {href}, which does not exist")
            continue
        fragment = unquote(parts.fragment)
        page_ids = ids.get(target.name) if target.parent == report.resolve() else None
        if fragment and page_ids is not None and fragment not in page_ids:
            problems.append(f"{name} links to {href}, but {target.name} has no element with id {fragment!r}")
    return problems


def _screenshots(report: Path, site: list[Path], desktop, phone, folder: Path) -> list[str]:
    """Save the landing page, the first analysis page and the Data dictionary (when the site has one) at
    desktop and phone width into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    analysis = next((p for p in site if re.match(r"\d", p.name)), None)
    shots = []
    dictionary = [("dictionary", report / "dictionary.html")] if (report / "dictionary.html").is_file() else []
    for label, path in (("index", report / "index.html"), ("analysis", analysis), *dictionary):
        if path is None:
            return ["the site has no analysis page (NN_*.html) to photograph"]
        for width, page in (("desktop", desktop), ("phone", phone)):
            page.goto(path.as_uri())
            target = folder / f"screenshot-{label}-{width}.png"
            page.screenshot(path=str(target), full_page=label == "index")
            shots.append(target)
    problems = [f"screenshot {s.name} was not saved" for s in shots if not s.is_file() or s.stat().st_size == 0]
    inside = sorted(p.name for p in report.glob("screenshot-*.png"))
    return problems + [f"screenshot {name} sits inside the report folder, which is published" for name in inside]


# --- Self-test: one planted fault per check ----------------------------------------------------------

PNG_1PX = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
CSV_NO_SOURCE = base64.b64encode(b"value,note\n1,x\n").decode()
PLANTED = {
    "dangling link": ("index.html", '<a href="missing.html">x</a>', "missing.html"),
    "undecodable image": ("index.html", '<img src="data:image/png;base64,AAAA" alt="x">', "natural width 0"),
    "script error": ("index.html", "<script>undefinedFunction()</script>", "undefinedFunction"),
    "request off the machine": ("index.html", '<img src="http://192.0.2.1/x.png" alt="x">', "leaves the machine"),
    "sideways scroll": ("index.html", '<div style="width:2000px">wide</div>', "scrolls sideways"),
    "unlinked address": ("sources.html", "<p>Read https://example.org/plain-text</p>", "plain text, not a link"),
    "cut link text": (
        "sources.html",
        '<p><a href="https://example.org/a/long/path">https://example.org/a/lo…</a></p>',
        "is not its full address",
    ),
    "dangling source anchor": ("index.html", '<a href="sources.html#no-such-source">s</a>', "no-such-source"),
    "chart without alt text": (
        "analysis",
        f'<div class="cell"><div class="cell_output"><img src="{PNG_1PX}" alt="No description has been provided '
        'for this image"><a href="planted-ok.csv">data</a></div></div>',
        "has no real alt text",
    ),
    "chart CSV missing": (
        "analysis",
        f'<div class="cell"><div class="cell_output"><img src="{PNG_1PX}" alt="A planted chart that says what it '
        'shows"><a href="no-such-chart.csv">data</a></div></div>',
        "does not resolve",
    ),
    "chart CSV unparsable": (
        "analysis",
        f'<div class="cell"><div class="cell_output"><img src="{PNG_1PX}" alt="Another planted chart with real alt '
        'text"><a href="planted-ragged.csv">data</a></div></div>',
        "does not parse",
    ),
    "chart data-URI CSV without a source column": (
        "analysis",
        f'<div class="cell"><div class="cell_output"><img src="{PNG_1PX}" alt="A planted chart with an inline '
        f'CSV"><a href="data:text/csv;charset=utf-8;base64,{CSV_NO_SOURCE}">'
        "data</a></div></div>",
        "has no source column",
    ),
    "chart whose only .csv link is a source's web address": (
        "analysis",
        f'<div class="cell"><div class="cell_output"><img src="{PNG_1PX}" alt="A planted chart linking only its '
        'source"><a href="https://example.org/source-data.csv">https://example.org/source-data.csv</a></div></div>',
        "has no CSV link beside it",
    ),
    "chart image not linked to its full size": (
        "analysis",
        '<div class="cell"><div class="cell_output"><img src="planted-chart.png" alt="A planted chart with no link '
        'to its full size"><a href="planted-ok.csv">data</a></div></div>',
        "is not a link to its full-size image",
    ),
    "chart linked to a full-size image that is missing": (
        "analysis",
        '<div class="cell"><div class="cell_output"><a href="_images/no-such-chart.png"><img src="planted-chart.png" '
        'alt="A planted chart whose link is broken"></a><a href="planted-ok.csv">data</a></div></div>',
        "which does not exist",
    ),
    "table wider than its box": (
        "analysis",
        '<div class="cell"><div class="cell_output" style="width:600px"><table class="re-table" id="planted-wide">'
        '<tr><td style="white-space:nowrap">' + "a date text that never wraps " * 10 + "</td></tr></table></div></div>",
        "'planted-wide' is",
    ),
    "Sources headings hidden on a phone": (
        "sources.html",
        "<style>@media (max-width: 700px) { table.sources thead { display: none !important; } }</style>",
        "no sort button is visible",
    ),
    "table headings that scroll away": (
        "analysis",
        "<style>.re-table-scroll thead th { position: static !important; }</style>",
        "shows no headings",
    ),
    "second search box": (
        "index.html",
        '<button class="btn search-button-field search-button__button">Search</button>',
        "index.html at desktop width: 2 search controls are visible",
    ),
    "chart data-URI CSV undecodable": (
        "analysis",
        f'<div class="cell"><div class="cell_output"><img src="{PNG_1PX}" alt="A planted chart with a broken inline '
        'CSV"><a href="data:text/csv;charset=utf-8;base64,%%%not-base64">data</a></div></div>',
        "does not parse",
    ),
}


def self_test(report: Path) -> list[str]:
    """Plant one fault per check in copies of the site; return the faults the check failed to catch."""
    import shutil
    import tempfile

    missed = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "clean"
        shutil.copytree(report, base, ignore=shutil.ignore_patterns("screenshot-*.png", "notebooks", "_sources"))
        (base / "planted-ok.csv").write_text("value,source_id\n1,x\n", encoding="utf-8")
        (base / "planted-ragged.csv").write_text("value,source_id\n1,x,extra\n", encoding="utf-8")
        (base / "planted-chart.png").write_bytes(base64.b64decode(PNG_1PX.split(",", 1)[1]))
        analysis = next((p.name for p in pages(base) if re.match(r"\d", p.name)), "index.html")
        broken = Path(tmp) / "broken"
        shutil.copytree(base, broken)
        for target, snippet, _ in PLANTED.values():
            _plant(broken / (analysis if target == "analysis" else target), snippet)
        # Code shown without a click: open every toggle of the analysis page.
        _replace(broken / analysis, "<details class=", "<details open class=")
        # Sortable headings a keyboard cannot reach (not buttons), and a sort that sets no aria-sort.
        sortable = next(p for p in pages(broken) if 'createElement("button")' in p.read_text(encoding="utf-8"))
        _replace(sortable, 'createElement("button")', 'createElement("span")')
        _replace(broken / "_static" / "sources.js", 'setAttribute("aria-sort"', 'setAttribute("data-sort"')
        # A filter that matches nothing and says nothing.
        _replace(broken / "_static" / "sources.js", 'setAttribute("aria-live"', 'setAttribute("data-live"')
        # A second page titled like the first.
        _retitle(broken / "sources.html", _title_of(broken / "index.html"))
        # Search that finds nothing, and search that logs a console error (as a blocked summary fetch did).
        index = broken / "searchindex.js"
        index.write_text(
            re.sub(SEARCH_QUERY, "planted", index.read_text(encoding="utf-8"), flags=re.I), encoding="utf-8"
        )
        _plant(broken / "search.html", "<script>console.error('planted search error')</script>")
        # No search control a phone reader can see (on the analysis page; the index has a planted second one).
        _plant(
            broken / analysis,
            "<style>@media (max-width: 700px) { .search-button__button { display: none !important; } }</style>",
        )
        # A screenshot left in the report folder.
        (broken / "screenshot-planted.png").write_bytes(b"png")
        found = " ".join(check(broken, screenshots=Path(tmp) / "shots"))
    expected = {name: text for name, (_, _, text) in PLANTED.items()}
    expected["code visible without a click"] = "code is visible before any toggle"
    expected["duplicate title"] = "is the same as"
    expected["sortable headings not focusable"] = "is not reached with Tab"
    expected["sort that sets no aria-sort"] = "gives aria-sort=None"
    expected["silent empty filter"] = "announces no 'No rows match'"
    expected["search with no result"] = "lists no result"
    expected["console error on the search page"] = "planted search error"
    expected["screenshot inside the report"] = "sits inside the report folder"
    expected["no search control on a phone"] = "phone width: 0 search controls are visible"
    missed = [name for name, text in expected.items() if text not in found]
    return missed


def _plant(page: Path, snippet: str) -> None:
    _replace(page, "</body>", snippet + "</body>")


def _replace(page: Path, old: str, new: str) -> None:
    page.write_text(page.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def _title_of(page: Path) -> str:
    match = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"), re.S)
    return match.group(1) if match else ""


def _retitle(page: Path, title: str) -> None:
    text = page.read_text(encoding="utf-8")
    page.write_text(
        re.sub(r"<title>.*?</title>", f"<title>{title}</title>", text, count=1, flags=re.S), encoding="utf-8"
    )


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Check the report site in headless Chromium.")
    parser.add_argument("report", nargs="?", default="reports", help="the report folder (default: reports)")
    parser.add_argument(
        "--screenshots",
        default=str(SCREENSHOTS),
        help=f"folder for the screenshots, outside the report (default: {SCREENSHOTS})",
    )
    args = parser.parse_args(argv[1:])
    report = Path(args.report).resolve()
    shots = Path(args.screenshots).resolve()
    if shots == report or report in shots.parents:
        parser.error(f"--screenshots {args.screenshots} is inside the report folder {args.report}, which is published")
    problems = check(report, screenshots=shots)
    for problem in problems:
        print(f"FAIL {problem}")
    missed = self_test(report)
    for name in missed:
        print(f"FAIL self-test: a planted {name} went unnoticed")
    total = len(PLANTED) + 9
    print(
        f"screenshots in {shots}\n"
        f"browser check of {report}: {'passed' if not problems else f'{len(problems)} problem(s)'}; "
        f"self-test: {f'caught all {total} planted faults' if not missed else f'missed {len(missed)} of {total}'}"
    )
    return 1 if problems or missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
