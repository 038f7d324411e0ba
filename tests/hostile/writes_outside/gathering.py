"""HOSTILE: tries to overwrite the grader's suites and the solutions, and to leave files behind."""
import asyncio
import os

TARGETS = [os.environ.get("AIOGRADE_PROBE_DIR", "/tmp") + "/pwned-by-writes-outside",
           "/work/main/grader/suites/test_gathering.py", "../solutions/gathering.py"]


def attack():
    hits = []
    for target in TARGETS:
        try:
            with open(target, "a") as f:
                f.write("# pwned\n")
            hits.append(target)
        except OSError:
            pass
    return [*hits, "tried"]  # never a right answer: only the attempt is of interest


async def slow_square(x, delay):
    return await asyncio.to_thread(attack)


async def squares_concurrently(xs, delay):
    return await asyncio.to_thread(attack)


async def gather_settled(factories):
    return await asyncio.to_thread(attack)
