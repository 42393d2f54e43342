"""The report runner: execute every notebook with papermill, then render them as a static site.

Parameters are strict: an unknown name is rejected with the list of known ones, each value is
converted to the type its notebook's annotation declares, and strings stay plain strings.
The report is built in a temporary folder and moved into place at the end, so an interrupted
build never leaves a half-written report.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from russian_emigration.execute import KERNEL_ARGUMENTS, notebook_paths
from russian_emigration.params import ParameterError

#: A file the runner leaves in every report folder; a non-empty folder without it is never replaced.
MARKER = ".russian-emigration-report"
NONE_WORDS = {"None", "none", "null"}


@dataclass(frozen=True)
class NotebookParameter:
    """One parameter of a notebook's ``parameters`` cell."""

    name: str
    type_name: str
    default: str
    help: str


class ReportError(RuntimeError):
    """A notebook failed while the report was being built."""


def notebooks_dir() -> Path:
    """Folder of the numbered notebooks: inside the installed wheel, or ``notebooks/`` of a checkout."""
    bundled = Path(str(importlib_resources.files("russian_emigration"))) / "notebooks"
    if notebook_paths(bundled):
        return bundled
    return Path(__file__).resolve().parents[2] / "notebooks"


def notebook_parameters(path: Path) -> dict[str, NotebookParameter]:
    """The parameters a notebook declares, read with papermill's inspector."""
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


def describe_parameters(notebooks: Sequence[Path]) -> str:
    """A listing of every notebook's parameters with type, default and help."""
    lines = []
    for path in notebooks:
        lines.append(path.name)
        for p in notebook_parameters(path).values():
            lines.append(f"  -p {p.name} ({p.type_name}, default {p.default}): {p.help}")
    return "\n".join(lines)


def build_report(
    output_dir: Path,
    parameters: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
    notebooks: Sequence[Path] | None = None,
    progress: Callable[[str], None] = print,
    workers: int | None = None,
) -> Path:
    """Execute the notebooks into ``output_dir`` and render the HTML report; return the index path."""
    notebooks = list(notebooks or notebook_paths(notebooks_dir()))
    parameters = dict(parameters or {})
    if data_dir is not None:
        parameters["data_dir"] = str(Path(data_dir).resolve())
    # Kernels boot while the parameters and the data are checked; any failure shuts them down.
    lanes = _start_kernels(min(len(notebooks), workers or os.cpu_count() or 1))
    try:
        typed = plan(parameters, notebooks)
        _check_values(typed)
        final = Path(output_dir).resolve()
        _check_replaceable(final)
    except BaseException:
        for km in lanes:
            km.shutdown_kernel(now=True)
        raise
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.building-", dir=final.parent))
    staging.chmod(0o755)
    try:
        (staging / "notebooks").mkdir()
        executed = _execute_all(typed, staging, progress, workers, lanes)
        render(executed, staging, _build_info(parameters, typed))
        (staging / MARKER).write_text("made by python -m russian_emigration report\n", encoding="utf-8")
        _swap_into_place(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    index = final / "index.html"
    progress(f"Report written to {index}")
    return index


@functools.lru_cache(maxsize=4)
def _dataset(folder: str | None) -> Any:
    """The data package a report uses, loaded once per build (None: the bundled one)."""
    from russian_emigration.loader import load_dataset
    from russian_emigration.params import check_data_dir

    return load_dataset(check_data_dir("data_dir", folder))


def _check_values(typed: Mapping[Path, Mapping[str, Any]]) -> None:
    """Before any kernel starts: the data package loads and every value passes the notebooks' own checks."""
    from russian_emigration.params import validate

    _dataset.cache_clear()  # a new build reads the files afresh
    for params in typed.values():
        validate(_dataset(params.get("data_dir")), strict=False, **params)


def _check_replaceable(final: Path) -> None:
    """Refuse to replace a folder that is not a report this runner made."""
    if final.exists() and (not final.is_dir() or (any(final.iterdir()) and not (final / MARKER).exists())):
        raise ParameterError(
            f"--output-dir {final} exists and is not a report folder made by this runner; choose an empty or new folder"
        )


def _execute_all(
    typed: Mapping[Path, Mapping[str, Any]],
    staging: Path,
    progress: Callable[[str], None],
    workers: int | None,
    lanes: Sequence[Any] | None = None,
) -> list[Path]:
    """Run the notebooks in parallel lanes, one kernel per lane; return the executed notebooks.

    A lane's kernel runs its notebooks one after another and is reset in between, so the heavy
    imports are paid once per lane, not once per notebook (``tests/test_report.py`` checks that
    the outputs equal those of fresh kernels).
    """
    paths = list(typed)
    lanes = lanes or _start_kernels(min(len(paths), workers or os.cpu_count() or 1))
    progress(f"Running {len(paths)} notebooks in {len(lanes)} kernel(s)...")
    started = time.monotonic()
    entries: dict[Path, Path] = {}

    def run_lane(lane: int) -> None:
        for number in range(lane, len(paths), len(lanes)):
            path = paths[number]
            if number >= len(lanes):
                _reset(lanes[lane])
            entries[path] = _execute_one(path, dict(typed[path]), staging, lanes[lane])
            progress(f"[{number + 1}/{len(paths)}] {path.stem} done ({time.monotonic() - started:.1f} s)")

    try:
        with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
            list(pool.map(run_lane, range(len(lanes))))
    finally:
        for km in lanes:
            km.shutdown_kernel(now=True)
    return [entries[path] for path in paths]


def _start_kernels(count: int) -> list[Any]:
    """Launch ``count`` python3 kernels (they boot while the runner prepares)."""
    from jupyter_client.manager import KernelManager

    kernels = []
    for _ in range(count):
        km = KernelManager(kernel_name="python3")
        km.start_kernel(extra_arguments=KERNEL_ARGUMENTS)
        kernels.append(km)
    return kernels


def _reset(km: Any) -> None:
    """Clear a kernel between notebooks: every name the last one defined, and its open figures."""
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        reply = client.execute_interactive(RESET_CODE, timeout=120, output_hook=lambda _msg: None)
        if reply["content"]["status"] != "ok":
            raise ReportError(f"could not reset the kernel between notebooks: {reply['content']}")
    finally:
        client.stop_channels()


RESET_CODE = "import matplotlib.pyplot as _plt\n_plt.close('all')\nget_ipython().run_line_magic('reset', '-f')"


def _execute_one(path: Path, params: dict[str, Any], staging: Path, km: Any) -> Path:
    """Execute one notebook with papermill in kernel ``km`` into ``staging/notebooks``."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    executed = staging / "notebooks" / path.name
    # No cwd=: papermill implements it with os.chdir, which is process-wide and races between
    # concurrent builds. The notebooks resolve every path from the package, not the working directory.
    try:
        nb = papermill.execute_notebook(
            str(path),
            None,  # papermill writes nothing; the numbered notebook is written once below
            parameters=params,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            execution_timeout=600,
            start_timeout=120,
            km=km,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        raise ReportError(f"{path.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None
    _renumber(nb)
    nbformat.write(nb, executed)
    return executed


def _renumber(nb: Any) -> None:
    """Number the executed code cells 1, 2, 3... (a shared kernel keeps counting across notebooks)."""
    number = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            number += 1
            cell.execution_count = number
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = number


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
    dataset: Any
    #: The version of this package.
    version: str


def _build_info(parameters: Mapping[str, str], typed: Mapping[Path, Mapping[str, Any]]) -> BuildInfo:
    """What this build used (its data package is the one ``_check_values`` loaded)."""
    from russian_emigration import __version__
    from russian_emigration.loader import data_dir

    folder = parameters.get("data_dir")
    return BuildInfo(
        parameters=dict(parameters),
        notebook_parameters={path.name: dict(values) for path, values in typed.items()},
        data_dir=Path(folder).resolve() if folder else data_dir(),
        dataset=_dataset(folder),
        version=__version__,
    )


def render(executed: Sequence[Path], staging: Path, build: BuildInfo) -> None:
    """Render the executed notebooks into ``staging`` as a static site (see ``russian_emigration.site``)."""
    from russian_emigration.site import SiteError, build_site

    try:
        build_site(executed, staging, build)
    except SiteError as exc:
        raise ReportError(str(exc)) from None


def _swap_into_place(staging: Path, final: Path) -> None:
    """Replace ``final`` with ``staging`` using renames, so readers never see a half-built report."""
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex}")
        final.rename(old)
        staging.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(final)
