"""The report site: pages, landing page, Sources page, copied data, escaping, and the browser checks.

Most tests read the site of the suite's one default report build (its notebooks are the committed
ones, byte for byte); the others render committed notebooks with the site builder, so no kernel runs.
The browser tests need Playwright and Debian's Chromium (``make browser-check`` installs both);
without them they are skipped, unless REQUIRE_BROWSER=1, which turns the skip into a failure.
"""

from __future__ import annotations

import base64
import html
import importlib.util
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest

from russian_emigration import data_dir, load_dataset
from russian_emigration.site import (
    build_site,
    dictionary_sections,
    parameter_box,
    sources_html,
    stamp_html,
    static_dir,
)
from tests.conftest import Build as ReportBuild
from tests.conftest import bundled_dataset, set_cell
from tests.notebook_helpers import NOTEBOOKS

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import browser_check  # noqa: E402

pytestmark = pytest.mark.slow


@dataclass
class Build:
    """A stand-in for report.BuildInfo (same fields)."""

    dataset: Any
    data_dir: Path
    parameters: dict[str, str] = field(default_factory=dict)
    notebook_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: str = "0.1.0"


def needs_browser() -> None:
    """Skip (or fail, with REQUIRE_BROWSER=1) when Playwright or Chromium is missing."""
    missing = [n for n in ("playwright",) if importlib.util.find_spec(n) is None]
    if not Path(browser_check.CHROMIUM).exists():
        missing.append(browser_check.CHROMIUM)
    if missing:
        message = f"browser test needs {', '.join(missing)} (make browser-check installs them)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def site(default_build: ReportBuild) -> Path:
    """The site of the suite's one default report build (whose notebooks are the committed ones, byte
    for byte: tests/test_report.py)."""
    return default_build.index.parent


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_each_notebook_is_a_page_titled_from_its_heading(site: Path) -> None:
    from russian_emigration.site import setup_cells

    titles = set()
    for nb_path in NOTEBOOKS:
        nb = nbformat.read(nb_path, as_version=4)
        heading = nb.cells[0].source.splitlines()[0].lstrip("# ").strip()
        page = text(site / f"{nb_path.stem}.html")
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert html.escape(heading, quote=False) in title or heading in html.unescape(title)
        titles.add(title)
        setup = set(setup_cells(nb))
        shown = sum(1 for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs and i not in setup)
        assert page.count('<details class="admonition hide above-input">') == shown, (
            "every code cell with an output, below the set-up, gets a toggle"
        )
        assert "Parameters of this build" in page
    assert len(titles) == len(NOTEBOOKS)


def test_site_has_search_navigation_and_previous_next(site: Path) -> None:
    assert (site / "search.html").is_file() and (site / "searchindex.js").is_file()
    page = text(site / "02_notable_emigrants.html")
    assert 'class="prev-next-area"' in page or "prev-next" in page
    for nb_path in NOTEBOOKS:
        assert f'href="{nb_path.stem}.html"' in text(site / "index.html")
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', page), "the page loads something off the machine"


def test_landing_page_has_findings_stamp_and_data_links(site: Path) -> None:
    index = text(site / "index.html")
    for heading in ("Main findings", "This build", "Data, citation and licences"):
        assert heading in index
    findings = re.search(r'<ul class="findings">(.*?)</ul>', index, re.S).group(1)
    assert findings.count("<li>") == len(NOTEBOOKS)
    for nb_path in NOTEBOOKS:
        assert f'href="{nb_path.stem}.html"' in findings
    ds = bundled_dataset()
    assert f"{len(ds.emigrants)} notable emigrants" in findings, "the finding is computed from the data"
    assert ds.descriptor["version"] in index and "git commit" in index and "none given (defaults)" in index
    for name in ["datapackage.json", "README.md", *(r["path"] for r in ds.descriptor["resources"])]:
        assert f'href="data/{name}"' in index and (site / "data" / name).is_file(), name
    for name in ("CITATION.cff", "LICENSE", "DATA_LICENSE.md"):
        assert f'href="{name}"' in index and (site / name).is_file(), name


def test_sources_page_lists_every_source_with_its_full_url(site: Path) -> None:
    page = text(site / "sources.html")
    sources = bundled_dataset().sources
    for row in sources.itertuples():
        assert f'<tr id="{html.escape(row.source_id)}">' in page
        url = html.escape(row.url, quote=True)
        assert f'<a href="{url}" rel="noopener">{url}</a>' in page, row.source_id
    assert f"{len(sources)} sources." in page


def test_the_data_dictionary_is_a_page_of_the_site_linked_from_the_landing_page(site: Path) -> None:
    page = text(site / "dictionary.html")
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert title.startswith("Data dictionary"), title
    index = text(site / "index.html")
    article = index[index.index('<article class="bd-article"') :]
    assert 'href="dictionary.html"' in article, "the landing page's text (not only the sidebar) links to it"
    assert 'href="data/README.md"' in article and (site / "data" / "README.md").is_file(), "the raw file stays"
    assert 'href="data/README.md" download' in page, "the page offers the Markdown file too"
    descriptor = json.loads((data_dir() / "datapackage.json").read_text(encoding="utf-8"))
    body = page[page.index('<div class="data-dictionary">') :]
    for resource in descriptor["resources"]:
        anchor = resource["name"].replace("_", "-")
        heading = f'<section id="{anchor}">\n<h2>{resource["name"]}<a class="headerlink" href="#{anchor}"'
        assert heading in body, resource["name"]
        assert f'<a href="#{anchor}"><code>{resource["name"]}</code></a>' in body, "the list of tables links to it"
        section = body[body.index(heading) :]
        section = section[: section.index("</table>")]
        assert '<div class="dictionary-table"><table>' in section, "its table scrolls inside its own box"
        for column in resource["schema"]["fields"]:
            assert f"<td><code>{column['name']}</code></td>" in section, (resource["name"], column["name"])
    assert body.count('<div class="dictionary-table">') == len(descriptor["resources"])


def dictionary_markup(descriptor: Path) -> str:
    """The HTML the Data dictionary page includes, its parts joined (headings are Markdown, escaped apart)."""
    return "".join(body for _level, _title, body in dictionary_sections(descriptor))


def test_the_data_dictionary_page_leaves_out_the_note_to_maintainers() -> None:
    from russian_emigration.dictionary import render_file

    note = "not this file"
    descriptor = data_dir() / "datapackage.json"
    assert note in render_file(descriptor), "data/README.md keeps the note for maintainers"
    page = dictionary_markup(descriptor)
    assert note not in page and "make data-dictionary" not in page
    assert "How the data package is built and what every column means." in page


def test_the_sources_page_keeps_its_sort_buttons_on_a_phone() -> None:
    css = (static_dir() / "site.css").read_text(encoding="utf-8")
    phone = css[css.index("@media (max-width: 700px)") :]
    phone = phone[: phone.index("\n}")]
    assert "table.sources thead { display: none" not in phone, "a phone reader must be able to sort"
    script = (static_dir() / "sources.js").read_text(encoding="utf-8")
    assert 'setAttribute("aria-live"' in script and "No rows match" in script


def test_the_data_dictionary_page_keeps_the_descriptor_text_as_text(tmp_path: Path) -> None:
    descriptor = json.loads((data_dir() / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["description"] = "<script>alert(1)</script> [x](javascript:alert(2))"
    descriptor["resources"][0]["schema"]["fields"][0]["description"] = "<img src=x onerror=alert(3)>"
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    markup = dictionary_markup(tmp_path / "datapackage.json")
    assert "<script>" not in markup and "<img" not in markup and 'href="javascript:' not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup and "&lt;img src=x onerror=alert(3)&gt;" in markup


def test_data_strings_are_escaped_in_what_the_site_writes(tmp_path: Path) -> None:
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    ds = load_dataset()
    sources = ds.sources.copy()
    sources.loc[0, "title"] = payload
    sources.loc[1, "url"] = "javascript:alert(3)"
    sources.loc[2, "source_id"] = '"><svg onload=alert(4)>'
    out = sources_html(sources)
    assert "<script>" not in out and "<img" not in out and "<svg" not in out
    assert 'href="javascript:' not in out and "javascript:alert(3)" in out, "a non-web address is text, not a link"
    assert "00:00:00" not in out, "dates show without a time"
    ds.descriptor["version"] = payload
    build = Build(ds, data_dir(), {"countries": payload}, {"03_destination_responses.ipynb": {"countries": [payload]}})
    for markup in (stamp_html(build), parameter_box(REPO / "notebooks" / "03_destination_responses.ipynb", build)):
        assert "<script>" not in markup and "<img" not in markup
        assert html.escape(payload) in markup


def test_a_rebuild_with_nothing_changed_reuses_the_rendered_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    executed = []
    for nb in NOTEBOOKS[:2]:
        (tmp_path / "notebooks").mkdir(exist_ok=True)
        executed.append(Path(shutil.copy(nb, tmp_path / "notebooks" / nb.name)))
    build = Build(bundled_dataset(), data_dir(), {}, {})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = build_site(executed, tmp_path / "a", build, cache)
    assert "sphinx" in first and len(list(cache.iterdir())) == 1
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    second = build_site(executed, tmp_path / "b", build, cache)
    assert "cached" in second and "sphinx" not in second
    a, b = text(tmp_path / "a" / "index.html"), text(tmp_path / "b" / "index.html")
    assert "2023-11-14 22:13 UTC" in a and "2027-01-15 08:00 UTC" in b, "the build date is this build's"
    assert a.replace("2023-11-14 22:13 UTC", "") == b.replace("2027-01-15 08:00 UTC", "")
    assert text(tmp_path / "a" / "01_causes.html") == text(tmp_path / "b" / "01_causes.html")
    changed = Build(bundled_dataset(), data_dir(), {"start_date": "2022-02-01"}, {"01_causes.ipynb": {}})
    assert "sphinx" in build_site(executed, tmp_path / "c", changed, cache), "another parameter renders afresh"
    assert len(list(cache.iterdir())) == 2


# --- In the browser -------------------------------------------------------------------------------

CHART_CSV = "value,source_id\n1,wikipedia-seed\n"


@pytest.fixture(scope="module")
def chart_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site whose charts carry alt text (in the output's metadata) and a CSV link, for the browser tests
    (built only when they can run)."""
    needs_browser()
    out = tmp_path_factory.mktemp("chart-site")
    (out / "notebooks").mkdir()
    executed = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if "image/png" in output.get("data", {}):
                    output.setdefault("metadata", {})["image/png"] = {
                        "alt": f"A chart of {path.stem}, planted alt text"
                    }
        nbformat.write(nb, out / "notebooks" / path.name)
        executed.append(out / "notebooks" / path.name)
    build_site(executed, out, Build(bundled_dataset(), data_dir()))
    (out / "chart.csv").write_text(CHART_CSV, encoding="utf-8")
    for page in out.glob("0*.html"):
        markup = re.sub(
            r'(<a class="chart-full"[^>]*><img [^>]*src="_images/[^>]+></a>)',
            r'\1<a href="chart.csv" download>data (CSV)</a>',
            text(page),
        )
        # The committed notebooks' tables still print addresses as text (the notebooks' own fix).
        markup = re.sub(r"<td>https?://[^<]*</td>", "<td>(address left out by the fixture)</td>", markup)
        page.write_text(markup, encoding="utf-8")
    return out


def chart_alt_texts(nb_path: Path) -> list[str]:
    """The alt text of each chart of a committed notebook, from its output's metadata."""
    nb = nbformat.read(nb_path, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    return [o.get("metadata", {}).get("image/png", {}).get("alt", "") for o in outputs]


def test_chart_alt_text_in_output_metadata_reaches_the_page(site: Path) -> None:
    charts = 0
    for nb_path in NOTEBOOKS:
        page = html.unescape(text(site / f"{nb_path.stem}.html"))
        for alt in chart_alt_texts(nb_path):
            assert alt and f'alt="{alt}"' in page, f"{nb_path.stem}: {alt[:60]!r} is not the alt text of an image"
            charts += 1
    assert charts == chart_count() > 0


def test_browser_check_passes_on_a_site_with_chart_alt_text_and_csv(chart_site: Path, tmp_path: Path) -> None:
    needs_browser()
    fixture = chart_site
    shots = tmp_path / "browser-check"
    assert browser_check.check(fixture, screenshots=shots) == []
    for shot in ("index-desktop", "index-phone", "analysis-desktop", "analysis-phone"):
        assert (shots / f"screenshot-{shot}.png").stat().st_size > 0
    assert not list(fixture.glob("screenshot-*")), "screenshots are never written into the published report"
    assert browser_check.self_test(fixture) == [], "every planted fault is caught"


def chart_count() -> int:
    return sum(
        "image/png" in o.get("data", {})
        for nb in NOTEBOOKS
        for c in nbformat.read(nb, as_version=4).cells
        for o in c.get("outputs", [])
    )


def test_browser_check_passes_on_the_site_of_the_committed_notebooks(site: Path) -> None:
    needs_browser()
    assert browser_check.check(site) == []


def test_browser_check_flags_every_chart_without_its_csv(site: Path, tmp_path: Path) -> None:
    needs_browser()
    copy = tmp_path / "site"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("notebooks", "_sources"))
    for page in copy.glob("0*.html"):
        markup, removed = re.subn(r'<a class="csv-download"[^>]*>.*?</a>', "", text(page), flags=re.S)
        assert removed, f"{page.name} has CSV links to remove"
        page.write_text(markup, encoding="utf-8")
    problems = browser_check.check(copy)
    flagged = {p.split(" has ")[0] for p in problems if "has no CSV link" in p}
    assert len(flagged) == chart_count() > 0, "each chart without a CSV link beside it is reported"


PAYLOADS = {
    # (file, row, column) -> value; each payload calls alert() with a marker the test looks for.
    ("sources.csv", 1, "title"): "Title<script>alert('xss-script')</script>",
    ("sources.csv", 2, "publisher"): "<a href=\"javascript:alert('xss-jslink')\">publisher</a>",
    ("sources.csv", 3, "title"): "[a Markdown link](javascript:alert('xss-mdlink'))",
    ("events.csv", 1, "summary"): "<iframe srcdoc=\"<script>parent.alert('xss-iframe')</script>\"></iframe>",
    ("events.csv", 2, "actor"): "<details open ontoggle=\"alert('xss-details')\">actor</details>",
    ("emigrants.csv", 1, "name"): "<img src=x onerror=\"alert('xss-img')\">",
    ("emigrants.csv", 2, "reason"): "[click](javascript:alert('xss-mdreason'))",
}


def plant_payloads(data: Path) -> None:
    for (name, line, column), value in PAYLOADS.items():
        set_cell(data / name, line, column, value)
    # Georgia (the default focus country) is named in a sentence of the destinations page.
    countries = (data / "countries.csv").read_text(encoding="utf-8").split("\n")
    georgia = next(i for i, line in enumerate(countries) if line.startswith("GEO,"))
    set_cell(data / "countries.csv", georgia, "country_name", "Georgia<svg onload=\"alert('xss-svg')\">")
    # The smallest station is dropped by -p min_respondents 200, and the vote page names dropped stations.
    stations = (data / "vote_abroad_stations.csv").read_text(encoding="utf-8").split("\n")
    header = stations[0].split(",")
    sizes = [(int(row.split(",")[header.index("respondents")]), i) for i, row in enumerate(stations[1:], 1) if row]
    set_cell(data / "vote_abroad_stations.csv", min(sizes)[1], "place", "Town<script>alert('xss-station')</script>")
    descriptor = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["version"] = '<img src="x" onerror="alert(\'xss-version\')">'
    (data / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


LIVE_ELEMENTS = """() => {
    const live = [];
    for (const el of document.querySelectorAll('*')) {
        if (el.tagName === 'SCRIPT' && el.textContent.includes('xss-'))
            live.push('script: ' + el.textContent.slice(0, 80));
        if (el.tagName === 'IFRAME') live.push('iframe: ' + el.outerHTML.slice(0, 80));
        for (const a of el.attributes) {
            if (/^on/i.test(a.name) && a.value.includes('xss-')) live.push(el.tagName + ' ' + a.name);
            if (/^(href|src|action|formaction|xlink:href)$/i.test(a.name) && /^\\s*javascript:/i.test(a.value))
                live.push(el.tagName + ' ' + a.name + '=' + a.value);
        }
    }
    return live;
}"""


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Build the whole report from a data copy full of payloads; per page: dialogs, live elements, text."""
    needs_browser()
    from playwright.sync_api import sync_playwright

    from russian_emigration.report import build_report

    tmp = tmp_path_factory.mktemp("xss")
    data = tmp / "data"
    shutil.copytree(data_dir(), data, ignore=shutil.ignore_patterns("README.md"))
    plant_payloads(data)
    report = build_report(tmp / "report", {"min_respondents": "200"}, data_dir=data, progress=lambda _: None).parent
    seen: dict[str, dict[str, Any]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_check.CHROMIUM, headless=True, args=browser_check.ARGS)
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in browser_check.pages(report):
            dialogs.clear()
            page.goto(path.as_uri())
            for summary in page.locator("details > summary").all():
                if summary.is_visible():
                    summary.click()
            page.wait_for_timeout(200)
            seen[path.name] = {
                "dialogs": list(dialogs),
                "live": page.evaluate(LIVE_ELEMENTS),
                "text": page.evaluate("() => document.body.innerText"),
            }
        browser.close()
    return seen


def leaks(seen: dict[str, dict[str, Any]], notebook_pages: bool) -> dict[str, Any]:
    return {
        name: {"dialogs": page["dialogs"], "live": page["live"]}
        for name, page in seen.items()
        if (page["dialogs"] or page["live"]) and bool(re.match(r"\d", name)) == notebook_pages
    }


def test_planted_payloads_stay_text_on_the_pages_the_site_builder_writes(xss_site: dict[str, Any]) -> None:
    assert not leaks(xss_site, notebook_pages=False), "a payload from the data ran or is live"
    text_seen = xss_site["index.html"]["text"] + xss_site["sources.html"]["text"]
    for marker in ("xss-script", "xss-version", "xss-jslink", "xss-mdlink"):
        assert marker in text_seen, f"payload {marker} never reached the site as text (the test would prove nothing)"


def test_planted_payloads_stay_text_on_the_notebook_pages(xss_site: dict[str, Any]) -> None:
    assert not leaks(xss_site, notebook_pages=True), "a payload from the data ran or is live"
    pages = {name: page["text"] for name, page in xss_site.items() if re.match(r"\d", name)}
    for marker, page in (("xss-version", "01_causes.html"), ("xss-svg", "03_destination_responses.html")):
        assert marker in pages[page], f"payload {marker} never reached {page} as text (the test would prove nothing)"
    assert "xss-station" in pages["04_vote_results.html"], "the dropped station is named, as text"


def test_png_fixture_decodes() -> None:
    assert base64.b64decode(browser_check.PNG_1PX.split(",", 1)[1]).startswith(b"\x89PNG")


def test_findings_follow_the_parameters_and_never_vanish() -> None:
    from russian_emigration.site import findings

    ds = bundled_dataset()
    label = dict(findings(ds, {"02_notable_emigrants.ipynb": {"domain": "stage and screen"}}))
    actors = int((ds.emigrants["domain"] == "stage_and_screen").sum())
    assert actors > 1
    assert label["02_notable_emigrants"] == f"The sources name {actors} notable emigrants in stage and screen."
    one = ds.emigrants["domain"].value_counts()
    single = one[one == 1]
    if len(single):
        sentence = dict(findings(ds, {"02_notable_emigrants.ipynb": {"domain": single.index[0]}}))
        assert "1 notable emigrant in " in sentence["02_notable_emigrants"], sentence
    nothing = dict(
        findings(
            ds,
            {
                "01_causes.ipynb": {"start_date": "1990", "end_date": "1991"},
                "03_destination_responses.ipynb": {"countries": ["JPN"]},
            },
        )
    )
    assert len(nothing) == 4
    assert nothing["01_causes"] == (
        "The data records no estimate of how many left Russia since the invasion dated "
        "from 1 January 1990 to 31 December 1991."
    )
    assert nothing["03_destination_responses"] == (
        "The data records no response of states and institutions to the emigrants for the selected countries (Japan)."
    )
    window = dict(findings(ds, {}))["01_causes"]
    assert "dated from 1 January 2022 to 31 December 2024" in window, "the default window of notebook 01"


def test_the_parameter_box_says_what_none_means() -> None:
    build = Build(bundled_dataset(), data_dir(), {}, {})
    box = parameter_box(REPO / "notebooks" / "03_destination_responses.ipynb", build)
    values = re.findall(r"<strong>(.*?)</strong>", box)
    assert "all countries" in values and "None" not in values, values


def test_every_chart_image_links_to_its_full_size_png(site: Path) -> None:
    linked = 0
    for page in site.glob("0*.html"):
        markup = text(page)
        images = re.findall(r'<img\b[^>]*\bsrc="(_images/[^"]+\.png)"', markup)
        links = re.findall(
            r'<a class="chart-full" href="(_images/[^"]+\.png)" title="Open the chart at full size"><img\b[^>]*'
            r'\bsrc="(_images/[^"]+\.png)"',
            markup,
        )
        assert len(links) == len(images), f"{page.name}: every chart image is a link"
        for href, src in links:
            assert href == src and (site / href).is_file(), (page.name, href)
        linked += len(links)
    assert linked == chart_count() > 0
    assert "cursor: zoom-in" in text(site / "_static" / "site.css"), "the link shows a zoom-in cursor"


def test_the_site_names_the_data_folder_without_its_absolute_path(tmp_path: Path, site: Path) -> None:
    from russian_emigration.site import OTHER_DATA_FOLDER

    stamps = []
    for where in ("first/place", "second"):
        folder = tmp_path / where / "my-data"
        shutil.copytree(data_dir(), folder)
        build = Build(
            load_dataset(folder), folder, {"data_dir": str(folder)}, {"01_causes.ipynb": {"data_dir": str(folder)}}
        )
        markup = stamp_html(build) + parameter_box(REPO / "notebooks" / "01_causes.ipynb", build)
        assert str(tmp_path) not in markup and html.escape(OTHER_DATA_FOLDER.format(name="my-data")) in markup
        stamps.append(re.sub(r'<th scope="row">built</th><td>[^<]*</td>', "", markup))
    assert stamps[0] == stamps[1], "the same data at two paths gives the same stamp and parameter box"
    bundled = Build(bundled_dataset(), data_dir())
    assert "<td>the bundled data package</td>" in stamp_html(bundled)
    index = text(site / "index.html")
    assert "the bundled data package" in index
    for path in (REPO, data_dir().resolve(), Path.home()):
        assert str(path) not in index, f"{path} is printed in the published site"


def test_the_injected_parameter_cell_shows_the_folder_name_only(tmp_path: Path) -> None:
    from russian_emigration.site import _prepare_notebook

    folder = tmp_path / "elsewhere" / "my-data"
    shutil.copytree(data_dir(), folder)
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    injected = nbformat.v4.new_code_cell(
        f'# Parameters\ndata_dir = "{folder}"\n', metadata={"tags": ["injected-parameters"]}
    )
    nb.cells.insert(1, injected)
    (tmp_path / "in").mkdir()
    nbformat.write(nb, tmp_path / "in" / NOTEBOOKS[0].name)
    (tmp_path / "src").mkdir()
    build = Build(
        load_dataset(folder), folder, {"data_dir": str(folder)}, {NOTEBOOKS[0].name: {"data_dir": str(folder)}}
    )
    _prepare_notebook(tmp_path / "in" / NOTEBOOKS[0].name, tmp_path / "src", build)
    written = (tmp_path / "src" / NOTEBOOKS[0].name).read_text(encoding="utf-8")
    assert str(tmp_path) not in written
    assert "data_dir = 'my-data'  # a data folder given with" in written


def first_cells(path: Path, folder: Path, code_cells: int) -> Path:
    """``path`` cut after its first ``code_cells`` code cells (and the Markdown among them), same file name."""
    nb = nbformat.read(path, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    nb.cells = nb.cells[: code[code_cells - 1] + 1]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / path.name)
    return folder / path.name


def test_a_report_from_data_copies_at_two_paths_is_the_same_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Byte for byte, executed notebook included: no absolute path of the data folder is published.

    One notebook (04, which takes the parameter) is enough: the data folder reaches every notebook the
    same way, through papermill's injected cell, which the site rewrites for each page. Its first five
    code cells run (parameters, set-up, a sentence, a chart, a table: each kind of output the
    notebooks show); what the rest shows with the bundled data is the committed output, checked byte for
    byte on the default build, which is itself checked for the checkout's absolute path (below).
    """
    from russian_emigration.report import build_report

    notebook = first_cells(NOTEBOOKS[-1], tmp_path / "nbs", code_cells=5)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the same build date in both
    sites = []
    for where in ("one/deeper/place", "two"):
        folder = tmp_path / where / "data"
        shutil.copytree(data_dir(), folder)
        out = tmp_path / where / "report"
        build_report(out, {"min_respondents": "500"}, data_dir=folder, notebooks=[notebook], progress=lambda _: None)
        files = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        assert not [p for p, b in files.items() if str(tmp_path).encode() in b], "an absolute path is published"
        sites.append(files)
    assert sites[0] == sites[1]
    shown = nbformat.read(tmp_path / "two" / "report" / "notebooks" / notebook.name, as_version=4)
    assert sum(bool(c.get("outputs")) for c in shown.cells) == 4, "each cell after the parameters showed something"


def test_no_file_of_the_default_build_names_the_checkout(site: Path) -> None:
    """The committed outputs, as the default build publishes them, hold no absolute path of the data or
    the checkout (the two-path test above runs only part of one notebook)."""
    paths = [str(p).encode() for p in (data_dir().resolve(), REPO)]
    for file in sorted(p for p in site.rglob("*") if p.is_file()):
        data = file.read_bytes()
        assert not [p for p in paths if p in data], f"{file.relative_to(site)} names an absolute path"


def test_the_landing_page_text_links_to_the_sources_page(site: Path) -> None:
    index = text(site / "index.html")
    article = index[index.index('<article class="bd-article"') :]
    intro = re.search(r"<p>(.*?)</p>", article, re.S).group(1)
    assert 'href="sources.html"' in intro, "the main text (not only the sidebar, hidden on a phone) links to it"


def test_search_shows_no_summaries_so_it_fetches_nothing_from_disk(site: Path) -> None:
    from russian_emigration.site import sphinx_config

    assert sphinx_config()["html_show_search_summary"] is False
    assert "SHOW_SEARCH_SUMMARY: false" in text(site / "_static" / "documentation_options.js")


def test_the_vote_finding_names_its_station_filter() -> None:
    from russian_emigration.site import findings

    ds = bundled_dataset()
    filtered = dict(findings(ds, {"04_vote_results.ipynb": {"min_respondents": 500}}))["04_vote_results"]
    assert "(exit-poll stations with at least 500 respondents)" in filtered, filtered
    unfiltered = dict(findings(ds, {"04_vote_results.ipynb": {"min_respondents": 0}}))["04_vote_results"]
    assert "exit-poll stations with at least" not in unfiltered, unfiltered


def test_the_estimates_finding_keeps_qualifiers_and_says_one_estimate_once() -> None:
    from russian_emigration.site import findings

    ds = bundled_dataset()
    one = dict(findings(ds, {"01_causes.ipynb": {"start_date": "2022-10-01", "end_date": "2022-10-31"}}))["01_causes"]
    assert one == (
        "The one published estimate of how many people left Russia since the invasion dated from 1 October 2022 "
        "to 31 October 2022 is about 900,000 (as of 2022-10), from 1 source."
    ), one
    default = dict(findings(ds, {}))["01_causes"]
    assert "run from at least 200,000 (as of 2022-03) to 1,500,000 (the top of a range, as of 2023-07-11)" in default, (
        default
    )


def test_no_word_of_the_sources_kind_column_breaks_at_desktop_width(site: Path) -> None:
    needs_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_check.CHROMIUM, headless=True, args=browser_check.ARGS)
        page = browser.new_page(viewport=browser_check.DESKTOP)
        page.goto((site / "sources.html").as_uri())
        # Lines a cell's text takes, against the words in it: a word broken mid-word takes two lines.
        cells = page.evaluate(
            """() => Array.from(document.querySelectorAll('table.sources td.kind')).map(td => {
                const range = document.createRange(); range.selectNodeContents(td);
                return [td.textContent, range.getClientRects().length, td.textContent.trim().split(/\\s+/).length];
            })"""
        )
        browser.close()
    assert cells, "the Sources page has a kind column"
    broken = [kind for kind, lines, words in cells if lines > words]
    assert not broken, f"kinds broken mid-word at {browser_check.DESKTOP['width']} px: {broken}"


# --- What a reader sees: no empty code bars, one search box, contents lists, sticky headings -------


def cells_of(page: str) -> list[str]:
    """The markup of each notebook cell of a page (from one cell's opening tag to the next's)."""
    return page.split('<div class="cell ')[1:]


def test_no_code_toggle_opens_onto_a_cell_without_output_and_the_set_up_code_is_one_toggle_away(site: Path) -> None:
    for nb_path in NOTEBOOKS:
        page = text(site / f"{nb_path.stem}.html")
        empty = [c[:80] for c in cells_of(page) if "hide above-input" in c and "cell_output" not in c]
        assert not empty, f"{nb_path.stem}: code toggles with nothing under them: {empty}"
        head = page[page.index('<article class="bd-article"') :]
        head = head[: head.index("<h2>")]  # the page down to its first section
        assert "hide above-input" not in head, f"{nb_path.stem}: a code bar above the first section"
        from russian_emigration.site import SETUP_CODE_SUMMARY, setup_cells

        assert page.count('<details class="setup-code">') == 1, nb_path.stem
        toggle = page[page.index('<details class="setup-code">') :]
        toggle = toggle[: toggle.index("</details>")]
        assert html.escape(SETUP_CODE_SUMMARY, quote=True) in toggle
        code = html.unescape(re.sub(r"<[^>]+>", "", toggle))
        nb = nbformat.read(nb_path, as_version=4)
        for i in setup_cells(nb):
            first = nb.cells[i].source.strip().splitlines()[0]
            assert first in code, f"{nb_path.stem}: the set-up code lacks {first!r}"
        assert "import" in code and "load_dataset" in code, "the imports and loading the data"
        assert f'href="notebooks/{nb_path.stem}.ipynb" download' in toggle, "the whole notebook, one click away"
        assert (site / "notebooks" / f"{nb_path.stem}.ipynb").is_file()


def test_a_cell_without_output_shows_nothing_and_its_code_is_in_the_set_up_toggle_if_it_is_set_up(
    tmp_path: Path,
) -> None:
    from russian_emigration.site import _prepare_notebook, setup_cells

    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    later = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs and i not in setup_cells(nb))
    nb.cells[later].outputs = []
    (tmp_path / "in").mkdir()
    (tmp_path / "src").mkdir()
    nbformat.write(nb, tmp_path / "in" / NOTEBOOKS[0].name)
    _prepare_notebook(tmp_path / "in" / NOTEBOOKS[0].name, tmp_path / "src", Build(bundled_dataset(), data_dir()))
    written = nbformat.read(tmp_path / "src" / NOTEBOOKS[0].name, as_version=4)
    tags = {i: c.metadata.get("tags", []) for i, c in enumerate(written.cells) if c.cell_type == "code"}
    assert "remove-cell" in tags[later + 1], "a later cell without output: no bar (one cell was inserted above)"
    assert all("hide-input" not in tags[i + 1] for i in setup_cells(nb)), "no set-up cell keeps a bar"
    assert "setup-code" in written.cells[1].outputs[0]["data"]["text/html"]


def test_each_page_has_one_search_box(site: Path) -> None:
    for page_path in sorted(site.glob("*.html")):
        page = text(page_path)
        header = page[page.index('<header id="pst-header"') : page.index("</header>")]
        assert "search" not in header, f"{page_path.name}: a search box in the top header bar, beside the sidebar's"
        assert page.count("search-button-field") == 1, f"{page_path.name}: one search box (the sidebar's)"
        bar = page[page.index('<div class="article-header-buttons">') :]
        assert "search-button search-button__button" in bar[: bar.index("</div></div>")], (
            f"{page_path.name}: the article header keeps the search button a phone reader uses"
        )


def test_the_data_dictionary_page_lists_its_tables_in_its_side_contents(site: Path) -> None:
    page = text(site / "dictionary.html")
    assert 'id="pst-page-toc-nav"' in page, "the page has a side contents list"
    toc = page[page.index('id="pst-page-toc-nav"') :]
    toc = toc[: toc.index("</nav>")]
    descriptor = json.loads((data_dir() / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        anchor = resource["name"].replace("_", "-")
        assert f'href="#{anchor}">{resource["name"]}</a>' in toc, resource["name"]
        assert f'<section id="{anchor}">' in page, "the entry leads to the table's section"
    for heading in ("conventions", "coding-rules"):
        assert f'href="#{heading}"' in toc


def test_a_data_dictionary_heading_is_text_not_markdown(tmp_path: Path) -> None:
    from russian_emigration.site import _write_dictionary_page, markdown_text

    assert markdown_text("vote_abroad_stations") == "vote\\_abroad\\_stations"
    assert markdown_text("{raw}`x` *y* [z](w) <b>") == "\\{raw\\}\\`x\\` \\*y\\* \\[z\\]\\(w\\) \\<b\\>"
    _write_dictionary_page(tmp_path, data_dir() / "datapackage.json")
    page = (tmp_path / "dictionary.md").read_text(encoding="utf-8")
    assert "\n## vote\\_abroad\\_stations\n" in page and "\n### Stance\n" in page
    assert page.count("```{raw} html") == len(list(tmp_path.glob("_dictionary_*.html")))


def test_long_notebook_tables_scroll_in_a_box_that_keeps_their_headings_in_view(site: Path) -> None:
    css = (static_dir() / "site.css").read_text(encoding="utf-8")
    box = re.search(r"\.bd-article \.re-table-scroll \{([^}]*)\}", css).group(1)
    assert "max-height" in box and "overflow: auto" in box, "a long table scrolls inside its own box"
    head = re.search(r"\.re-table-scroll > table\.re-table > thead th \{([^}]*)\}", css).group(1)
    assert "position: sticky" in head and "top: 0" in head and "background" in head, "its headings stay at the top"
    page = text(site / "03_destination_responses.html")
    tables = re.findall(
        r'<div class="re-table"><div class="re-table-scroll"><table class="dataframe re-table" id="([^"]+)"', page
    )
    assert "focus-estimates" in tables and "conflicting-estimates" in tables
    assert page.count('<table class="dataframe re-table"') == len(tables), "every notebook table is in its box"
    focus = page[page.index('id="focus-estimates"') :]
    assert "<script>" in focus[: focus.index("</div>\n</div>")], "the long table keeps its sort and filter script"


def test_the_focus_estimates_table_is_narrow_and_every_figure_keeps_its_source_link(site: Path) -> None:
    from russian_emigration import analysis as an

    page = text(site / "03_destination_responses.html")
    table_html = page[page.index('id="focus-estimates"') :]
    table_html = table_html[: table_html.index("</table>")]
    headings = re.findall(r"<th[^>]*>(.*?)</th>", table_html)
    assert len(headings) <= 6, f"{len(headings)} columns: {headings}"
    ds = bundled_dataset()
    estimates = an.destination_estimates(ds, "GEO")
    rows = re.findall(r"<tr>(.*?)</tr>", table_html.split("<tbody>")[1])
    assert len(rows) == len(estimates)
    for row, estimate in zip(rows, estimates.to_dict("records"), strict=True):
        link = f'<a href="sources.html#{estimate["source_id"]}" title="{estimate["source_id"]}">'
        assert link + html.escape(estimate["publisher"]) + "</a>" in row, "the figure links its source by publisher"
        assert html.escape(str(estimate["value_as_published"])) in row
    payload = page[page.index('download="focus-estimates.csv"') :].split("base64,")[1].split('"')[0]
    import io

    import pandas as pd

    csv = pd.read_csv(io.StringIO(base64.b64decode(payload).decode("utf-8")))
    assert list(csv["source"]) == list(estimates["source_id"]) and list(csv["publisher"]) == list(
        estimates["publisher"]
    )
