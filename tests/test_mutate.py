"""The mutation tool (bench/mutate.py): its operators, its mutant ids, and the committed list
of equivalent mutants. Grading mutants is left to `./dev mutate` (minutes, not a unit test)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from grader._manifest import load

_spec = importlib.util.spec_from_file_location("mutate", ROOT / "bench" / "mutate.py")
assert _spec and _spec.loader
mutate = importlib.util.module_from_spec(_spec)
sys.modules["mutate"] = mutate
_spec.loader.exec_module(mutate)

SLUGS = [e.slug for e in load()]

SAMPLE = '''
import asyncio, contextlib

async def work(aws, tg, loop, proc):
    task = asyncio.create_task(aws[0])
    try:
        await asyncio.sleep(1.5)
        done, _ = await asyncio.wait({task}, return_when=asyncio.FIRST_COMPLETED)
        results = await asyncio.gather(*aws)
        loop.call_soon_threadsafe(print, 1)
        p = await asyncio.create_subprocess_exec("cat", stdin=None)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        proc.kill()
    if len(results) > 2 and not done:
        return results[0] + 1
    return None
'''


def _changes(operator: str) -> list[str]:
    return [m.source for m in mutate.mutants("sample", SAMPLE) if m.operator == operator]


@pytest.mark.parametrize(("operator", "present", "absent"), [
    ("await-dropped", "done, _ = asyncio.wait(", "done, _ = await asyncio.wait("),
    ("gather-sequential", "await _mutant_gather_in_order(*aws)", "asyncio.gather(*aws)"),
    ("sleep-blocking", "__import__('time').sleep(1.5)", "asyncio.sleep(1.5)"),
    ("cleanup-deleted", "except asyncio.CancelledError:\n        pass\n        raise",
     "task.cancel()"),
    ("finally-deleted", "raise\n    if len", "proc.kill()"),
    ("cancel-swallowed", "task.cancel()\n        pass", "        raise\n"),
    ("create-task-awaited", "task = await aws[0]", "create_task"),
    ("threadsafe-dropped", "loop.call_soon(print, 1)", "call_soon_threadsafe"),
    ("stdin-dropped", "create_subprocess_exec('cat')", "stdin=None"),
    ("return-when-changed", "return_when=asyncio.FIRST_EXCEPTION", "FIRST_COMPLETED"),
])
def test_asyncio_operator_makes_its_change(operator: str, present: str, absent: str) -> None:
    changed = _changes(operator)
    assert changed, f"{operator} made no mutant"
    assert any(present in src and absent not in src for src in changed), changed[0]


@pytest.mark.parametrize(("operator", "present"), [
    ("constant-changed", "len(results) > 3"),
    ("comparison-changed", "len(results) >= 2"),
    ("boolean-changed", "len(results) > 2 or not done"),
    ("arithmetic-changed", "results[0] - 1"),
    ("statement-deleted", "pass\n    try:"),
    ("statements-swapped", "return None\n    if len"),
])
def test_generic_operator_makes_its_change(operator: str, present: str) -> None:
    assert any(present in src for src in _changes(operator)), operator


def test_mutants_are_distinct_compilable_and_named_once() -> None:
    found = mutate.mutants("sample", SAMPLE)
    assert len(found) > 30
    assert len({m.source for m in found}) == len(found)
    assert len({m.id for m in found}) == len(found)
    for m in found:
        compile(m.source, "sample.py", "exec")
        assert m.id.startswith("sample/work/")


def test_an_await_outside_async_code_is_not_a_mutant() -> None:
    source = "import asyncio\n\ndef sync(loop, c):\n    return asyncio.ensure_future(c)\n"
    assert not [m for m in mutate.mutants("s", source) if m.operator == "create-task-awaited"]


def test_given_code_is_not_mutated() -> None:
    found = mutate.mutants("coroutines")
    assert found
    assert not [m for m in found if "/regular_double/" in m.id]


def test_every_equivalent_mutant_exists_and_has_a_reason() -> None:
    listed = mutate.load_equivalent()
    assert listed
    ids = {m.id for slug in SLUGS for m in mutate.mutants(slug)}
    stale = sorted(set(listed) - ids)
    assert not stale, f"equivalent_mutants.toml names mutants that no longer exist: {stale}"
    for mutant_id, reason in listed.items():
        assert len(reason) > 30, f"{mutant_id}: say why it still meets the contract"


def test_an_equivalent_entry_without_a_reason_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "equivalent.toml"
    bad.write_text('[[equivalent]]\nid = "tasks/heartbeat/await-dropped/1"\nreason = " "\n')
    with pytest.raises(SystemExit, match="needs a reason"):
        mutate.load_equivalent(bad)
