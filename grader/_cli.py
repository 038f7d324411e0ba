"""The ``aiograde`` command (also ``python -m grader``).

    aiograde grade PATH                  grade one submission (a folder of modules, or a checkout)
    aiograde grade FOLDER --class        grade every student sub-folder, in parallel, resumably
    aiograde gradebook csv|html          export the gradebook
    aiograde list | check | hint | watch the students' loop (see docs/students.md)
    aiograde release OUT                 build the student repository to hand out
    aiograde comment|actions|classroom   grades on GitHub pull requests (docs/instructors.md)
    aiograde nbgrader COURSE_DIR         write the course as an nbgrader course
    aiograde gradescope OUT.zip          write a Gradescope autograder
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__
from ._errors import AiogradeError, GradebookError, OutputError, UsageError
from ._options import DEFAULT_PARALLEL, JOBS_PER_CORE, PARALLEL_PER_SUBMISSION, TAMPER_POLICIES
from ._report import Report, render_table

if TYPE_CHECKING:
    from ._classgrading import ClassSummary

DEFAULT_GRADEBOOK = "aiograde.sqlite3"  # relative: in the folder the command is run from
# What --format prints in class mode (the other formats are per student: --write FORMAT=DIR).
CLASS_FORMATS = ("table", "json")
# The file a class-mode --write FORMAT=DIR writes for each student: DIR/<student><suffix>.
SUFFIXES = {"json": ".json", "markdown": ".md", "junit": ".xml", "gradescope": ".json",
            "exercism": ".json"}


def _formats() -> dict[str, Callable[[Report], str]]:
    from ._formats import FORMATS

    return FORMATS


def _positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (argparse reports what is wrong)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _name(text: str) -> str:
    """argparse type: a non-empty name."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aiograde", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"aiograde {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    g = commands.add_parser("grade", help="grade a submission (or a class with --class)")
    g.add_argument("path", type=_name, help="a folder of <exercise>.py modules, or a checkout "
                   "with exercises/; with --class, a folder with one sub-folder per student")
    g.add_argument("--format", default="table", metavar="FORMAT",
                   help="what to print: table (default), json, markdown, junit, gradescope, "
                   "exercism; with --class: table (the summary) or json (every report and the "
                   "summary)")
    g.add_argument("--write", action="append", default=[], metavar="FORMAT=PATH",
                   help="also write FORMAT to PATH, from the same grading (repeatable); with "
                   "--class, PATH is a folder that gets one file per student")
    g.add_argument("--only", action="append", metavar="SLUG",
                   help="grade only this exercise (repeatable)")
    g.add_argument("--tamper", choices=TAMPER_POLICIES, default="tampering",
                   help="findings: 'tampering' (default) zeroes exercises with a tampering "
                   "finding and flags the rest for review; 'flag' only flags; 'zero' zeroes "
                   "every flagged exercise")
    g.add_argument("--gradebook", type=_name, default=DEFAULT_GRADEBOOK, metavar="DB",
                   help=f"the SQLite gradebook every grading lands in (default: {DEFAULT_GRADEBOOK})")
    g.add_argument("--no-gradebook", action="store_true", help="do not record this grading")
    g.add_argument("--student", type=_name, help="the name to record this grading under "
                   "(default: the folder's name); with --class, grade just this student's "
                   "sub-folder")
    g.add_argument("--class", dest="whole_class", action="store_true",
                   help="PATH holds one sub-folder per student: grade them all")
    g.add_argument("--jobs", type=_positive_int, default=None,
                   help=f"with --class: submissions graded at once (default: {JOBS_PER_CORE} "
                   "per core)")
    g.add_argument("--force", action="store_true",
                   help="with --class: regrade submissions the gradebook already has")
    g.add_argument("--parallel", type=_positive_int, default=None, metavar="N",
                   help="grader processes sharing one submission's tests, forked once the "
                   f"suites are collected (default {DEFAULT_PARALLEL}; with --class, "
                   f"{PARALLEL_PER_SUBMISSION})")
    # Set by --class for each student's grading: the class folder, hidden from the child.
    g.add_argument("--hide", action="append", default=[], help=argparse.SUPPRESS)

    _student_parsers(commands)
    b = commands.add_parser("gradebook", help="export the gradebook")
    b.add_argument("what", choices=["csv", "html"], help="csv: one row per student; html: the "
                   "class report with charts")
    b.add_argument("--gradebook", type=_name, default=DEFAULT_GRADEBOOK, metavar="DB")
    b.add_argument("-o", "--output", metavar="PATH", help="write here (default: standard output)")

    n = commands.add_parser("nbgrader", help="write the course as an nbgrader course")
    n.add_argument("course", metavar="COURSE_DIR", help="the nbgrader course folder to write")
    n.add_argument("--only", action="append", metavar="SLUG", help="only this exercise (repeatable)")
    n.add_argument("--layout", choices=["exercise", "course"], default="exercise",
                   help="one assignment per exercise (default), or one for the whole course")
    n.add_argument("--force", action="store_true", help="rewrite the notebooks and the config")

    z = commands.add_parser("gradescope", help="write a Gradescope autograder zip")
    z.add_argument("output", metavar="OUT.zip", help="the autograder zip to write")

    from ._github_cli import add_commands

    add_commands(commands)
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
        raise UsageError(f"unknown format {args.format!r}; known: table, "
                         f"{', '.join(sorted(formats))}")
    writes = _parse_writes(args.write, formats, False)
    quiet = args.format != "table"
    report = _student.check(checkout, args.slug, Console(quiet=True) if quiet else console,
                            every_exercise=args.every and not args.slug,
                            every_failure=args.every)
    if report is None:
        if quiet:
            raise UsageError("every exercise already passes its visible tests; name one, "
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


def _parse_writes(writes: list[str], formats: dict[str, Callable[[Report], str]],
                  whole_class: bool) -> list[tuple[str, Path]]:
    """The --write targets, checked before anything is graded (a grading is never lost to a
    typo in a path). With --class each target is a folder, created if missing."""
    parsed: list[tuple[str, Path]] = []
    for item in writes:
        name, sep, path = item.partition("=")
        if not sep or not path:
            raise UsageError(f"--write takes FORMAT=PATH, got {item!r}")
        if name not in formats:
            raise UsageError(f"unknown format {name!r} in --write; known: "
                             f"{', '.join(sorted(formats))}")
        target = Path(path)
        if whole_class:
            _check_folder(target)
            clash = [other for other, folder in parsed
                     if folder == target and SUFFIXES[other] == SUFFIXES[name]]
            if clash:
                raise UsageError(f"--write {clash[0]} and --write {name} would both write "
                                 f"{target}/<student>{SUFFIXES[name]}: give them different "
                                 "folders")
        else:
            _check_file(target)
            if any(other == target for _, other in parsed):
                raise UsageError(f"two --write options write {target}: give each its own file")
        parsed.append((name, target))
    return parsed


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder; give a file name "
                          "(--write FORMAT=FILE)")
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"cannot write {path}: permission denied")


def _check_folder(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise OutputError(f"cannot write into {path}: it is a file; with --class, --write "
                          "takes a folder (FORMAT=DIR), one file per student")
    try:
        path.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK):
        raise OutputError(f"cannot write into {path}: permission denied")


def _write_all(files: list[tuple[Path, str]]) -> list[str]:
    """Write every file; what could not be written, with why (the others are still written)."""
    failed = []
    for path, text in files:
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            failed.append(f"{path}: {exc.strerror or exc}")
    return failed


def _check_flags(args: argparse.Namespace) -> None:
    """Refuse a flag the chosen mode cannot honour, rather than ignore it."""
    if args.whole_class:
        if args.format not in CLASS_FORMATS:
            raise UsageError(f"with --class, --format takes {' or '.join(CLASS_FORMATS)}; for "
                             f"{args.format} per student use --write {args.format}=FOLDER "
                             "(one file per student)")
        if args.hide:
            raise UsageError("--hide is set by --class itself, for each student")
    else:
        for flag, given in (("--jobs", args.jobs is not None), ("--force", args.force)):
            if given:
                raise UsageError(f"{flag} only applies with --class (grading a whole class); "
                                 "one submission is always graded")


@contextmanager
def _class_gradebook(args: argparse.Namespace) -> Iterator[Any]:
    """The gradebook a class is graded into; with --no-gradebook a temporary one, gone after
    the run (class grading works in a gradebook)."""
    from ._gradebook import Gradebook

    if not args.no_gradebook:
        with Gradebook(args.gradebook) as book:
            yield book
    else:
        with tempfile.TemporaryDirectory(prefix="aiograde-gradebook-") as scratch, \
                Gradebook(Path(scratch) / DEFAULT_GRADEBOOK) as book:
            yield book


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
        raise UsageError(f"unknown format {args.format!r}; known: table, "
                         f"{', '.join(sorted(formats))}")
    _check_flags(args)
    writes = _parse_writes(args.write, formats, args.whole_class)
    if args.whole_class:
        return _grade_class(args, writes)
    _say_if_reference(Path(args.path))
    if not args.no_gradebook:
        from ._gradebook import Gradebook, content_hash

        Gradebook.check(args.gradebook)  # before grading: a bad path costs no grading
    from ._sandbox import Zygote

    parallel = args.parallel or DEFAULT_PARALLEL
    # The fork server starts first: it boots on the other core while this process imports
    # pytest and collects the suites, so the first workers do not wait for it.
    zygote = Zygote(clients=parallel)
    try:
        from ._grading import grade

        report = grade(args.path, only=args.only, tamper=args.tamper,
                       hide=[Path(p).resolve() for p in args.hide], parallel=parallel,
                       zygote=zygote)
    finally:
        zygote.close()
    _warn_about_sandbox(report)
    if not args.no_gradebook:
        folder = Path(args.path)
        slugs = [ex.slug for ex in report.exercises]  # the hash covers what was graded
        with Gradebook(args.gradebook) as book:
            book.record(args.student or folder.resolve().name, report,
                        content_hash(folder, slugs), only=slugs if args.only else None)
    failed = _write_all([(path, formats[name](report)) for name, path in writes])
    if args.format == "table":
        render_table(report)
    else:
        sys.stdout.write(formats[args.format](report).rstrip("\n") + "\n")
    if failed:
        raise OutputError("graded, but could not write " + "; ".join(failed))
    return 0


def _grade_class(args: argparse.Namespace, writes: list[tuple[str, Path]]) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from ._classgrading import grade_class, plan_class

    plan_class(Path(args.path), args.only, args.student)  # bad input refused before anything
    console = Console(stderr=True)
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with _class_gradebook(args) as book, Progress(*columns, console=console) as progress:
        summary = grade_class(Path(args.path), book, jobs=args.jobs, force=args.force,
                              only=args.only, tamper=args.tamper, student=args.student,
                              parallel=args.parallel or PARALLEL_PER_SUBMISSION,
                              progress=progress)
    formats = _formats()
    failed = _write_all([(folder / f"{student}{SUFFIXES[name]}", formats[name](report))
                         for name, folder in writes
                         for student, report in sorted(summary.reports.items())])
    if args.format == "json":
        sys.stdout.write(json.dumps(_class_json(args, summary), indent=2, ensure_ascii=False)
                         + "\n")
    else:
        _print_summary(args, summary)
    if summary.interrupted:
        console.print("interrupted: " + ("nothing was recorded (--no-gradebook)"
                                         if args.no_gradebook else
                                         "what was graded is in the gradebook; run the same "
                                         "command again to grade the rest"))
    if failed:
        raise OutputError("graded, but could not write " + "; ".join(failed))
    return 130 if summary.interrupted else 0


def _mean_percent(summary: ClassSummary) -> float | None:
    scores = [s / m for s, m in summary.scores.values() if m]
    return 100 * sum(scores) / len(scores) if scores else None


def _print_summary(args: argparse.Namespace, summary: ClassSummary) -> None:
    """Class mode's --format table: the summary, one line per fact (plain text, for grep)."""
    where = "none (--no-gradebook)" if args.no_gradebook else args.gradebook
    print(f"graded {len(summary.graded)}, unchanged since the last run "
          f"{len(summary.unchanged)}, could not grade {len(summary.failed)}; gradebook: {where}")
    mean = _mean_percent(summary)
    if mean is not None:
        scope = f" (only {', '.join(args.only)})" if args.only else ""
        print(f"mean score {mean:.1f}% over {len(summary.scores)} students{scope}")
    for student in sorted(summary.flagged):
        print(f"  flagged for review: {_printable(student)}")
    for student, why in sorted(summary.failed.items()):
        print(f"  could not grade {_printable(student)}: {_printable(why)}")


def _printable(text: str) -> str:
    """Text from a submission (a folder's name) made safe for a terminal: control characters
    (an escape sequence in a name) are shown escaped, never sent."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _class_json(args: argparse.Namespace, summary: ClassSummary) -> dict[str, Any]:
    """Class mode's --format json: each student's report, and the summary."""
    return {
        "class": str(args.path),
        "grader_version": __version__,
        "only": args.only,
        "gradebook": None if args.no_gradebook else str(args.gradebook),
        "summary": {
            "graded": sorted(summary.graded),
            "unchanged": sorted(summary.unchanged),
            "could_not_grade": dict(sorted(summary.failed.items())),
            "flagged": sorted(summary.flagged),
            "mean_percent": _mean_percent(summary),
            "interrupted": summary.interrupted,
        },
        "students": {name: report.to_dict() for name, report in sorted(summary.reports.items())},
    }


def _gradebook(args: argparse.Namespace) -> int:
    from ._gradebook import Gradebook

    if not Path(args.gradebook).is_file():
        raise GradebookError(f"no gradebook at {args.gradebook}: grade something first, or "
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
        failed = _write_all([(Path(args.output), text)])
        if failed:
            raise OutputError("could not write " + failed[0])
    else:
        sys.stdout.write(text)
    return 0


def _nbgrader(args: argparse.Namespace) -> int:
    from ._nbgrader import write_course

    written = write_course(Path(args.course), only=args.only, layout=args.layout,
                           force=args.force)
    print(f"wrote {len(written)} assignment(s) into {args.course}/source; next, from that "
          f"folder: nbgrader generate_assignment {written[0].parent.name}")
    return 0


def _gradescope(args: argparse.Namespace) -> int:
    from ._gradescope import write_autograder

    write_autograder(Path(args.output))
    print(f"wrote {args.output}: upload it as the assignment's autograder (Gradescope: "
          "Configure Autograder, zip file upload)")
    return 0


_COMMANDS = {"grade": _grade, "gradebook": _gradebook, "nbgrader": _nbgrader,
             "gradescope": _gradescope}


def _stop_cleanly(signum: int, frame: object) -> None:
    # Terminated (a class run interrupted): unwind, so sandboxes and temporary folders close.
    raise SystemExit(128 + signum)


def run() -> NoReturn:
    """The ``aiograde`` command: :func:`main`, then an exit that skips the interpreter's
    teardown (freeing every object of pytest and the collected suites, about 0.05 s a
    command, which is a twentieth of grading one submission). Everything the command opens
    it closes before ``main`` returns; only the standard streams are left to flush."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # e.g. piped into head, which stopped reading
        code = code or 1
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_cleanly)
    args = _parser().parse_args(argv)
    try:
        from ._github_cli import COMMANDS, run

        if args.command in COMMANDS:
            return run(args)
        return _COMMANDS.get(args.command, _students)(args)
    except AiogradeError as exc:
        print(f"aiograde: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("aiograde: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
