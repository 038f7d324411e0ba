"""The ``aiograde`` command (also ``python -m grader``).

    aiograde grade PATH                  grade one submission (a folder of modules, or a checkout)
    aiograde grade FOLDER --class        grade every student sub-folder, in parallel, resumably
    aiograde gradebook csv|html          export the gradebook
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from . import __version__
from ._errors import AiogradeError, SubmissionError
from ._grading import TAMPER_POLICIES, grade
from ._report import Report, render_table

DEFAULT_GRADEBOOK = "aiograde.sqlite3"


def _formats() -> dict:
    from ._formats import FORMATS

    return FORMATS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aiograde", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"aiograde {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    g = commands.add_parser("grade", help="grade a submission (or a class with --class)")
    g.add_argument("path", help="a folder of <exercise>.py modules, or a checkout with exercises/;"
                   " with --class, a folder with one sub-folder per student")
    g.add_argument("--format", default="table", metavar="FORMAT",
                   help="what to print: table (default), json, markdown, junit, gradescope, "
                   "exercism")
    g.add_argument("--write", action="append", default=[], metavar="FORMAT=PATH",
                   help="also write FORMAT to PATH, from the same grading (repeatable)")
    g.add_argument("--only", action="append", metavar="SLUG",
                   help="grade only this exercise (repeatable)")
    g.add_argument("--tamper", choices=TAMPER_POLICIES, default="tampering",
                   help="findings: 'tampering' (default) zeroes exercises with a tampering "
                   "finding and flags the rest for review; 'flag' only flags; 'zero' zeroes "
                   "every flagged exercise")
    g.add_argument("--gradebook", default=DEFAULT_GRADEBOOK, metavar="DB",
                   help=f"the SQLite gradebook every grading lands in (default: {DEFAULT_GRADEBOOK})")
    g.add_argument("--no-gradebook", action="store_true", help="do not record this grading")
    g.add_argument("--student", help="the name to record this grading under (default: the "
                   "folder's name)")
    g.add_argument("--class", dest="whole_class", action="store_true",
                   help="PATH holds one sub-folder per student: grade them all")
    g.add_argument("--jobs", type=int, default=None,
                   help="with --class: submissions graded at once (default: four per core)")
    g.add_argument("--force", action="store_true",
                   help="with --class: regrade submissions the gradebook already has")
    g.add_argument("--parallel", type=int, default=3, metavar="N",
                   help="grader processes sharing one submission's exercises (default 3)")
    # Set by --class for each student's grading: the class folder, hidden from the child.
    g.add_argument("--hide", action="append", default=[], help=argparse.SUPPRESS)
    # The baseline for bench/: the suites with student code in the grader's own process.
    g.add_argument("--unsafe-in-process", action="store_true", help=argparse.SUPPRESS)

    b = commands.add_parser("gradebook", help="export the gradebook")
    b.add_argument("what", choices=["csv", "html"], help="csv: one row per student; html: the "
                   "class report with charts")
    b.add_argument("--gradebook", default=DEFAULT_GRADEBOOK, metavar="DB")
    b.add_argument("-o", "--output", metavar="PATH", help="write here (default: standard output)")
    return parser


def _parse_writes(writes: list[str], formats: dict) -> list[tuple[str, Path]]:
    parsed = []
    for item in writes:
        name, sep, path = item.partition("=")
        if not sep or not path:
            raise SubmissionError(f"--write takes FORMAT=PATH, got {item!r}")
        if name not in formats:
            raise SubmissionError(f"unknown format {name!r} in --write; known: "
                                  f"{', '.join(sorted(formats))}")
        parsed.append((name, Path(path)))
    return parsed


def _warn_about_sandbox(report: Report) -> None:
    missing = report.sandbox.get("missing") if report.sandbox else None
    if missing:
        print("aiograde: warning: the sandbox is weaker on this machine: "
              + "; ".join(missing), file=sys.stderr)


def _grade(args: argparse.Namespace) -> int:
    formats = _formats()
    if args.format != "table" and args.format not in formats:
        raise SubmissionError(f"unknown format {args.format!r}; known: table, "
                              f"{', '.join(sorted(formats))}")
    writes = _parse_writes(args.write, formats)
    if args.whole_class:
        return _grade_class(args)
    report = grade(args.path, only=args.only, tamper=args.tamper,
                   isolation="none" if args.unsafe_in_process else "sandbox",
                   hide=[Path(p).resolve() for p in args.hide], parallel=args.parallel)
    _warn_about_sandbox(report)
    if not args.no_gradebook:
        from ._gradebook import Gradebook, content_hash
        from ._manifest import load

        folder = Path(args.path)
        with Gradebook(args.gradebook) as book:
            book.record(args.student or folder.resolve().name, report,
                        content_hash(folder, [e.slug for e in load()]))
    for name, path in writes:
        path.write_text(formats[name](report), encoding="utf-8")
    if args.format == "table":
        render_table(report)
    else:
        sys.stdout.write(formats[args.format](report).rstrip("\n") + "\n")
    return 0


def _grade_class(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from ._classgrading import grade_class
    from ._gradebook import Gradebook

    console = Console(stderr=True)
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Gradebook(args.gradebook) as book, Progress(*columns, console=console) as progress:
        summary = grade_class(Path(args.path), book, jobs=args.jobs, force=args.force,
                              only=args.only, tamper=args.tamper, progress=progress)
    console.print(f"graded {len(summary.graded)}, unchanged since the last run "
                  f"{len(summary.unchanged)}, could not grade {len(summary.failed)}; "
                  f"gradebook: {args.gradebook}")
    if summary.scores:
        scores = [s / m for s, m in summary.scores.values() if m]
        console.print(f"mean score {100 * sum(scores) / len(scores):.1f}% over "
                      f"{len(scores)} students")
    for student in sorted(summary.flagged):
        console.print(f"  flagged for review: {student}", markup=False)
    for student, why in sorted(summary.failed.items()):
        console.print(f"  could not grade {student}: {why}", markup=False)
    if summary.interrupted:
        console.print("interrupted: what was graded is in the gradebook; run the same "
                      "command again to grade the rest")
        return 130
    return 0


def _gradebook(args: argparse.Namespace) -> int:
    from ._gradebook import Gradebook

    if not Path(args.gradebook).is_file():
        raise SubmissionError(f"no gradebook at {args.gradebook}: grade something first, or "
                              "name it with --gradebook")
    with Gradebook(args.gradebook) as book:
        if args.what == "csv":
            import io

            buffer = io.StringIO()
            book.export_csv(buffer)
            text = buffer.getvalue()
        else:
            from ._classreport import render_class_report

            text = render_class_report(book)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _stop_cleanly(signum: int, frame: object) -> None:
    # Terminated (a class run interrupted): unwind, so sandboxes and temporary folders close.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_cleanly)
    args = _parser().parse_args(argv)
    try:
        return _grade(args) if args.command == "grade" else _gradebook(args)
    except AiogradeError as exc:
        print(f"aiograde: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
