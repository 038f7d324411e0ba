"""HOSTILE: leaves a 5,000-deep folder tree in its scratch folder, with folders nobody
may read and symbolic links to the submission's own folder and to /, so that the
grader's cleanup crashes (no report) or follows a link and deletes what it must not.

Must happen: the grading ends with a report, the exercise scores nothing, no file or
folder is left in the grader's temporary folder, and nothing a link points at is touched.
"""
import asyncio
import os


def build():
    fd = os.open(".", os.O_RDONLY)
    for depth in range(5000):
        try:
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        except OSError:
            break
        os.close(fd)
        fd = inner
        if depth % 500 == 0:
            for name, target in (("root", "/"), ("home", os.path.dirname(__file__))):
                try:
                    os.symlink(target, name, dir_fd=fd)
                except OSError:
                    pass
    os.close(fd)
    for locked in ("locked/inner", "locked"):
        os.makedirs(locked, exist_ok=True)
    os.chmod("locked/inner", 0)
    os.chmod("locked", 0)
    return -1


async def slow_square(x, delay):
    return await asyncio.to_thread(build)


async def squares_concurrently(xs, delay):
    return [await asyncio.to_thread(build)]


async def gather_settled(factories):
    return [("ok", await asyncio.to_thread(build))]
