"""``aiograde nbgrader COURSE_DIR``: the course as an nbgrader course.

By default one assignment per exercise, named by its slug, holding one notebook
``<slug>.ipynb`` (``--layout course``: one assignment ``aiograde`` whose one notebook
holds every exercise in turn, after one setup cell):

1. the lesson (the stub's docstring) and how to work, in a read-only Markdown cell;
2. a read-only setup cell, ``%load_ext grader.notebook``;
3. the autograded answer cell: ``%%aiograde <slug>`` and the stub, each body that the
   stub leaves to the student filled in from ``solutions/`` between ``### BEGIN
   SOLUTION`` and ``### END SOLUTION`` (nbgrader's release puts the stub's ``raise
   NotImplementedError`` back); the reference solution's own helpers ride in the region
   of the function before them, so they leave with it;
4. one read-only autograder test cell per hidden-suite test, worth the test's points
   (they add up to the manifest's), holding only ``%aiograde <slug> <test>``; a hidden
   test's line sits between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, so
   the release holds no hidden test.

The notebooks carry no test code: the suites stay in the installed grader of the
grading environment, so nothing of them is in ``source/``, ``release/`` or the feedback
(nbgrader copies every other file of ``source/<assignment>/`` into both).
"""

from __future__ import annotations

import ast
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _manifest
from ._errors import OutputError, SubmissionError

# The course's checkout: exercises/ (stubs) and solutions/ beside the grader package.
CHECKOUT = Path(__file__).resolve().parent.parent
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SETUP = "%load_ext grader.notebook"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
CONFIG = '''\
# Written by `aiograde nbgrader`. The course's nbgrader settings.
c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "aiograde"
# Every kernel loads aiograde's extension when it starts, before any cell. During
# `nbgrader autograde` it keeps student code out of the kernel: the answer cell's text
# goes to the sandboxed grader, and no cell a student wrote or added runs next to the
# checks (see the instructor guide, "nbgrader").
c.Execute.extra_arguments = ["--ext=grader.notebook"]
'''


@dataclass(frozen=True)
class SuiteTest:
    name: str
    points: int
    hidden: bool


class CourseError(SubmissionError):
    """A stub and its solution that cannot be turned into a notebook."""


# --------------------------------------------------------------------------- answer cell


def _body_range(func: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[ast.stmt | None, list[ast.stmt]]:
    """The docstring statement (or None) and the rest of a function's body."""
    body = list(func.body)
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        return first, body[1:]
    return None, body


def _is_todo(stmt: ast.stmt) -> bool:
    """``raise NotImplementedError`` (or with ``()``): a body left to the student."""
    if not isinstance(stmt, ast.Raise) or stmt.exc is None:
        return False
    exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _defs(body: list[ast.stmt], prefix: str = "") -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[prefix + node.name] = node
        elif isinstance(node, ast.ClassDef):
            found.update(_defs(node.body, f"{prefix}{node.name}."))
    return found


def _key(node: ast.stmt) -> str:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    return ast.unparse(node)


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _text(lines: list[str], start: int, end: int) -> list[str]:
    """Lines ``start``..``end`` (1-based, inclusive)."""
    return lines[start - 1:end]


def _solution_body(func: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> list[str]:
    """The solution's body without its docstring, comments included, dedented."""
    doc, rest = _body_range(func)
    if not rest:
        return []
    start = doc.end_lineno + 1 if doc and doc.end_lineno else rest[0].lineno
    end = func.end_lineno or rest[-1].lineno
    text = "\n".join(_text(lines, start, end))
    return textwrap.dedent(text).strip("\n").splitlines()


def answer_source(stub_text: str, solution_text: str, slug: str) -> str:
    """The stub with each body it leaves to the student filled from the solution, between
    solution markers, and without the module's docstring (the lesson shows it)."""
    stub, solution = ast.parse(stub_text), ast.parse(solution_text)
    stub_lines, sol_lines = stub_text.splitlines(), solution_text.splitlines()
    stub_defs, sol_defs = _defs(stub.body), _defs(solution.body)
    regions: dict[str, list[str]] = {}  # qualname -> the region's lines, as written
    for name, func in stub_defs.items():
        _, rest = _body_range(func)
        if not rest or not _is_todo(rest[0]):
            continue
        if name not in sol_defs:
            raise CourseError(f"solutions/{slug}.py has no {name}, which exercises/{slug}.py "
                              "leaves to the student: the two must define the same names")
        body = _solution_body(sol_defs[name], sol_lines)
        if len(rest) > 1:  # e.g. an async generator's unreachable `yield` stays in the stub
            body.append("return")
        indent = " " * rest[0].col_offset
        regions[name] = [(indent + line) if line.strip() else "" for line in body]
    _attach_helpers(stub.body, solution.body, sol_lines, regions, slug, "")

    out = list(stub_lines)
    replaced: list[tuple[int, int, list[str]]] = []
    for name, region in regions.items():
        func = stub_defs[name]
        _, rest = _body_range(func)
        todo = rest[0]
        indent = " " * todo.col_offset
        block = [indent + BEGIN, *region, indent + END]
        replaced.append((todo.lineno, todo.end_lineno or todo.lineno, block))
    for start, end, block in sorted(replaced, reverse=True):
        out[start - 1:end] = block
    docstring = ast.get_docstring(stub, clean=False)
    if docstring is not None and stub.body:
        first = stub.body[0]
        out[first.lineno - 1:first.end_lineno] = []
    return "\n".join(out).strip("\n") + "\n"


def _attach_helpers(stub_body: list[ast.stmt], sol_body: list[ast.stmt], sol_lines: list[str],
                    regions: dict[str, list[str]], slug: str, prefix: str) -> None:
    """Put what only the solution defines (its helpers) into the region of a function the
    stub leaves to the student, in the same scope: the one before it, else the one after
    it. The release then leaves the helpers out with the solution."""
    known = {_key(node) for node in stub_body}
    anchor: str | None = None
    waiting: list[ast.stmt] = []  # helpers before any anchor

    def attach(node: ast.stmt, to: str) -> None:
        # As the solution writes it, at its own scope's indentation, after the anchor's
        # body (the region's end marker is a comment, so its indentation does not matter).
        text = _text(sol_lines, _first_line(node), node.end_lineno or node.lineno)
        blank = [""] if prefix else ["", ""]
        regions[to] = regions[to] + blank + [line.rstrip() for line in text]

    for node in sol_body:
        if isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant):
            continue  # a docstring
        key = _key(node)
        if key not in known:
            if anchor is None:
                waiting.append(node)
            else:
                attach(node, anchor)
            continue
        if isinstance(node, ast.ClassDef):
            inner = next(n for n in stub_body if isinstance(n, ast.ClassDef) and n.name == key)
            _attach_helpers(inner.body, node.body, sol_lines, regions, slug, f"{prefix}{key}.")
        if prefix + key in regions:
            anchor = prefix + key
            for helper in waiting:
                attach(helper, anchor)
            waiting = []
    if waiting:
        raise CourseError(f"solutions/{slug}.py: `{_key(waiting[0])[:60]}` is not in the stub, "
                          "and no function of its scope is left to the student to hide it in")


# --------------------------------------------------------------------------- notebook


def _cell(kind: str, source: str, cell_id: str, nbgrader: dict[str, Any] | None) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "id": cell_id, "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    if nbgrader is not None:
        meta = {"grade": False, "solution": False, "locked": False, "task": False,
                "schema_version": 3, "grade_id": cell_id, **nbgrader}
        cell["metadata"]["nbgrader"] = meta
        if meta["locked"]:
            cell["metadata"].update(deletable=False, editable=False)
    return cell


def _lesson(ex: _manifest.Exercise, number: int, lesson: str, tests: list[SuiteTest]) -> str:
    visible = sum(not t.hidden for t in tests)
    return "\n".join([
        f"# {number}. {ex.title}", "",
        lesson.strip(), "",
        "## How to work", "",
        f"The cell that starts with `%%aiograde {ex.slug}` is your module `{ex.slug}.py`: "
        "write your code in it, keeping that first line. Running it defines your functions "
        "in this notebook, so you can try them in a new cell with top-level `await` (the "
        "notebook's event loop is already running: `asyncio.run` does not work here).", "",
        f"Each cell below it runs one test of the grader, in its sandbox, and shows what went "
        f"wrong; its value is the points earned. {visible} of the {len(tests)} tests are here; "
        f"the hidden ones run when your notebook is graded. This exercise is worth "
        f"{ex.points} points.", "",
        f"Read: {ex.docs}",
    ])


def section(ex: _manifest.Exercise, number: int, stub_text: str, solution_text: str,
            tests: list[SuiteTest], prefix: str = "") -> list[dict[str, Any]]:
    """One exercise's cells: lesson, answer, one test cell per test. ``prefix`` keeps the
    cell names unique when several exercises share a notebook."""
    lesson = ast.get_docstring(ast.parse(stub_text)) or ex.title
    cells = [
        _cell("markdown", _lesson(ex, number, lesson, tests), f"{prefix}lesson", {"locked": True}),
        _cell("code", f"%%aiograde {ex.slug}\n" + answer_source(stub_text, solution_text, ex.slug),
              f"{prefix}answer", {"solution": True}),
        _cell("markdown", f"## Tests of {ex.slug}", f"{prefix}tests", {"locked": True}),
    ]
    hidden = 0
    for test in tests:
        line = f"%aiograde {ex.slug} {test.name}"
        cell_id = f"{prefix}{test.name}"
        if test.hidden:  # not even its name in the release
            hidden += 1
            cell_id = f"{prefix}hidden_test_{hidden}"
            line = (f"# A hidden test ({test.points} point{'s' * (test.points != 1)}): it runs "
                    f"when your notebook is graded.\n{BEGIN_HIDDEN}\n{line}\n{END_HIDDEN}")
        cells.append(_cell("code", line, cell_id,
                           {"grade": True, "locked": True, "points": test.points}))
    return cells


def notebook(sections: list[list[dict[str, Any]]], intro: str | None = None) -> dict[str, Any]:
    """A notebook: the read-only setup cell (after the intro, if any), then the sections."""
    cells = [_cell("markdown", intro, "intro", {"locked": True})] if intro else []
    cells.append(_cell("code", SETUP, "setup", {"locked": True}))
    if not intro:  # one exercise: its lesson comes first, above the setup cell
        cells.insert(0, sections[0].pop(0))
    for part in sections:
        cells += part
    for i, cell in enumerate(cells):  # nbformat: ids of at most 64 characters, unique
        cell["id"] = f"{i:03d}-{cell['id']}"[:64]
    return {"cells": cells, "metadata": {"kernelspec": KERNELSPEC,
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


# --------------------------------------------------------------------------- the course


def suite_tests(checkout: Path, exercises: list[_manifest.Exercise]) -> dict[str, list[SuiteTest]]:
    """Each exercise's tests, in the order they run: from grading the stubs (quick: they
    raise at once), so they are what the installed grader runs."""
    from ._grading import grade

    report = grade(checkout / "exercises", only=[e.slug for e in exercises])
    tests: dict[str, list[SuiteTest]] = {}
    for ex, result in zip(exercises, report.exercises, strict=True):
        found = [SuiteTest(t.name, t.max_score, t.hidden) for t in result.tests]
        if sum(t.points for t in found) != ex.points:
            raise CourseError(f"{ex.slug}: the suite's tests add up to "
                              f"{sum(t.points for t in found)} points, the manifest says "
                              f"{ex.points}: fix one of them first (./dev test says which)")
        tests[ex.slug] = found
    return tests


LAYOUTS = ("exercise", "course")
COURSE_ASSIGNMENT = "aiograde"  # the one assignment of the "course" layout


def write_course(course: Path, *, checkout: Path = CHECKOUT, only: list[str] | None = None,
                 layout: str = "exercise", force: bool = False) -> list[Path]:
    """Write the course into ``course``; returns the notebooks written.

    ``layout="exercise"``: one assignment per exercise (named by its slug) holding one
    notebook ``<slug>.ipynb``. ``layout="course"``: one assignment, ``aiograde``, whose one
    notebook ``aiograde.ipynb`` holds every exercise in turn (nbgrader then starts one
    kernel per student instead of thirteen).
    """
    if layout not in LAYOUTS:
        raise SubmissionError(f"unknown layout {layout!r}; use one of {', '.join(LAYOUTS)}")
    for needed in ("exercises", "solutions"):
        if not (checkout / needed).is_dir():
            raise SubmissionError(f"no {needed}/ in {checkout}: run `aiograde nbgrader` from a "
                                  "checkout of the course (it needs the stubs and the solutions)")
    exercises = _manifest.load()
    if only:
        unknown = sorted(set(only) - {e.slug for e in exercises})
        if unknown:
            raise SubmissionError(f"unknown exercise(s) {unknown}; known: "
                                  f"{', '.join(e.slug for e in exercises)}")
    numbers = {e.slug: i for i, e in enumerate(exercises, 1)}
    exercises = [e for e in exercises if not only or e.slug in only]
    config = course / "nbgrader_config.py"
    source = course / "source"
    names = [COURSE_ASSIGNMENT] if layout == "course" else [e.slug for e in exercises]
    if not force and (config.exists() or any((source / n).exists() for n in names)):
        raise OutputError(f"{course} already holds an nbgrader course (nbgrader_config.py or "
                          "source/<assignment>/): give an empty folder, or --force to rewrite "
                          "the notebooks and the config")
    tests = suite_tests(checkout, exercises)

    def cells_of(ex: _manifest.Exercise, prefix: str) -> list[dict[str, Any]]:
        return section(ex, numbers[ex.slug],
                       (checkout / "exercises" / f"{ex.slug}.py").read_text(encoding="utf-8"),
                       (checkout / "solutions" / f"{ex.slug}.py").read_text(encoding="utf-8"),
                       tests[ex.slug], prefix)

    if layout == "course":
        intro = (f"# Asynchronous Python: {len(exercises)} exercises\n\nEach exercise below "
                 "has its lesson, the cell you write your module in, and its test cells. "
                 "Run the next cell first.")
        books = {COURSE_ASSIGNMENT: notebook([cells_of(ex, f"{ex.slug}_") for ex in exercises],
                                             intro)}
    else:
        books = {ex.slug: notebook([cells_of(ex, "")]) for ex in exercises}
    written = []
    try:
        for name, nb in books.items():
            path = source / name / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(path)
        config.write_text(CONFIG, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write the course into {course}: {exc}") from None
    return written
