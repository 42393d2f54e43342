"""The report runner: check the parameters, execute the notebooks, render the site with Sphinx, swap it in. A
failed or stopped build leaves the previous report as it was; one with nothing changed leaves it too."""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, metadata, version
from pathlib import Path
from typing import Any

from russian_emigration import __version__, cache, load_dataset
from russian_emigration.dictionary import render
from russian_emigration.execute import ExecutionError, execute, notebook_paths
from russian_emigration.params import ParameterError, check_data_dir, valid_values, validate

#: In every report folder, the digest of what it was built from; a non-empty folder without it is never replaced.
MARKER = ".russian-emigration-report"
DATE_PARAMETERS = {"start_date", "end_date"}
ABOUT_FILES = ("CITATION.cff", "LICENSE", "DATA_LICENSE.md")
_ROOT = Path(__file__).resolve().parents[2]


def _packaged(name: str) -> Path:
    """A folder shipped in the wheel (``russian_emigration/<name>``), else the checkout's (``about``: its root)."""
    bundled = Path(__file__).resolve().parent / name
    return bundled if bundled.is_dir() else _ROOT if name == "about" else _ROOT / name


def _about_files() -> list[Path]:
    return [path for path in (_packaged("about") / name for name in ABOUT_FILES) if path.is_file()]


def notebooks_dir() -> Path:
    """The numbered notebooks: the installed wheel's, or ``notebooks/`` of a checkout."""
    return _packaged("notebooks")


def checkout_root() -> Path | None:
    """The source checkout this package runs from, or None (an installed wheel)."""
    return _ROOT if (_ROOT / "pyproject.toml").is_file() and notebook_paths(_ROOT / "notebooks") else None


def declared_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook's ``parameters`` cell declares, as papermill reads them."""
    return dict(_inspected(str(notebook), notebook.stat().st_mtime_ns))


@functools.lru_cache(maxsize=16)  # a build reads each notebook's parameters more than once; an edit re-reads
def _inspected(notebook: str, _mtime_ns: int) -> dict[str, dict[str, Any]]:
    import papermill  # heavy, and only in the report extra

    return dict(papermill.inspect_notebook(notebook))


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
    checked = validate(ds, **{k: v for k, v in parameters.items() if k != "data_dir"})
    if "start_date" in checked or "end_date" in checked:  # the order against the other date's default too
        defaults = {name: p["default"] for names in declared.values() for name, p in names.items()}
        validate(ds, **{n: parameters.get(n, ast.literal_eval(defaults[n])) for n in DATE_PARAMETERS})
    injected = {n: str(parameters[n]).strip() if n in DATE_PARAMETERS else checked[n] for n in checked}
    if "data_dir" in parameters:
        injected["data_dir"] = "data"  # the copy inside the site, beside each notebook's working folder
    # A value equal to the notebook's default is left out: the same run, so the same cache entry.
    default = {path: {n: ast.literal_eval(p["default"]) for n, p in names.items()} for path, names in declared.items()}
    return {
        path: {n: v for n, v in injected.items() if n in default[path] and v != default[path][n]} for path in notebooks
    }


def build_report(
    output_dir: Path,
    parameters: Mapping[str, Any] | None = None,
    data_dir: Path | None = None,
    *,
    progress: Callable[[str], None] = print,
) -> Path:
    """Build the report in ``output_dir``, return its index page; ParameterError before anything runs."""
    parameters = dict(parameters or {})
    if data_dir is not None:
        if "data_dir" in parameters:
            named = f"--data-dir {data_dir} and -p data_dir {parameters['data_dir']}"
            raise ParameterError(f"{named} both name a data folder; give one")
        parameters["data_dir"] = str(data_dir)
    folder = check_data_dir(parameters.get("data_dir"))
    ds = load_dataset(folder)
    if folder is None:
        parameters.pop("data_dir", None)  # -p data_dir None: the bundled data, as for the notebooks
    jobs = plan(parameters, notebook_paths(notebooks_dir()), ds)
    final = Path(output_dir).resolve()
    index = final / "index.html"
    _check_replaceable(final)
    data_files = [ds.path / "datapackage.json", *(ds.path / r["path"] for r in ds.descriptor["resources"])]
    keys = {path: cache.notebook_key(path, values, data_files, ds.path) for path, values in jobs.items()}
    site_key = _site_key(keys, parameters)
    with contextlib.suppress(OSError):
        if (final / MARKER).read_text(encoding="utf-8") == site_key:
            progress(f"Nothing changed since the last build: {index}")
            return index
    with _signals_stop_the_build(), _staging(final) as staging:
        _sources(staging / "src", ds, data_files, parameters)
        _execute(jobs, keys, staging, progress)
        _sphinx(staging / "src", staging / "html")
        (staging / "html" / MARKER).write_text(site_key, encoding="utf-8")
        _swap_into_place(staging / "html", final)
    progress(f"Report written to {index}")
    return index


def _site_key(keys: Mapping[Path, str], parameters: Mapping[str, Any]) -> str:
    """A digest of everything a built site depends on but its build date."""
    extra = [git_commit(), version("sphinx"), version("myst-nb"), version("sphinx-book-theme"), sorted(parameters)]
    digest = hashlib.sha256(repr([sorted((p.name, k) for p, k in keys.items()), *extra]).encode())
    docs = sorted(p for p in _packaged("docs").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in [*docs, *_about_files()]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _execute(
    jobs: dict[Path, dict[str, Any]], keys: dict[Path, str], staging: Path, progress: Callable[[str], None]
) -> None:
    """Write each executed notebook into the site: from the cache when its key matches, else run now (and cache)."""
    import nbformat  # slow to import: only builds need it

    todo = dict(jobs)
    for path in jobs:
        hit = cache.read(keys[path], nbformat.read(path, as_version=4), progress)
        if hit is not None:
            progress(f"{path.stem}: unchanged, taken from the cache")
            nbformat.write(hit, staging / "src" / path.name)
            del todo[path]
    if todo:
        progress(f"Running {len(todo)} notebook(s)...")
        ran = execute(todo, staging, cwd=staging / "src" / "_extra", progress=progress, workers=os.cpu_count() or 1)
        for path, nb in ran.items():
            nbformat.write(nb, staging / "src" / path.name)
            cache.write(keys[path], nb, progress)


def _sources(src: Path, ds: Any, data_files: list[Path], parameters: Mapping[str, Any]) -> None:
    """The Sphinx project of this build: the docs, the data package and licences to publish, and build.json."""
    shutil.copytree(_packaged("docs"), src, ignore=shutil.ignore_patterns("__pycache__"))
    for path in data_files:
        target = src / "_extra" / "data" / path.relative_to(ds.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (src / "_extra" / "data" / "README.md").write_text(render(ds.descriptor), encoding="utf-8")
    for path in _about_files():
        shutil.copyfile(path, src / "_extra" / path.name)
    (src / "build.json").write_text(json.dumps(_build_info(ds, parameters), indent=1), encoding="utf-8")


def _build_info(ds: Any, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """What the site's own directives show: the build stamp, the data files and the sources."""
    from russian_emigration.notebook import format_value  # matplotlib: only a build needs it

    given = "; ".join(f"{k} = {v}" for k, v in sorted(parameters.items()) if k != "data_dir")
    data = f"a copy of the data package ({ds.path.name}/)" if "data_dir" in parameters else "the bundled data package"
    data_version = str(ds.descriptor.get("version", ""))
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")  # set: a reproducible build, stamped with its moment
    built = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    commit = git_commit() or "none (not built from a git checkout)"
    stamp = [["package version", __version__], ["data package version", data_version], ["git commit", commit]]
    stamp += [["built", built.strftime("%Y-%m-%d %H:%M UTC")], ["parameters", given or "none given (defaults)"]]
    stamp += [["data", data]]
    resources = ds.descriptor["resources"]
    files = [{"path": r["path"], "title": r.get("title", r["name"]), "rows": len(ds[r["name"]])} for r in resources]
    columns = ["source_id", "publisher", "title", "url", "published_date", "accessed_date", "kind"]
    rows = ds.sources.sort_values("source_id").itertuples()
    sources = [{c: format_value(getattr(row, c), c) for c in columns} for row in rows]
    return {"stamp": stamp, "files": files, "sources": sources, "version": data_version} | project_urls()


def project_urls() -> dict[str, str]:
    """The repository and issue tracker that pyproject.toml's ``[project.urls]`` names, for the site's footer."""
    entries: list[str] = []
    with contextlib.suppress(PackageNotFoundError):  # not installed: no metadata, no links
        entries = metadata("russian-emigration").get_all("Project-URL") or []
    urls = {label.strip().lower(): url.strip() for label, _, url in (e.partition(",") for e in entries)}
    urls = {label: url for label, url in urls.items() if url.startswith(("https://", "http://"))}
    repository = next((urls[k] for k in ("repository", "source", "source code", "homepage") if k in urls), "")
    issues = next((urls[k] for k in ("issues", "bug tracker", "tracker") if k in urls), "")
    return {"repository": repository, "issues": issues} if repository else {}


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


def _sphinx(src: Path, out: Path) -> None:
    """Render the site with Sphinx in its own process (Sphinx changes the working folder as it runs)."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "1", str(src), str(out)]
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        raise ExecutionError(f"Sphinx could not render the site: {lines[-1] if lines else result.returncode}")
    (out / ".buildinfo").unlink(missing_ok=True)


@contextlib.contextmanager
def _signals_stop_the_build() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into SystemExit while building, so the clean-up runs (main thread only)."""
    main = threading.current_thread() is threading.main_thread()
    kinds = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if main and hasattr(signal, name)]
    previous = {kind: signal.signal(kind, lambda signum, _: sys.exit(128 + signum)) for kind in kinds}
    try:
        yield
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, handler)


def _check_replaceable(final: Path) -> None:
    """Refuse to replace anything but a report this runner made (or an empty folder)."""
    if final.exists() and (not final.is_dir() or (any(final.iterdir()) and not (final / MARKER).exists())):
        what = "is not a report folder made by this runner; choose an empty or new folder"
        raise ParameterError(f"--output-dir {final} exists and {what}")


@contextlib.contextmanager
def _staging(final: Path) -> Iterator[Path]:
    """A staging folder beside ``final`` (those of killed builds removed); an OSError in it is an ExecutionError."""
    prefix = f".{final.name}.building-"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        for leftover in final.parent.glob(f"{prefix}*"):
            pid = (leftover / "pid").read_text(encoding="utf-8") if (leftover / "pid").is_file() else ""
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(leftover, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix=prefix, dir=final.parent, ignore_cleanup_errors=True) as staging:
            (Path(staging) / "pid").write_text(str(os.getpid()), encoding="utf-8")
            yield Path(staging)
    except OSError as exc:
        in_the_way = isinstance(exc, NotADirectoryError | FileExistsError)
        reason = "a file is in the way of a folder" if in_the_way else exc.strerror
        where = f" ({exc.filename})" if exc.filename else ""
        raise ExecutionError(f"cannot write the report into {final}: {reason or exc}{where}") from None


def _alive(pid: int) -> bool:
    if os.name == "posix":  # elsewhere no safe check: a leftover stays until removed by hand
        try:
            os.kill(pid, 0)
        except OSError as exc:  # a PermissionError: another user's process
            return not isinstance(exc, ProcessLookupError)
    return True


def _swap_into_place(built: Path, final: Path) -> None:
    """Replace ``final`` with ``built`` by renames (racing builds take turns on POSIX): never a half-built report."""
    with contextlib.ExitStack() as turn:
        if os.name == "posix":
            import fcntl  # POSIX only

            folder = os.open(final.parent, os.O_RDONLY)
            turn.callback(os.close, folder)
            fcntl.flock(folder, fcntl.LOCK_EX)
        _check_replaceable(final)
        old = built.with_name("old")  # in the staging folder, removed with it
        if final.exists():
            final.rename(old)
        try:
            built.rename(final)
        except OSError:
            if old.exists():
                old.rename(final)
            raise
