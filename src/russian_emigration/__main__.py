"""Command line: ``python -m russian_emigration {report,notebooks,dictionary}``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = argparse.ArgumentParser(prog="python -m russian_emigration", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    dictionary = commands.add_parser("dictionary", help="print the data dictionary generated from datapackage.json")
    dictionary.add_argument("--data-dir", type=Path, default=None, help="data package folder (default: the bundled one)")
    args = parser.parse_args(argv)
    if args.command == "dictionary":
        from russian_emigration.descriptor import descriptor_path
        from russian_emigration.dictionary import render_file
        from russian_emigration.loader import data_dir

        sys.stdout.write(render_file(descriptor_path(args.data_dir or data_dir())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
