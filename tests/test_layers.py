"""The dev check, layer by layer: suites ask only for scenarios that exist, with arguments
that fit; every scenario is used; no file the manifest does not name; the README's table
is the manifest's (rustlings' ``dev check``, with its ``check_unexpected_files``).

Reads the suites as text (their AST): a suite that asks a scenario for an argument it
does not take, or for a scenario another exercise owns, fails here, in CI, never in a
student's grade. (mypy, in ``test_lint.py``, checks the other half: every field a suite
reads from a scenario's typed result exists.)
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import grader.scenarios  # noqa: F401  (registers every scenario)
from grader._child.kit import REGISTRY, scenario_name
from grader._manifest import load

ROOT = Path(__file__).resolve().parent.parent
SLUGS = [e.slug for e in load()]
SUITES = ROOT / "grader" / "suites"


def scenario_calls(suite: Path) -> Iterator[tuple[int, str, ast.Call]]:
    """Every ``student.run(alias.fn, ...)`` in a suite, as (line, "module.fn", call)."""
    tree = ast.parse(suite.read_text(encoding="utf-8"))
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "grader.scenarios":
            aliases.update({a.asname or a.name: a.name for a in node.names})
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run" and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "student"):
            continue
        target = node.args[0] if node.args else None
        if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                and target.value.id in aliases):
            yield node.lineno, f"{aliases[target.value.id]}.{target.attr}", node
        else:
            yield node.lineno, ast.unparse(target) if target else "", node


def problems_in(suite: Path, slug: str) -> list[str]:
    problems = []
    for line, name, call in scenario_calls(suite):
        where = f"{suite.name}:{line}"
        if not name.startswith(f"{slug}."):
            problems.append(f"{where}: {name!r} is not a scenario of {slug} "
                            f"(use `from grader.scenarios import {slug} as sc`, `sc.<name>`)")
            continue
        if name not in REGISTRY:
            problems.append(f"{where}: no scenario {name} in grader/scenarios/{slug}.py")
            continue
        if len(call.args) > 1 or any(k.arg is None for k in call.keywords):
            continue  # arguments built at run time: student.run checks them when called
        keywords = {k.arg: None for k in call.keywords if k.arg != "call"}
        try:
            inspect.signature(REGISTRY[name].fn).bind(None, **keywords)
        except TypeError as exc:
            problems.append(f"{where}: {name}: {exc}")
    return problems


@pytest.mark.parametrize("slug", SLUGS)
def test_suites_ask_for_scenarios_that_exist_with_arguments_that_fit(slug: str) -> None:
    problems = problems_in(SUITES / f"test_{slug}.py", slug)
    assert not problems, "\n".join(problems)


def test_the_check_catches_what_it_is_for(tmp_path: Path) -> None:
    suite = tmp_path / "test_gathering.py"
    suite.write_text(
        "from grader.scenarios import gathering as sc, tasks\n"
        "def test_a(student):\n    student.run(sc.slow_square, x=1, delay=0, colour=2)\n"
        "def test_b(student):\n    student.run(sc.slow_cube, x=1)\n"
        "def test_c(student):\n    student.run(tasks.cancel_after, work={}, delay=1)\n"
        "def test_d(student):\n    student.run(sc.slow_square, x=1, call='label')\n")
    assert problems_in(suite, "gathering") == [
        "test_gathering.py:3: gathering.slow_square: got an unexpected keyword argument 'colour'",
        "test_gathering.py:5: no scenario gathering.slow_cube in grader/scenarios/gathering.py",
        "test_gathering.py:7: 'tasks.cancel_after' is not a scenario of gathering (use "
        "`from grader.scenarios import gathering as sc`, `sc.<name>`)",
        "test_gathering.py:9: gathering.slow_square: missing a required argument: 'delay'",
    ]


@pytest.mark.parametrize("slug", SLUGS)
def test_every_scenario_is_used_by_its_suite(slug: str) -> None:
    importlib.import_module(f"grader.scenarios.{slug}")
    used = {name for _, name, _ in scenario_calls(SUITES / f"test_{slug}.py")}
    defined = {name for name in REGISTRY if name.startswith(f"{slug}.")}
    assert defined - used == set(), f"scenarios no test of test_{slug}.py runs"


def test_scenario_names_are_their_registry_keys() -> None:
    assert all(scenario_name(s.fn) == name for name, s in REGISTRY.items())


# Besides one file per exercise: package markers, and shared helpers named with a leading
# underscore (e.g. checks/_target.py, grader/scenarios/_common.py).
PER_EXERCISE = {"exercises": "{}.py", "solutions": "{}.py", "checks": "test_{}.py",
                "grader/scenarios": "{}.py", "grader/suites": "test_{}.py"}


@pytest.mark.parametrize("folder", sorted(PER_EXERCISE))
def test_no_file_the_manifest_does_not_name(folder: str) -> None:
    expected = {PER_EXERCISE[folder].format(slug) for slug in SLUGS}
    unexpected = [p.name for p in (ROOT / folder).iterdir()
                  if p.name not in expected and p.name not in ("__init__.py", "conftest.py",
                                                               "__pycache__")
                  and not (p.name.startswith("_") and p.suffix == ".py")]
    assert not unexpected, (f"{folder}/ holds {sorted(unexpected)}, which grader/curriculum.toml "
                            "does not name: add the exercise to the manifest, or remove the file")


def test_the_readme_table_is_the_manifest() -> None:
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \| (\d+) \|", (ROOT / "README.md").read_text(),
                      re.MULTILINE)
    assert [(int(n), slug, int(points)) for n, slug, points in rows] == [
        (i, e.slug, e.points) for i, e in enumerate(load(), 1)], \
        "README.md's exercise table must list the manifest's exercises, in order, with its points"
