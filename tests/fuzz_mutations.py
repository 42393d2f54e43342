"""The mutations of tests/test_fuzz.py: hypothesis strategies that damage a copy of the data package's
CSV files or its descriptor. A module of its own, imported by the test when it runs, so that pytest
processes that do not run it never import hypothesis (about 0.2 CPU-seconds) at collection."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from russian_emigration import data_dir

DESCRIPTOR = json.loads((data_dir() / "datapackage.json").read_text(encoding="utf-8"))
FILES = [r["path"] for r in DESCRIPTOR["resources"]]
ODD_TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=0, max_size=12)
HUGE = st.sampled_from(["9" * 400, "1e999", "-" + "9" * 30, "x" * 20_000, "2" * 19, "9999-12-31", "0.0000000001"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ODD_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ODD_TEXT, inner, max_size=3),
    max_leaves=6,
)


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def mutate_csv(data: st.DataObject, folder: Path) -> None:
    path = folder / data.draw(st.sampled_from(FILES), label="file")
    kind = data.draw(
        st.sampled_from(
            [
                "bytes",
                "delete cell",
                "duplicate cell",
                "swap columns",
                "huge value",
                "odd unicode",
                "delete row",
                "duplicate row",
            ]
        ),
        label="kind",
    )
    try:
        rows = read_rows(path)
    except (UnicodeDecodeError, csv.Error, FileNotFoundError):
        rows = None  # an earlier mutation broke the file already: keep breaking bytes
    if kind == "bytes" or not rows or not rows[0]:
        if not path.exists():
            return
        raw = path.read_bytes()
        at = data.draw(st.integers(0, len(raw)), label="at")
        junk = data.draw(st.binary(min_size=1, max_size=8), label="junk")
        path.write_bytes(raw[:at] + junk + raw[at:])
        return
    r = data.draw(st.integers(0, len(rows) - 1), label="row")
    if not rows[r]:
        return
    c = data.draw(st.integers(0, len(rows[r]) - 1), label="column")
    if kind == "delete cell":
        del rows[r][c]
    elif kind == "duplicate cell":
        rows[r].insert(c, rows[r][c])
    elif kind == "swap columns":
        d = data.draw(st.integers(0, len(rows[r]) - 1), label="other column")
        for row in rows:
            if max(c, d) < len(row):
                row[c], row[d] = row[d], row[c]
    elif kind == "huge value":
        rows[r][c] = data.draw(HUGE, label="value")
    elif kind == "odd unicode":
        rows[r][c] = data.draw(ODD_TEXT, label="text")
    elif kind == "delete row" and r > 0:
        del rows[r]
    elif kind == "duplicate row":
        rows.insert(r, list(rows[r]))
    write_rows(path, rows)


def mutate_descriptor(data: st.DataObject, folder: Path) -> None:
    path = folder / "datapackage.json"
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        descriptor = None  # an earlier mutation broke it already: keep breaking bytes
    if descriptor is None or data.draw(st.booleans(), label="as bytes"):
        raw = path.read_bytes()
        at = data.draw(st.integers(0, len(raw)), label="at")
        path.write_bytes(raw[:at] + data.draw(st.binary(min_size=1, max_size=4), label="junk") + raw[at + 1 :])
        return
    node: Any = descriptor
    for _ in range(data.draw(st.integers(1, 6), label="depth")):
        keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys:
            break
        key = data.draw(st.sampled_from(keys), label="key")
        child = node[key]
        if not isinstance(child, dict | list) or data.draw(st.booleans(), label="stop"):
            if data.draw(st.booleans(), label="delete"):
                del node[key]
            else:
                node[key] = data.draw(JSON_VALUES, label="value")
            break
        node = child
    path.write_text(json.dumps(descriptor), encoding="utf-8")
