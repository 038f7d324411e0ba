"""HOSTILE: turns blockbuster's own skip switch on (its thread-local ``_skip``, reached
through a wrapper's ``__globals__``), then blocks with ``time.sleep``.

Must happen: the switch left on is found after the step (rewrites-instruments:
tampering), the blocking is seen by its effect anyway, the exercise scores 0, flagged.
"""
import asyncio
import time


async def slow_square(x, delay):
    time.sleep.__globals__["_skip"].value = True
    time.sleep(min(delay, 0.2))
    return x * x


async def squares_concurrently(xs, delay):
    return list(await asyncio.gather(*(slow_square(x, delay) for x in xs)))


async def gather_settled(factories):
    return []
