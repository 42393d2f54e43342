"""The report runner: strict parameters, literal strings, atomic and concurrent builds, the cache, and
the full report, whose executed notebooks must be byte for byte the committed ones."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from russian_emigration.__main__ import main
from russian_emigration.params import ParameterError
from russian_emigration.report import MARKER, ReportError, build_report, convert, plan
from tests.conftest import Build, Recorded, record_executions
from tests.notebook_helpers import NOTEBOOKS, executed, quiet, tiny_notebook


def test_unknown_parameter_is_rejected_with_the_known_ones() -> None:
    with pytest.raises(ParameterError) as caught:
        plan({"fild": "music"}, NOTEBOOKS)
    message = str(caught.value)
    assert "unknown parameter 'fild'" in message
    for known in (
        "domain",
        "countries",
        "focus_country",
        "min_respondents",
        "group_by",
        "start_date",
        "end_date",
        "data_dir",
    ):
        assert known in message


def test_values_are_typed_from_each_notebooks_annotation() -> None:
    typed = plan({"min_respondents": "500", "countries": "GEO,KAZ", "domain": "None"}, NOTEBOOKS)
    by_stem = {p.stem: v for p, v in typed.items()}
    assert by_stem["04_vote_results"] == {"min_respondents": 500}
    assert by_stem["03_destination_responses"] == {"countries": ["GEO", "KAZ"]}
    assert by_stem["02_notable_emigrants"] == {"domain": None}
    assert by_stem["01_causes"] == {}


@pytest.mark.parametrize(
    ("raw", "type_name", "expected"),
    [
        ("5", "int", 5),
        ("-2", "int", -2),
        ("music", "Optional[str]", "music"),
        ("None", "Optional[str]", None),
        ('["GEO", "KAZ"]', "Optional[list[str]]", ["GEO", "KAZ"]),
        ("GEO", "Optional[list[str]]", ["GEO"]),
        ("None", "str", "None"),
        ('x"; import os #', "str", 'x"; import os #'),
    ],
)
def test_convert(raw: str, type_name: str, expected: object) -> None:
    assert convert("p", raw, type_name) == expected


@pytest.mark.parametrize(
    ("raw", "type_name"),
    [("x", "int"), ("1.5", "int"), ("[1, 2]", "Optional[list[str]]"), ("GEO,,KAZ", "list[str]"), ("1", "dict")],
)
def test_convert_rejects(raw: str, type_name: str) -> None:
    with pytest.raises(ParameterError, match="-p p"):
        convert("p", raw, type_name)


@pytest.mark.slow
def test_strings_reach_the_notebook_as_literals_and_the_index_shows_the_values(tmp_path: Path) -> None:
    nb = tiny_notebook(tmp_path / "nbs")
    hostile = 'x"; import os #\\n\'"""'
    index = build_report(tmp_path / "out", {"value": hostile, "count": "3"}, notebooks=[nb], progress=quiet)
    printed = executed(index, nb.name).cells[-1].outputs[0]["text"].strip()
    assert printed == repr(hostile)
    assert "count = 3" in index.read_text(encoding="utf-8")  # the build stamp
    assert "<code>count</code> = <strong>3</strong>" in (index.parent / "01_tiny.html").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.usefixtures("no_site")
def test_a_failing_build_leaves_the_previous_report_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The previous report comes from a recorded build (no kernel); the failing one runs its kernel."""
    good = tiny_notebook(tmp_path / "good")
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        assert record_executions(patch).calls == []
        build_report(out, notebooks=[good], progress=quiet)
    before = (out / "index.html").read_bytes()
    bad = tiny_notebook(tmp_path / "bad", body="raise RuntimeError('boom')")
    with pytest.raises(ReportError, match="01_tiny.ipynb failed in cell .*RuntimeError: boom"):
        build_report(out, notebooks=[bad], progress=quiet)
    assert (out / "index.html").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "good", "out"], "no staging folder left behind"


@pytest.mark.slow
def test_two_builds_into_different_folders_at_once(tmp_path: Path, recording_executor: Recorded) -> None:
    """Staging, swaps, the cache and the site render of two builds in two threads (the execute step is
    recorded: kernels running at once in threads are the default build's and tests/test_kernels.py's)."""
    nb = tiny_notebook(tmp_path / "nbs")
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def build(folder: str, value: str) -> None:
        try:
            barrier.wait()
            build_report(tmp_path / folder, {"value": value}, notebooks=[nb], progress=quiet)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(f"out{i}", f"v{i}")) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(call["01_tiny"]["value"] for call in recording_executor.calls) == ["v0", "v1"]
    for i in range(2):
        page = (tmp_path / f"out{i}" / "01_tiny.html").read_text(encoding="utf-8")
        assert f"<code>value</code> = <strong>v{i}</strong>" in page, f"out{i} shows another build's value"
        assert executed(tmp_path / f"out{i}" / "index.html", nb.name).cells[-1].source == "print(repr(value))"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nbs", "out0", "out1"], "no staging folder left behind"


def test_refuses_to_replace_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ParameterError, match="not a report folder"):
        build_report(tmp_path, notebooks=NOTEBOOKS, progress=quiet)
    assert (tmp_path / "precious.txt").exists()


def test_cli_reports_bad_input_with_exit_status_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["report", "-p", "fild", "x", "--output-dir", str(tmp_path / "r")]) == 2
    assert "unknown parameter 'fild'" in capsys.readouterr().err
    assert main(["report", "-p", "domain", "sport", "--output-dir", str(tmp_path / "r")]) == 2
    assert "domain='sport' is not valid" in capsys.readouterr().err
    assert main(["report", "-p", "group_by", "a", "-p", "group_by", "b"]) == 2
    assert not (tmp_path / "r").exists()


def test_cli_lists_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--list-parameters"]) == 0
    out = capsys.readouterr().out
    assert "-p domain (Optional[str], default None)" in out and "-p min_respondents (int, default 0)" in out
    assert "      values: station, country" in out


def test_listed_values_are_exactly_what_the_validator_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    from russian_emigration.params import ParameterError, validate
    from tests.conftest import bundled_dataset

    assert main(["report", "--list-parameters"]) == 0
    listed: dict[str, list[str]] = {}
    name = ""
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("  -p "):
            name = line.split()[1]
        elif line.startswith("      values: "):
            listed[name] = line.removeprefix("      values: ").split(", ")
    assert set(listed) == {"domain", "countries", "focus_country", "group_by"}
    ds = bundled_dataset()
    for parameter, values in listed.items():
        for value in values:
            validate(ds, **{parameter: value})  # every listed value is accepted
        with pytest.raises(ParameterError):
            validate(ds, **{parameter: "ZZZ"})  # and one not listed is not
    assert "music" in listed["domain"] and "GEO" in listed["focus_country"]


def test_cli_lists_the_values_of_the_given_data_folder(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (data_copy / "datapackage.json").write_text("{", encoding="utf-8")  # proves the copy is the one read
    assert main(["report", "--list-parameters", "--data-dir", str(data_copy)]) == 2
    assert "datapackage.json" in capsys.readouterr().err


@pytest.mark.slow
def test_committed_notebooks_are_exactly_what_the_report_executes(default_build: Build) -> None:
    """The one proof that committed outputs are reproducible: `make notebooks` and the report run
    notebooks the same way, so a default build gives the committed files byte for byte."""
    for path in NOTEBOOKS:
        built = default_build.index.parent / "notebooks" / path.name
        if built.read_bytes() != path.read_bytes():
            import difflib

            diff = difflib.unified_diff(
                path.read_text(encoding="utf-8").splitlines(),
                built.read_text(encoding="utf-8").splitlines(),
                "committed",
                "report",
                lineterm="",
                n=1,
            )
            pytest.fail(f"{path.name} differs; run `make notebooks` and commit:\n" + "\n".join(list(diff)[:40]))


@pytest.mark.slow
def test_full_report_links_pages_and_fetches_nothing(default_build: Build) -> None:
    index = default_build.index
    assert index.name == "index.html" and (index.parent / MARKER).exists()
    page = index.read_text(encoding="utf-8")
    links = {urlsplit(link).path for link in re.findall(r'href="([^"]+)"', page) if not urlsplit(link).scheme}
    assert {f"{path.stem}.html" for path in NOTEBOOKS} <= links and len(NOTEBOOKS) == 4
    for link in links - {""}:
        assert (index.parent / link).is_file(), link
    for html in index.parent.glob("*.html"):
        assert not re.search(r'<script[^>]+src="https?://', html.read_text(encoding="utf-8")), html.name
    titles = [nbformat.read(p, as_version=4).cells[0].source.splitlines()[0].lstrip("# ") for p in NOTEBOOKS]
    assert all(title in page for title in titles)
    messages = default_build.messages
    assert messages[-1].startswith("Report written to") and any(m.startswith("[4/4]") for m in messages)


def test_cli_names_the_missing_extra(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "papermill" else real(name, *a))
    assert main(["report"]) == 2
    assert "pip install 'russian-emigration[report]'" in capsys.readouterr().err


def test_site_builds_and_the_loader_share_the_warning_filters_lock() -> None:
    """The loader turns warnings into errors while it checks a pattern; a Sphinx build in another
    thread must never run under those filters (CI once saw Sphinx's own deprecation warning raised)."""
    from russian_emigration import descriptor, site

    assert site._SPHINX_LOCK is descriptor.WARNING_FILTERS_LOCK
