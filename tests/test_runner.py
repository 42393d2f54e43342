"""The report runner and its cache, as a user meets them: one parser, clear errors before anything runs,
a cache that cannot mislead, an output folder that is never half-written."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from russian_emigration import cache, report
from russian_emigration.__main__ import main
from russian_emigration.execute import notebook_paths
from russian_emigration.params import ParameterError

NOTEBOOKS = notebook_paths(report.notebooks_dir())
BY_NAME = {p.stem[3:]: p for p in NOTEBOOKS}


def test_the_runner_takes_the_forms_papermill_takes(ds) -> None:
    for given, expected in [("[KAZ, KGZ]", ["KAZ", "KGZ"]), ('["KGZ","KAZ"]', ["KAZ", "KGZ"]), ("kaz", ["KAZ"])]:
        assert report.plan({"countries": given}, NOTEBOOKS, ds)[BY_NAME["destination_responses"]] == {
            "countries": expected
        }
    # "all" is the default, None: the same run as no parameter, so the same cache entries
    assert report.plan({"countries": "all", "focus_country": "GEO"}, NOTEBOOKS, ds) == report.plan({}, NOTEBOOKS, ds)
    jobs = report.plan({"start_date": "2022-09", "min_respondents": "500", "domain": "stage and screen"}, NOTEBOOKS, ds)
    assert jobs[BY_NAME["causes"]] == {"start_date": "2022-09"}, "a date reaches the notebook as typed"
    assert jobs[BY_NAME["vote_results"]] == {"min_respondents": 500}
    assert jobs[BY_NAME["notable_emigrants"]] == {"domain": "stage_and_screen"}


@pytest.mark.parametrize(
    ("parameters", "says"),
    [
        ({"fild": "x"}, "unknown parameter(s) 'fild'; known: countries, data_dir, domain, end_date"),
        ({"start_date": "2300"}, "start_date='2300-01-01' is after end_date='2024-12-31'"),
        ({"countries": "G\u0415O"}, "U+0415 CYRILLIC CAPITAL LETTER IE"),
        ({"end_date": "9999-13"}, "not a real calendar date"),
    ],
)
def test_a_bad_parameter_is_refused_before_anything_runs(ds, parameters, says) -> None:
    with pytest.raises(ParameterError) as caught:
        report.plan(parameters, NOTEBOOKS, ds)
    assert says in str(caught.value)


@pytest.mark.parametrize("folder", ["josé", "a b'c\"d", "back\\slash"])
def test_a_data_folder_reaches_the_notebooks_as_the_sites_own_copy(ds, data_copy, folder) -> None:
    moved = data_copy.rename(data_copy.parent / folder)
    jobs = report.plan({"data_dir": str(moved)}, NOTEBOOKS, ds)
    assert {values["data_dir"] for values in jobs.values()} == {"data"}, "no local path reaches a notebook"


def test_the_cli_says_what_is_wrong_in_one_line(capsys) -> None:
    assert main(["report", "-p", "group_by", "city", "--output-dir", "unused"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: group_by='city' is not valid; use one of 'station', 'country'") and "\n" not in err
    assert main(["report", "-p", "domain", "music", "-p", "domain", "x"]) == 2
    assert "given more than once" in capsys.readouterr().err


def test_validate_prints_valid_with_the_counts(capsys, ds) -> None:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("valid: data/datapackage.json, 7 tables (sources ")
    assert f"vote_abroad_stations {len(ds.vote_abroad_stations)}" in out


def test_validate_names_file_row_and_column_and_fails(capsys, data_copy) -> None:
    path = data_copy / "events.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("2022-09-21", "2022-13-21", 1), encoding="utf-8")
    assert main(["validate", str(data_copy)]) == 1
    assert "data/events.csv, row 4, column 'event_date': value '2022-13-21'" in capsys.readouterr().err


def test_list_parameters_gives_types_defaults_and_values(capsys, ds) -> None:
    assert main(["report", "--list-parameters"]) == 0
    out = capsys.readouterr().out
    assert '-p focus_country (str, default "GEO")' in out
    assert "values: " + ", ".join(sorted(ds.countries["country_code"])) in out


# --- The cache of executed notebooks ------------------------------------------------------------------


@pytest.fixture
def executed() -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """A notebook as committed (its source) and as executed (the same here: it is committed executed)."""
    source = nbformat.read(BY_NAME["vote_results"], as_version=4)
    return source, nbformat.read(BY_NAME["vote_results"], as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_executed_notebook_is_stored_and_read_back(path) -> None:
    """What the notebooks display passes the cache's check: a fresh run is always cached, never refused."""
    nb = nbformat.read(path, as_version=4)
    cache.write(path.stem, nb, print)
    assert cache.read(path.stem, nbformat.read(path, as_version=4), pytest.fail) == nb
    assert not list((cache.cache_dir() / "notebooks").glob(".*.partial"))


DAMAGES = {
    "truncated": lambda text: text[: len(text) // 2],  # a crash after an unsynced rename
    "not a notebook": lambda text: "{}",
    "another key": lambda text: text.replace('"cache_key": "k2"', '"cache_key": "other"'),
    "another cell": lambda text: text.replace("Putin", "Putni", 1),
    "a planted handler": lambda text: text.replace("<table id=", '<table onmouseover=\\"alert(1)\\" id=', 1),
    "a planted element": lambda text: re.sub(
        r'("text/markdown": \[\s*")', r"\1<img src=x onerror=alert(1)> ", text, count=1
    ),
}


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_a_damaged_or_foreign_entry_is_a_miss_with_one_note(executed, damage) -> None:
    source, nb = executed
    cache.write("k2", nb, print)
    entry = cache.cache_dir() / "notebooks" / "k2.ipynb"
    original = entry.read_text(encoding="utf-8")
    assert damage(original) != original, "the damage changes nothing: the test would check nothing"
    entry.write_text(damage(original), encoding="utf-8")
    notes: list[str] = []
    assert cache.read("k2", source, notes.append) is None
    assert len(notes) == 1 and "ignored a damaged or foreign cache entry" in notes[0]
    assert not entry.exists(), "the bad entry is removed, to be replaced"


def test_a_cache_that_cannot_be_written_means_a_build_without_it(executed, tmp_path, monkeypatch) -> None:
    source, nb = executed
    (tmp_path / "cache").write_text("a file where the cache folder should be", encoding="utf-8")
    monkeypatch.setenv("RUSSIAN_EMIGRATION_CACHE", str(tmp_path / "cache"))
    notes: list[str] = []
    cache.write("k3", nb, notes.append)
    assert len(notes) == 1 and "cannot be written" in notes[0] and "building without it" in notes[0]
    assert cache.read("k3", source, notes.append) is None and len(notes) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"], "no partial file left behind"


def test_the_key_covers_every_file_the_package_names_wherever_it_is(ds, data_copy) -> None:
    (data_copy / "tables").mkdir()
    shutil.move(data_copy / "vote_abroad_stations.csv", data_copy / "tables" / "vote_abroad_stations.csv")
    descriptor = json.loads((data_copy / "datapackage.json").read_text(encoding="utf-8"))
    next(r for r in descriptor["resources"] if r["name"] == "vote_abroad_stations")["path"] = (
        "tables/vote_abroad_stations.csv"
    )
    (data_copy / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    files = [data_copy / "datapackage.json", *(data_copy / r["path"] for r in descriptor["resources"])]
    before = cache.notebook_key(BY_NAME["vote_results"], {}, files, data_copy)
    station = data_copy / "tables" / "vote_abroad_stations.csv"
    station.write_text(station.read_text(encoding="utf-8").replace("Sydney", "Sydnex"), encoding="utf-8")
    assert cache.notebook_key(BY_NAME["vote_results"], {}, files, data_copy) != before
    assert cache.notebook_key(BY_NAME["vote_results"], {"min_respondents": 1}, files, data_copy) != before


# --- The output folder -----------------------------------------------------------------------------


def test_a_folder_the_runner_did_not_make_is_never_replaced(tmp_path) -> None:
    (tmp_path / "mine.txt").write_text("notes", encoding="utf-8")
    with pytest.raises(ParameterError, match="is not a report folder made by this runner"):
        report.build_report(tmp_path)
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "notes"


def test_an_output_folder_that_cannot_be_made_is_one_clear_line(tmp_path, capsys) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert main(["report", "--output-dir", str(tmp_path / "file" / "report")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write the report into") and "a file is in the way of a folder" in err


def test_the_next_build_removes_what_a_killed_build_left(tmp_path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = tmp_path / ".report.building-x"
    leftover.mkdir()
    (leftover / "pid").write_text(dead.stdout.strip(), encoding="utf-8")
    live = tmp_path / ".report.building-y"
    live.mkdir()
    (live / "pid").write_text(str(os.getpid()), encoding="utf-8")
    with report._staging(tmp_path / "report") as staging:
        assert not leftover.exists() and live.exists() and staging.exists()


# --- Faults: a full disk, a hung kernel, a closed terminal ---------------------------------------------


def test_a_full_disk_under_the_output_folder_is_one_clear_line_and_keeps_the_report(
    tmp_path, monkeypatch, capsys
) -> None:
    final = tmp_path / "report"
    final.mkdir()
    (final / report.MARKER).write_text("old", encoding="utf-8")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / ".report.building-x" / "src"))

    monkeypatch.setattr(report, "_sources", full)
    monkeypatch.setattr(report, "_site_key", lambda *a: "new")
    assert main(["report", "--output-dir", str(final)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: cannot write the report into {final}: No space left on device") and "\n" not in err
    assert (final / report.MARKER).read_text(encoding="utf-8") == "old", "the previous report is untouched"
    assert [p.name for p in tmp_path.iterdir()] == ["report"], "no staging folder left behind"


def test_a_notebook_cut_short_by_a_full_disk_fails_with_papermills_one_line(tmp_path) -> None:
    """Papermill could not finish writing the executed notebook (red-team O03): its message, not a traceback."""
    from russian_emigration import execute

    target = tmp_path / "01_causes.ipynb"
    target.write_text('{\n "cells": [\n  {', encoding="utf-8")
    target.with_suffix(".log").write_text(
        "Traceback ...\nOSError: [Errno 28] No space left on device\n", encoding="utf-8"
    )
    says = execute._failure(NOTEBOOKS[0], target, type("Exited", (), {"returncode": 1})())
    assert says == "01_causes.ipynb did not finish: OSError: [Errno 28] No space left on device"


SLEEPER = """
import sys, time
from pathlib import Path
from russian_emigration import execute, report
execute.STILL_RUNNING, execute.CELL_TIMEOUT = 1, int(sys.argv[2])
with report._signals_stop_the_build():
    execute.execute({Path(sys.argv[1]): {}}, Path(sys.argv[1]).parent, progress=lambda line: print(line, flush=True))
"""


def sleeping_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time\ntime.sleep(60)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "sleeper.ipynb"
    nbformat.write(nb, path)
    (folder / "out").mkdir()
    return path


def still_running(path: Path) -> list[str]:
    """The processes (papermill and its kernel) that still name the sleeping notebook's folder."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if str(path.parent) in command and "pytest" not in command:
            found.append(command)
    return found


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP exists on POSIX only")
@pytest.mark.parametrize("kind", ["SIGTERM", "SIGHUP"])
def test_a_closed_terminal_stops_a_build_like_sigterm(kind) -> None:
    """The signal becomes SystemExit in the build, so its clean-up runs (execute's `finally` stops papermill)."""
    with pytest.raises(SystemExit) as stopped, report._signals_stop_the_build():
        os.kill(os.getpid(), getattr(signal, kind))
        time.sleep(5)
    assert stopped.value.code == 128 + getattr(signal, kind)


@pytest.mark.slow
def test_a_hung_cell_is_visible_then_stops_the_run_naming_the_notebook_and_the_cell(tmp_path) -> None:
    path = sleeping_notebook(tmp_path)
    run = subprocess.run([sys.executable, "-c", SLEEPER, str(path), "4"], capture_output=True, text=True, timeout=60)
    assert "sleeper: still running (" in run.stdout, "a long notebook says so while it runs"
    assert run.returncode == 1
    assert "ExecutionError: sleeper.ipynb did not finish in cell 1: a cell ran longer than 4 s" in run.stderr
    assert still_running(path) == [], "papermill and its kernel are gone"
