"""Spreadsheet round trips: what Excel, LibreOffice or git on Windows write loads equal to the originals."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from russian_emigration import DatasetError, data_dir, load_dataset
from tests.conftest import REPO, bundled_dataset

FILES = [r["path"] for r in json.loads((data_dir() / "datapackage.json").read_text(encoding="utf-8"))["resources"]]


def quote_all(text: str) -> str:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(csv.reader(io.StringIO(text, newline="")))
    return out.getvalue()


SAVES: dict[str, Callable[[str], bytes]] = {
    "UTF-8 byte-order mark": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    "CRLF line endings": lambda text: text.replace("\n", "\r\n").encode("utf-8"),
    "every field quoted": lambda text: quote_all(text).encode("utf-8"),
    "no final newline": lambda text: text.rstrip("\n").encode("utf-8"),
    "Excel CSV UTF-8 (all four)": lambda text: (
        b"\xef\xbb\xbf" + quote_all(text).rstrip("\n").replace("\n", "\r\n").encode("utf-8")
    ),
}


@pytest.fixture(scope="module")
def original():
    return bundled_dataset()


@pytest.mark.parametrize("save", list(SAVES))
def test_spreadsheet_saves_load_equal_to_the_originals(save: str, data_copy: Path, original) -> None:
    for name in FILES:
        path = data_copy / name
        text = path.read_text(encoding="utf-8")
        path.write_bytes(SAVES[save](text))
        assert path.read_bytes() != text.encode("utf-8")
    copy = load_dataset(data_copy)
    for name, frame in original.tables.items():
        pd.testing.assert_frame_equal(copy.tables[name], frame, obj=name)


@pytest.mark.parametrize(("encoding", "byte"), [("cp1252", "0xe9"), ("utf-16", "0xff")])
def test_other_encodings_are_named_with_the_file(data_copy: Path, encoding: str, byte: str) -> None:
    path = data_copy / "countries.csv"
    text = path.read_text(encoding="utf-8").replace("Australia", "Austrélia", 1)
    path.write_bytes(text.encode(encoding))
    with pytest.raises(DatasetError) as caught:
        load_dataset(data_copy)
    problem = caught.value.problems[0]
    assert (problem.file, problem.rule) == ("data/countries.csv", "utf8")
    assert "not UTF-8" in problem.message and byte in problem.message


def test_committed_csv_files_stay_lf_without_bom() -> None:
    attributes = (REPO / ".gitattributes").read_text(encoding="utf-8")
    assert re.search(r"^\*\.csv\s+text\s+eol=lf\s*$", attributes, re.M), ".gitattributes must keep CSVs LF"
    for name in FILES:
        data = (data_dir() / name).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data, name
        assert data.endswith(b"\n") and not data.endswith(b"\n\n"), name
        data.decode("utf-8")
