"""Public checks for lesson 1, `coroutines`. Run: pytest checks/test_coroutines.py"""

import asyncio
import inspect

import pytest
from _target import exercise

mod = exercise("coroutines")


@pytest.mark.asyncio
async def test_async_double_is_a_coroutine_function():
    assert inspect.iscoroutinefunction(mod.async_double), (
        "async_double must be declared with `async def`"
    )
    assert await mod.async_double(21) == 42, "await async_double(21) should give 42"


@pytest.mark.asyncio
async def test_print_double_prints_one_line(capsys):
    await mod.print_double(3)
    out = capsys.readouterr().out
    assert out == "6\n", (
        f"print_double(3) should print the line '6', printed {out!r}: "
        "did you print the coroutine object instead of awaiting it?"
    )


@pytest.mark.asyncio
async def test_print_double_goes_through_async_double(capsys, monkeypatch):
    async def twin(x):
        return f"twin says {2 * x}"

    monkeypatch.setattr(mod, "async_double", twin)
    await mod.print_double(5)
    out = capsys.readouterr().out
    assert out == "twin says 10\n", (
        f"print_double must print what async_double returns; printed {out!r}"
    )


def test_run_double_from_synchronous_code():
    # A plain (sync) test: no event loop is running here, just like in a script.
    assert mod.run_double(5) == 10, "run_double(5) should return 10"


def test_run_double_uses_a_new_loop_and_closes_it(monkeypatch):
    loops = []

    async def twin(x):
        loops.append(asyncio.get_running_loop())
        return 2 * x

    monkeypatch.setattr(mod, "async_double", twin)
    assert mod.run_double(4) == 8
    assert len(loops) == 1, "run_double must run async_double exactly once, on an event loop"
    assert loops[0].is_closed(), (
        "the loop that ran async_double is still open: run_double must close it "
        "before returning (asyncio.run does this for you)"
    )
