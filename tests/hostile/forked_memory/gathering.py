"""HOSTILE: forks three children that each fill 1.5 GiB, page by page, so the submission
as a whole takes far more than the 2 GiB one process may (RLIMIT_AS counts each process
on its own).

Must happen: the worker with all its children stays under its memory limit (one memory
cgroup per worker, as root), the children are killed, the exercise scores nothing, and
the other exercises are untouched.
"""
import os
import time

CHUNK = 64 * 1024 * 1024


def fill(total):
    held = []
    for _ in range(total // CHUNK):
        block = bytearray(CHUNK)
        block[::4096] = b"x" * (CHUNK // 4096)  # touch every page: resident, not just reserved
        held.append(block)
    time.sleep(30)


async def slow_square(x, delay):
    children = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            try:
                fill(1536 * 1024 * 1024)
            finally:
                os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return -1


async def squares_concurrently(xs, delay):
    return await slow_square(0, 0)


async def gather_settled(factories):
    return await slow_square(0, 0)
