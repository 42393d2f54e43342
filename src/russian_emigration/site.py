"""The report as a static site: Sphinx, MyST-NB and sphinx-book-theme render the executed notebooks.

The site builder never executes anything (``nb_execution_mode = "off"``): it renders the notebooks
the runner executed, hides their code behind a per-cell toggle, adds a box with the build's
parameters, and writes a landing page, a Sources page, a Data dictionary page and a copy of the
data package.

Every string that comes from the data (or from a parameter) is escaped before it lands in HTML
this module writes: the landing page, the Sources page, the parameter boxes and the build stamp.
Those pages are Markdown files whose data-bearing parts are included with ``{raw} html`` from
files, so no data string is ever parsed as Markdown.
"""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from russian_emigration.descriptor import WARNING_FILTERS_LOCK

#: Title of the site, in the browser tab and the navigation bar.
SITE_TITLE = "Russian emigration since 2022"
#: Tags that already decide how a code cell's input is shown; other code cells get ``hide-input``.
INPUT_TAGS = {"hide-input", "remove-input", "hide-cell", "remove-cell"}
#: Files of the repository copied into the site beside the data package (when present).
ABOUT_FILES = ("CITATION.cff", "LICENSE", "DATA_LICENSE.md")
#: The data package's descriptor, in the data folder: the data dictionary page is generated from it.
DESCRIPTOR = "datapackage.json"
#: The first paragraph of the Data dictionary page: what it is, and where the same text is as a file.
DICTIONARY_INTRO = (
    "<p>What every table and column of the data package holds: types, keys, allowed values and the "
    "coding rules, generated from <code>datapackage.json</code>. The same text as a Markdown file: "
    '<a href="data/README.md" download>data/README.md</a>. A wide table scrolls sideways inside its box.</p>'
)


class SiteBuild(Protocol):
    """What the site needs to know about one build (``report.BuildInfo`` provides it)."""

    @property
    def parameters(self) -> Mapping[str, str]:
        """The parameters as given (``-p NAME VALUE``; ``data_dir`` included when a data folder was given)."""

    @property
    def notebook_parameters(self) -> Mapping[str, Mapping[str, Any]]:
        """The typed values each notebook received, by notebook file name."""

    @property
    def data_dir(self) -> Path:
        """The data package folder the notebooks read."""

    @property
    def dataset(self) -> Any:
        """That data package, loaded once per build."""

    @property
    def version(self) -> str:
        """The version of this package."""


class SiteError(RuntimeError):
    """Sphinx could not build the site."""


@dataclass(frozen=True)
class Page:
    """One notebook page of the site."""

    stem: str
    title: str
    summary: str


def static_dir() -> Path:
    """Folder of the site's own stylesheet and script (shipped in the wheel)."""
    return Path(str(importlib_resources.files("russian_emigration"))) / "site_static"


def about_dir() -> Path:
    """Folder holding CITATION.cff and the licences: the wheel's copy, or the root of a checkout."""
    bundled = Path(str(importlib_resources.files("russian_emigration"))) / "about"
    if (bundled / "CITATION.cff").is_file():
        return bundled
    return Path(__file__).resolve().parents[2]


#: Rendered sites kept in the cache (each a few MB).
SITE_CACHE_ENTRIES = 2
#: What rendering imports (about 2 s: Sphinx, MyST-NB and what they load), imported ahead by :class:`Warmup`.
SITE_MODULES = (
    "nbformat",
    "sphinx.application",
    "sphinx.builders.html",
    "sphinx.search.en",
    "myst_nb",
    "myst_nb.sphinx_ext",
    "sphinx_book_theme",
)


class Warmup:
    """The site work that needs no executed notebook, done in a background thread while notebooks run.

    It imports what rendering needs and computes the main findings, so that both are ready when
    :func:`build_site` starts. It changes no result: a failure here is ignored, and :func:`build_site`
    then does the same work itself (and reports any error).
    """

    def __init__(self, build: SiteBuild) -> None:
        self.build = build
        self._findings: list[tuple[str, str]] | None = None
        self._thread = threading.Thread(target=self._run, name="russian-emigration-site-warmup", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import importlib

        try:
            self._findings = findings(self.build.dataset, self.build.notebook_parameters)
            with _SPHINX_LOCK:  # an import may warn while another thread has warnings as errors
                for name in SITE_MODULES:
                    importlib.import_module(name)
        except Exception:  # build_site does it again and reports the error
            return

    def findings(self) -> list[tuple[str, str]] | None:
        """The main findings, once the thread has finished (None if it failed)."""
        self._thread.join()
        return self._findings


def build_site(
    executed: Sequence[Path],
    out: Path,
    build: SiteBuild,
    cache: Path | None = None,
    warmup: Warmup | None = None,
) -> dict[str, float]:
    """Render ``executed`` notebooks and the landing and Sources pages into ``out``; return timings (s).

    With ``cache``, a site rendered before from exactly the same inputs (notebooks, data, parameters,
    package, commit) is reused and only its build date is renewed, so a rebuild with nothing
    changed does not even import Sphinx. ``warmup``, started with the same ``build`` while the
    notebooks ran, has the findings computed and Sphinx imported already.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    key = site_key(executed, build) if cache is not None else ""
    hit = cache / key if cache is not None else None
    if hit is not None and (hit / "index.html").is_file():
        out.mkdir(parents=True, exist_ok=True)
        shutil.copytree(hit, out, dirs_exist_ok=True)
        os.utime(hit)  # recently used: kept when the cache is pruned
        _renew_build_date(out / "index.html")
        _hide_data_path_in_published(executed, out, build)
        timings["cached"] = timings["total"] = time.perf_counter() - started
        return timings
    with tempfile.TemporaryDirectory(prefix="russian-emigration-site-") as tmp:
        src, html_dir = Path(tmp) / "src", Path(tmp) / "html"
        src.mkdir()
        pages = [_prepare_notebook(path, src, build) for path in executed]
        _write_pages(src, pages, build, warmup.findings() if warmup is not None else None)
        timings["prepare"] = time.perf_counter() - started
        sphinx_started = time.perf_counter()
        _run_sphinx(src, html_dir, Path(tmp) / "doctrees")
        timings["sphinx"] = time.perf_counter() - sphinx_started
        link_charts(html_dir)
        # Sphinx's note for its own incremental builds: no use to a reader, and its config digest
        # differs from one build to the next in the same process.
        (html_dir / ".buildinfo").unlink(missing_ok=True)
        _copy_data(build, html_dir)
        if cache is not None:
            _store_site(cache, key, html_dir)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copytree(html_dir, out, dirs_exist_ok=True)
    _hide_data_path_in_published(executed, out, build)
    timings["total"] = time.perf_counter() - started
    return timings


def site_key(executed: Sequence[Path], build: SiteBuild) -> str:
    """A digest of everything a rendered site depends on, except the build date."""
    import hashlib
    import importlib.metadata

    digest = hashlib.sha256()

    def add(data: bytes) -> None:
        digest.update(hashlib.sha256(data).digest())

    for path in executed:
        add(path.name.encode() + b"\0" + path.read_bytes())
    folder = Path(build.data_dir)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        add(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    dictionary = Path(__file__).with_name("dictionary.py")
    for path in sorted([Path(__file__), dictionary, *static_dir().iterdir(), *(about_dir() / n for n in ABOUT_FILES)]):
        if path.is_file():
            add(path.read_bytes())
    versions = {n: importlib.metadata.version(n) for n in ("sphinx", "myst-nb", "sphinx-book-theme")}
    add(repr((dict(build.parameters), str(folder), build.version, git_commit(), sorted(versions.items()))).encode())
    add(repr(sorted((k, sorted(v.items())) for k, v in build.notebook_parameters.items())).encode())
    return digest.hexdigest()


def _store_site(cache: Path, key: str, html_dir: Path) -> None:
    """Keep a rendered site in the cache (atomically) and only the newest few; a cache problem is no error."""
    partial = None
    try:
        cache.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=cache))
        shutil.copytree(html_dir, partial, dirs_exist_ok=True)
        partial.rename(cache / key)
    except OSError:  # not writable, or another build stored the same site first
        if partial is not None:
            shutil.rmtree(partial, ignore_errors=True)
        return
    sites = sorted(
        (p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in sites[SITE_CACHE_ENTRIES:]:
        shutil.rmtree(stale, ignore_errors=True)


def _renew_build_date(index: Path) -> None:
    """Put this build's date into the build stamp of a site taken from the cache."""
    page = index.read_text(encoding="utf-8")
    stamp = f'<th scope="row">built</th><td>{_esc(build_date())}</td>'
    index.write_text(re.sub(r'<th scope="row">built</th><td>[^<]*</td>', stamp, page, count=1), encoding="utf-8")


#: The hint a chart's link carries (its tooltip); the stylesheet gives it a zoom-in cursor.
CHART_LINK_TITLE = "Open the chart at full size"
_CHART_IMG = re.compile(r'<img\b[^>]*\bsrc="(_images/[^"]+\.png)"[^>]*>')


def link_charts(html_dir: Path) -> None:
    """Make every chart image of every page a link to its full-size PNG (charts are drawn wider than shown)."""
    for page in html_dir.glob("*.html"):
        markup = page.read_text(encoding="utf-8")
        linked = _CHART_IMG.sub(
            lambda m: f'<a class="chart-full" href="{m.group(1)}" title="{CHART_LINK_TITLE}">{m.group(0)}</a>', markup
        )
        if linked != markup:
            page.write_text(linked, encoding="utf-8")


def _hide_data_path_in_published(executed: Sequence[Path], out: Path, build: SiteBuild) -> None:
    """In the executed notebooks published with the site (those inside ``out``), name the data folder
    as the site does instead of by its absolute path (see :func:`_hide_data_path`)."""
    import nbformat

    folder = str(Path(build.data_dir).resolve())
    for path in executed:
        if out.resolve() not in path.resolve().parents or folder not in path.read_text(encoding="utf-8"):
            continue
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            _hide_data_path(cell, build)
        partial = path.with_name(f".{path.name}.partial")
        nbformat.write(nb, partial)
        os.replace(partial, path)  # a new file: never writes through to a copy it may share data with


# --- Notebook pages ------------------------------------------------------------------------------


def _prepare_notebook(path: Path, src: Path, build: SiteBuild) -> Page:
    """Copy one executed notebook into the Sphinx source: code hidden, parameter box added."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    setup = set(setup_cells(nb))
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            _hide_data_path(cell, build)
            tags = cell.metadata.setdefault("tags", [])
            if number in setup or not cell.get("outputs"):
                # No per-cell toggle: a set-up cell's code is in the page's one set-up toggle, and a cell
                # with no output has nothing to show (an empty bar that opens onto code).
                tags[:] = [t for t in tags if t not in INPUT_TAGS] + [
                    "remove-input" if cell.get("outputs") else "remove-cell"
                ]
            elif not INPUT_TAGS & set(tags):
                tags.append("hide-input")
            _carry_alt_text(cell)
    box = parameter_box(path, build) + setup_code_html([nb.cells[i].source for i in sorted(setup)], path.stem)
    if box:
        at = next((i + 1 for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), 0)
        nb.cells.insert(at, _html_cell(box))
    nbformat.write(nb, src / path.name)
    return Page(path.stem, notebook_title(nb, path.stem), nb.metadata.get("russian_emigration", {}).get("summary", ""))


def setup_cells(nb: Any) -> list[int]:
    """The indices of a notebook's set-up code cells: its parameter cells (``parameters``, and
    ``injected-parameters`` from papermill) and every code cell above its first section heading
    (the imports, loading the data, checking the parameters)."""
    found, headings = [], 0
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            headings += sum(1 for line in cell.source.splitlines() if line.startswith("#"))
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code" and (headings <= 1 or {"parameters", "injected-parameters"} & tags):
            found.append(number)  # above the first heading after the title, or a parameter cell
    return found


#: The one toggle at the top of an analysis page that holds its set-up code.
SETUP_CODE_SUMMARY = "Show the set-up code (parameters, imports, loading the data)"


def setup_code_html(sources: Sequence[str], stem: str) -> str:
    """One closed toggle with the set-up code of a page (highlighted, escaped), and a link to the whole
    executed notebook; '' when the page has no set-up code."""
    code = "\n\n".join(s.strip("\n") for s in sources if s.strip())
    if not code:
        return ""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    highlighted = highlight(code, PythonLexer(), HtmlFormatter(nowrap=True))
    return (
        f'<details class="setup-code"><summary>{_esc(SETUP_CODE_SUMMARY)}</summary>'
        f'<div class="highlight"><pre>{highlighted}</pre></div>'
        "<p>The code behind each table and chart is under its own &quot;Show code cell source&quot;; all the code "
        f'of this page, with its outputs: <a href="notebooks/{_esc(stem)}.ipynb" download>the executed notebook'
        "</a>.</p></details>"
    )


def _carry_alt_text(cell: Any) -> None:
    """Give MyST-NB a chart's alt text: it reads the cell's ``mystnb.image.alt``, not the output's metadata."""
    for output in cell.get("outputs", []):
        for mime in ("image/png", "image/svg+xml", "image/jpeg"):
            if mime in output.get("data", {}):
                meta = output.get("metadata", {})
                alt = meta.get(mime, {}).get("alt") if isinstance(meta.get(mime), dict) else None
                alt = alt or meta.get("alt")
                if alt:
                    cell.metadata.setdefault("mystnb", {}).setdefault("image", {}).setdefault("alt", str(alt))
                    return


def notebook_title(nb: Any, fallback: str) -> str:
    """The text of a notebook's first heading (the page title Sphinx will use)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def _html_cell(markup: str) -> Any:
    """A code cell with no code whose only output is ``markup`` (HTML this module escaped)."""
    from nbformat.v4 import new_code_cell, new_output

    cell = new_code_cell("# added by the report site builder", metadata={"tags": ["remove-input"]})
    cell.id = "report-site-parameters"  # not a random id: the same build gives the same site
    cell.outputs = [new_output("display_data", data={"text/html": markup, "text/plain": _text_of(markup)})]
    return cell


def _text_of(markup: str) -> str:
    """Plain text of a small HTML fragment (for the text/plain fallback of a generated output)."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = Text()
    parser.feed(markup)
    return " ".join(" ".join(parser.parts).split())


def parameter_box(path: Path, build: SiteBuild) -> str:
    """HTML for the parameters a notebook ran with (given ones first, then defaults); '' when it has none."""
    from russian_emigration.report import notebook_parameters

    declared = notebook_parameters(path)
    if not declared:
        return ""
    given = build.notebook_parameters.get(path.name, {})
    rows = []
    for name, p in declared.items():
        if name == "data_dir":
            value, origin = _data_folder_label(build), "given" if name in given else "default"
        elif name in given:
            value, origin = _value_text(given[name], name), "given"
        else:
            value, origin = _default_text(p.default, name), "default"
        rows.append(
            f"<li><code>{_esc(name)}</code> = <strong>{_esc(value)}</strong>"
            f' <span class="origin">({origin})</span>: <span class="help">{_esc(p.help)}</span></li>'
        )
    return (
        '<div class="admonition note build-parameters"><p class="admonition-title">Parameters of this build</p>'
        '<ul class="parameters">' + "".join(rows) + "</ul></div>"
    )


#: What None means for a parameter, as the parameter box shows it.
NONE_MEANS = {"countries": "all countries", "domain": "all domains", "data_dir": "the bundled data package"}


def _value_text(value: Any, name: str = "") -> str:
    """A parameter value as a reader reads it: lists joined with commas, None as what it means."""
    if value is None:
        return NONE_MEANS.get(name, "none")
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def _default_text(default: str, name: str = "") -> str:
    """A default as papermill reads it from the source ('"GEO"'), shown as its value (GEO)."""
    import ast

    try:
        return _value_text(ast.literal_eval(default), name)
    except (ValueError, SyntaxError):
        return default


#: What the site says of a data folder other than the bundled one, after its name (never its path).
OTHER_DATA_NOTE = "a data folder given with --data-dir or -p data_dir; its location is left out"
#: How the site names such a folder.
OTHER_DATA_FOLDER = "{name} (" + OTHER_DATA_NOTE + ")"


def _data_folder_label(build: SiteBuild) -> str:
    """The data folder of the build as the site shows it: never an absolute path.

    The site is the same whatever folder the checkout or the data copy sits in: the bundled data
    package is named as such, another folder by its last name only.
    """
    from russian_emigration.loader import data_dir

    folder = Path(build.data_dir).resolve()
    if folder == data_dir().resolve():
        return NONE_MEANS["data_dir"]
    return OTHER_DATA_FOLDER.format(name=folder.name)


def _hide_data_path(cell: Any, build: SiteBuild) -> None:
    """In the cell papermill injected, show the data folder as the site names it, not its absolute path."""
    if "injected-parameters" not in cell.metadata.get("tags", []):
        return
    from russian_emigration.loader import data_dir

    folder = Path(build.data_dir).resolve()
    note = NONE_MEANS["data_dir"] if folder == data_dir().resolve() else OTHER_DATA_NOTE
    cell.source = re.sub(
        r"^data_dir = (['\"]).*\1[ \t]*$",
        lambda _: f"data_dir = {folder.name!r}  # {note}",
        cell.source,
        flags=re.M,
    )


def _esc(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


# --- Landing and Sources pages ---------------------------------------------------------------------


def _write_pages(
    src: Path, pages: Sequence[Page], build: SiteBuild, found: Sequence[tuple[str, str]] | None = None
) -> None:
    """Write index.md and sources.md (and the HTML fragments they include) into the Sphinx source folder.

    ``found`` are the main findings when already computed (see :class:`Warmup`).
    """
    ds = build.dataset
    (src / "_findings.html").write_text(findings_html(build, pages, found), encoding="utf-8")
    (src / "_analyses.html").write_text(analyses_html(pages), encoding="utf-8")
    (src / "_data.html").write_text(data_links_html(ds), encoding="utf-8")
    (src / "_stamp.html").write_text(stamp_html(build), encoding="utf-8")
    (src / "_sources.html").write_text(sources_html(ds.sources), encoding="utf-8")
    _write_dictionary_page(src, Path(build.data_dir) / DESCRIPTOR)
    toc = "\n".join(page.stem for page in pages)
    (src / "index.md").write_text(
        f"""# Russian emigration after the February 2022 invasion of Ukraine

This site is a set of short analyses of who left Russia after its full-scale invasion of Ukraine,
why, where they went, how the countries they reached responded, and how Russians abroad voted in
March 2024. Every number on it is computed from a small curated data package in which each fact row
cites its source; every page ends with its caveats and its sources, the [Sources](sources.md) page
lists every source with its full address, and the code behind each table and chart is one click away
("Show code cell source"). Click a chart to open it at full size.

## Main findings

```{{raw}} html
:file: _findings.html
```

## The analyses

```{{raw}} html
:file: _analyses.html
```

## Data, citation and licences

```{{raw}} html
:file: _data.html
```

## This build

```{{raw}} html
:file: _stamp.html
```

```{{toctree}}
:hidden:
:caption: Analyses

{toc}
```

```{{toctree}}
:hidden:
:caption: Reference

sources
dictionary
```
""",
        encoding="utf-8",
    )
    (src / "sources.md").write_text(
        """# Sources

Every source the data package cites, one row each, with its full address. A page's source column
links here. Type in the box to filter the list; click a column heading to sort it.

```{raw} html
:file: _sources.html
```
""",
        encoding="utf-8",
    )


def _write_dictionary_page(src: Path, descriptor_file: Path) -> None:
    """Write dictionary.md: each heading of the dictionary a Markdown heading (a section of the page,
    listed in its side contents), each part's text raw HTML from a file (never parsed as Markdown)."""
    lines = ["# Data dictionary", ""]
    for number, (level, title, body) in enumerate(dictionary_sections(descriptor_file)):
        if level:
            lines += [f"{'#' * level} {markdown_text(title)}", ""]
        markup = (DICTIONARY_INTRO if number == 0 else "") + body
        if markup:
            name = f"_dictionary_{number:02d}.html"
            (src / name).write_text(markup, encoding="utf-8")
            lines += ["```{raw} html", f":file: {name}", "```", ""]
    (src / "dictionary.md").write_text("\n".join(lines), encoding="utf-8")


def sphinx_config() -> dict[str, Any]:
    """The Sphinx settings of the site (render only, offline, code hidden by the cells' tags)."""
    return {
        "project": SITE_TITLE,
        "author": "russian-emigration contributors",
        "html_title": SITE_TITLE,
        "extensions": ["myst_nb"],
        "nb_execution_mode": "off",
        "nb_render_markdown_format": "commonmark",  # a notebook's Markdown output is never MyST
        "myst_enable_extensions": [],
        "exclude_patterns": ["_build", "**.ipynb_checkpoints"],
        "html_theme": "sphinx_book_theme",
        "html_theme_options": {
            "home_page_in_toc": True,
            "show_navbar_depth": 1,
            "use_download_button": True,
            "use_fullscreen_button": False,
            "show_toc_level": 2,
            # One search box: the sidebar's (and, on a phone, the article header's search button).
            # Without this, pydata-sphinx-theme 0.20 adds a second one in the top header bar.
            "navbar_persistent": [],
        },
        "html_context": {"default_mode": "light"},  # the theme logs an error when no mode is stored yet
        "html_static_path": [str(static_dir())],
        "html_css_files": ["site.css"],
        "html_js_files": ["sources.js"],
        "html_show_sourcelink": False,
        # Summaries fetch each page's source, which a browser blocks on file:// (a console error each).
        "html_show_search_summary": False,
        "html_show_sphinx": False,
        "html_last_updated_fmt": None,
        "html_permalinks": True,
        "language": "en",
    }


#: Sphinx and docutils keep process-wide state (registries, warning filters): one site build at a
#: time per process, never while the loader changes the warning filters.
_SPHINX_LOCK = WARNING_FILTERS_LOCK


def _run_sphinx(src: Path, out: Path, doctrees: Path) -> None:
    """Build the HTML with Sphinx in this process; raise SiteError with Sphinx's warnings on failure.

    The settings are passed as overrides with no conf.py: Sphinx changes the process's working
    directory while it runs a conf.py, which would race with other threads of the runner.
    """
    from sphinx.application import Sphinx

    status, warnings = io.StringIO(), io.StringIO()
    try:
        with _SPHINX_LOCK:
            app = Sphinx(
                str(src),
                None,
                str(out),
                str(doctrees),
                "html",
                confoverrides=sphinx_config(),
                status=status,
                warning=warnings,
                freshenv=True,
            )
            app.build(force_all=True)
    except Exception as exc:  # Sphinx raises many kinds; name the build and keep its log
        raise SiteError(f"the site could not be built: {exc}\n{warnings.getvalue()}") from exc
    if app.statuscode:
        raise SiteError(f"the site build failed:\n{warnings.getvalue()}")


def findings_html(build: SiteBuild, pages: Sequence[Page], found: Sequence[tuple[str, str]] | None = None) -> str:
    """The main findings, each computed from the data with its notebook's parameters and linked to it.

    ``found`` are those findings when already computed for this ``build`` (see :class:`Warmup`).
    """
    titles = {page.stem: page.title for page in pages}
    items = []
    for stem, sentence in findings(build.dataset, build.notebook_parameters) if found is None else found:
        if stem in titles:
            items.append(f'<li>{_esc(sentence)} <a href="{_esc(stem)}.html">{_esc(titles[stem])}</a></li>')
    return '<ul class="findings">' + "".join(items) + "</ul>"


def findings(ds: Any, notebook_parameters: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """One headline sentence per analysis, as (notebook stem, sentence), computed from the data.

    Each finding uses its notebook's parameters (defaults where not given), validated as the notebook
    validates them; a selection that yields nothing gives a sentence saying so, never no finding.
    """
    from russian_emigration import params

    def given(stem: str) -> dict[str, Any]:
        values = {**_notebook_defaults(stem), **notebook_parameters.get(f"{stem}.ipynb", {})}
        values.pop("data_dir", None)
        return params.validate(ds, strict=False, **values)

    return [
        ("01_causes", _estimates_finding(ds, given("01_causes"))),
        ("02_notable_emigrants", _emigrants_finding(ds, given("02_notable_emigrants").get("domain"))),
        ("03_destination_responses", _responses_finding(ds, given("03_destination_responses").get("countries"))),
        ("04_vote_results", _vote_finding(ds, given("04_vote_results").get("min_respondents", 0))),
    ]


def _notebook_defaults(stem: str) -> dict[str, Any]:
    """The default values a packaged notebook declares (none when the notebook is not found)."""
    import ast

    from russian_emigration.report import notebook_parameters, notebooks_dir

    path = notebooks_dir() / f"{stem}.ipynb"
    if not path.is_file():
        return {}
    out = {}
    for name, p in notebook_parameters(path).items():
        try:
            out[name] = ast.literal_eval(p.default)
        except (ValueError, SyntaxError):
            continue
    return out


def _estimates_finding(ds: Any, p: Mapping[str, Any]) -> str:
    """The spread of the estimates of the total since the invasion, within 01's timeline window.

    Each end of the spread keeps its estimate's qualifier ("at least", "about", the top of a range),
    and a spread whose two ends are the same estimate is said once.
    """
    from russian_emigration import analysis as an
    from russian_emigration.notebook import long_date

    start, end = p.get("start_date"), p.get("end_date")
    window = f" from {long_date(start)} to {long_date(end)}" if start is not None and end is not None else ""
    estimates = an.outflow_estimates(ds, start, end)
    totals = estimates[estimates["counted_from"] == "invasion"]
    if totals.empty:
        return f"The data records no estimate of how many left Russia since the invasion dated{window or ' at all'}."
    sources = totals["source_id"].nunique()
    across = f"across {sources} source{'' if sources == 1 else 's'}"
    highs = totals["value_high"].fillna(totals["value"]).astype(float)
    low = _estimate_text(totals.loc[totals["value"].astype(float).idxmin()], top=False)
    high = _estimate_text(totals.loc[highs.idxmax()], top=True)
    if len(totals) == 1:
        return (
            f"The one published estimate of how many people left Russia since the invasion dated{window} "
            f"is {low}, from 1 source."
        )
    if low == high:
        return (
            f"Published estimates of how many people left Russia since the invasion, dated{window}, "
            f"all put it at {low}, {across}."
        )
    return (
        f"Published estimates of how many people left Russia since the invasion, dated{window}, run from "
        f"{low} to {high}, {across}."
    )


def _estimate_text(row: Any, top: bool) -> str:
    """One end of a spread of estimates, worded with its qualifier: 'at least 200,000 (as of 2022-03)'.

    The qualifier is the ``bound`` code's label (as the tables and charts show it); a range gives its
    bottom or its ``top``, and says so.
    """
    from russian_emigration.labels import code_label

    bound = _text(row.get("bound"))
    as_of = _text(row.get("as_of_date"))
    when = f"as of {as_of}" if as_of else "undated"
    if bound == "range":
        value = row["value_high"] if top and _text(row.get("value_high")) else row["value"]
        return f"{float(value):,.0f} (the {'top' if top else 'bottom'} of a range, {when})"
    qualifier = "" if bound in ("", "exact") else code_label("bound", bound) + " "
    return f"{qualifier}{float(row['value']):,.0f} ({when})"


def _emigrants_finding(ds: Any, domain: str | None) -> str:
    """How many notable emigrants the sources name (in one domain when chosen)."""
    from russian_emigration import analysis as an
    from russian_emigration.labels import code_label

    people = an.emigrants(ds, domain)
    where = f" in {code_label('domain', domain)}" if domain else ""
    if people.empty:
        return f"The sources name no notable emigrant{where}."
    noun = "notable emigrant" if len(people) == 1 else "notable emigrants"
    if domain:
        return f"The sources name {len(people)} {noun}{where}."
    counts = people["domain"].astype(str).value_counts()
    return (
        f"The sources name {len(people)} {noun}; the largest domain is "
        f"{code_label('domain', str(counts.index[0]))} ({counts.iloc[0]})."
    )


def _responses_finding(ds: Any, countries: list[str] | None) -> str:
    """How many responses of states and institutions, by stance (for the selected countries when set)."""
    from russian_emigration import analysis as an

    chosen = an.responses(ds, countries)
    names = an.country_names(ds)
    scope = "" if countries is None else " for the selected countries (" + ", ".join(names[c] for c in countries) + ")"
    if chosen.empty:
        return f"The data records no response of states and institutions to the emigrants{scope}."
    stances = chosen["stance_label"].value_counts()
    listed = ", ".join(f"{n} {stance}" for stance, n in stances.items())
    noun = "response" if len(chosen) == 1 else "responses"
    return f"The data records {len(chosen)} {noun} of states and institutions to the emigrants{scope}: {listed}."


def _vote_finding(ds: Any, min_respondents: int) -> str:
    """How Putin's official share abroad compares with the Vote Abroad exit poll."""
    from russian_emigration import analysis as an

    min_respondents = int(min_respondents)
    compared = an.official_vs_exit_poll(ds, min_respondents)
    if compared.empty:
        return (
            f"No place has both an official result and an exit-poll station with at least {min_respondents} "
            "respondents, so the official share abroad cannot be compared with the Vote Abroad exit poll."
        )
    higher = int((compared["gap_pts"] > 0).sum())
    stations = f" (exit-poll stations with at least {min_respondents:,} respondents)" if min_respondents else ""
    return (
        f"Where both exist, Putin's official share abroad is higher than the Vote Abroad exit poll's in "
        f"{higher} of {len(compared)} comparison{'' if len(compared) == 1 else 's'}{stations}; "
        f"the median gap is {compared['gap_pts'].median():.1f} points."
    )


def analyses_html(pages: Sequence[Page]) -> str:
    """One link and one line per analysis page."""
    items = "".join(
        f'<li><a href="{_esc(p.stem)}.html">{_esc(p.title)}</a><br><span class="summary">{_esc(p.summary)}</span>'
        f' <a class="notebook-link" href="notebooks/{_esc(p.stem)}.ipynb" download>(executed notebook)</a></li>'
        for p in pages
    )
    return f'<ol class="analyses">{items}</ol>'


def data_links_html(ds: Any) -> str:
    """Links to the copied data package, its dictionary, the citation file and the licences."""
    tables = "".join(
        f'<li><a href="data/{_esc(r["path"])}">{_esc(r["path"])}</a>: {_esc(r.get("title") or r["name"])}'
        f" ({len(ds.tables[r['name']]):,} rows)</li>"
        for r in ds.descriptor.get("resources", [])
        if r.get("name") in ds.tables and _is_local(str(r.get("path", "")))
    )
    return (
        "<p>The data package is copied into this site: read it in any spreadsheet or with "
        "<code>frictionless</code>.</p><ul>"
        '<li><a href="data/datapackage.json">datapackage.json</a>: the tables, their columns and their rules</li>'
        '<li><a href="dictionary.html">Data dictionary</a>: what every table and column holds; '
        'the same as Markdown: <a href="data/README.md" download>data/README.md</a></li>'
        f"{tables}"
        '<li><a href="CITATION.cff">CITATION.cff</a>: how to cite this work</li>'
        '<li><a href="LICENSE">LICENSE</a> (code: MIT) and <a href="DATA_LICENSE.md">DATA_LICENSE.md</a> '
        "(data: CC BY-SA 4.0)</li></ul>"
    )


def dictionary_sections(descriptor_file: Path) -> list[tuple[int, str, str]]:
    """The data dictionary cut at its headings: (level, heading text, HTML of what follows it).

    The first part (level 0, no heading) is the text above the first heading. The page writes each
    heading as a Markdown heading, so that Sphinx makes it a section of the page and lists it in the
    page's side contents, and each part as raw HTML.

    The Markdown is rendered as CommonMark with tables and with raw HTML off, so a descriptor's text
    stays text; the generated document's first heading and its note to maintainers ("edit the
    descriptor, not this file") are left out (the page has its own heading), and each table sits in
    a box that scrolls sideways on a narrow screen instead of the page.
    """
    from markdown_it import MarkdownIt

    from russian_emigration.dictionary import render_file

    text = render_file(descriptor_file, maintainer_note=False)
    if text.startswith("# "):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
    env: dict[str, Any] = {}
    tokens = markdown.parse(text, env)
    cuts = [i for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag in ("h2", "h3")]
    parts = [(0, "", tokens[: cuts[0] if cuts else len(tokens)])]
    for n, at in enumerate(cuts):
        inline = tokens[at + 1]
        title = "".join(child.content for child in inline.children or [] if child.type in ("text", "code_inline"))
        following = tokens[at + 3 : cuts[n + 1] if n + 1 < len(cuts) else len(tokens)]
        parts.append((int(tokens[at].tag[1]), title, following))
    sections = []
    for level, title, chunk in parts:
        body = markdown.renderer.render(chunk, markdown.options, env)
        body = body.replace("<table>", '<div class="dictionary-table"><table>').replace("</table>", "</table></div>")
        sections.append((level, title, f'<div class="data-dictionary">{body}</div>' if body.strip() else ""))
    return sections


def markdown_text(text: str) -> str:
    """``text`` as Markdown that reads as exactly that text: every ASCII punctuation mark escaped."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(text.split()))


def stamp_html(build: SiteBuild) -> str:
    """The build stamp: versions, git commit, build date, parameters and data folder."""
    ds = build.dataset
    given = {k: v for k, v in build.parameters.items() if k != "data_dir"}
    rows = [
        ("package version", build.version),
        ("data package version", ds.descriptor.get("version", "")),
        ("git commit", git_commit() or "none (not built from a git checkout)"),
        ("built", build_date()),
        ("parameters", "; ".join(f"{k} = {v}" for k, v in sorted(given.items())) or "none given (defaults)"),
        ("data folder", _data_folder_label(build)),
    ]
    body = "".join(f'<tr><th scope="row">{_esc(k)}</th><td>{_esc(v)}</td></tr>' for k, v in rows)
    return f'<table class="build-stamp"><tbody>{body}</tbody></table>'


def git_commit() -> str:
    """The commit of the checkout this package runs from ('' outside one), marked when files differ."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return ""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=20
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=20,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{head} (with uncommitted changes)" if dirty else head


def build_date() -> str:
    """Today's UTC date and time, or SOURCE_DATE_EPOCH's when it is set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch and epoch.isdigit() else datetime.now(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def sources_html(sources: Any) -> str:
    """The Sources table: one row per source, its id as the row's element id, its full URL as a link."""
    head = "".join(
        f'<th scope="col">{label}</th>' for label in ("source", "publisher", "title and address", "dates", "kind")
    )
    rows = []
    for record in sources.to_dict("records"):
        url = _text(record.get("url"))
        address = (
            f'<a href="{_esc(url)}" rel="noopener">{_esc(url)}</a>' if _is_web(url) else f"<span>{_esc(url)}</span>"
        )
        licence = _text(record.get("license"))
        cells = [
            ("source_id", f"<code>{_esc(_text(record['source_id']))}</code>"),
            ("publisher", _esc(_text(record.get("publisher")))),
            (
                "title",
                f'<span class="title">{_esc(_text(record.get("title")))}</span><br>{address}'
                + (f'<br><span class="licence">Licence: {_esc(licence)}</span>' if licence else ""),
            ),
            ("dates", _dates(record)),
            ("kind", _esc(_text(record.get("kind")).replace("_", " "))),
        ]
        body = "".join(f'<td class="{column}">{markup}</td>' for column, markup in cells)
        rows.append(f'<tr id="{_esc(_text(record["source_id"]))}">{body}</tr>')
    return (
        f'<p class="source-count">{len(rows)} sources.</p>'
        '<div class="sources-wrapper"><table class="sources sortable">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _dates(record: Mapping[str, Any]) -> str:
    """When a source was published (if known) and accessed, one per line, never wrapped."""
    lines = [
        f'{label} <span class="date">{_esc(_text(record.get(column)))}</span>'
        for label, column in (("published", "published_date"), ("accessed", "accessed_date"))
        if _text(record.get(column))
    ]
    return "<br>".join(lines)


def _text(value: Any) -> str:
    """A cell as text: '' for a missing value, a date without its time."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _is_web(url: str) -> bool:
    """True for an absolute http(s) address (anything else is shown as text, never as a link)."""
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and url == url.strip()


def _is_local(path: str) -> bool:
    """True for a relative path inside the data folder."""
    return bool(path) and not urlsplit(path).scheme and not path.startswith(("/", "..")) and ".." not in path


# --- Files copied into the site --------------------------------------------------------------------


def _copy_data(build: SiteBuild, out: Path) -> None:
    """Copy the data package (descriptor, dictionary, tables), CITATION.cff and the licences into ``out``."""
    source = Path(build.data_dir)
    target = out / "data"
    target.mkdir(exist_ok=True)
    names = ["datapackage.json", "README.md"]
    names += [str(r["path"]) for r in build.dataset.descriptor.get("resources", []) if _is_local(str(r.get("path")))]
    for name in names:
        if (source / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, target / name)
    if not (target / "README.md").exists():  # a data copy without its dictionary: generate it
        from russian_emigration.dictionary import render_file

        (target / "README.md").write_text(render_file(source / "datapackage.json"), encoding="utf-8")
    about = about_dir()
    for name in ABOUT_FILES:
        if (about / name).is_file():
            shutil.copyfile(about / name, out / name)
