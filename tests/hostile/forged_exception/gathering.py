"""HOSTILE: a stub that rebinds ``NotImplementedError`` to a class built with
``type("ValueError", ...)``, so that "not implemented" is mistaken for the ValueError
a test expects.

Must happen: the forged class is found in the source (forges-exception: tampering),
the exercise scores 0, flagged.
"""
import asyncio

NotImplementedError = type("ValueError", (Exception,), {})  # noqa: A001


async def slow_square(x, delay):
    raise NotImplementedError("bad input")


async def squares_concurrently(xs, delay):
    raise NotImplementedError("bad input")


async def gather_settled(factories):
    await asyncio.sleep(0)
    raise NotImplementedError("bad input")
