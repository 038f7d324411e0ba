"""Scenarios for ``gathering``: concurrency counted by an instrumented ``slow_square``."""

from __future__ import annotations

import asyncio
from typing import Any

from grader._child.kit import Result, Tracker, now, scenario

from ._common import RunReport, Script


class Returned(Result):
    returned: Any


class Squares(Result):
    returned: Any
    most_at_once: int  # slow_square calls running at once, at most
    calls: list[Any]  # the arguments of each slow_square call


class Settled(Result):
    returned: Any
    runs: list[RunReport]
    same_exception: list[bool]  # item i holds the very exception awaitable i raised


@scenario("virtual")
async def slow_square(mod: Any, x: int, delay: float) -> Returned:
    return Returned(returned=await mod.slow_square(x, delay))


@scenario("virtual")
async def squares_concurrently(mod: Any, xs: list[int], delay: float) -> Squares:
    calls = Tracker()

    async def reference_slow_square(x: int, delay: float) -> int:
        await asyncio.sleep(delay)
        return x * x

    # The module lives on for the next scenario: put the student's own slow_square back.
    original, mod.slow_square = mod.slow_square, calls.wrap_async(reference_slow_square)
    try:
        returned = await mod.squares_concurrently(xs, delay)
    finally:
        mod.slow_square = original
    return Squares(returned=returned, most_at_once=calls.most, calls=calls.calls)


@scenario("virtual")
async def gather_settled(mod: Any, scripts: list[dict[str, Any]]) -> Settled:
    runs = [Script(spec, i) for i, spec in enumerate(scripts)]
    t0 = now()
    returned = await mod.gather_settled([run.factory for run in runs])
    same_exception = []
    if isinstance(returned, list):
        for run, item in zip(runs, returned, strict=False):
            same_exception.append(
                run.raised is not None and isinstance(item, tuple) and len(item) == 2
                and item[1] is run.raised)
    return Settled(returned=returned, runs=[run.report(t0) for run in runs],
                   same_exception=same_exception)
