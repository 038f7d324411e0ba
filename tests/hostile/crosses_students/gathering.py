"""HOSTILE: in a class grading, copies another student's answers and sabotages theirs:
it reads and runs their gathering.py from the class folder (the test writes that folder's
path in CLASS below), lists the class, and appends to the other student's file.

Must happen: the other students' folders are not there for it (the whole class is hidden
from every worker), so it scores nothing; the other student's file is unchanged and their
grade untouched; exec is flagged (suspicious).
"""
import asyncio
import os

CLASS = "@CLASS@"
stolen = {}


def steal():
    seen = []
    try:
        seen = os.listdir(CLASS)
    except OSError:
        pass
    for name in seen or ["ada"]:
        path = os.path.join(CLASS, name, "gathering.py")
        try:
            with open(path) as f:
                exec(f.read(), stolen)
        except Exception:
            pass
        try:
            with open(path, "a") as f:
                f.write("\nraise SystemExit('sabotaged')\n")
        except OSError:
            pass
    return seen


async def slow_square(x, delay):
    await asyncio.to_thread(steal)
    return await stolen["slow_square"](x, delay)


async def squares_concurrently(xs, delay):
    await asyncio.to_thread(steal)
    return await stolen["squares_concurrently"](xs, delay)


async def gather_settled(factories):
    await asyncio.to_thread(steal)
    return await stolen["gather_settled"](factories)
