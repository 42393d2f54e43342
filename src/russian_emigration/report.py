"""The report runner: check the parameters, execute the notebooks, render the site with Sphinx, swap it in.

Every value is checked against the data by the notebooks' own validator (``params``) before any
notebook starts, and an unknown name is refused with the known ones listed. The report is built in
a staging folder beside the output folder and swapped into place at the end, so a failed or
stopped build leaves the previous report as it was. Executed notebooks come from the cache when
nothing they depend on changed; a rebuild with nothing changed at all leaves the report as it is.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from russian_emigration import cache
from russian_emigration.execute import ExecutionError, execute, notebook_paths
from russian_emigration.params import ParameterError, check_data_dir, valid_values, validate

#: The file every report folder holds: a non-empty folder without it is never replaced. It holds the
#: digest of everything the report was built from, so a rebuild with nothing changed does nothing.
MARKER = ".russian-emigration-report"
DATE_PARAMETERS = {"start_date", "end_date"}
ABOUT_FILES = ("CITATION.cff", "LICENSE", "DATA_LICENSE.md")
#: A notebook failed, the build was stopped, or the report folder could not be written.
ReportError = ExecutionError


def _packaged(name: str) -> Path:
    """A folder shipped in the wheel (``russian_emigration/<name>``), or the checkout's ``<name>/``
    (``about`` is the checkout's root, where CITATION.cff and the licences live)."""
    bundled = Path(str(importlib_resources.files("russian_emigration"))) / name
    root = Path(__file__).resolve().parents[2]
    return bundled if bundled.is_dir() else root if name == "about" else root / name


def notebooks_dir() -> Path:
    """The numbered notebooks: the installed wheel's, or ``notebooks/`` of a checkout."""
    return _packaged("notebooks")


def checkout_root() -> Path | None:
    """The source checkout this package runs from, or None (an installed wheel)."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and notebook_paths(root / "notebooks") else None


def declared_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook's ``parameters`` cell declares, as papermill reads them."""
    import papermill

    return dict(papermill.inspect_notebook(str(notebook)))


def describe_parameters(notebooks: list[Path], ds: Any) -> str:
    """Every notebook's parameters with type, default and help, and the values a closed set takes in ``ds``."""
    lines = []
    for path in notebooks:
        lines.append(path.name)
        for name, p in declared_parameters(path).items():
            lines.append(f"  -p {name} ({p['inferred_type_name']}, default {p['default']}): {p['help']}")
            values = valid_values(ds, name)
            lines += [f"      values: {', '.join(values)}"] if values else []
    return "\n".join(lines)


def plan(parameters: Mapping[str, Any], notebooks: list[Path], ds: Any) -> dict[Path, dict[str, Any]]:
    """The values each notebook receives; unknown names and bad values are refused before anything runs."""
    declared = {path: declared_parameters(path) for path in notebooks}
    known = sorted({name for names in declared.values() for name in names})
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    checked = validate(ds, **{k: v for k, v in parameters.items() if k != "data_dir"})
    defaults = {name: declared[path][name]["default"] for path in notebooks for name in declared[path]}
    if "start_date" in checked or "end_date" in checked:  # the order against the other date's default too
        validate(ds, **{n: parameters.get(n, _literal(defaults[n])) for n in DATE_PARAMETERS})
    injected = {n: str(parameters[n]).strip() if n in DATE_PARAMETERS else checked[n] for n in checked}
    if "data_dir" in parameters:
        injected["data_dir"] = "data"  # the copy inside the site, beside each notebook's working folder
    return {path: {n: v for n, v in injected.items() if n in declared[path]} for path in notebooks}


def _literal(text: str) -> Any:
    import ast

    return ast.literal_eval(text)


def build_report(
    output_dir: Path,
    parameters: Mapping[str, Any] | None = None,
    data_dir: Path | None = None,
    *,
    progress: Callable[[str], None] = print,
    workers: int | None = None,
    use_cache: bool = True,
) -> Path:
    """Execute the notebooks and render the report into ``output_dir``; return its index page.

    Raises :class:`ParameterError` for a bad parameter or output folder (before any notebook runs)
    and :class:`ReportError` when a notebook fails, the build is stopped or the folder cannot be written.
    """
    from russian_emigration.loader import load_dataset

    parameters = dict(parameters or {})
    if data_dir is not None:
        if "data_dir" in parameters:
            raise ParameterError(
                f"--data-dir {data_dir} and -p data_dir {parameters['data_dir']} both name a data folder; give one"
            )
        parameters["data_dir"] = str(data_dir)
    folder = check_data_dir(parameters.get("data_dir")) if "data_dir" in parameters else None
    ds = load_dataset(folder)
    if folder is None:
        parameters.pop("data_dir", None)  # -p data_dir None: the bundled data, as for the notebooks
    notebooks = notebook_paths(notebooks_dir())
    jobs = plan(parameters, notebooks, ds)
    final = Path(output_dir).resolve()
    _check_replaceable(final)
    data_files = [ds.path / "datapackage.json", *(ds.path / r["path"] for r in ds.descriptor["resources"])]
    keys = {path: cache.notebook_key(path, jobs[path], data_files, ds.path) for path in notebooks}
    site_key = _site_key(keys, parameters)
    with contextlib.suppress(OSError):
        if (final / MARKER).read_text(encoding="utf-8") == site_key:
            progress(f"Nothing changed since the last build: {final / 'index.html'}")
            return final / "index.html"
    with _signals_stop_the_build():
        staging = _make_staging(final)
        try:
            src = _sources(staging, ds, data_files, parameters)
            executed = _executed(jobs, keys, staging, src / "_extra", progress, workers, use_cache)
            for path, nb in executed.items():
                _write_notebook(nb, src / path.name)
            _sphinx(src, staging / "html")
            (staging / "html" / MARKER).write_text(site_key, encoding="utf-8")
            _swap_into_place(staging / "html", final)
        except OSError as exc:
            raise ReportError(f"cannot write the report into {final}: {_reason(exc)}") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    progress(f"Report written to {final / 'index.html'}")
    return final / "index.html"


def _site_key(keys: Mapping[Path, str], parameters: Mapping[str, Any]) -> str:
    """A digest of everything a built site depends on but its build date."""
    from importlib.metadata import version

    digest = hashlib.sha256(json.dumps(sorted((p.name, k) for p, k in keys.items())).encode())
    for path in sorted(p for p in _packaged("docs").rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.name.encode() + path.read_bytes())
    for name in ABOUT_FILES:
        digest.update((_packaged("about") / name).read_bytes() if (_packaged("about") / name).is_file() else b"")
    extra = [git_commit(), version("sphinx"), version("myst-nb"), version("sphinx-book-theme"), sorted(parameters)]
    digest.update(repr(extra).encode())
    return digest.hexdigest()


def _executed(
    jobs: Mapping[Path, Mapping[str, Any]],
    keys: Mapping[Path, str],
    staging: Path,
    cwd: Path,
    progress: Callable[[str], None],
    workers: int | None,
    use_cache: bool,
) -> dict[Path, Any]:
    """Each executed notebook: from the cache when its key matches, else run now (and cached)."""
    import nbformat

    done, todo = {}, {}
    for path, values in jobs.items():
        hit = cache.read(keys[path], nbformat.read(path, as_version=4), progress) if use_cache else None
        if hit is not None:
            progress(f"{path.stem}: unchanged, taken from the cache")
            done[path] = hit
        else:
            todo[path] = values
    if todo:
        progress(f"Running {len(todo)} notebook(s)...")
        (staging / "run").mkdir()
        for path, nb in execute(
            todo, staging / "run", cwd=cwd, progress=progress, workers=workers or os.cpu_count() or 1
        ).items():
            done[path] = nb
            if use_cache:
                cache.write(keys[path], nb, progress)
    return {path: done[path] for path in jobs}


def _write_notebook(nb: Any, target: Path) -> None:
    import nbformat

    nbformat.write(nb, target)


def _sources(staging: Path, ds: Any, data_files: list[Path], parameters: Mapping[str, Any]) -> Path:
    """The Sphinx project of this build: the docs, the data package and licences to publish, and build.json."""
    from russian_emigration.dictionary import render

    src = staging / "src"
    shutil.copytree(_packaged("docs"), src, ignore=shutil.ignore_patterns("__pycache__"))
    extra = src / "_extra"
    for path in data_files:
        target = extra / "data" / path.relative_to(ds.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (extra / "data" / "README.md").write_text(render(ds.descriptor), encoding="utf-8")
    for name in ABOUT_FILES:
        if (_packaged("about") / name).is_file():
            shutil.copyfile(_packaged("about") / name, extra / name)
    (src / "build.json").write_text(json.dumps(_build_info(ds, parameters), indent=1), encoding="utf-8")
    return src


def _build_info(ds: Any, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """What the site's own directives show: the build stamp, the data files and the sources."""
    from russian_emigration import __version__
    from russian_emigration.notebook import format_value

    given = {k: v for k, v in parameters.items() if k != "data_dir"}
    stamp = [
        ["package version", __version__],
        ["data package version", str(ds.descriptor.get("version", ""))],
        ["git commit", git_commit() or "none (not built from a git checkout)"],
        ["built", build_date()],
        ["parameters", "; ".join(f"{k} = {v}" for k, v in sorted(given.items())) or "none given (defaults)"],
        [
            "data",
            f"a copy of the data package ({ds.path.name}/)" if "data_dir" in parameters else "the bundled data package",
        ],
    ]
    files = [
        {"path": r["path"], "title": r.get("title", r["name"]), "rows": len(ds.tables[r["name"]])}
        for r in ds.descriptor["resources"]
    ]
    columns = ["source_id", "publisher", "title", "url", "published_date", "accessed_date", "kind"]
    sources = [
        {c: format_value(getattr(row, c), c) for c in columns}
        for row in ds.sources.sort_values("source_id").itertuples()
    ]
    return {"stamp": stamp, "files": files, "sources": sources, "version": str(ds.descriptor.get("version", ""))}


def git_commit() -> str:
    """The commit of the checkout this package runs from ('' outside one), marked when files differ."""
    root = checkout_root()
    if root is None or not (root / ".git").exists():
        return ""

    def git(*args: str) -> str:
        command = ["git", "-C", str(root), *args]
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=20).stdout.strip()

    try:
        head, dirty = git("rev-parse", "HEAD"), git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{head} (with uncommitted changes)" if dirty else head


def build_date() -> str:
    """Now in UTC, or SOURCE_DATE_EPOCH's moment when it is set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _sphinx(src: Path, out: Path) -> None:
    """Render the site with Sphinx in its own process (Sphinx changes the working folder as it runs)."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "1", str(src), str(out)]
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        raise ReportError(f"Sphinx could not render the site: {lines[-1] if lines else result.returncode}")
    (out / ".buildinfo").unlink(missing_ok=True)


# --- Signals, the output folder, staging and the swap ----------------------------------------------


@contextlib.contextmanager
def _signals_stop_the_build() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into SystemExit while building, so the clean-up runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    kinds = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous = {kind: signal.signal(kind, stop) for kind in kinds}
    try:
        yield
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, handler)


def _check_replaceable(final: Path) -> None:
    """Refuse to replace anything but a report this runner made (or an empty folder)."""
    if final.exists() and (not final.is_dir() or (any(final.iterdir()) and not (final / MARKER).exists())):
        raise ParameterError(
            f"--output-dir {final} exists and is not a report folder made by this runner; choose an empty or new folder"
        )


def _make_staging(final: Path) -> Path:
    """A new staging folder beside ``final`` (removing those of builds that were killed)."""
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        for leftover in final.parent.glob(f".{final.name}.building-*"):
            pid = (leftover / "pid").read_text(encoding="utf-8") if (leftover / "pid").is_file() else ""
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(leftover, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.building-", dir=final.parent))
        (staging / "pid").write_text(str(os.getpid()), encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write the report into {final}: {_reason(exc)}") from None
    return staging


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no safe check: a leftover stays until removed by hand
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reason(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"a file is in the way of a folder{where}"
    return f"{exc.strerror or exc}{where}"


def _swap_into_place(built: Path, final: Path) -> None:
    """Replace ``final`` with ``built`` by renames, so a reader never sees a half-built report; racing
    builds into one folder replace each other in turn."""
    with _folder_lock(final.parent):
        _check_replaceable(final)
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex}")
        had_final = final.exists()
        if had_final:
            final.rename(old)
        try:
            built.rename(final)
        except OSError:
            if had_final:
                old.rename(final)
            raise
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` where the system has one (POSIX), else none."""
    try:
        import fcntl
    except ImportError:  # Windows: swaps are not serialised
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
