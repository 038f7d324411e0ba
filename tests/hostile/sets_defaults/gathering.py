"""HOSTILE: rewrites the (keyword) defaults of the grader's own functions (the leftover
check's) without ever naming ``__kwdefaults__`` as an attribute, through
``functools.update_wrapper``, so that no line of the submission makes the change: the
standard library's frame does, and the function's defaults are never compared.

Must happen: setting a function's defaults raises CPython's ``object.__setattr__`` audit
event whoever sets them (``object.__delattr__`` when set to None, as here); on the grader's function the sentinel takes it as
rewrites-instruments (tampering), the exercise scores 0, flagged.
"""
import asyncio
import functools


def _no_grace():
    pass


_no_grace.__defaults__ = None


async def slow_square(x, delay):
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs, delay):
    instruments = slow_square.__globals__.get("instruments")
    if instruments is not None:
        functools.update_wrapper(instruments.Snapshot.leftovers, _no_grace,
                                 assigned=("__kwdefaults__",), updated=())
    return [await slow_square(x, delay) for x in xs]


async def gather_settled(factories):
    return []
