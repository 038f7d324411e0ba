"""HOSTILE: tries to read the hidden suite and the reference solution by every route it
can think of: beside the grader's package (found from a function's ``__globals__``),
through ``/proc/self/root``, ``/proc/1/root`` and the zygote's command line, and returns
what it read so the report would print it.

Must happen: none of the hidden text reaches the report; the exercise scores 0.
"""
import asyncio
import os


def grader_folder():
    try:
        return os.path.dirname(os.path.dirname(slow_square.__globals__.get("__file__", "")))
    except Exception:
        return ""


def attack():
    found = []
    roots = ["", "/proc/self/root", "/proc/1/root"]
    try:
        with open("/proc/self/cmdline", "rb") as f:
            found.append(f.read().decode(errors="replace")[:2000])
    except OSError:
        pass
    project = os.path.dirname(grader_folder()) or "/work"
    for root in roots:
        for path in ("grader/suites/test_gathering.py", "solutions/gathering.py",
                     "tests/test_hostile.py"):
            try:
                with open(root + os.path.join(project, path)) as f:
                    found.append(f.read()[:2000])
            except OSError:
                pass
    return found


async def slow_square(x, delay):
    return await asyncio.to_thread(attack)


async def squares_concurrently(xs, delay):
    return await asyncio.to_thread(attack)


async def gather_settled(factories):
    return await asyncio.to_thread(attack)
