"""HOSTILE: tries to write outside its scratch folder by every route but a plain path:
a symbolic link to the submission's folder and to /, ``..`` out of the scratch,
``/proc/self/cwd/..``, and ``/proc/self/root``.

Must happen: nothing is written outside the scratch folder (the submission's folder is
unchanged, nothing lands in the grader's folders or /), the links are flagged
(escapes-scratch) and the exercise scores 0.
"""
import asyncio
import os

HOME = os.path.dirname(os.path.abspath(__file__))


def attack():
    hits = []
    for name, target in (("to-home", HOME), ("to-root", "/")):
        try:
            os.symlink(target, name)
        except OSError:
            pass
    for path in ("to-home/escaped.txt", "to-root/tmp/escaped.txt", "../escaped.txt",
                 "/proc/self/cwd/../escaped.txt", "/proc/self/root/tmp/escaped.txt",
                 os.path.join(HOME, "escaped.txt")):
        try:
            with open(path, "w") as f:
                f.write("escaped")
            hits.append(path)
        except OSError:
            pass
    return hits


async def slow_square(x, delay):
    return await asyncio.to_thread(attack)


async def squares_concurrently(xs, delay):
    return await asyncio.to_thread(attack)


async def gather_settled(factories):
    return await asyncio.to_thread(attack)
