"""Not hostile, but not allowed: code split into a module the grader does not grade."""
from helper import square


async def slow_square(x, delay):
    return square(x)
