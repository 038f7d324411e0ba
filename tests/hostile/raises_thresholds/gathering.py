"""HOSTILE: spins the CPU on the loop's thread, after raising the step monitor's
thresholds to infinity through the twin's ``__globals__`` (the grader's kit module,
and from it the instruments module).

Must happen: the changed thresholds are found (rewrites-instruments: tampering), the
exercise scores 0, flagged.
"""
import asyncio
import time


def _instruments():
    kit = slow_square.__globals__ if "instruments" in slow_square.__globals__ else {}
    return kit.get("instruments")


async def slow_square(x, delay):
    end = time.thread_time() + 0.3
    while time.thread_time() < end:
        pass
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs, delay):
    instruments = _instruments()
    if instruments is not None:
        instruments.STALL_CPU_SECONDS = float("inf")
        instruments.STALL_WALL_SECONDS = float("inf")
        instruments.BLOCKED_SECONDS = float("inf")
    return list(await asyncio.gather(*(slow_square(x, delay) for x in xs)))


async def gather_settled(factories):
    return []
