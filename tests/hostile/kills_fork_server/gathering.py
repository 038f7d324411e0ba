"""HOSTILE: kills the process that started it (the grader's fork server), then misbehaves."""
import os
import signal

os.kill(os.getppid(), signal.SIGKILL)


async def slow_square(x, delay):
    raise NotImplementedError


async def squares_concurrently(xs, delay):
    raise NotImplementedError


async def gather_settled(factories):
    raise NotImplementedError
