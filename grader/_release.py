"""``aiograde release OUT``: the student repository, built from the instructor's.

In: the stubs, the public checks (with the course's pytest plugin), the grader with the
*visible* tests of its suites only (what ``aiograde check`` runs), the student guide,
and everything under ``templates/student/`` copied verbatim (its ``README.md`` becomes
the repository's). Out: the solutions, the hidden tests, the project's own tests and
samples, and anything that could carry them (bytecode, packaging metadata, git history).
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from ._errors import OutputError

# What a student's repository holds, relative to the instructor's root.
SHIPPED = ["exercises", "checks", "grader", "dev", ".gitignore", "docs/students.md"]
TEMPLATE = Path("templates") / "student"
# Never copied, wherever they sit: bytecode, caches, packaging metadata.
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "*.egg-info", ".pytest_cache",
                                 ".ruff_cache", ".mypy_cache", "build", "dist", ".git")
SUITES = Path("grader") / "suites"
INSTRUCTOR_TESTPATHS = 'testpaths = ["tests"]'
STUDENT_TESTPATHS = 'testpaths = ["checks"]'


def build_release(root: Path, out: Path) -> Path:
    """Write the student repository for the course at ``root`` into ``out``."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"{out} already exists and is not an empty folder: give a new path "
                          "(release never overwrites).")
    if out.resolve() == root.resolve() or any(out.resolve().is_relative_to((root / p).resolve())
                                              for p in SHIPPED):
        raise OutputError(f"{out} is inside what a release copies: give a folder elsewhere.")
    missing = [p for p in [*SHIPPED, "pyproject.toml"] if not (root / p).exists()]
    if missing:
        raise OutputError(f"{root} is not a complete course: {', '.join(missing)} missing.")
    out.mkdir(parents=True, exist_ok=True)
    for part in SHIPPED:
        source, target = root / part, out / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=IGNORED, symlinks=False)
        else:
            shutil.copy2(source, target)
    _write_visible_suites(root / SUITES, out / SUITES)
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    if INSTRUCTOR_TESTPATHS not in pyproject:
        raise OutputError(f"pyproject.toml has no line {INSTRUCTOR_TESTPATHS!r} to point "
                          "`./dev test` at the public checks")
    (out / "pyproject.toml").write_text(pyproject.replace(INSTRUCTOR_TESTPATHS, STUDENT_TESTPATHS),
                                        encoding="utf-8")
    template = root / TEMPLATE
    if template.is_dir():  # verbatim: the student README, the GitHub workflows, ...
        shutil.copytree(template, out, ignore=IGNORED, dirs_exist_ok=True)
    if not (out / "README.md").is_file():
        raise OutputError(f"{TEMPLATE}/README.md is missing: the release needs a student README.")
    return out


def _write_visible_suites(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for suite in sorted(source.glob("test_*.py")):
        (target / suite.name).write_text(visible_suite(suite.read_text(encoding="utf-8")),
                                         encoding="utf-8")


# -- a suite with its hidden tests taken out -----------------------------------------------

def _is_hidden_test(node: ast.stmt) -> bool:
    """A test whose ``@case(...)`` does not say ``hidden=False`` (hidden is the default)."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or \
            not node.name.startswith("test_"):
        return False
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "case":
            for keyword in decorator.keywords:
                if keyword.arg == "hidden":
                    return not (isinstance(keyword.value, ast.Constant)
                                and keyword.value.value is False)
            return True
    return True  # no @case: not a test the release may show


def _defined(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _used(nodes: list[ast.stmt]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _span(node: ast.stmt, lines: list[str]) -> tuple[int, int]:
    """Lines (0-based, end exclusive) of a statement with its decorators and the comment
    lines right above it."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
    while first > 0 and lines[first - 1].lstrip().startswith("#"):
        first -= 1
    return first, node.end_lineno or node.lineno


def visible_suite(source: str) -> str:
    """The suite without its hidden tests, and without the helpers and imports only they
    used; what stays keeps its text, comments and layout."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    body = list(tree.body)
    drop = [n for n in body if _is_hidden_test(n)]
    kept = [n for n in body if n not in drop]
    while True:  # helpers (functions, constants) nothing kept refers to any more
        used = _used([n for n in kept if not isinstance(n, ast.Import | ast.ImportFrom)])
        unused = [n for n in kept if _defined(n) and not _defined(n) & (used | {"SLUG"})
                  and not any(name.startswith("test_") for name in _defined(n))]
        if not unused:
            break
        drop += unused
        kept = [n for n in kept if n not in unused]
    used = _used([n for n in kept if not isinstance(n, ast.Import | ast.ImportFrom)])
    replace: dict[int, str] = {}
    for node in kept:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            names = [a for a in node.names if (a.asname or a.name) in used]
            if not names:
                drop.append(node)
            elif len(names) != len(node.names):
                node.names = names
                replace[node.lineno - 1] = ast.unparse(node) + "\n"
                drop.append(node)
        elif isinstance(node, ast.Import):
            if not any((a.asname or a.name).split(".")[0] in used for a in node.names):
                drop.append(node)
    gone = [False] * len(lines)
    for node in drop:
        start, end = _span(node, lines)
        for i in range(start, end):
            gone[i] = True
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in replace:
            out.append(replace[i])
        elif not gone[i]:
            out.append(line)
    text = "".join(out)
    while "\n\n\n\n" in text:  # the blank lines around what was taken out
        text = text.replace("\n\n\n\n", "\n\n\n")
    note = ("# The visible tests of this suite, as `aiograde check` runs them (aiograde release).\n"
            "# The grader also runs hidden tests: more cases, blocking calls, timing, leftovers.\n")
    return note + text.rstrip("\n") + "\n"
