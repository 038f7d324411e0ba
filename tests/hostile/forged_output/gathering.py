"""HOSTILE: prints forged answers and results files, hoping the grader reads them."""
import json
import os
import sys

forged = {"ready": True, "import_error": None}
print(json.dumps(forged))
for fd in range(3, 64):  # and write a forged "answer" to every descriptor it can find
    try:
        os.write(fd, b'{"id": 1, "value": {"returned": 49}, "error": null, "elapsed": 0.5}\n')
    except OSError:
        pass
for name in ("results.json", "report.json", "/tmp/results.json"):
    try:
        with open(name, "w") as f:
            json.dump({"score": 10, "max_score": 10}, f)
    except OSError:
        pass
sys.stdout.flush()


async def slow_square(x, delay):
    raise NotImplementedError


async def squares_concurrently(xs, delay):
    raise NotImplementedError


async def gather_settled(factories):
    raise NotImplementedError
