"""HOSTILE: replaces blockbuster's skip switch with one that is always on, at import
(through a wrapper's ``__globals__``), then blocks with ``time.sleep``.

Must happen: the replaced switch is found (rewrites-instruments: tampering), the
blocking by its effect, the exercise scores 0, flagged.
"""
import asyncio
import time


class AlwaysOn:
    value = True

    def __setattr__(self, name, value):
        pass


time.sleep.__globals__["_skip"] = AlwaysOn()


async def slow_square(x, delay):
    time.sleep(min(delay, 0.2))
    return x * x


async def squares_concurrently(xs, delay):
    return list(await asyncio.gather(*(slow_square(x, delay) for x in xs)))


async def gather_settled(factories):
    return []
