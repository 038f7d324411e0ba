"""HOSTILE: awaits one call after another while a thread keeps setting the virtual
clock back between the loop's steps, so no single step sees the clock go back.

Must happen: the clock going back between steps is found (rewinds-clock: tampering);
squares_concurrently loses its points; the exercise scores 0, flagged.
"""
import asyncio
import threading


async def slow_square(x, delay):
    await asyncio.sleep(delay)
    return x * x


def rewinder(loop, stop, start):
    names = [n for n in vars(loop) if n.endswith("__now")]
    while not stop.is_set():
        for name in names:
            setattr(loop, name, start)
        stop.wait(0.0005)


async def squares_concurrently(xs, delay):
    loop = asyncio.get_running_loop()
    names = [n for n in vars(loop) if n.endswith("__now")]
    start = getattr(loop, names[0]) if names else 0
    stop = threading.Event()
    thread = threading.Thread(target=rewinder, args=(loop, stop, start + int(delay * 1e6)))
    results = []
    for x in xs:
        results.append(await slow_square(x, delay))
        if not thread.is_alive():
            thread.start()
    stop.set()
    thread.join()
    return results


async def gather_settled(factories):
    return []
