"""HOSTILE: awaits one call after another, then sets the virtual clock back from a worker
thread (``asyncio.to_thread``), between two of the loop's steps, so that no step of its
own sees the clock go back.

Must happen: the clock going back between steps is found (rewinds-clock: tampering);
the exercise scores 0, flagged.
"""
import asyncio


async def slow_square(x, delay):
    await asyncio.sleep(delay)
    return x * x


def rewind(loop, seconds):
    for name in list(vars(loop)):
        if name.endswith("__now"):
            setattr(loop, name, getattr(loop, name) - int(seconds * 1_000_000))


async def squares_concurrently(xs, delay):
    loop = asyncio.get_running_loop()
    results = [await slow_square(x, delay) for x in xs]
    await asyncio.to_thread(rewind, loop, max(0, len(xs) - 1) * delay)
    return results


async def gather_settled(factories):
    return []
