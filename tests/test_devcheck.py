"""The dev check (rustlings' ``dev check``, exercism's ``test_exercises.py``).

Every manifest entry is complete; stubs and solutions export the same names and
signatures; every stub fails; every solution passes with full marks; the public
checks pass on the solutions and fail on the stubs.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest
from conftest import ROOT, failures, grade_json

from grader._manifest import load

EXERCISES = load()
SLUGS = [e.slug for e in EXERCISES]


@pytest.mark.parametrize("slug", SLUGS)
def test_every_exercise_has_all_its_parts(slug: str) -> None:
    for part in (f"exercises/{slug}.py", f"solutions/{slug}.py", f"checks/test_{slug}.py",
                 f"grader/scenarios/{slug}.py", f"grader/suites/test_{slug}.py"):
        assert (ROOT / part).is_file(), f"{part} is missing"
    assert len(list((ROOT / "tests" / "samples" / slug).glob("wrong_*.py"))) >= 4
    assert list((ROOT / "tests" / "samples" / slug).glob("correct_*.py"))


@pytest.mark.parametrize("exercise", EXERCISES, ids=SLUGS)
def test_suite_hands_out_the_manifest_points(exercise: Any) -> None:
    suite = importlib.import_module(f"grader.suites.test_{exercise.slug}")
    points = 0
    for name, fn in vars(suite).items():
        if name.startswith("test_"):
            marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "aiograde"]
            assert len(marks) == 1, f"{name} needs exactly one @case(points=...)"
            points += marks[0].kwargs["points"]
    assert suite.SLUG == exercise.slug
    assert points == exercise.points, f"suite gives {points} points, manifest says {exercise.points}"


def public_api(module: ModuleType) -> dict[str, str]:
    """Every public name defined by the module, with what a caller relies on."""
    api = {}
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj):
            api[name] = f"class({', '.join(b.__name__ for b in obj.__bases__)})"
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr != "__init__":
                    continue
                if isinstance(member, property):
                    api[f"{name}.{attr}"] = "property" + ("+setter" if member.fset else "")
                elif callable(member):
                    api[f"{name}.{attr}"] = _describe(member)
        elif callable(obj):
            api[name] = _describe(obj)
    return api


def _describe(fn: Any) -> str:
    kind = ("async gen" if inspect.isasyncgenfunction(fn) else
            "async" if inspect.iscoroutinefunction(fn) else "def")
    return f"{kind} {inspect.signature(fn)}"


@pytest.mark.parametrize("slug", SLUGS)
def test_stub_and_solution_export_the_same_api(slug: str) -> None:
    stub = importlib.import_module(f"exercises.{slug}")
    solution = importlib.import_module(f"solutions.{slug}")
    assert public_api(stub) == public_api(solution)
    assert public_api(stub), "no public names found"


def _raises_not_implemented(node: ast.AST) -> bool:
    """The body is a docstring, then `raise NotImplementedError` (an async generator's stub
    may add an unreachable bare `yield`, which makes it an async generator)."""
    body = [n for n in node.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    if len(body) == 2 and isinstance(body[1], ast.Expr) and isinstance(body[1].value, ast.Yield) \
            and body[1].value.value is None:
        body = body[:1]
    return (len(body) == 1 and isinstance(body[0], ast.Raise)
            and "NotImplementedError" in ast.unparse(body[0]))


@pytest.mark.parametrize("slug", SLUGS)
def test_stubs_carry_the_contract_and_raise(slug: str) -> None:
    """Every function a student writes has a docstring and only raises NotImplementedError;
    the given ones are the solution's, word for word."""
    stub_tree = ast.parse((ROOT / "exercises" / f"{slug}.py").read_text())
    solution_tree = ast.parse((ROOT / "solutions" / f"{slug}.py").read_text())
    solved = {n.name: ast.unparse(n) for n in ast.walk(solution_tree)
              if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    assert ast.get_docstring(stub_tree), "the stub needs a module docstring: the lesson"
    todo = 0
    for node in ast.walk(stub_tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if _raises_not_implemented(node):
            todo += 1
            assert ast.get_docstring(node), f"{node.name}: the stub must carry its contract"
        else:  # given code: identical to the solution's
            assert ast.unparse(node) == solved.get(node.name), f"{node.name} differs from the solution"
    assert todo, "a stub with nothing to implement"


@pytest.fixture(scope="module")
def solutions_report() -> dict[str, Any]:
    return grade_json(ROOT / "solutions")


@pytest.fixture(scope="module")
def stubs_report() -> dict[str, Any]:
    return grade_json(ROOT)  # a checkout: the grader finds exercises/


@pytest.mark.parametrize("slug", SLUGS)
def test_reference_solution_gets_full_marks(slug: str, solutions_report: dict[str, Any]) -> None:
    exercise = next(e for e in solutions_report["exercises"] if e["slug"] == slug)
    assert exercise["status"] == "passed", failures(exercise)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_stub_fails_with_a_message_that_says_so(slug: str, stubs_report: dict[str, Any]) -> None:
    exercise = next(e for e in stubs_report["exercises"] if e["slug"] == slug)
    assert exercise["score"] == 0, failures(exercise)
    for test in exercise["tests"]:
        assert test["status"] == "failed"
        assert "not implemented" in test["message"], test["message"]


def _pytest_checks(target: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AIOGRADE_TARGET": target}
    return subprocess.run([sys.executable, "-m", "pytest", "checks", "-q"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_public_checks_pass_on_the_solutions() -> None:
    done = _pytest_checks("solutions")
    assert done.returncode == 0, done.stdout[-4000:]


def test_public_checks_fail_on_the_stubs() -> None:
    done = _pytest_checks("exercises")
    assert done.returncode == 1, done.stdout[-4000:]
    assert " passed" not in done.stdout.splitlines()[-1], done.stdout[-2000:]
