"""HOSTILE: leaves a task blocked forever, made with ``asyncio.Task(...)`` (not the
loop's task factory) and removed from ``asyncio.tasks._all_tasks``, so a check of the
registry sees nothing left behind.

Must happen: the task is found from the loop itself (the step monitor saw it run), the
tests that check for leftovers fail, the hiding is found (hides-tasks: tampering), the
exercise scores 0, flagged.
"""
import asyncio
import asyncio.tasks


async def forever():
    await asyncio.get_running_loop().create_future()


async def slow_square(x, delay):
    task = asyncio.Task(forever())
    asyncio.tasks._all_tasks.discard(task)
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs, delay):
    return list(await asyncio.gather(*(slow_square(x, delay) for x in xs)))


async def gather_settled(factories):
    return []
