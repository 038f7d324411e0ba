"""HOSTILE: sequential awaits made to look concurrent: at the end it sets the virtual
clock's private state back (so 10 x 1 s reads as 1 s) and writes the concurrency
tracker's ``most`` by hand, reached through the instrumented twin's ``__closure__``.

Must happen: squares_concurrently loses its points; the clock's rewind and the edited
count are found (rewinds-clock, forges-counts: tampering), so the exercise scores 0
and the submission is flagged.
"""
import asyncio


async def slow_square(x, delay):
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs, delay):
    loop = asyncio.get_running_loop()
    start = loop.time()
    results = [await slow_square(x, delay) for x in xs]
    spent = loop.time() - start
    for name in vars(loop):
        if name.endswith("__now"):  # looptime's integer clock, in microseconds
            setattr(loop, name, getattr(loop, name) - int((spent - delay) * 1_000_000))
    for cell in slow_square.__closure__ or ():
        if hasattr(cell.cell_contents, "most"):
            cell.cell_contents.most = len(xs)
    return results


async def gather_settled(factories):
    return []
