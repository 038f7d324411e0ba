"""HOSTILE: blocks the loop's thread with ``select.select([], [], [], 0.05)``, a wait
blockbuster does not wrap and too short for the old step monitor's 1 s.

Must happen: the wait is seen by its effect (the thread slept in the step), the tests
that need a non-blocking slow_square fail, the select call is flagged (suspicious).
"""
import asyncio
import select


async def slow_square(x, delay):
    select.select([], [], [], 0.05)
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs, delay):
    return list(await asyncio.gather(*(slow_square(x, delay) for x in xs)))


async def gather_settled(factories):
    return []
