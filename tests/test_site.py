"""The report site, rendered by the runner from the committed notebooks (nothing executed here) and a
copy of the data package with markup planted in its text: pages, findings, sources, dictionary, files."""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from russian_emigration import report
from russian_emigration.dataset import data_dir
from russian_emigration.execute import normalise

pytestmark = pytest.mark.slow
PAYLOAD = "<img src=x onerror=alert(1)>"
REPOSITORY = "https://example.org/russian-emigration"
PAGES = ["01_causes", "02_notable_emigrants", "03_destination_responses", "04_vote_results"]


class Page(HTMLParser):
    """The elements, attributes and text of a page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """A report built by the runner from a payload copy of the data, the notebooks taken as committed."""
    folder = Path(shutil.copytree(data_dir(), tmp_path_factory.mktemp("payload") / "my data"))
    sources = folder / "sources.csv"
    sources.write_text(sources.read_text(encoding="utf-8").replace("Deutsche Welle", f"Deutsche Welle {PAYLOAD}"))
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][2]["schema"]["fields"][-1]["description"] += f" {PAYLOAD} [x](javascript:alert(2))"
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")

    def committed(jobs, out_dir, **_):
        return {path: normalise(nbformat.read(path, as_version=4)) for path in jobs}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report, "execute", committed)
        patch.setattr(report, "project_urls", lambda: {"repository": REPOSITORY, "issues": REPOSITORY + "/issues"})
        patch.setenv("SOURCE_DATE_EPOCH", "1765000000")
        out = tmp_path_factory.mktemp("site") / "report"
        report.build_report(out, {"countries": "all"}, data_dir=folder, progress=lambda _: None)
    return out


def page(site: Path, name: str) -> Page:
    return Page((site / f"{name}.html").read_text(encoding="utf-8"))


def test_each_analysis_is_a_page_titled_from_its_notebook(site) -> None:
    for name in PAGES:
        heading = nbformat.read(report.notebooks_dir() / f"{name}.ipynb", as_version=4).cells[0].source.splitlines()[0]
        title = re.search(r"<title>(.*?)</title>", (site / f"{name}.html").read_text(encoding="utf-8"))[1]
        assert html.unescape(title).startswith(heading.lstrip("# ").strip())
    assert (site / "search.html").is_file() and (site / "searchindex.js").is_file()


def test_every_main_finding_reads_word_for_word_on_its_page(site) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    index = index[index.index('id="main-findings"') : index.index('id="the-analyses"')]
    link = r'<a class="reference internal" href="([0-9]{2}_\w+)\.html">.*?</a>.*?'
    found = re.findall(link + r'<p class="re-finding" id="(finding-\w+)">(.*?)</p>', index, re.S)
    assert [stem for stem, _, _ in found] == PAGES
    for stem, anchor, sentence in found:
        assert len(sentence) > 40
        assert html.unescape(sentence) in page(site, stem).words(), stem
        assert f'id="{anchor}"><strong>{sentence}</strong>' in (site / f"{stem}.html").read_text(encoding="utf-8")


def test_the_code_stays_out_of_the_way(site) -> None:
    for name in PAGES:
        text = (site / f"{name}.html").read_text(encoding="utf-8")
        assert text.count("Show the set-up code") == 1, name
        words = Page(text).words()
        assert "from russian_emigration import load_dataset" in words, name  # behind that one toggle
        assert "check_data_dir" in words and "parameters" not in re.findall(r'class="cell ([^"]*)"', text)


def test_the_sources_page_lists_every_source_with_its_full_address(site) -> None:
    sources = page(site, "sources")
    rows = {attrs["id"] for tag, attrs in sources.elements if tag == "tr" and attrs.get("id")}
    committed = {
        line.split(",")[0] for line in (data_dir() / "sources.csv").read_text(encoding="utf-8").splitlines()[1:]
    }
    assert rows == committed
    links = [
        attrs["href"]
        for tag, attrs in sources.elements
        if tag == "a" and "reference external" in (attrs.get("class") or "")
    ]
    assert len(links) == len(committed) and all(h.startswith("http") for h in links)


def test_chart_marks_and_table_links_land_on_existing_sources(site) -> None:
    ids = {attrs["id"] for tag, attrs in page(site, "sources").elements if tag == "tr" and attrs.get("id")}
    for name in PAGES:
        for _, attrs in page(site, name).elements:
            href = attrs.get("href") or ""
            if href.startswith("sources.html#"):
                target = href.split("#", 1)[1]
                wanted = target[4:].split(",") if target.startswith("ids=") else [target]
                assert set(wanted) <= ids, (name, href)


def test_the_dictionary_is_the_data_readme_without_its_part_for_maintainers(site) -> None:
    text = page(site, "dictionary").words()
    assert "Coding rules" in text and "vote_abroad_stations" in text
    assert "test_" not in text and "For maintainers" not in text
    assert (site / "data" / "README.md").read_text(encoding="utf-8").count("tests/test_coding_rules.py") > 0


def test_markup_planted_in_the_data_stays_text(site) -> None:
    for name in ["index", "sources", "dictionary", *PAGES]:
        found = page(site, name)
        assert not [
            a for _, a in found.elements if any(k.startswith("on") and "alert" in (v or "") for k, v in a.items())
        ]
        assert not [t for t, a in found.elements if t == "img" and a.get("src") == "x"], name
        assert not [a for t, a in found.elements if (a.get("href") or "").startswith("javascript:")], name
    assert PAYLOAD in page(site, "sources").words() and PAYLOAD in page(site, "dictionary").words()


def test_the_data_package_and_licences_are_published_with_the_site(site) -> None:
    for name in ["datapackage.json", "README.md", "sources.csv", "vote_abroad_stations.csv"]:
        assert (site / "data" / name).is_file(), name
    for name in ["CITATION.cff", "LICENSE", "DATA_LICENSE.md"]:
        assert (site / name).is_file(), name
    for name in PAGES:
        assert (site / "_sources" / f"{name}.ipynb").is_file(), "each executed notebook one click away"


def test_the_build_stamp_says_what_was_built_and_names_no_local_path(site) -> None:
    words = page(site, "index").words()
    assert "built 2025-12-06" in words and "parameters countries = all" in words
    assert "a copy of the data package (my data/)" in words
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".ipynb", ".js", ".json", ".txt"}:
            assert str(site.parent) not in path.read_text(encoding="utf-8", errors="replace"), path.name


def test_every_chart_and_finding_can_be_cited_and_errors_reported(site) -> None:
    for name in PAGES:
        text = (site / f"{name}.html").read_text(encoding="utf-8")
        cite = json.loads(re.search(r"window\.reCite = (\{.*?\});", text)[1])
        assert cite == {
            "authors": "russian-emigration contributors",
            "project": "Russian emigration since 2022",
            "version": json.loads((site / "data" / "datapackage.json").read_text(encoding="utf-8"))["version"],
            "built": "2025-12-06",
            "year": "2025",
        }
        anchors = re.findall(r'<figure class="re-chart[^"]*" id="([\w-]+)"', text) + re.findall(
            r'class="re-finding" id="([\w-]+)"', text
        )
        assert len(anchors) == len(set(anchors)) >= 2, name
        assert f'<a href="{REPOSITORY}/issues">Report an error</a>' in text


def test_a_rebuild_with_nothing_changed_changes_nothing(site, monkeypatch) -> None:
    monkeypatch.setattr(report, "execute", lambda *a, **k: pytest.fail("nothing should run"))
    before = (site / "index.html").stat().st_mtime_ns
    said: list[str] = []
    # the same inputs as the fixture's build: the data copy is the one the site names
    folder = next(p for p in site.parent.parent.iterdir() if (p / "my data").is_dir()) / "my data"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    report.build_report(site, {"countries": "all"}, data_dir=folder, progress=said.append)
    assert said == [f"Nothing changed since the last build: {site / 'index.html'}"]
    assert (site / "index.html").stat().st_mtime_ns == before
