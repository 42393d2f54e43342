"""The site's Sphinx directives (Sources table, data files, build stamp) render the runner's ``build.json``
(``re_build`` in ``conf.py``) as docutils nodes: data is text, never markup; only ``http(s)`` addresses are links."""

from __future__ import annotations

import json
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _cell(value: Any) -> nodes.Node:
    """A table cell's content: a link for an http(s) address, else plain text."""
    text = str(value)
    if text.startswith(("http://", "https://")) and " " not in text:
        return nodes.paragraph("", "", nodes.reference(text, text, refuri=text))
    return nodes.paragraph(text=text)


def _table(
    headings: list[str], rows: list[list[Any]], ids: list[str] | None = None, classes: tuple[str, ...] = ()
) -> nodes.table:
    """A docutils table: one heading row, then ``rows`` (each row's id from ``ids``)."""
    table = nodes.table(classes=["re-table", *classes])
    group = nodes.tgroup(cols=len(headings))
    table += group
    group += [nodes.colspec(colwidth=1) for _ in headings]
    for part, lines in ((nodes.thead(), [headings]), (nodes.tbody(), rows)):
        group += part
        for number, cells in enumerate(lines):
            row = nodes.row(ids=[ids[number]] if ids and isinstance(part, nodes.tbody) else [])
            for value in cells:
                row += nodes.entry("", value if isinstance(value, nodes.Node) else _cell(value))
            part += row
    return table


class SourcesTable(SphinxDirective):
    """Every source with its full, clickable address; ``sources.html#<source_id>`` lands on its row."""

    def run(self) -> list[nodes.Node]:
        """The count of sources, then the table."""
        sources = self.config.re_build.get("sources", [])
        rows = [
            [nodes.paragraph("", "", nodes.literal(text=s["source_id"])), s["publisher"], s["title"], s["url"],
             s["published_date"], s["kind"]]
            for s in sources
        ]  # fmt: skip
        count = nodes.paragraph(text=f"{len(sources)} sources.")
        headings = ["source", "publisher", "title", "address", "published", "kind"]
        return [count, _table(headings, rows, [s["source_id"] for s in sources], ("re-sources",))]


class DataFiles(SphinxDirective):
    """The data package copied into the site: one link per file, with its table's title and rows."""

    def run(self) -> list[nodes.Node]:
        """A bullet list of links."""
        items = nodes.bullet_list()
        entries = [("datapackage.json", "the tables, their columns and their rules")]
        entries += [(f["path"], f"{f['title']} ({f['rows']:,} rows)") for f in self.config.re_build.get("files", [])]
        for path, what in entries:
            link = nodes.reference(path, path, refuri=f"data/{path}")
            items += nodes.list_item("", nodes.paragraph("", "", link, nodes.Text(f": {what}")))
        return [items]


class BuildStamp(SphinxDirective):
    """Versions, git commit, build date, parameters and the data the report was built from."""

    def run(self) -> list[nodes.Node]:
        """A two-column table."""
        return [_table(["what", "this build"], self.config.re_build.get("stamp", []), classes=("re-stamp",))]


def add_cite_data(app: Sphinx) -> None:
    """Give the site's script what a "Cite this chart" line names: authors, project, data version, build date."""
    build = app.config.re_build
    if not build:
        return
    built = str(dict(build.get("stamp", [])).get("built", ""))
    cite = {"authors": app.config.author, "project": app.config.project, "version": build.get("version", "")}
    cite |= {"built": built[:10], "year": built[:4]}
    app.add_js_file(None, body="window.reCite = " + json.dumps(cite).replace("<", "\\u003c") + ";")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives, the ``re_build`` configuration value and the cite data."""
    app.add_config_value("re_build", {}, "html")
    app.connect("builder-inited", add_cite_data)
    app.add_directive("sources-table", SourcesTable)
    app.add_directive("data-files", DataFiles)
    app.add_directive("build-stamp", BuildStamp)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
