"""HOSTILE: finds the grader's concurrency trackers by walking every object in the
process (``gc.get_objects``) and sets their ``most`` by hand, after awaiting one call
after another.

Must happen: the walk is seen (reaches-grader: tampering) and the edited count found
(forges-counts), squares_concurrently loses its points, the exercise scores 0, flagged.
"""
import asyncio
import gc


async def slow_square(x, delay):
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs, delay):
    results = [await slow_square(x, delay) for x in xs]
    for obj in gc.get_objects():
        if type(obj).__name__ == "Tracker":
            obj.most = len(xs)
    return results


async def gather_settled(factories):
    return []
