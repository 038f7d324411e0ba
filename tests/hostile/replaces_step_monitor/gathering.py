"""HOSTILE: puts asyncio's own ``Handle._run`` back in place of the step monitor's
(dug out of its ``__closure__``), at import, then spins the CPU on the loop's thread.

Must happen: the replaced step monitor is found (rewrites-instruments: tampering), the
exercise scores 0, flagged.
"""
import asyncio
import asyncio.events
import time

for cell in asyncio.events.Handle._run.__closure__ or ():
    value = cell.cell_contents
    if getattr(value, "__name__", "") == "_run":
        asyncio.events.Handle._run = value


async def slow_square(x, delay):
    end = time.thread_time() + 0.3
    while time.thread_time() < end:
        pass
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs, delay):
    return list(await asyncio.gather(*(slow_square(x, delay) for x in xs)))


async def gather_settled(factories):
    return []
