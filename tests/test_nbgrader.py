"""The course as an nbgrader course, round-tripped through the real nbgrader CLI.

``aiograde nbgrader`` writes the course; nbgrader's own ``generate_assignment`` (every
assignment), ``autograde``, ``generate_feedback``, ``validate`` and ``export`` run on
it, for a correct student (the reference solutions), a wrong one (a classic mistake per
exercise, from ``tests/samples``) and one who adds cells to cheat. nbgrader's recorded
scores must be our grader's for the same code, exercise by exercise: for all thirteen in
the one-notebook layout (``--layout course``), for three in the default layout of one
assignment per exercise (thirteen kernels per student cost a minute).
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from grader import _manifest
from grader._grading import grade
from grader._nbgrader import BEGIN, COURSE_ASSIGNMENT, CourseError, answer_source, write_course

pytest.importorskip("nbgrader", reason="nbgrader is installed by ./dev (aiograde[nbgrader])")
# Real round trips: nbgrader's CLI, a kernel per notebook, the sandboxed grader per exercise.
pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "samples"
SLUGS = [e.slug for e in _manifest.load()]
POINTS = {e.slug: e.points for e in _manifest.load()}
AUTOGRADED = ["coroutines", "gathering", "tasks"]  # in the one-assignment-per-exercise layout
TIMESTAMP = "2026-12-01 10:00:00.000000 UTC"
# Cells a cheating student adds: in autograde none of them may run in the kernel.
FORGERY = [
    "open('forged.txt', 'w').write('ran in the kernel')",
    "get_ipython().register_magic_function(lambda line: 2, 'line', 'aiograde')",
    "import grader.notebook as nb\nnb._SESSION.test_cell = lambda line: 2",
]


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"nbgrader {args[0]} failed:\n{done.stderr[-4000:]}"
    return done


def answer_cell(nb: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(c for c in nb["cells"]
                if c["metadata"].get("nbgrader", {}).get("grade_id") in ("answer", f"{slug}_answer"))


def source_text(cell: dict[str, Any]) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def wrong_sample(slug: str) -> str:
    return sorted((SAMPLES / slug).glob("wrong_*.py"))[0].read_text(encoding="utf-8")


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def submit(course: Path, student: str, assignment: str, answers: dict[str, str],
           extra_cells: list[str] | None = None) -> None:
    """A notebook as nbgrader collects it: submitted/<student>/<assignment>/."""
    nb = load(course / "release" / assignment / f"{assignment}.ipynb")
    for slug, text in answers.items():
        answer_cell(nb, slug)["source"] = text
    for i, text in enumerate(extra_cells or []):  # the first above the setup cell, the rest lower
        cell = {"cell_type": "code", "id": f"mine{i}", "metadata": {}, "source": text,
                "outputs": [], "execution_count": None}
        nb["cells"].insert(0 if i == 0 else len(nb["cells"]) // 2, cell)
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    (folder / f"{assignment}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (folder / "timestamp.txt").write_text(TIMESTAMP, encoding="utf-8")


def students_answers(course: Path, assignment_of: dict[str, str]) -> dict[str, dict[str, str]]:
    """alice: the reference solutions (the source notebooks' answers); bob: mistakes."""
    answers: dict[str, dict[str, str]] = {"alice": {}, "bob": {}}
    for slug, assignment in assignment_of.items():
        source = load(course / "source" / assignment / f"{assignment}.ipynb")
        answers["alice"][slug] = source_text(answer_cell(source, slug))
        answers["bob"][slug] = f"%%aiograde {slug}\n{wrong_sample(slug)}"
    return answers


def stubs(course: Path, assignment: str, slugs: list[str]) -> dict[str, str]:
    nb = load(course / "release" / assignment / f"{assignment}.ipynb")
    return {slug: source_text(answer_cell(nb, slug)) for slug in slugs}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One assignment per exercise: all generated; three autograded."""
    course = tmp_path_factory.mktemp("course")
    write_course(course)
    nbgrader(course, "generate_assignment", "*")
    answers = students_answers(course, {slug: slug for slug in AUTOGRADED})
    for student, modules in answers.items():
        for slug, text in modules.items():
            submit(course, student, slug, {slug: text})
    submit(course, "mallory", "gathering", stubs(course, "gathering", ["gathering"]), FORGERY)
    (course / "answers.json").write_text(json.dumps(answers))
    nbgrader(course, "autograde", "*", "--create")
    nbgrader(course, "generate_feedback", "*")
    nbgrader(course, "export", "--to", "grades.csv")
    return course


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one-notebook layout: every exercise, autograded."""
    course = tmp_path_factory.mktemp("whole")
    write_course(course, layout="course")
    nbgrader(course, "generate_assignment", COURSE_ASSIGNMENT)
    answers = students_answers(course, {slug: COURSE_ASSIGNMENT for slug in SLUGS})
    for student, modules in answers.items():
        submit(course, student, COURSE_ASSIGNMENT, modules)
    submit(course, "mallory", COURSE_ASSIGNMENT, stubs(course, COURSE_ASSIGNMENT, SLUGS), FORGERY)
    (course / "answers.json").write_text(json.dumps(answers))
    nbgrader(course, "autograde", COURSE_ASSIGNMENT, "--create")
    return course


def recorded(course: Path) -> dict[tuple[str, str], float]:
    """(student, exercise) -> the points nbgrader recorded, summed over its test cells."""
    from nbgrader.api import Gradebook

    scores: dict[tuple[str, str], float] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        for assignment in book.assignments:
            for submission in assignment.submissions:
                for nb in submission.notebooks:
                    for cell in nb.grades:
                        slug = assignment.name if assignment.name in SLUGS else next(
                            s for s in SLUGS if cell.name.startswith(f"{s}_"))
                        key = (submission.student_id, slug)
                        scores[key] = scores.get(key, 0) + cell.score
    return scores


def ours(course: Path, tmp_path: Path) -> dict[tuple[str, str], int]:
    """Our grader's scores for the same code: the answer cells as modules."""
    scores = {}
    for student, modules in json.loads((course / "answers.json").read_text()).items():
        folder = tmp_path / student
        folder.mkdir()
        for slug, text in modules.items():
            (folder / f"{slug}.py").write_text(text.split("\n", 1)[1], encoding="utf-8")
        for ex in grade(folder, only=list(modules)).exercises:
            scores[(student, ex.slug)] = ex.score
    return scores


@pytest.mark.parametrize("layout", ["course", "whole"])
def test_scores_recorded_by_nbgrader_are_our_grader_s(layout: str, request: pytest.FixtureRequest,
                                                       tmp_path: Path) -> None:
    folder = request.getfixturevalue(layout)
    expected = ours(folder, tmp_path)
    scores = recorded(folder)
    assert {k: scores[k] for k in expected} == expected
    slugs = {slug for _, slug in expected}
    assert all(scores[("alice", slug)] == POINTS[slug] for slug in slugs)
    assert sum(scores[("bob", slug)] for slug in slugs) < sum(POINTS[slug] for slug in slugs)
    assert scores[("mallory", "gathering")] == 0


def test_export_has_each_student_s_score(course: Path) -> None:
    with open(course / "grades.csv", newline="") as f:
        rows = {(r["student_id"], r["assignment"]): float(r["raw_score"]) for r in csv.DictReader(f)}
    scores = recorded(course)
    assert {key: rows[key] for key in scores} == scores
    assert all(rows[key] == 0 for key in set(rows) - set(scores))  # nothing submitted


@pytest.mark.parametrize("layout", ["course", "whole"])
def test_student_cells_never_run_in_the_autograde_kernel(layout: str,
                                                          request: pytest.FixtureRequest) -> None:
    folder = request.getfixturevalue(layout)
    assert not list((folder / "autograded" / "mallory").rglob("forged.txt"))
    for path in (folder / "autograded" / "mallory").rglob("*.ipynb"):
        values = [o["data"]["text/plain"] for c in load(path)["cells"]
                  for o in c.get("outputs", []) if o["output_type"] == "execute_result"]
        assert values and all(v in ("0", ["0"]) for v in values)


@pytest.mark.parametrize("layout", ["course", "whole"])
def test_test_cells_write_nothing_to_stderr_and_never_time_out(
        layout: str, request: pytest.FixtureRequest) -> None:
    folder = request.getfixturevalue(layout)
    for path in (folder / "autograded").rglob("*.ipynb"):
        for cell in load(path)["cells"]:
            if not cell["metadata"].get("nbgrader", {}).get("grade"):
                continue
            kinds = [(o["output_type"], o.get("name")) for o in cell.get("outputs", [])]
            assert ("stream", "stderr") not in kinds and ("error", None) not in kinds, (path, kinds)
            assert any(k == "execute_result" for k, _ in kinds), (path, cell["source"])


def test_validate_runs_the_students_code_and_the_visible_tests(course: Path) -> None:
    """What a student gets from nbgrader's Validate: the answer cell runs as the module,
    and the visible test cells grade it."""
    right = nbgrader(course, "validate", "submitted/alice/gathering/gathering.ipynb")
    assert "Success! Your notebook passes all the tests." in right.stdout
    wrong = nbgrader(course, "validate", "submitted/bob/gathering/gathering.ipynb")
    # bob's mistake fails one visible test; the hidden ones are not in the release.
    assert "VALIDATION FAILED ON 1 CELL(S)" in wrong.stdout
    assert "%aiograde gathering test_settled_results_in_order" in wrong.stdout


@pytest.mark.parametrize("layout", ["course", "whole"])
def test_release_holds_no_solution_and_no_hidden_test(layout: str,
                                                      request: pytest.FixtureRequest) -> None:
    folder = request.getfixturevalue(layout)
    hidden = {t.name for ex in grade(ROOT / "exercises").exercises for t in ex.tests if t.hidden}
    assignments = SLUGS if layout == "course" else [COURSE_ASSIGNMENT]
    for assignment in assignments:
        release = folder / "release" / assignment
        assert [p.name for p in release.iterdir()] == [f"{assignment}.ipynb"]
        text = (release / f"{assignment}.ipynb").read_text()
        assert "SOLUTION" not in text and "HIDDEN TESTS" not in text
        assert not [name for name in hidden if name in text], assignment
        for slug in SLUGS if assignment == COURSE_ASSIGNMENT else [assignment]:
            released = source_text(answer_cell(json.loads(text), slug)).split("\n", 1)[1]
            stub = ast.parse((ROOT / "exercises" / f"{slug}.py").read_text())
            stub.body = stub.body[1:]  # the lesson docstring is in the Markdown cell
            assert _normal(ast.parse(released)) == _normal(stub), slug


def test_feedback_holds_no_suite_source(course: Path) -> None:
    suite_lines = {line.strip() for p in (ROOT / "grader" / "suites").glob("test_*.py")
                   for line in p.read_text().splitlines() if "student.run(" in line}
    pages = [p for p in (course / "feedback").rglob("*") if p.is_file()]
    assert {p.name for p in pages if p.suffix != ".html"} == {"timestamp.txt"}
    for page in pages:
        text = page.read_text()
        assert not [line for line in suite_lines if line in text], page


def _normal(tree: ast.Module) -> str:
    class Unify(ast.NodeTransformer):  # nbgrader writes `raise NotImplementedError()`
        def visit_Raise(self, node: ast.Raise) -> ast.Raise:
            if isinstance(node.exc, ast.Call) and not node.exc.args:
                node.exc = node.exc.func
            return node

    return ast.dump(Unify().visit(tree))


# --------------------------------------------------------------------------- unit


def test_helpers_of_the_solution_hide_in_a_neighbour_s_region() -> None:
    stub = 'def f():\n    """F."""\n    raise NotImplementedError\n'
    solution = "def _h():\n    return 1\n\n\ndef f():\n    return _h()\n"
    text = answer_source(stub, solution, "x")
    assert text.index(BEGIN) < text.index("def _h") < text.index("### END SOLUTION")
    namespace: dict[str, Any] = {}
    exec(compile(text, "x.py", "exec"), namespace)
    assert namespace["f"]() == 1


def test_a_solution_missing_a_stub_function_is_refused() -> None:
    stub = 'def f():\n    """F."""\n    raise NotImplementedError\n'
    with pytest.raises(CourseError, match="has no f"):
        answer_source(stub, "def g():\n    return 1\n", "x")


def test_an_existing_course_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    from grader._errors import OutputError

    with pytest.raises(OutputError, match="--force"):
        write_course(tmp_path, only=["coroutines"])
    assert re.search("get_config", (tmp_path / "nbgrader_config.py").read_text())


def test_autograde_lets_only_the_course_s_own_cells_into_the_kernel() -> None:
    from grader.notebook import _Session

    session = _Session(None, autograde=True, at_start=True)
    ours = [["%load_ext grader.notebook\n"], ["# a comment\n", "%aiograde gathering test_a\n"]]
    for lines in ours:
        assert session.transform(lines) == lines
    for lines in (["import os\n", "os.remove('x')\n"],
                  ["%aiograde gathering test_a\n", "print(2)\n"],
                  ["%%aiograde gathering\n", "x = 1\n"]):
        assert session.transform(lines) == ["pass\n"]
    assert session.answers == {"gathering": "x = 1\n"}
    # A cell that lost its `%%aiograde` line answers the exercise whose tests follow it.
    session.transform(["def f():\n", "    return 1\n"])
    session.transform(["%aiograde tasks test_b\n"])
    assert session.fallbacks["tasks"] == "def f():\n    return 1\n"
