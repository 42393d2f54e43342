"""Command line: ``python -m russian_emigration {report,validate,notebooks,dictionary}``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path

from russian_emigration import DatasetError, data_dir, load_dataset
from russian_emigration.descriptor import descriptor_path
from russian_emigration.dictionary import render_file
from russian_emigration.execute import ExecutionError, notebook_paths, run_in_place
from russian_emigration.params import ParameterError
from russian_emigration.report import build_report, checkout_root, describe_parameters, notebooks_dir


def _parser() -> argparse.ArgumentParser:
    about = "Russian emigration since 2022: the report and the data package."
    parser = argparse.ArgumentParser(prog="python -m russian_emigration", description=about)
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="run every notebook and render the report site")
    what = "a notebook parameter, passed to every notebook that declares it (repeatable)"
    report.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help=what)
    report.add_argument("--data-dir", type=Path, help="another copy of the data package (default: the bundled one)")
    report.add_argument("--output-dir", type=Path, default=Path("reports"), help="report folder (default: reports)")
    what = "list every notebook's parameters and the values they take, and exit"
    report.add_argument("--list-parameters", action="store_true", help=what)
    validate = commands.add_parser("validate", help="check a data package folder and report every problem")
    what = "data package folder or its datapackage.json (default: the bundled one)"
    validate.add_argument("path", nargs="?", type=Path, help=what)
    notebooks = commands.add_parser("notebooks", help="re-execute the committed notebooks in place (in a checkout)")
    notebooks.add_argument("names", nargs="*", help="notebook file names to run (default: all)")
    dictionary = commands.add_parser("dictionary", help="print the data dictionary generated from datapackage.json")
    dictionary.add_argument("--data-dir", type=Path, help="data package folder (default: the bundled one)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit status (1 for data problems, 2 for bad input)."""
    args = _parser().parse_args(argv)
    try:
        _COMMANDS[args.command](args)
        return 0
    except DatasetError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (ParameterError, ExecutionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: stopped the notebooks and removed the unfinished build", file=sys.stderr)
        return 130


def _report(args: argparse.Namespace) -> None:
    missing = [n for n in ("papermill", "ipykernel", "sphinx", "myst_nb", "sphinx_book_theme") if find_spec(n) is None]
    if missing:
        extra = "install the report extra: pip install 'russian-emigration[report]'"
        raise ParameterError(f"`report` needs {', '.join(missing)}; {extra}")
    if args.list_parameters:
        print(describe_parameters(notebook_paths(notebooks_dir()), load_dataset(args.data_dir)))
        return
    repeated = sorted(name for name, count in Counter(name for name, _ in args.parameter).items() if count > 1)
    if repeated:
        raise ParameterError(f"parameter {', '.join(repeated)} given more than once")
    build_report(args.output_dir, dict(args.parameter), data_dir=args.data_dir)


def _validate(args: argparse.Namespace) -> None:
    ds = load_dataset(args.path)
    counts = ", ".join(f"{name} {len(frame):,}" for name, frame in ds.tables.items())
    print(f"valid: {ds.path.name}/datapackage.json, {len(ds.tables)} tables ({counts} rows)")


def _notebooks(args: argparse.Namespace) -> None:
    root = checkout_root()
    if root is None:
        what = "this package is installed, not a checkout: use `report`"
        raise ParameterError(f"`notebooks` re-executes the notebooks of a source checkout in place; {what}")
    paths = notebook_paths(root / "notebooks")
    unknown = ", ".join(repr(n) for n in args.names if n not in {p.name for p in paths})
    if unknown:
        raise ParameterError(f"no notebook named {unknown}; known: {', '.join(p.name for p in paths)}")
    chosen = [p for p in paths if not args.names or p.name in args.names]
    print(f"executing {', '.join(p.name for p in chosen)}", flush=True)
    run_in_place(chosen)


def _dictionary(args: argparse.Namespace) -> None:
    sys.stdout.write(render_file(descriptor_path(args.data_dir or data_dir())))


_COMMANDS = {"report": _report, "validate": _validate, "notebooks": _notebooks, "dictionary": _dictionary}

if __name__ == "__main__":
    sys.exit(main())
