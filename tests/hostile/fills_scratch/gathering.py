"""HOSTILE: fills every folder it may write to (its scratch folder, /tmp, /dev/shm) with
8 MiB files until the writes fail, hoping to fill the machine's disk.

Must happen: the writes stop at the scratch's size (a tmpfs of the worker's own, counted
in its memory limit), nothing is written to the machine's disk, nothing is left behind,
and the exercise scores nothing.
"""
import asyncio
import os

BLOCK = b"x" * (1024 * 1024)


def fill():
    written = 0
    for folder in (".", "/tmp", "/dev/shm", os.environ.get("TMPDIR", ".")):
        for n in range(200):  # up to 1.6 GiB per folder
            try:
                with open(os.path.join(folder, f"fill-{n}.bin"), "wb") as f:
                    for _ in range(8):
                        f.write(BLOCK)
                written += 8
            except OSError:
                break
    return written


async def slow_square(x, delay):
    return -await asyncio.to_thread(fill)


async def squares_concurrently(xs, delay):
    return [-await asyncio.to_thread(fill)]


async def gather_settled(factories):
    return [("ok", -await asyncio.to_thread(fill))]
