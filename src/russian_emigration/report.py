"""The report runner: validate the parameters, execute the notebooks, render the site, swap it into place.

Parameters are strict: an unknown name is rejected with the list of known ones, each value is
converted to the type its notebook's annotation declares, and strings stay plain strings. Every
value is checked against the data before any kernel starts. The report is built in a staging
folder next to the output folder and moved into place at the end, so an interrupted build never
leaves a half-written report; a killed build's staging folder is removed by the next build.
Executed notebooks are cached, keyed by the notebook, the data package, the parameters and the
package, so a rebuild re-executes only what changed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources as importlib_resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from russian_emigration.cache import cache_dir
from russian_emigration.execute import ExecutionError, execute_all, notebook_paths
from russian_emigration.params import ParameterError

if TYPE_CHECKING:
    from russian_emigration.loader import Dataset
    from russian_emigration.site import Warmup

#: A file the runner leaves in every report folder; a non-empty folder without it is never replaced.
MARKER = ".russian-emigration-report"
NONE_WORDS = {"None", "none", "null"}
#: Executed notebooks kept in the cache (the most recently used ones).
CACHE_ENTRIES = 64


@dataclass(frozen=True)
class NotebookParameter:
    """One parameter of a notebook's ``parameters`` cell."""

    name: str
    type_name: str
    default: str
    help: str


#: A notebook failed, the build was stopped, or the report folder could not be written.
ReportError = ExecutionError


def notebooks_dir() -> Path:
    """Folder of the numbered notebooks: inside the installed wheel, or ``notebooks/`` of a checkout."""
    bundled = Path(str(importlib_resources.files("russian_emigration"))) / "notebooks"
    if notebook_paths(bundled):
        return bundled
    return Path(__file__).resolve().parents[2] / "notebooks"


def checkout_notebooks_dir() -> Path | None:
    """``notebooks/`` of the source checkout this package runs from, or None (an installed wheel)."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and notebook_paths(root / "notebooks"):
        return root / "notebooks"
    return None


#: Parameters already read, by notebook content: papermill parses each notebook once per process.
_DECLARED: dict[str, dict[str, NotebookParameter]] = {}
_DECLARED_LOCK = threading.Lock()


def notebook_parameters(path: Path) -> dict[str, NotebookParameter]:
    """The parameters a notebook declares, read with papermill's inspector.

    Each notebook content is inspected once: the answer is kept in this process and in the cache
    folder (keyed by the notebook's bytes and papermill's version), so a build whose notebooks are
    all cached never imports papermill. A cache entry that is unreadable or malformed is ignored.
    """
    from russian_emigration import cache

    digest = hashlib.sha256(Path(path).read_bytes())
    digest.update(_papermill_version().encode())
    key = digest.hexdigest()
    with _DECLARED_LOCK:
        known = _DECLARED.get(key)
    if known is None:
        known = _from_json(cache.read_json("parameters", key))
        if known is None:
            known = _inspect(path)
            cache.write_json("parameters", key, [list(vars(p).values()) for p in known.values()])
        with _DECLARED_LOCK:
            _DECLARED[key] = known
    return dict(known)


@functools.cache
def _papermill_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("papermill")


def _from_json(stored: Any) -> dict[str, NotebookParameter] | None:
    """Parameters from a cache entry: a list of [name, type, default, help] strings; None if malformed."""
    if not isinstance(stored, list) or not all(
        isinstance(row, list) and len(row) == 4 and all(isinstance(v, str) for v in row) for row in stored
    ):
        return None
    return {row[0]: NotebookParameter(*row) for row in stored}


def _inspect(path: Path) -> dict[str, NotebookParameter]:
    import papermill

    found = papermill.inspect_notebook(str(path))
    return {
        name: NotebookParameter(
            name,
            str(p.get("inferred_type_name", "None")).replace(" ", ""),
            str(p.get("default", "")),
            str(p.get("help", "")),
        )
        for name, p in found.items()
    }


def convert(name: str, raw: str, type_name: str) -> Any:
    """Convert a command-line value to the type the notebook's annotation declares."""
    optional = type_name.startswith("Optional[") and type_name.endswith("]")
    base = type_name[len("Optional[") : -1] if optional else type_name
    if optional and raw in NONE_WORDS:
        return None
    if base == "str":
        return raw
    if base == "int":
        if not re.fullmatch(r"[+-]?\d+", raw.strip()):
            raise ParameterError(f"-p {name} {raw!r}: {name} takes a whole number ({type_name})")
        return int(raw)
    if base == "list[str]":
        return _string_list(name, raw, type_name)
    raise ParameterError(f"-p {name}: the notebook declares an unsupported type {type_name!r}")


def _string_list(name: str, raw: str, type_name: str) -> list[str]:
    """A JSON list of strings, or comma-separated words: '["GEO", "KAZ"]' or 'GEO,KAZ'."""
    text = raw.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ParameterError(
                f'-p {name} {raw!r}: {name} takes a JSON list of strings such as \'["GEO", "KAZ"]\' ({type_name})'
            )
        return value
    items = [part.strip() for part in text.split(",")]
    if not text or not all(items):
        raise ParameterError(f"-p {name} {raw!r}: {name} takes comma-separated values such as GEO,KAZ ({type_name})")
    return items


def plan(parameters: Mapping[str, str], notebooks: Sequence[Path]) -> dict[Path, dict[str, Any]]:
    """Typed parameters for each notebook; unknown names are rejected with the known ones listed."""
    declared = {path: notebook_parameters(path) for path in notebooks}
    known = sorted({name for params in declared.values() for name in params})
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ParameterError(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"known parameters: {', '.join(known)}"
        )
    return {
        path: {name: convert(name, raw, params[name].type_name) for name, raw in parameters.items() if name in params}
        for path, params in declared.items()
    }


def describe_parameters(notebooks: Sequence[Path], dataset: Dataset | None = None) -> str:
    """A listing of every notebook's parameters with type, default and help; with ``dataset``, also
    the values each closed-set parameter takes in that data."""
    from russian_emigration.params import valid_values

    lines = []
    for path in notebooks:
        lines.append(path.name)
        for p in notebook_parameters(path).values():
            lines.append(f"  -p {p.name} ({p.type_name}, default {p.default}): {p.help}")
            values = valid_values(dataset, p.name) if dataset is not None else None
            if values:
                lines.append(f"      values: {', '.join(values)}")
    return "\n".join(lines)


@dataclass(frozen=True)
class BuildInfo:
    """What one build used, for the renderer: the parameters, the data folder and the loaded data."""

    #: The parameters as given (``-p NAME VALUE``; ``data_dir`` included when a data folder was given).
    parameters: Mapping[str, str]
    #: The typed values each notebook received, by notebook file name (only the ones it declares).
    notebook_parameters: Mapping[str, Mapping[str, Any]]
    #: The data package folder the notebooks read.
    data_dir: Path
    #: That data package, loaded and validated once per build.
    dataset: Dataset
    #: The version of this package.
    version: str


def build_report(
    output_dir: Path,
    parameters: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
    notebooks: Sequence[Path] | None = None,
    progress: Callable[[str], None] = print,
    workers: int | None = None,
    cache: bool = True,
) -> Path:
    """Execute the notebooks and render the report into ``output_dir``; return the index path.

    Raises :class:`ParameterError` for a bad parameter or output folder (before any kernel starts)
    and :class:`ReportError` when a notebook fails, the build is stopped or the folder cannot be written.
    """
    notebooks = list(notebooks or notebook_paths(notebooks_dir()))
    parameters = dict(parameters or {})
    if data_dir is not None:
        if "data_dir" in parameters:
            raise ParameterError(
                f"--data-dir {data_dir} and -p data_dir {parameters['data_dir']} both name a data folder; give one"
            )
        parameters["data_dir"] = str(Path(data_dir).resolve())
    typed = plan(parameters, notebooks)
    build = _check_values(parameters, typed)
    final = Path(output_dir).resolve()
    _check_replaceable(final)
    with _sigterm_raises():
        staging, lock = _make_staging(final)
        try:
            _remove_leftovers(final)
            executed, warmup = _execute_cached(
                typed, staging, build, progress, workers, cache_dir() / "notebooks" if cache else None
            )
            render(executed, staging, build, cache_dir() / "sites" if cache else None, warmup)
            (staging / MARKER).write_text("made by python -m russian_emigration report\n", encoding="utf-8")
            _swap_into_place(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            os.close(lock)
    index = final / "index.html"
    progress(f"Report written to {index}")
    return index


def _check_values(parameters: Mapping[str, str], typed: Mapping[Path, Mapping[str, Any]]) -> BuildInfo:
    """Load the data package once and check every value with the notebooks' own validator."""
    from russian_emigration import __version__
    from russian_emigration.loader import data_dir, load_dataset
    from russian_emigration.params import check_data_dir, validate

    # The typed value, as the notebooks receive it: ``-p data_dir None`` means the bundled data there too.
    given = next((values["data_dir"] for values in typed.values() if "data_dir" in values), None)
    folder = check_data_dir("data_dir", given) or data_dir()
    ds = load_dataset(folder)
    for params in typed.values():
        validate(ds, strict=False, **params)
    return BuildInfo(
        parameters=dict(parameters),
        notebook_parameters={path.name: dict(values) for path, values in typed.items()},
        data_dir=folder,
        dataset=ds,
        version=__version__,
    )


def _check_replaceable(final: Path) -> None:
    """Refuse to replace a folder that is not a report this runner made."""
    if final.exists() and (not final.is_dir() or (any(final.iterdir()) and not (final / MARKER).exists())):
        raise ParameterError(
            f"--output-dir {final} exists and is not a report folder made by this runner; choose an empty or new folder"
        )


# --- Signals, staging, leftovers and the final swap ---------------------------------------------


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into SystemExit while building, so the cleanup below runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _make_staging(final: Path) -> tuple[Path, int]:
    """A new staging folder next to ``final``, locked while this build lives; a clear error if impossible."""
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.building-", dir=final.parent))
    except OSError as exc:
        raise ReportError(f"cannot write the report into {final}: {_reason(exc)}") from None
    staging.chmod(0o755)
    lock = os.open(staging, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)  # tells later builds this folder is in use
    (staging / "notebooks").mkdir()
    return staging, lock


def _reason(exc: OSError) -> str:
    """The one-line reason of an OSError, naming the file when it has one."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"a file is in the way of a folder{where}"
    return f"{exc.strerror or exc}{where}"


def _remove_leftovers(final: Path) -> None:
    """Remove staging folders of killed builds (no live build holds their lock)."""
    for leftover in final.parent.glob(f".{final.name}.building-*"):
        try:
            fd = os.open(leftover, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a build still running
        else:
            shutil.rmtree(leftover, ignore_errors=True)
        finally:
            os.close(fd)


def _swap_into_place(staging: Path, final: Path) -> None:
    """Replace ``final`` with ``staging`` using renames, so readers never see a half-built report.

    Swaps into the same parent folder are serialised with a lock on that folder, so racing builds
    replace each other in turn; a failure is a :class:`ReportError` and leaves ``final`` as it was.
    """
    lock = os.open(final.parent, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for old in final.parent.glob(f".{final.name}.old-*"):  # a build killed mid-swap
            shutil.rmtree(old, ignore_errors=True)
        _check_replaceable(final)
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex}")
        had_final = final.exists()
        try:
            if had_final:
                final.rename(old)
            staging.rename(final)
        except OSError as exc:
            if had_final and old.exists() and not final.exists():
                old.rename(final)
            raise ReportError(f"cannot move the new report into {final}: {_reason(exc)}") from None
        shutil.rmtree(old, ignore_errors=True)
    finally:
        os.close(lock)


# --- The cache of executed notebooks ------------------------------------------------------------


def cache_key(notebook: Path, parameters: Mapping[str, Any], build: BuildInfo) -> str:
    """A digest of what an executed notebook depends on: its content, the data, its parameters, the package."""
    digest = hashlib.sha256()
    for part in (
        _file_digest(notebook),
        _folder_digest(build.data_dir),
        json.dumps(parameters, sort_keys=True, default=str),
        build.version,
        _folder_digest(Path(__file__).parent, "*.py"),
    ):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _folder_digest(folder: Path, pattern: str = "*") -> str:
    """A digest of the names and bytes of the regular files directly in ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.glob(pattern) if p.is_file()):
        digest.update(path.name.encode() + b"\0" + _file_digest(path).encode())
    return digest.hexdigest()


def _execute_cached(
    typed: Mapping[Path, Mapping[str, Any]],
    staging: Path,
    build: BuildInfo,
    progress: Callable[[str], None],
    workers: int | None,
    cache: Path | None,
) -> tuple[list[Path], Warmup | None]:
    """Write each executed notebook into ``staging/notebooks``: from the cache, or executed now.

    While notebooks run, the site's preparation (see :class:`russian_emigration.site.Warmup`)
    runs beside them and is returned for :func:`render`; None when nothing was executed.
    """
    import nbformat

    keys = {path: cache_key(path, params, build) for path, params in typed.items()}
    todo = {}
    for path, params in typed.items():
        hit = cache / f"{keys[path]}.ipynb" if cache else None
        if hit is not None and _copy_from_cache(hit, staging / "notebooks" / path.name):
            progress(f"{path.stem}: unchanged, taken from the cache")
        else:
            todo[path] = params
    warmup = None
    if todo:
        from russian_emigration.site import Warmup

        progress(f"Running {len(todo)} notebook(s)...")
        warmup = Warmup(build)
    for path, nb in execute_all(todo, progress, workers).items():
        target = staging / "notebooks" / path.name
        nbformat.write(nb, target)
        if cache is not None:
            _store(cache, keys[path], target, progress)
    return [staging / "notebooks" / path.name for path in typed], warmup


def _copy_from_cache(hit: Path, target: Path) -> bool:
    try:
        shutil.copyfile(hit, target)
        os.utime(hit)  # recently used: kept when the cache is pruned
    except OSError:
        return False
    return True


def _store(cache: Path, key: str, executed: Path, progress: Callable[[str], None]) -> None:
    """Add an executed notebook to the cache (atomically) and keep the newest entries only."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        partial = cache / f".{key}.{uuid.uuid4().hex}.partial"
        shutil.copyfile(executed, partial)
        partial.replace(cache / f"{key}.ipynb")
        entries = sorted(cache.glob("*.ipynb"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in entries[CACHE_ENTRIES:]:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        progress(f"note: the notebook cache in {cache} is not writable ({_reason(exc)}); nothing cached")


# --- Rendering: executed notebooks in, a static site out -----------------------------------------


def render(
    executed: Sequence[Path], staging: Path, build: BuildInfo, cache: Path | None = None, warmup: Warmup | None = None
) -> None:
    """Render the executed notebooks into ``staging`` as the report site (see ``russian_emigration.site``).

    The one rendering step of the report: ``executed`` are the executed notebooks (in
    ``staging/notebooks``), ``build`` what the build used, ``cache`` a folder of rendered sites to
    reuse when nothing they depend on changed. The site builder never executes anything.
    """
    from russian_emigration.site import SiteError, build_site

    try:
        build_site(executed, staging, build, cache, warmup)
    except SiteError as exc:
        raise ReportError(str(exc)) from None
