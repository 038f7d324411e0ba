"""The course as an nbgrader course, round-tripped through the real nbgrader CLI.

``aiograde nbgrader`` writes the course; nbgrader's own ``generate_assignment``,
``autograde``, ``generate_feedback`` and ``export`` run on it, for a correct student
(the reference solutions), a wrong one (a classic mistake per exercise, from
``tests/samples``) and one who adds cells to cheat. nbgrader's recorded scores must be
our grader's for the same code, exercise by exercise.
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
from grader._nbgrader import BEGIN, CourseError, answer_source, write_course

pytest.importorskip("nbgrader", reason="nbgrader is installed by ./dev (aiograde[nbgrader])")
# One real round trip: every exercise, three students, nbgrader's CLI four times.
pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "samples"
SLUGS = [e.slug for e in _manifest.load()]
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


def answer_cell(nb: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "answer")


def source_text(cell: dict[str, Any]) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def wrong_sample(slug: str) -> str:
    return sorted((SAMPLES / slug).glob("wrong_*.py"))[0].read_text(encoding="utf-8")


def submit(course: Path, student: str, slug: str, answer: str, extra_cells: list[str] = ()) -> None:
    """A notebook as nbgrader collects it: submitted/<student>/<assignment>/."""
    nb = json.loads((course / "release" / slug / f"{slug}.ipynb").read_text(encoding="utf-8"))
    answer_cell(nb)["source"] = answer
    at = nb["cells"].index(answer_cell(nb))
    for i, text in enumerate(extra_cells):  # the first above the setup cell, the rest lower
        cell = {"cell_type": "code", "id": f"mine{i}", "metadata": {}, "source": text,
                "outputs": [], "execution_count": None}
        nb["cells"].insert(0 if i == 0 else at + 1, cell)
    folder = course / "submitted" / student / slug
    folder.mkdir(parents=True)
    (folder / f"{slug}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (folder / "timestamp.txt").write_text(TIMESTAMP, encoding="utf-8")


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = tmp_path_factory.mktemp("course")
    write_course(course)
    nbgrader(course, "generate_assignment", "*")
    answers: dict[str, dict[str, str]] = {"alice": {}, "bob": {}}
    for slug in SLUGS:
        source = json.loads((course / "source" / slug / f"{slug}.ipynb").read_text())
        answers["alice"][slug] = source_text(answer_cell(source))
        answers["bob"][slug] = f"%%aiograde {slug}\n{wrong_sample(slug)}"
        for student in answers:
            submit(course, student, slug, answers[student][slug])
    stub = source_text(answer_cell(json.loads(
        (course / "release" / "gathering" / "gathering.ipynb").read_text())))
    submit(course, "mallory", "gathering", stub, FORGERY)
    (course / "answers.json").write_text(json.dumps(answers))
    nbgrader(course, "autograde", "*", "--create")
    nbgrader(course, "generate_feedback", "*")
    nbgrader(course, "export", "--to", "grades.csv")
    return course


def recorded(course: Path) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        return {(s.student_id, s.assignment.name): s.score
                for a in book.assignments for s in a.submissions}


def test_scores_recorded_by_nbgrader_are_our_grader_s(course: Path, tmp_path: Path) -> None:
    answers = json.loads((course / "answers.json").read_text())
    scores = recorded(course)
    for student, modules in answers.items():
        folder = tmp_path / student
        folder.mkdir()
        for slug, text in modules.items():
            (folder / f"{slug}.py").write_text(text.split("\n", 1)[1], encoding="utf-8")
        ours = {ex.slug: ex.score for ex in grade(folder).exercises}
        theirs = {slug: scores[(student, slug)] for slug in SLUGS}
        assert theirs == ours, student
    assert all(scores[("alice", s)] == e.points for s, e in zip(SLUGS, _manifest.load(), strict=True))
    assert sum(scores[("bob", s)] for s in SLUGS) < sum(e.points for e in _manifest.load())


def test_export_has_each_student_s_score(course: Path) -> None:
    with open(course / "grades.csv", newline="") as f:
        rows = {(r["student_id"], r["assignment"]): float(r["raw_score"]) for r in csv.DictReader(f)}
    scores = recorded(course)
    assert {key: rows[key] for key in scores} == scores
    assert all(rows[key] == 0 for key in set(rows) - set(scores))  # nothing submitted


def test_student_cells_never_run_in_the_autograde_kernel(course: Path) -> None:
    assert recorded(course)[("mallory", "gathering")] == 0
    assert not list((course / "autograded" / "mallory").rglob("forged.txt"))
    nb = json.loads((course / "autograded" / "mallory" / "gathering" / "gathering.ipynb").read_text())
    values = [o["data"]["text/plain"] for c in nb["cells"] for o in c.get("outputs", [])
              if o["output_type"] == "execute_result"]
    assert values and all(v in ("0", ["0"]) for v in values)


def test_test_cells_write_nothing_to_stderr_and_never_time_out(course: Path) -> None:
    for path in (course / "autograded").rglob("*.ipynb"):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
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
    assert "VALIDATION FAILED" in wrong.stdout and "FAILED (0/" in wrong.stdout


def test_release_holds_no_solution_and_no_hidden_test(course: Path) -> None:
    hidden = {t.name for ex in grade(ROOT / "exercises").exercises for t in ex.tests if t.hidden}
    for slug in SLUGS:
        folder = course / "release" / slug
        assert [p.name for p in folder.iterdir()] == [f"{slug}.ipynb"]
        text = (folder / f"{slug}.ipynb").read_text()
        assert "SOLUTION" not in text and "HIDDEN TESTS" not in text
        assert not [name for name in hidden if name in text], slug
        released = source_text(answer_cell(json.loads(text))).split("\n", 1)[1]
        stub = ast.parse((ROOT / "exercises" / f"{slug}.py").read_text())
        stub.body = stub.body[1:]  # the lesson docstring is in the Markdown cell
        assert _normal(ast.parse(released)) == _normal(stub), slug


def test_feedback_holds_no_suite_source(course: Path) -> None:
    suite_lines = {line.strip() for p in (ROOT / "grader" / "suites").glob("test_*.py")
                   for line in p.read_text().splitlines() if "student.run(" in line}
    pages = list((course / "feedback").rglob("*"))
    assert {p.name for p in pages if p.is_file() and p.suffix != ".html"} == {"timestamp.txt"}
    for page in (p for p in pages if p.is_file()):
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
