"""``aiograde release OUT``: the student repository holds no solution and no hidden test,
its grader runs the visible tests, and its ``./dev grade`` grades ``exercises/``."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, run_grader

from grader._release import visible_suite

SUITES = ROOT / "grader" / "suites"
TEMPLATE = ROOT / "templates" / "student"


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "course"
    done = run_grader("release", out)
    assert done.returncode == 0, done.stderr
    return out


def _norm(line: str) -> str:
    return " ".join(line.split())


def _trivial(line: str) -> bool:
    """Blank, comments, imports, and bits of syntax every Python file has."""
    return (len(line) < 6 or line.startswith(("#", "import ", "from ", '"""'))
            or re.fullmatch(r"[\W_]*|(return|pass|break|continue|else:|try:|finally:)", line)
            is not None)


def _visible(node: ast.stmt, source: str) -> bool:
    """Independently of the code under test: a test is visible iff its @case says so."""
    decorators = " ".join(ast.get_source_segment(source, d) or "" for d in
                          getattr(node, "decorator_list", []))
    return "hidden=False" in decorators.replace(" ", "")


def _suite_parts() -> tuple[set[str], set[str], set[str]]:
    """(lines of hidden tests, lines of everything else in the suites, visible test names)."""
    hidden, public, visible_names = set(), set(), set()
    for suite in SUITES.glob("test_*.py"):
        source = suite.read_text()
        lines = source.splitlines()
        for node in ast.parse(source).body:
            part = lines[node.lineno - 1 - len(getattr(node, "decorator_list", [])):node.end_lineno]
            is_test = isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
            if is_test and not _visible(node, source):
                hidden.update(_norm(line) for line in part)
            else:
                public.add(_norm("\n".join(part)))
                if is_test:
                    visible_names.add(node.name)
    return hidden, public, visible_names


def _public_text() -> str:
    """What a release shows by design, whitespace folded: the stubs, the public checks, the
    grader's own code (scenarios included: the visible tests need them), the student guide
    and README, and the suites' visible tests and helpers."""
    sources = [*(ROOT / "exercises").glob("*.py"), *(ROOT / "checks").glob("*.py"),
               *(p for p in (ROOT / "grader").rglob("*.py") if "suites" not in p.parts),
               ROOT / "docs" / "students.md", *(p for p in TEMPLATE.rglob("*") if p.is_file())]
    texts = [_norm(path.read_text(errors="replace")) for path in sources]
    return "\n".join([*texts, *_suite_parts()[1]])


def test_no_line_of_a_solution_or_a_hidden_test_is_in_the_release(release: Path) -> None:
    hidden, _, _ = _suite_parts()
    secret = {_norm(line) for p in (ROOT / "solutions").glob("*.py")
              for line in p.read_text().splitlines()} | hidden
    public = _public_text()  # a secret line quoted in public material is public
    secret = {line for line in secret if not _trivial(line) and line not in public}
    assert len(secret) > 500, "the search would prove nothing"
    # Bytes, every file: bytecode or an archive would carry the hidden tests' messages.
    shipped = b"\n".join(b" ".join(p.read_bytes().split()) for p in release.rglob("*")
                         if p.is_file())
    found = sorted(line for line in secret if line.encode() in shipped)
    assert not found, f"{len(found)} secret line(s) in the release, e.g. {found[:5]}"


def test_nothing_that_carries_them_is_shipped(release: Path) -> None:
    names = {p.name for p in release.rglob("*")}
    for forbidden in ("solutions", "tests", ".git", "__pycache__", ".ci", "bench"):
        assert forbidden not in names, forbidden
    assert not [p for p in release.rglob("*") if p.suffix in (".pyc", ".pyo")
                or p.name.endswith(".egg-info") or p.name == "PKG-INFO"]
    for part in ("exercises/gathering.py", "checks/test_gathering.py", "checks/conftest.py",
                 "docs/students.md", "grader/scenarios/gathering.py", "dev"):
        assert (release / part).is_file(), part
    assert 'testpaths = ["checks"]' in (release / "pyproject.toml").read_text()


def test_the_template_is_copied_verbatim(release: Path) -> None:
    files = [p for p in TEMPLATE.rglob("*") if p.is_file()]
    assert TEMPLATE / "README.md" in files
    for path in files:
        assert (release / path.relative_to(TEMPLATE)).read_bytes() == path.read_bytes()


def test_the_release_grader_runs_exactly_the_visible_tests(release: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(ROOT / "solutions"),
                           "--format", "json", "--no-gradebook"], cwd=release,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    names = {t["name"] for ex in report["exercises"] for t in ex["tests"]}
    assert names == _suite_parts()[2]
    assert report["score"] == report["max_score"], "a visible suite lost what it needs"


def test_dev_grade_in_the_release_grades_the_exercises(release: Path) -> None:
    venv = release / ".venv"
    if not venv.exists():  # the project's environment stands in for the release's own
        venv.symlink_to(Path(sys.prefix), target_is_directory=True)
    os.utime(release / "pyproject.toml", (0, 0))  # older than .installed: no reinstall
    done = subprocess.run([str(release / "dev"), "grade", "--format", "json", "--no-gradebook"],
                          cwd=release, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert Path(report["submission"]) == release / "exercises" and report["score"] == 0
    assert "REFERENCE" not in done.stderr
    collected = subprocess.run([str(release / "dev"), "test", "--co", "-q"], cwd=release,
                               capture_output=True, text=True, timeout=300)
    assert "checks/test_gathering.py::" in collected.stdout, collected.stdout[-2000:]


def test_release_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    done = run_grader("release", tmp_path)
    assert done.returncode == 2 and "not an empty folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_visible_suite_drops_hidden_tests_and_what_only_they_use() -> None:
    source = textwrap.dedent('''\
        """A suite."""
        import math
        from grader.testing import case, expect_equal, fail

        SLUG = "demo"
        SHARED = 3
        ONLY_HIDDEN = "the answer is 42"


        def _helper(obs):
            return obs.returned()


        def _secret_check(obs):
            fail(ONLY_HIDDEN + str(math.pi))


        @case(points=1, hidden=False)
        def test_shown(student):
            # kept, with its comment
            expect_equal(_helper(student.run("x")), SHARED, "x")


        # a comment about the hidden test
        @case(points=2)
        def test_secret(student):
            _secret_check(student.run("y"))


        @case(points=1, hidden=True)
        def test_also_secret(student):
            pass
        ''')
    out = visible_suite(source)
    assert "test_shown" in out and "# kept, with its comment" in out and "SHARED = 3" in out
    for gone in ("test_secret", "test_also_secret", "ONLY_HIDDEN", "_secret_check", "import math",
                 "a comment about the hidden test", "fail"):
        assert gone not in out, gone
    assert "from grader.testing import case, expect_equal" in out
    compile(out, "suite", "exec")


def test_grading_the_reference_solutions_says_so_loudly() -> None:
    done = subprocess.run([str(ROOT / "dev"), "grade", "--only", "coroutines", "--no-gradebook"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "grading the REFERENCE SOLUTIONS (solutions/)" in done.stderr
    mine = run_grader("grade", ROOT / "exercises", "--only", "coroutines", "--no-gradebook")
    assert "REFERENCE" not in mine.stderr
