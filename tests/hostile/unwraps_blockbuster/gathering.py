"""HOSTILE: blocks the loop with the original ``time.sleep``, dug out of blockbuster's
wrapper (its ``__closure__``), so no wrapper sees the call; never patches anything.

Must happen: the blocking is seen by its effect (the loop's thread slept in one step),
the tests that need a non-blocking slow_square fail, and the ``__closure__`` reading
is flagged (suspicious).
"""
import asyncio
import time


def _original_sleep():
    for cell in time.sleep.__closure__ or ():
        value = cell.cell_contents
        if callable(value) and getattr(value, "__name__", "") == "sleep":
            return value
    return time.sleep


SLEEP = _original_sleep()


async def slow_square(x, delay):
    SLEEP(min(delay, 0.2))
    return x * x


async def squares_concurrently(xs, delay):
    return list(await asyncio.gather(*(slow_square(x, delay) for x in xs)))


async def gather_settled(factories):
    return []
