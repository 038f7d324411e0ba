"""The ``aiograde`` command (also ``python -m grader``).

    aiograde grade PATH                  grade one submission (a folder of modules, or a checkout)
    aiograde grade FOLDER --class        grade every student sub-folder, in parallel, resumably
    aiograde gradebook csv|html          export the gradebook
    aiograde list | check | hint | watch the students' loop (see docs/students.md)
    aiograde release OUT                 build the student repository to hand out
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Any

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
    g.add_argument("--tamper", choices=TAMPER_POLICIES, default="flag",
                   help="flagged submissions: flag them for review (default) or zero the "
                   "flagged exercises")
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

    _student_parsers(commands)
    b = commands.add_parser("gradebook", help="export the gradebook")
    b.add_argument("what", choices=["csv", "html"], help="csv: one row per student; html: the "
                   "class report with charts")
    b.add_argument("--gradebook", default=DEFAULT_GRADEBOOK, metavar="DB")
    b.add_argument("-o", "--output", metavar="PATH", help="write here (default: standard output)")
    return parser


def _student_parsers(commands: Any) -> None:
    """The students' loop (``grader/_student.py``) and ``release`` (``grader/_release.py``)."""
    where = {"default": ".", "metavar": "PATH",
             "help": "your copy of the course (default: the current folder)"}
    ls = commands.add_parser("list", help="every exercise in order, its state, and the next one")
    ls.add_argument("--path", **where)
    c = commands.add_parser("check", help="run the visible tests of an exercise (default: the "
                            "first unfinished one), one failure at a time")
    c.add_argument("slug", nargs="?", help="the exercise to check (default: the first "
                   "unfinished one)")
    c.add_argument("--all", dest="every", action="store_true",
                   help="every exercise (or every test of SLUG), every failure shown")
    c.add_argument("--path", **where)
    c.add_argument("--format", default="table", metavar="FORMAT",
                   help="table (default), or a report format: json, markdown, ...")
    c.add_argument("--write", action="append", default=[], metavar="FORMAT=PATH",
                   help="also write FORMAT to PATH (repeatable)")
    h = commands.add_parser("hint", help="the next hint for what fails now")
    h.add_argument("slug", nargs="?", help="the exercise (default: the first unfinished one)")
    h.add_argument("--path", **where)
    w = commands.add_parser("watch", help="check the current exercise on every save, and move "
                            "on when it passes")
    w.add_argument("--path", **where)
    w.add_argument("--poll", action="store_true", help="poll for changes (for file systems "
                   "that do not report them, e.g. a Windows folder seen from WSL)")
    r = commands.add_parser("release", help="build the student repository: stubs, public checks, "
                            "lessons, the grader with its visible tests only")
    r.add_argument("output", help="the folder to create (must not exist, or be empty)")


def _students(args: argparse.Namespace) -> int:
    from rich.console import Console

    from . import _student

    console = Console()
    if args.command == "release":
        from ._release import build_release

        out = build_release(Path(__file__).resolve().parent.parent, Path(args.output))
        console.print(f"release written to {out}: hand it out as the students' repository "
                      "(`./dev list` there to start)", highlight=False)
        return 0
    checkout = _student.find_checkout(args.path)
    if args.command == "list":
        _student.list_exercises(checkout, console)
        return 0
    if args.command == "hint":
        _student.hint(checkout, args.slug, console)
        return 0
    if args.command == "watch":
        return _student.watch(checkout, console, poll=args.poll)
    formats = _formats()
    if args.format != "table" and args.format not in formats:
        raise SubmissionError(f"unknown format {args.format!r}; known: table, "
                              f"{', '.join(sorted(formats))}")
    writes = _parse_writes(args.write, formats)
    quiet = args.format != "table"
    report = _student.check(checkout, args.slug, Console(quiet=True) if quiet else console,
                            every_exercise=args.every and not args.slug,
                            every_failure=args.every)
    if report is None:
        if quiet:
            raise SubmissionError("every exercise already passes its visible tests; name one, "
                                  "or use --all, for a report")
        console.print("[green]Every exercise passes its visible tests.[/green] "
                      "`aiograde check --all` checks them all again.")
        return 0
    for name, path in writes:
        path.write_text(formats[name](report), encoding="utf-8")
    if quiet:
        sys.stdout.write(formats[args.format](report).rstrip("\n") + "\n")
    failing = any(t.status != "passed" for ex in report.exercises for t in ex.tests)
    return 1 if failing or any(ex.status == "missing" for ex in report.exercises) else 0


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


def _say_if_reference(path: Path) -> None:
    """Grading the reference solutions must never pass for grading one's own work."""
    solutions = Path(__file__).resolve().parent.parent / "solutions"
    if solutions.is_dir() and path.resolve() == solutions:
        print("aiograde: grading the REFERENCE SOLUTIONS (solutions/), not anyone's exercises: "
              "give the folder to grade, e.g. `aiograde grade exercises`.", file=sys.stderr)


def _grade(args: argparse.Namespace) -> int:
    formats = _formats()
    if args.format != "table" and args.format not in formats:
        raise SubmissionError(f"unknown format {args.format!r}; known: table, "
                              f"{', '.join(sorted(formats))}")
    writes = _parse_writes(args.write, formats)
    if args.whole_class:
        return _grade_class(args)
    _say_if_reference(Path(args.path))
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
        if args.command == "grade":
            return _grade(args)
        if args.command == "gradebook":
            return _gradebook(args)
        return _students(args)
    except AiogradeError as exc:
        print(f"aiograde: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
