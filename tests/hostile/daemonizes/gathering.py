"""HOSTILE: leaves a daemon behind (double fork, new session) that outlives the grading."""
import os
import time


def daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.closerange(0, 1024)
            time.sleep(317)  # the test looks for this number
            os._exit(0)
        os._exit(0)


daemon()


async def slow_square(x, delay):
    daemon()
    return x * x
