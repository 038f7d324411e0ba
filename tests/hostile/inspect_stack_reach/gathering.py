"""HOSTILE: runs the calls one after another, then walks down its own call stack
(``inspect.currentframe()`` then ``f_back``, no ``sys._getframe`` in the source) into the
grader's scenario frame, finds the tracker among its locals and sets its ``most`` to claim
every call ran at once.

Must happen: taking a frame from which the grader's frames are reachable is seen
(reaches-grader: tampering, even through inspect), the edited count disagrees with the
sentinel's (forges-counts), the exercise scores 0, flagged.
"""
import asyncio
import inspect


async def slow_square(x, delay):
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs, delay):
    results = [await slow_square(x, delay) for x in xs]
    frame = inspect.currentframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if hasattr(value, "most") and hasattr(value, "running"):
                value.most = len(xs)
        frame = frame.f_back
    return results


async def gather_settled(factories):
    return []
