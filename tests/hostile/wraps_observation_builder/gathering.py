"""HOSTILE: blocks and leaks, then rewrites the grader's observation builder so that
blocking calls, stalls and leftovers vanish: through the twin's ``__globals__`` it
replaces the kit's ``_drain`` and the instruments' leftovers check, and empties the
recorded blocking calls.

Must happen: the replaced functions are found (rewrites-instruments: tampering), the
exercise scores 0, flagged.
"""
import asyncio
import time


def _hide_everything(kit):
    kit["_drain"] = lambda loop, watch, main, leaks: None
    instruments = kit["instruments"]
    instruments.Snapshot.leftovers = lambda self, grace=1.0: {}
    instruments.blocking_events.clear()


async def forever():
    await asyncio.Event().wait()


async def slow_square(x, delay):
    time.sleep(0.05)
    asyncio.ensure_future(forever())
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs, delay):
    if "_drain" in slow_square.__globals__:
        _hide_everything(slow_square.__globals__)
    return list(await asyncio.gather(*(slow_square(x, delay) for x in xs)))


async def gather_settled(factories):
    return []
