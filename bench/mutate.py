"""Mutation testing of the hidden suites: mutate the reference solutions, grade each mutant.

    ./dev mutate [SLUG ...] [--only SLUG] [--jobs 2] [--operator NAME] [--id ID] [--list]
                 [--json PATH]

Every mutant is one small change to one ``solutions/<slug>.py`` (an ``await`` dropped,
a ``finally`` deleted, a comparison flipped, ...), graded with the hidden suites of its
exercise exactly as a student's submission is (sandbox included). A mutant is *killed*
when at least one test fails; one that keeps full marks *survived*. A survivor either
still meets the contract (it is listed, with the reason, in ``equivalent_mutants.toml``)
or shows a gap in the suites. Exit status 1 while any non-equivalent mutant survives.

Why our own operators rather than mutmut or cosmic-ray: mutmut 3 instruments the code
under test with trampolines and runs the tests in-process through its own pytest
session; our code under test runs in a sandboxed child and is graded by the parent, so
neither its trampolines nor its coverage-based test selection can see it. cosmic-ray
runs an arbitrary test command per mutant (that part fits), but its operators are
generic (numbers, comparisons, boolean operators, ...) and it has no notion of
``await``, cancellation or cleanup; asyncio operators would be plugins registered
through package entry points, more code than these operators themselves. Python's
``ast`` gives each operator in a few lines, and mutants are compiled before grading.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import itertools
import json
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EQUIVALENT = Path(__file__).with_name("equivalent_mutants.toml")
# A mutant whose grading takes longer than this has hung the grader itself: a grader bug.
GRADE_TIMEOUT = 300.0
DEFAULT_JOBS = 2
GRADER_FAILED = "GRADER FAILED"
# Code the stubs hand to the student ready-made: not the student's to get wrong, so
# not mutated (the suites rely on it rather than test it).
GIVEN = {"coroutines/regular_double", "executors/blocking_checksum",
         "synchronization/Account.__init__", "synchronization/Account._sync"}

Mutation = Callable[[], None]
Site = tuple[ast.AST, str, Mutation]  # the node, what is changed, how to change it
Operator = Callable[[ast.Module, dict[ast.AST, ast.AST]], Iterator[Site]]

CLEANUP_METHODS = {"cancel", "close", "shutdown", "aclose", "kill", "terminate", "wait_closed"}
TASK_STARTERS = {"create_task", "ensure_future"}
RETURN_WHEN = ("FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED")
SEQUENTIAL_GATHER = '''
async def _mutant_gather_in_order(*aws, return_exceptions=False):
    results = []
    for aw in aws:
        try:
            results.append(await aw)
        except Exception as exc:
            if not return_exceptions:
                raise
            results.append(exc)
    return results
'''


# --- helpers on the tree -----------------------------------------------------------------

def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _replace(parents: dict[ast.AST, ast.AST], old: ast.AST, new: ast.AST | list[ast.stmt]) -> None:
    """Put ``new`` where ``old`` is in its parent (a list of statements splices in)."""
    parent = parents[old]
    for name, value in ast.iter_fields(parent):
        if isinstance(value, list) and any(v is old for v in value):
            i = next(i for i, v in enumerate(value) if v is old)
            value[i:i + 1] = new if isinstance(new, list) else [new]
            return
        if value is old:
            setattr(parent, name, new)
            return
    raise LookupError("node not found in its parent")


def _call_name(node: ast.AST) -> str | None:
    """``f`` for ``f(...)`` and ``x.f(...)``."""
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
        if isinstance(node.func, ast.Name):
            return node.func.id
    return None


def _is_docstring(stmt: ast.stmt, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(stmt)
    body = getattr(parent, "body", None)
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str) and bool(body) and body[0] is stmt)  # type: ignore[index]


def _in_function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return True
    return False


def _pass() -> ast.Pass:
    return ast.Pass()


_quiet = False  # set while re-finding a site on a fresh tree: its description is known


def _src(node: ast.AST) -> str:
    if _quiet:
        return ""
    text = ast.unparse(node).splitlines()[0]
    return text if len(text) <= 70 else text[:67] + "..."


def _statement_lists(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[list[ast.stmt]]:
    for node in ast.walk(tree):
        if not _in_function(node, parents) and not isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


# --- asyncio operators -------------------------------------------------------------------

def await_dropped(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Await):
            yield node, f"`{_src(node)}` without await", \
                lambda n=node: _replace(parents, n, n.value)


def gather_sequential(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    def mutate(call: ast.Call) -> None:
        call.func = ast.Name("_mutant_gather_in_order", ast.Load())
        tree.body.extend(ast.parse(SEQUENTIAL_GATHER).body)
    for node in ast.walk(tree):
        if _call_name(node) == "gather":
            yield node, f"`{_src(node)}` awaiting one after another", \
                lambda n=node: mutate(n)  # type: ignore[arg-type]


def sleep_blocking(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Await) and _call_name(node.value) == "sleep":
            call = node.value
            assert isinstance(call, ast.Call)
            blocking = ast.Call(ast.parse("__import__('time').sleep", mode="eval").body,
                                call.args, call.keywords)
            yield node, f"`{_src(node)}` made time.sleep", \
                lambda n=node, b=blocking: _replace(parents, n, b)


def cleanup_deleted(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Expr):
            continue
        call = node.value.value if isinstance(node.value, ast.Await) else node.value
        name = _call_name(call)
        if name in CLEANUP_METHODS or (name == "to_thread" and isinstance(call, ast.Call)
                                       and call.args and ast.unparse(call.args[0]).endswith("shutdown")):
            yield node, f"`{_src(node)}` deleted", lambda n=node: _replace(parents, n, _pass())


def finally_deleted(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    def mutate(node: ast.Try) -> None:
        node.finalbody = []
        if not node.handlers:
            _replace(parents, node, node.body + node.orelse)
    for node in ast.walk(tree):
        if isinstance(node, ast.Try | ast.TryStar) and node.finalbody:
            yield node, f"`finally:` at line {node.finalbody[0].lineno} deleted", \
                lambda n=node: mutate(n)  # type: ignore[arg-type]


def _bare_raise(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Raise) and stmt.exc is None


def except_cleanup_deleted(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and any(not _bare_raise(s) for s in node.body):
            kept: list[ast.stmt] = [s for s in node.body if _bare_raise(s)] or [_pass()]
            yield node, f"`{_src(node)}` body reduced to `{ast.unparse(kept[0])}`", \
                lambda n=node, k=kept: setattr(n, "body", k)


def _catches_cancellation(handler: ast.ExceptHandler) -> bool:
    return handler.type is None or any(
        name in ast.unparse(handler.type) for name in ("CancelledError", "BaseException"))


def cancel_swallowed(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and _catches_cancellation(node):
            for stmt in node.body:
                if _bare_raise(stmt):
                    yield stmt, f"`raise` in `{_src(node)}` swallowed", \
                        lambda s=stmt: _replace(parents, s, _pass())


def create_task_awaited(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if _call_name(node) in TASK_STARTERS and isinstance(node, ast.Call) and len(node.args) == 1:
            yield node, f"`{_src(node)}` made `await {_src(node.args[0])}`", \
                lambda n=node: _replace(parents, n, ast.Await(n.args[0]))


def threadsafe_dropped(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "call_soon_threadsafe":
            yield node, "`call_soon_threadsafe` made `call_soon`", \
                lambda n=node: setattr(n, "attr", "call_soon")


def stdin_dropped(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "stdin":
                    yield node, f"`stdin=` dropped from `{_src(node)}`", \
                        lambda n=node, k=kw: n.keywords.remove(k)


def return_when_changed(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "return_when":
            for other in RETURN_WHEN:
                if other not in ast.unparse(node.value):
                    new = ast.parse(f"asyncio.{other}", mode="eval").body
                    yield node, f"`return_when` made {other}", \
                        lambda n=node, v=new: setattr(n, "value", v)


# --- generic operators -------------------------------------------------------------------

COMPARISONS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
ARITHMETIC: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div, ast.Pow: ast.Mult, ast.Mod: ast.FloorDiv}


def constant_changed(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant):
            continue
        value = node.value
        if isinstance(value, bool):
            changes: list[object] = [not value]
        elif isinstance(value, int):
            changes = [value + 1, value - 1]
        elif isinstance(value, float):
            changes = [value * 2 if value else 1.0]
        else:
            continue
        for new in changes:
            yield node, f"constant {value!r} made {new!r}", \
                lambda n=node, v=new: setattr(n, "value", v)


def comparison_changed(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                new = COMPARISONS[type(op)]
                yield node, f"`{_src(node)}`: {type(op).__name__} made {new.__name__}", \
                    lambda n=node, i=i, new=new: n.ops.__setitem__(i, new())


def boolean_changed(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if isinstance(node, ast.BoolOp):
            new = ast.Or if isinstance(node.op, ast.And) else ast.And
            yield node, f"`{_src(node)}`: made {new.__name__.lower()}", \
                lambda n=node, new=new: setattr(n, "op", new())
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, f"`{_src(node)}`: `not` dropped", \
                lambda n=node: _replace(parents, n, n.operand)
        elif isinstance(node, ast.IfExp):
            yield node, f"`{_src(node)}`: condition negated", \
                lambda n=node: setattr(n, "test", ast.UnaryOp(ast.Not(), n.test))


def arithmetic_changed(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in ARITHMETIC:
            new = ARITHMETIC[type(node.op)]
            yield node, f"`{_src(node)}`: {type(node.op).__name__} made {new.__name__}", \
                lambda n=node, new=new: setattr(n, "op", new())


def statement_deleted(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    for block in _statement_lists(tree, parents):
        for stmt in block:
            if isinstance(stmt, ast.Pass) or _is_docstring(stmt, parents):
                continue
            yield stmt, f"`{_src(stmt)}` deleted", lambda s=stmt: _replace(parents, s, _pass())


def statements_swapped(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Site]:
    def swap(block: list[ast.stmt], i: int) -> None:
        block[i], block[i + 1] = block[i + 1], block[i]
    for block in _statement_lists(tree, parents):
        for i in range(len(block) - 1):
            if not _is_docstring(block[i], parents):
                yield block[i], f"`{_src(block[i])}` swapped with `{_src(block[i + 1])}`", \
                    lambda b=block, i=i: swap(b, i)


# asyncio-specific first: when two operators give the same code, the first one names it.
OPERATORS: dict[str, Operator] = {
    "await-dropped": await_dropped,
    "gather-sequential": gather_sequential,
    "sleep-blocking": sleep_blocking,
    "cleanup-deleted": cleanup_deleted,
    "finally-deleted": finally_deleted,
    "except-cleanup-deleted": except_cleanup_deleted,
    "cancel-swallowed": cancel_swallowed,
    "create-task-awaited": create_task_awaited,
    "threadsafe-dropped": threadsafe_dropped,
    "stdin-dropped": stdin_dropped,
    "return-when-changed": return_when_changed,
    "constant-changed": constant_changed,
    "comparison-changed": comparison_changed,
    "boolean-changed": boolean_changed,
    "arithmetic-changed": arithmetic_changed,
    "statement-deleted": statement_deleted,
    "statements-swapped": statements_swapped,
}


# --- mutants -----------------------------------------------------------------------------

@dataclass
class Mutant:
    id: str  # slug/function/operator/n: stable while the function itself is unchanged
    slug: str
    operator: str
    line: int
    change: str
    source: str = field(repr=False)


def _function_of(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str:
    names = []
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
    return ".".join(reversed(names)) or "<module>"


def mutants(slug: str, source: str | None = None) -> list[Mutant]:
    """Every distinct, compilable mutant of ``solutions/<slug>.py``, in a stable order."""
    source = source if source is not None else (SOLUTIONS / f"{slug}.py").read_text()
    original = ast.unparse(ast.parse(source))
    seen = {original}
    found: list[Mutant] = []
    global _quiet
    for name, operator in OPERATORS.items():
        pristine = ast.parse(source)
        parents = _parents(pristine)
        counts: dict[str, int] = {}
        for index, (node, change, _) in enumerate(list(operator(pristine, parents))):
            tree = ast.parse(source)
            _quiet = True
            try:
                site = next(itertools.islice(operator(tree, _parents(tree)), index, None))
            finally:
                _quiet = False
            site[2]()
            ast.fix_missing_locations(tree)
            try:
                text = ast.unparse(tree)
                compile(text, f"{slug}.py", "exec")
            except (SyntaxError, ValueError, TypeError):
                continue  # e.g. an await made outside an async function
            function = _function_of(node, parents)
            if text in seen or f"{slug}/{function}" in GIVEN:
                continue
            seen.add(text)
            counts[function] = counts.get(function, 0) + 1
            found.append(Mutant(f"{slug}/{function}/{name}/{counts[function]}", slug, name,
                                getattr(node, "lineno", 0), change, text))
    return found


def load_equivalent(path: Path = EQUIVALENT) -> dict[str, str]:
    """The mutants that still meet the contract: id -> the reason."""
    entries = tomllib.loads(path.read_text()).get("equivalent", [])
    listed: dict[str, str] = {}
    for entry in entries:
        if not entry.get("reason", "").strip():
            raise SystemExit(f"{path.name}: {entry.get('id')} needs a reason")
        listed[entry["id"]] = entry["reason"]
    return listed


# --- grading -----------------------------------------------------------------------------

@dataclass
class Verdict:
    id: str
    killed: bool
    seconds: float
    by: str = ""  # the first test that failed, and its message
    equivalent: str = ""


def grade_one(folder: str, slug: str) -> dict[str, object]:
    """Grade one mutant (in a process of its own) and say which test failed first."""
    import pytest

    from grader._grading import grade

    # The first failing test is enough to call a mutant killed: `-x` spares the time
    # limits of the tests that would fail after it (a hanging mutant costs one, not all).
    real_main = pytest.main
    pytest.main = lambda args, plugins=None: real_main([*args, "-x"], plugins=plugins)  # type: ignore[assignment,misc]
    report = grade(folder, only=[slug], parallel=1)
    (exercise,) = report.exercises
    failed = [t for t in exercise.tests if t.status != "passed"]
    return {"killed": bool(failed) or exercise.score < exercise.max_score,
            "by": f"{failed[0].name}: {failed[0].message[:300]}" if failed else ""}


async def _grade(mutant: Mutant, slots: asyncio.Semaphore) -> Verdict:
    async with slots:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="aiograde-mutant-") as folder:
            (Path(folder) / f"{mutant.slug}.py").write_text(mutant.source)
            process = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--grade-one", folder, mutant.slug, cwd=ROOT,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE)
            out, err = b"", f"grading took more than {GRADE_TIMEOUT:g} s".encode()
            try:
                async with asyncio.timeout(GRADE_TIMEOUT):
                    out, err = await process.communicate()
            except TimeoutError:
                pass  # reported below: the process is killed, its exit code is not 0
            finally:
                if process.returncode is None:
                    # SIGTERM first: a terminated grading stops its sandbox and cleans up.
                    process.terminate()
                    try:
                        async with asyncio.timeout(10):
                            await process.wait()
                    except TimeoutError:
                        process.kill()
                        await process.wait()
        seconds = time.monotonic() - started
        if process.returncode != 0:
            return Verdict(mutant.id, True, seconds,
                           f"{GRADER_FAILED} (exit {process.returncode}): {err.decode()[-500:]}")
        result = json.loads(out)
        return Verdict(mutant.id, bool(result["killed"]), seconds, str(result["by"]))


async def _grade_all(found: list[Mutant], jobs: int,
                     report: Callable[[Mutant, Verdict], None]) -> list[Verdict]:
    slots = asyncio.Semaphore(jobs)

    async def one(mutant: Mutant) -> Verdict:
        verdict = await _grade(mutant, slots)
        report(mutant, verdict)
        return verdict

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(m)) for m in found]
    return [t.result() for t in tasks]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument("slugs", nargs="*", metavar="SLUG", help="exercises (default: all)")
    parser.add_argument("--only", action="append", default=[], metavar="SLUG",
                        help="the same as naming SLUG (as `aiograde grade --only`)")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help="mutants graded at once")
    parser.add_argument("--operator", action="append", choices=sorted(OPERATORS),
                        help="only these operators")
    parser.add_argument("--id", action="append", dest="ids", help="only these mutant ids")
    parser.add_argument("--list", action="store_true", help="list the mutants, grade none")
    parser.add_argument("--json", type=Path, help="write every verdict to this file")
    parser.add_argument("--grade-one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.grade_one:
        print(json.dumps(grade_one(*args.grade_one)))
        return 0

    sys.path.insert(0, str(ROOT))
    from grader._manifest import load

    known = [e.slug for e in load()]
    wanted = args.slugs + args.only
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        parser.error(f"unknown exercise(s) {unknown}; known: {', '.join(known)}")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    slugs = [s for s in known if s in wanted] or known
    equivalent = load_equivalent()
    found = [m for s in slugs for m in mutants(s)]
    all_ids = {m.id for m in found}
    stale = sorted(i for i in equivalent if i.split("/")[0] in slugs and i not in all_ids)
    if args.operator:
        found = [m for m in found if m.operator in args.operator]
    if args.ids:
        found = [m for m in found if m.id in args.ids]
    if args.list:
        for m in found:
            mark = "  (equivalent)" if m.id in equivalent else ""
            print(f"{m.id:60} line {m.line:3}: {m.change}{mark}")
        print(f"{len(found)} mutants")
        return 0

    print(f"grading {len(found)} mutants of {len(slugs)} exercise(s), {args.jobs} at a time",
          file=sys.stderr)
    done = 0

    def progress(mutant: Mutant, verdict: Verdict) -> None:
        nonlocal done
        done += 1
        state = "killed" if verdict.killed else (
            "equivalent" if mutant.id in equivalent else "SURVIVED")
        print(f"[{done}/{len(found)}] {state:10} {verdict.seconds:5.1f}s {mutant.id}",
              file=sys.stderr)

    started = time.monotonic()
    verdicts = asyncio.run(_grade_all(found, args.jobs, progress))
    for verdict in verdicts:
        verdict.equivalent = equivalent.get(verdict.id, "") if not verdict.killed else ""
    by_id = {m.id: m for m in found}
    survivors = [v for v in verdicts if not v.killed and not v.equivalent]
    print(f"\n{'exercise':18} {'mutants':>7} {'killed':>7} {'equiv.':>7} {'survived':>8} "
          f"{'killed %':>8}")
    for slug in slugs:
        mine = [v for v in verdicts if by_id[v.id].slug == slug]
        killed = sum(v.killed for v in mine)
        equiv = sum(bool(v.equivalent) for v in mine)
        alive = len(mine) - killed - equiv
        share = 100 * killed / (killed + alive) if killed + alive else 100.0
        print(f"{slug:18} {len(mine):7} {killed:7} {equiv:7} {alive:8} {share:7.1f}%")
    print(f"{'total':18} {len(verdicts):7} {sum(v.killed for v in verdicts):7} "
          f"{sum(bool(v.equivalent) for v in verdicts):7} {len(survivors):8}"
          f"   ({time.monotonic() - started:.0f} s)")
    if survivors:
        print("\nsurviving mutants (full marks, not in equivalent_mutants.toml):")
        for v in survivors:
            m = by_id[v.id]
            print(f"  {m.id}  line {m.line}: {m.change}")
    unused = sorted(i for i in equivalent if i in by_id and by_id[i].id in
                    {v.id for v in verdicts if v.killed})
    for i in unused:
        print(f"note: {i} is listed as equivalent but is killed now; remove it from the list")
    for i in stale:
        print(f"note: {i} is listed as equivalent but no such mutant exists any more")
    broken = [v for v in verdicts if v.by.startswith(GRADER_FAILED)]
    for v in broken:  # counted as killed, but a mutant must never break the grader itself
        print(f"GRADER BUG: {v.id}: {v.by}")
    if args.json:
        args.json.write_text(json.dumps(
            [{**asdict(v), "change": by_id[v.id].change, "line": by_id[v.id].line}
             for v in verdicts], indent=1))
    return 1 if survivors or broken else 0


if __name__ == "__main__":
    sys.exit(main())
