"""HOSTILE: walks up its own stack (``sys._getframe`` then ``f_back``) through the
worker and the fork server, collecting every local it finds (the request id that
would let it forge an answer, the fork server's orders with host paths, hidden
folders, limits), and returns them all, so that they are printed in the report.

Must happen: no request id, no hidden folder's path, no order of the fork server
reaches the report; taking a frame from which the grader's frames are reachable is
reaches-grader (tampering: see docs/threat-model.md), the exercise scores 0, flagged.
"""
import asyncio
import sys


def loot():
    found = []
    frame = sys._getframe()
    while frame is not None:
        for name, value in list(frame.f_locals.items()):
            if name in ("request", "line", "order", "message", "hide", "allow", "id",
                        "confinement", "received"):
                found.append(f"{frame.f_code.co_name}.{name}={value!r}"[:3000])
        frame = frame.f_back
    return found


async def slow_square(x, delay):
    return loot()


async def squares_concurrently(xs, delay):
    return loot()


async def gather_settled(factories):
    return loot()
