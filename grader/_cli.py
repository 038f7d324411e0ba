"""The ``aiograde`` command (also ``python -m grader``)."""

from __future__ import annotations

import argparse
import sys

from . import __version__
from ._grading import SubmissionError, grade
from ._manifest import ManifestError
from ._report import render_table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aiograde", description=__doc__)
    parser.add_argument("--version", action="version", version=f"aiograde {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", help="grade a submission with the hidden suites")
    g.add_argument("path", help="a folder of <exercise>.py modules, or a checkout with exercises/")
    g.add_argument("--format", choices=["table", "json"], default="table",
                   help="table (default, for people) or json (for tools)")
    g.add_argument("--only", action="append", metavar="SLUG",
                   help="grade only this exercise (repeatable)")
    # The baseline for bench/: the suites with student code in the grader's own process.
    g.add_argument("--unsafe-in-process", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        report = grade(args.path, only=args.only,
                       isolation="none" if args.unsafe_in_process else "sandbox")
    except (SubmissionError, ManifestError) as exc:
        print(f"aiograde: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(report.to_json())
    else:
        render_table(report)
    return 0
