"""Command line: ``python -m russian_emigration {report,notebooks,dictionary}``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m russian_emigration", description="Russian emigration since 2022: report runner and data tools."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="run every notebook and render the HTML report")
    report.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a notebook parameter, passed to every notebook that declares it (repeatable)",
    )
    report.add_argument(
        "--data-dir", type=Path, default=None, help="another copy of the data package (default: the bundled one)"
    )
    report.add_argument("--output-dir", type=Path, default=Path("reports"), help="report folder (default: reports)")
    report.add_argument("--list-parameters", action="store_true", help="list every notebook's parameters and exit")
    notebooks = commands.add_parser("notebooks", help="re-execute the committed notebooks in place (in a checkout)")
    notebooks.add_argument("names", nargs="*", help="notebook file names to run (default: all)")
    dictionary = commands.add_parser("dictionary", help="print the data dictionary generated from datapackage.json")
    dictionary.add_argument(
        "--data-dir", type=Path, default=None, help="data package folder (default: the bundled one)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status (2 for bad input)."""
    args = _parser().parse_args(argv)
    from russian_emigration.errors import DatasetError
    from russian_emigration.params import ParameterError
    from russian_emigration.report import ReportError

    if args.command == "notebooks" and _checkout_notebooks() is None:
        print(
            "error: `notebooks` re-executes the committed notebooks of a source checkout in place, and this "
            "package is installed, not a checkout; to run the notebooks with other values use `report`",
            file=sys.stderr,
        )
        return 2
    if args.command in ("report", "notebooks"):
        missing = _missing_report_tools()
        if missing:
            print(
                f"error: `{args.command}` needs {', '.join(missing)}, which are not installed; "
                "install the report extra: pip install 'russian-emigration[report]'",
                file=sys.stderr,
            )
            return 2
    try:
        return _run(args)
    except (ParameterError, DatasetError, ReportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: stopped the notebooks and removed the unfinished build", file=sys.stderr)
        return 130


def _checkout_notebooks() -> Path | None:
    from russian_emigration.report import checkout_notebooks_dir

    return checkout_notebooks_dir()


def _missing_report_tools() -> list[str]:
    """The notebook tools the report needs that cannot be imported here."""
    from importlib.util import find_spec

    tools = ("papermill", "ipykernel", "sphinx", "myst_nb", "sphinx_book_theme")
    return [name for name in tools if find_spec(name) is None]


def _run(args: argparse.Namespace) -> int:
    """Run one verb; bad input raises the package's own errors, which main() prints."""
    if args.command == "report":
        from russian_emigration.execute import notebook_paths
        from russian_emigration.report import build_report, describe_parameters, notebooks_dir

        if args.list_parameters:
            from russian_emigration import load_dataset

            dataset = load_dataset(args.data_dir)  # the values of the data the build would read
            print(describe_parameters(notebook_paths(notebooks_dir()), dataset))
            return 0
        names = [name for name, _ in args.parameter]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            from russian_emigration.params import ParameterError

            raise ParameterError(f"parameter {', '.join(duplicates)} given more than once")
        build_report(args.output_dir, dict(args.parameter), data_dir=args.data_dir)
    elif args.command == "notebooks":
        _run_notebooks(args.names)
    elif args.command == "dictionary":
        from russian_emigration.descriptor import descriptor_path
        from russian_emigration.dictionary import render_file
        from russian_emigration.loader import data_dir

        sys.stdout.write(render_file(descriptor_path(args.data_dir or data_dir())))
    return 0


def _run_notebooks(names: Sequence[str]) -> None:
    """Re-execute the checkout's notebooks (all, or the named ones) in place, as the report runs them."""
    from russian_emigration.execute import notebook_paths, run_in_place
    from russian_emigration.params import ParameterError

    folder = _checkout_notebooks()
    assert folder is not None  # checked by main()
    paths = notebook_paths(folder)
    known = [p.name for p in paths]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ParameterError(f"no notebook named {', '.join(map(repr, unknown))}; known notebooks: {', '.join(known)}")
    chosen = [p for p in paths if not names or p.name in names]
    print(f"executing {', '.join(p.name for p in chosen)}", flush=True)
    run_in_place(chosen)


if __name__ == "__main__":
    sys.exit(main())
