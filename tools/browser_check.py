"""Check the report site as readers see it, in headless Chromium (Debian's package, driven by Playwright).

    python tools/browser_check.py REPORT_DIR [--screenshots DIR] [--axe PATH/axe.min.js]

Every page, at a desktop width (1280 px) and a phone width (390 px):
- it loads with a clean console, and no request leaves the machine;
- its title is real and no other page has it; nothing scrolls sideways;
- no code shows until the one set-up toggle is pressed, and pressing it shows code;
- every local link resolves to a file, and a #fragment to an element of that page; every web
  address shown as text is a link that shows all of it;
- every chart has alt text, a CSV that parses and names its sources, and marks that link to
  existing rows of the Sources page and show their tooltip on keyboard focus;
- chart text renders at 9 CSS pixels or more (measured at 390 px);
- sortable tables sort from the keyboard and say how (aria-sort);
- axe-core finds no accessibility violation of any impact.
The search page finds "Georgia". Screenshots go to --screenshots (outside the report folder). Then
the check plants one fault per kind in a copy of the site and fails if it misses any.
"""

from __future__ import annotations

import base64
import csv
import functools
import http.server
import io
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"desktop": 1280, "phone": 390}
MIN_CHART_TEXT_PX = 9.0
DEFAULT_AXE = Path(__file__).resolve().parents[1] / "build" / "npm" / "node_modules" / "axe-core" / "axe.min.js"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def pages(report: Path) -> list[Path]:
    """The site's pages: every HTML page at its root but Sphinx's index pages, the landing page first."""
    found = [p for p in sorted(report.glob("*.html")) if p.name not in ("genindex.html", "py-modindex.html")]
    return sorted(found, key=lambda p: p.name != "index.html")


def check(report: Path, axe: Path, screenshots: Path | None = None) -> list[str]:
    """Every problem found in the site at ``report`` (empty when it passes)."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    server, base = serve(report)
    titles: dict[str, str] = {}
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for kind, width in WIDTHS.items():
            page = _new_page(browser, width, problems)
            for path in pages(report):
                where = f"{path.name} ({kind})"
                page.goto(f"{base}/{path.name}")
                page.wait_for_load_state("networkidle")
                if kind == "desktop":
                    problems += _title(path.name, page.title(), titles)
                    problems += _links(report, path, page) + _addresses(where, page) + _code_hidden(where, page)
                    problems += _charts(report, where, page) + _cite(where, page) + _sortable(where, page)
                else:
                    problems += _chart_text(where, page)
                problems += _no_sideways(where, page) + _axe(where, page, axe)
                if screenshots:
                    _screenshots(screenshots, path, kind, page)
            page.close()
        page = _new_page(browser, 1280, problems)
        page.goto(f"{base}/search.html?q=Georgia")
        try:
            page.wait_for_function("document.querySelectorAll('ul.search li').length > 0", timeout=15_000)
        except Exception:  # Playwright's TimeoutError: the search found nothing
            problems.append("search.html?q=Georgia: no result")
        browser.close()
    server.shutdown()
    return problems


def _new_page(browser, width: int, problems: list[str]):
    """A page that reports console errors and blocks (and reports) any request off the machine."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(120_000)  # a busy two-core machine can take long over a page with many charts
    page.on(
        "console", lambda m: problems.append(f"{page.url}: console {m.type}: {m.text}") if m.type == "error" else None
    )

    def route(request_route) -> None:
        url = request_route.request.url
        if urlsplit(url).hostname in ("127.0.0.1", None):
            request_route.continue_()
        else:
            problems.append(f"{page.url}: a request left the machine: {url}")
            request_route.abort()

    page.route("**/*", route)
    return page


def _title(name: str, title: str, seen: dict[str, str]) -> list[str]:
    if len(title) < 8 or title in seen.values():
        return [f"{name}: title {title!r} is empty or not distinct"]
    seen[name] = title
    return []


def _no_sideways(where: str, page) -> list[str]:
    wide = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    return [f"{where}: the page scrolls sideways by {wide} px"] if wide > 1 else []


def _code_hidden(where: str, page) -> list[str]:
    """No code cell's source shows until the one set-up toggle is pressed; pressing it shows code."""
    visible = page.locator(".cell_input").evaluate_all("els => els.filter(e => e.checkVisibility()).length")
    problems = [f"{where}: {visible} code cells show their code before any toggle is pressed"] if visible else []
    toggles = page.locator("details.hide.above-input summary")
    if toggles.count() > 1:
        problems.append(f"{where}: {toggles.count()} code toggles (one per page)")
    if toggles.count():
        toggles.first.click()
        if not page.locator(".cell_input").first.is_visible():
            problems.append(f"{where}: pressing the set-up toggle shows no code")
    return problems


def _links(report: Path, path: Path, page) -> list[str]:
    """Every local link resolves to a file, and a #fragment (or #ids=a,b) to rows of that page."""
    problems = []
    for href in set(page.locator("a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))")):
        parts = urlsplit(href)
        if parts.scheme or href.startswith("//") or not href:
            continue
        target = (report / unquote(parts.path)) if parts.path else path
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"{path.name}: broken link {href}")
        elif parts.fragment and target.suffix == ".html":
            text = target.read_text(encoding="utf-8")
            wanted = parts.fragment[4:].split(",") if parts.fragment.startswith("ids=") else [unquote(parts.fragment)]
            missing = [w for w in wanted if f'id="{w}"' not in text]
            problems += [f"{path.name}: link {href} to no element of {target.name}"] if missing else []
    return problems


def _addresses(where: str, page) -> list[str]:
    """Every web address shown as text is a link that shows all of it."""
    shown = page.evaluate(
        """() => { const found = [];
        const walk = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) { const n = walk.currentNode; const m = n.textContent.match(/https?:\\/\\/\\S+/);
          if (m && !n.parentElement.closest('a, code, pre, svg, script')) found.push(m[0]); } return found; }"""
    )
    return [f"{where}: address shown as plain text: {url}" for url in shown]


def _charts(report: Path, where: str, page) -> list[str]:
    """Alt text, a CSV that parses and names its sources, marks that link to sources and show a tooltip."""
    problems = []
    for n in range(page.locator("figure.re-chart").count()):
        figure = page.locator("figure.re-chart").nth(n)
        alt = figure.locator("svg").first.get_attribute("aria-label") or ""
        if len(alt) < 30:
            problems.append(f"{where}: chart {n + 1} has no real alt text ({alt!r})")
        links = figure.locator("a.csv-download")
        href = links.first.get_attribute("href") if links.count() else ""
        if not href or not href.startswith("data:text/csv"):
            problems.append(f"{where}: chart {n + 1} has no CSV download")
        else:
            rows = list(csv.DictReader(io.StringIO(base64.b64decode(href.split(",", 1)[1]).decode("utf-8-sig"))))
            if not rows or "source_id" not in rows[0]:
                problems.append(f"{where}: the CSV of chart {n + 1} is empty or names no source")
        marks = figure.locator(".re-mark a")
        if not marks.count():
            problems.append(f"{where}: chart {n + 1} has no linked mark")
        else:
            marks.first.focus()
            tip = page.locator(".re-tip")
            if not tip.is_visible() or not tip.inner_text().strip():
                problems.append(f"{where}: a mark of chart {n + 1} shows no tooltip on focus")
    return problems


def _screenshots(folder: Path, path: Path, kind: str, page) -> None:
    """The landing, Sources and page 03 whole, and each map on its own."""
    folder.mkdir(parents=True, exist_ok=True)
    if path.name in ("index.html", "03_destination_responses.html", "sources.html"):
        page.screenshot(path=folder / f"{path.stem}-{kind}.png", full_page=True)
    # The headers are hidden so that they do not cover the maps.
    page.add_style_tag(content=".bd-header, .bd-header-article, .skip-link { display: none !important; }")
    for n in range(page.locator("figure.re-map").count()):
        page.locator("figure.re-map").nth(n).screenshot(path=folder / f"{path.stem}-map{n + 1}-{kind}.png")


def _cite(where: str, page) -> list[str]:
    """Each chart and finding has an anchor and a "Cite" line naming the data version and its own address."""
    problems = []
    items = page.locator("figure.re-chart, .re-finding")
    for n in range(items.count()):
        item = items.nth(n)
        anchor = item.get_attribute("id") or ""
        line = item.locator("details.re-cite") if item.evaluate("e => e.matches('figure')") else None
        if line is None:
            line = page.locator(f"[id='{anchor}'] + details.re-cite")
        text = line.first.text_content() if anchor and line.count() else ""
        if not anchor or f"#{anchor}" not in text or "data package version" not in text:
            problems.append(f"{where}: chart or finding {n + 1} ({anchor or 'no anchor'}) has no cite line")
    return problems


def _chart_text(where: str, page) -> list[str]:
    """Chart text as rendered on this screen: its font size times the SVG's scale, in CSS pixels."""
    smallest = page.evaluate(
        """() => Array.from(document.querySelectorAll('figure.re-chart svg')).flatMap(svg => {
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return Array.from(svg.querySelectorAll('text')).map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
        })"""
    )
    small = [s for s in smallest if s < MIN_CHART_TEXT_PX]
    return (
        [f"{where}: {len(small)} chart texts under {MIN_CHART_TEXT_PX} px (smallest {min(small):.1f} px)"]
        if small
        else []
    )


def _sortable(where: str, page) -> list[str]:
    """The first sortable heading sorts from the keyboard and says so (aria-sort)."""
    button = page.locator("button.re-sort").first
    if not page.locator("button.re-sort").count():
        return []
    button.focus()
    page.keyboard.press("Enter")
    sorted_by = button.evaluate("b => b.closest('th').getAttribute('aria-sort')")
    return [] if sorted_by == "ascending" else [f"{where}: Enter on a heading does not sort (aria-sort {sorted_by!r})"]


def _axe(where: str, page, axe: Path) -> list[str]:
    """axe-core's violations of every impact (minor ones included), one line each."""
    page.add_script_tag(path=str(axe))
    found = page.evaluate("async () => (await axe.run()).violations.map(v => [v.id, v.impact, v.nodes.length, v.help])")
    return [f"{where}: axe {rule} ({impact}, {n} nodes): {text}" for rule, impact, n, text in found]


def self_test(report: Path, axe: Path) -> list[str]:
    """Plant one fault per kind in copies of the site; return the faults the check misses."""
    faults = {
        "a broken link": ("01_causes.html", "</main>", '<a href="nowhere.html">x</a></main>'),
        "a request off the machine": (
            "01_causes.html",
            "</main>",
            '<img alt="x" src="https://example.org/x.png"></main>',
        ),
        "code shown": ("01_causes.html", 'class="cell_input', 'style="display:block" class="visible cell_input'),
        "a chart without alt text": (
            "01_causes.html",
            'role="group" aria-label="',
            'role="group" aria-label="x" data-was="',
        ),
        "a mark linking to no source": ("01_causes.html", 'href="sources.html#', 'href="sources.html#no-such-source'),
        "tiny chart text": ("01_causes.html", "font-size: 10px", "font-size: 4px"),
        "an address as plain text": ("index.html", "</main>", "<p>https://example.org/plain</p></main>"),
        "an image without alt": ("index.html", "</main>", '<img src="_static/site.css"></main>'),
        "a chart without a cite line": ("01_causes.html", 're-chart" id=', 're-chart" data-id='),
    }
    missed = []
    for what, (name, old, new) in faults.items():
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(shutil.copytree(report, Path(tmp) / "site"))
            text = (copy / name).read_text(encoding="utf-8")
            assert old in text, f"self-test: {old!r} is not in {name}"
            (copy / name).write_text(text.replace(old, new, 1), encoding="utf-8")
            for extra in [p for p in pages(copy) if p.name not in (name, "sources.html")]:
                extra.unlink()  # the planted page (and the Sources page links land on) is enough
            if not check(copy, axe):
                missed.append(what)
    return missed


def main(argv: list[str]) -> int:
    report = Path(argv[0])
    screenshots = Path(argv[argv.index("--screenshots") + 1]) if "--screenshots" in argv else None
    axe = Path(argv[argv.index("--axe") + 1]) if "--axe" in argv else DEFAULT_AXE
    problems = check(report, axe, screenshots)
    for problem in problems:
        print(problem, file=sys.stderr)
    missed = self_test(report, axe) if not problems else []
    for what in missed:
        print(f"self-test: the check missed {what}", file=sys.stderr)
    print(f"browser check: {len(pages(report))} pages, {len(problems)} problems, {len(missed)} planted faults missed")
    return 1 if problems or missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
