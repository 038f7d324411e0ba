"""HOSTILE: sequential code that fakes the clocks to look concurrent."""
import asyncio
import itertools
import time

_ticks = itertools.count()
time.perf_counter = time.monotonic = lambda: next(_ticks) * 1e-6
asyncio.BaseEventLoop.time = lambda self: 1.0


async def slow_square(x, delay):
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs, delay):
    return [await slow_square(x, delay) for x in xs]


async def gather_settled(factories):
    results = []
    for factory in factories:
        try:
            results.append(("ok", await factory()))
        except Exception as exc:
            results.append(("error", exc))
    return results
