"""HOSTILE: talks to the sentinel as the grader does (``sys.audit("aiograde.…")``): arms
it again with nothing to watch, seals it early into its own list (to drain the
findings), and reports tracker events for a tracker it dug out of a closure, so that
its own count agrees with a forged ``most``.

Must happen: the arm and seal from the submission's code are ignored, the forged
tracker events are refused and flagged (forges-counts: tampering); the exercise
scores 0, flagged.
"""
import asyncio
import sys


async def slow_square(x, delay):
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs, delay):
    sys.audit("aiograde.arm", [], [])
    stolen = []
    sys.audit("aiograde.seal", stolen, {})
    sys.audit("aiograde.stash", "0" * 16)
    results = [await slow_square(x, delay) for x in xs]
    for cell in slow_square.__closure__ or ():
        tracker = cell.cell_contents
        if hasattr(tracker, "most"):
            for _ in xs:
                sys.audit("aiograde.track", tracker, 1)
            tracker.most = len(xs)
    return results


async def gather_settled(factories):
    return []
