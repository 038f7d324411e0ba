"""The peer baseline for bench_class.py: the same 13 exercises graded by nbgrader's autograde.

nbgrader only grades notebooks, so this follows the .py-exercise pattern of the survey
(``shared/research/autograders-survey.md`` §1a and §8, experiments E5/E7): the course
ships the stubs plus a thin ``grade.ipynb`` whose locked grade cells import the
student's modules and run hidden checks with top-level ``await`` (the kernel already
runs an event loop, so ``asyncio.run()`` is not an option), and
``Autograde.exclude_overwriting`` keeps the student's ``.py`` files. Timing is on the
real clock (a kernel has no virtual one), with small delays; a cell scores its points
unless it raises or writes to stderr (nbgrader's rule).

The checks follow the public checks (``checks/``) and hand out the manifest's points per
exercise (135 in all), in 2 or 3 grade cells each: all or nothing per cell, where
aiograde scores each hidden test. They are a fair nbgrader course, not a copy of
aiograde's hidden suites, so scores are compared only roughly.

nbgrader runs from a venv that has it: by default the project's own, where ``./dev``
installs the optional extra ``aiograde[nbgrader]``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "ps1"

SETUP = '''\
import asyncio, contextlib, importlib.util, io, sys, threading, time, zlib

D = 0.05  # the unit delay of these checks, in real seconds


def load(slug):
    """Import the student's <slug>.py from this folder, under a name of its own."""
    spec = importlib.util.spec_from_file_location(f"student_{slug}", f"{slug}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def since(t0):
    return time.perf_counter() - t0


async def within(coro, seconds=5):
    """Await the checks, but never hang the kernel on student code that ignores
    cancellation: give up after `seconds` without waiting for it."""
    task = asyncio.ensure_future(coro)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        raise AssertionError(f"the checks did not finish within {seconds} s")
    return task.result()


running = peak = 0


async def counted(x, delay=0.01):
    """Counts how many calls run at once (peak), then returns x * 10."""
    global running, peak
    running += 1
    peak = max(peak, running)
    try:
        await asyncio.sleep(delay)
    finally:
        running -= 1
    return x * 10
'''

# (grade_id, points, source): the grade cells, in curriculum order.
CELLS: list[tuple[str, int, str]] = [
    ("coroutines_1", 3, '''
coroutines = load("coroutines")
assert coroutines.regular_double(2) == 4
assert asyncio.iscoroutinefunction(coroutines.async_double)
assert await coroutines.async_double(3) == 6
out = io.StringIO()
with contextlib.redirect_stdout(out):
    await coroutines.print_double(4)
assert out.getvalue() == "8\\n", out.getvalue()
'''),
    ("coroutines_2", 2, '''
# run_double starts a loop of its own: call it from a thread, the kernel's loop is running
assert await asyncio.to_thread(coroutines.run_double, 5) == 10
'''),
    ("gathering_1", 3, '''
gathering = load("gathering")
t0 = time.perf_counter()
assert await gathering.slow_square(3, D) == 9
assert since(t0) >= 0.9 * D, "slow_square must wait `delay` seconds"
'''),
    ("gathering_2", 4, '''
t0 = time.perf_counter()
assert await gathering.squares_concurrently([1, 2, 3, 4, 5], 2 * D) == [1, 4, 9, 16, 25]
assert since(t0) < 6 * D, f"not concurrent: {since(t0):.2f} s"
'''),
    ("gathering_3", 3, '''
async def ok():
    await asyncio.sleep(D)
    return 1

async def bad():
    await asyncio.sleep(0)
    raise ValueError("no")

settled = await gathering.gather_settled([ok, bad, ok])
assert [s[0] for s in settled] == ["ok", "error", "ok"], settled
assert settled[0][1] == 1 and isinstance(settled[1][1], ValueError), settled
'''),
    ("delayed_calls_1", 3, '''
delayed_calls = load("delayed_calls")
log = []
delayed_calls.schedule_greeting(D, log)
assert log == []
await asyncio.sleep(2 * D)
assert log == ["hello"], log
log = []
delayed_calls.schedule_greeting(D, log).cancel()
await asyncio.sleep(2 * D)
assert log == [], log
'''),
    ("delayed_calls_2", 4, '''
log = []
delayed_calls.schedule_sequence(["a", "b", "c"], 2 * D, log)
await asyncio.sleep(3 * D)
assert log == ["a"], log
await asyncio.sleep(4 * D)
assert log == ["a", "b", "c"], log
try:
    delayed_calls.schedule_sequence(["x"], 0, [])
except ValueError:
    pass
else:
    raise AssertionError("interval 0 must raise ValueError")
'''),
    ("delayed_calls_3", 3, '''
calls = []
debouncer = delayed_calls.Debouncer(3 * D, lambda *args: calls.append(args))
debouncer.trigger(1)
await asyncio.sleep(2 * D)
debouncer.trigger(2)
await asyncio.sleep(2 * D)
assert calls == [] and debouncer.pending, calls
await asyncio.sleep(2 * D)
assert calls == [(2,)] and not debouncer.pending, calls
debouncer.trigger(3)
debouncer.cancel()
await asyncio.sleep(4 * D)
assert calls == [(2,)], calls
'''),
    ("timeouts_1", 4, '''
timeouts = load("timeouts")

async def value_after(delay, value):
    await asyncio.sleep(delay)
    return value

t0 = time.perf_counter()
assert await timeouts.with_timeout(value_after(5, 1), D, "default") == "default"
assert since(t0) < 1
assert await timeouts.with_timeout(value_after(0, 7), 1, "default") == 7
'''),
    ("timeouts_2", 3, '''
async def own_timeout():
    await asyncio.sleep(0)
    raise TimeoutError("mine")

try:
    await timeouts.with_timeout(own_timeout(), 1, "default")
except TimeoutError as exc:
    assert str(exc) == "mine", exc
else:
    raise AssertionError("the awaitable's own TimeoutError must come through")
'''),
    ("timeouts_3", 3, '''
attempts = []

async def flaky():
    attempts.append(time.perf_counter())
    if len(attempts) < 3:
        raise ConnectionError("try again")
    return "ok"

assert await timeouts.retry(flaky, 3, 1, D) == "ok"
assert len(attempts) == 3, attempts
gaps = [b - a for a, b in zip(attempts, attempts[1:])]
assert gaps[0] >= 0.9 * D and gaps[1] >= 1.8 * D, gaps
calls = []

async def always():
    calls.append(1)
    raise KeyError(len(calls))

try:
    await timeouts.retry(always, 2, 1, 0.01)
except KeyError as exc:
    assert exc.args == (2,), exc.args
else:
    raise AssertionError("the last attempt's exception must come through")
'''),
    ("futures_1", 3, '''
futures = load("futures")
fut = futures.resolved(5)
assert isinstance(fut, asyncio.Future) and fut.done() and fut.result() == 5
'''),
    ("futures_2", 4, '''
loop = asyncio.get_running_loop()
fut = loop.create_future()
t0 = time.perf_counter()
await futures.resolve_later(fut, D, 7)
assert fut.result() == 7 and since(t0) >= 0.9 * D
done = loop.create_future()
done.set_result(1)
await futures.resolve_later(done, 0, 2)
assert done.result() == 1
'''),
    ("futures_3", 3, '''
assert await futures.from_callback(lambda ok, err: (ok(1), ok(2))) == 1
try:
    await futures.from_callback(lambda ok, err: err(ValueError("bad")))
except ValueError:
    pass
else:
    raise AssertionError("the error must become the future's exception")
'''),
    ("tasks_1", 5, '''
tasks = load("tasks")
cleaned = []

async def slow():
    try:
        await asyncio.sleep(5)
    finally:
        cleaned.append(True)

t0 = time.perf_counter()
assert await tasks.cancel_after(slow(), D) is True
assert since(t0) < 1 and cleaned == [True], cleaned
assert await tasks.cancel_after(asyncio.sleep(0), 1) is False
'''),
    ("tasks_2", 5, '''
log = []
beating = asyncio.create_task(tasks.heartbeat(2 * D, log))
await asyncio.sleep(7 * D)
beating.cancel()
await asyncio.wait({beating}, timeout=1)
assert beating.cancelled(), "heartbeat must end cancelled"
assert log == ["beat"] * 3 + ["stopped"], log
'''),
    ("tasks_3", 5, '''
losers = []

async def after(delay, value):
    try:
        await asyncio.sleep(delay)
        return value
    except asyncio.CancelledError:
        losers.append(value)
        raise

t0 = time.perf_counter()
assert await tasks.first_completed([lambda: after(4 * D, "slow"), lambda: after(D, "fast")]) == "fast"
assert since(t0) < 3 * D, since(t0)
assert losers == ["slow"], losers
'''),
    ("executors_1", 3, '''
executors = load("executors")
assert await executors.checksum_async(b"abc") == zlib.crc32(b"abc")
'''),
    ("executors_2", 4, '''
chunks = [bytes([i]) * 100 for i in range(6)]
t0 = time.perf_counter()
assert await executors.checksums(chunks, 6) == [zlib.crc32(c) for c in chunks]
assert since(t0) < 0.2, f"6 calls of 0.05 s on 6 workers took {since(t0):.2f} s"
'''),
    ("executors_3", 3, '''
chunks = [bytes([i]) * 100 for i in range(6)]
t0 = time.perf_counter()
await executors.checksums(chunks, 2)
assert since(t0) >= 0.14, "max_workers=2 must run at most 2 calls at once"
try:
    await executors.checksums(chunks, 0)
except ValueError:
    pass
else:
    raise AssertionError("max_workers=0 must raise ValueError")
'''),
    ("thread_bridge_1", 5, '''
thread_bridge = load("thread_bridge")

def deliver_later(delay, value):
    def start(callback):
        threading.Thread(target=lambda: (time.sleep(delay), callback(value))).start()
    return start

t0 = time.perf_counter()
assert await asyncio.wait_for(thread_bridge.result_from_thread(deliver_later(D, 42)), 2) == 42
assert since(t0) < 0.8
'''),
    ("thread_bridge_2", 5, '''
loop = asyncio.get_running_loop()

async def add(a, b):
    await asyncio.sleep(0.01)
    return a + b, asyncio.get_running_loop()

call = thread_bridge.call_async_from_thread
total, ran_on = await asyncio.to_thread(call, loop, add, 2, 3, timeout=2)
assert total == 5 and ran_on is loop
t0 = time.perf_counter()
try:
    await asyncio.to_thread(call, loop, asyncio.sleep, 5, timeout=0.1)
except TimeoutError:
    pass
else:
    raise AssertionError("must raise TimeoutError")
assert since(t0) < 1
'''),
    ("synchronization_1", 5, '''
synchronization = load("synchronization")
account = synchronization.Account()
await asyncio.gather(*(account.deposit(1) for _ in range(50)))
assert account.balance == 50, account.balance
try:
    await account.deposit(0)
except ValueError:
    pass
else:
    raise AssertionError("deposit(0) must raise ValueError")
'''),
    ("synchronization_2", 5, '''
peak = 0
assert await synchronization.bounded_map(counted, list(range(8)), 3) == [x * 10 for x in range(8)]
assert peak == 3, f"{peak} calls ran at once, limit 3"
'''),
    ("queues_1", 5, '''
queues = load("queues")
peak = 0
assert await queues.process_all(list(range(9)), counted, 3) == [x * 10 for x in range(9)]
assert peak == 3, f"{peak} calls ran at once with 3 workers"
'''),
    ("queues_2", 5, '''
async def fails(x):
    await asyncio.sleep(0)
    if x == 2:
        raise KeyError("item 2")
    return x

try:
    await queues.process_all([0, 1, 2, 3], fails, 2)
except KeyError:
    pass
else:
    raise AssertionError("handle's exception must come through")
try:
    await queues.process_all([1], fails, 0)
except ValueError:
    pass
else:
    raise AssertionError("workers=0 must raise ValueError")
'''),
    ("streams_1", 8, '''
streams = load("streams")
server = await streams.start_reverse_server("127.0.0.1", 0)
port = server.sockets[0].getsockname()[1]
try:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"abc\\nhello\\n")
    await writer.drain()
    assert await asyncio.wait_for(reader.readline(), 2) == b"cba\\n"
    assert await asyncio.wait_for(reader.readline(), 2) == b"olleh\\n"
    writer.close()
    await writer.wait_closed()
    assert await asyncio.wait_for(streams.ask("127.0.0.1", port, "stressed"), 2) == "desserts"
finally:
    server.close()
    await server.wait_closed()
'''),
    ("streams_2", 7, '''
loop = asyncio.get_running_loop()
server = await loop.create_server(streams.ReverseProtocol, "127.0.0.1", 0)
port = server.sockets[0].getsockname()[1]
try:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"ab")
    await writer.drain()
    await asyncio.sleep(0.02)
    writer.write(b"c\\nxy\\n")
    await writer.drain()
    assert await asyncio.wait_for(reader.readline(), 2) == b"cba\\n"
    assert await asyncio.wait_for(reader.readline(), 2) == b"yx\\n"
    writer.write_eof()
    assert await asyncio.wait_for(reader.read(), 2) == b""
    writer.close()
    await writer.wait_closed()
finally:
    server.close()
    await server.wait_closed()
'''),
    ("subprocesses_1", 5, '''
subprocesses = load("subprocesses")
upper = "import sys; sys.stdout.write(sys.stdin.read().upper())"
result = await subprocesses.run(sys.executable, "-c", upper, input=b"hi there", timeout=10)
assert tuple(result) == (0, b"HI THERE", b""), result
t0 = time.perf_counter()
try:
    await subprocesses.run(sys.executable, "-c", "import time; time.sleep(5)", timeout=0.3)
except TimeoutError:
    pass
else:
    raise AssertionError("must raise TimeoutError")
assert since(t0) < 3, since(t0)
'''),
    ("subprocesses_2", 5, '''
script = "import sys, time; time.sleep(0.2); sys.exit(int(sys.argv[1]))"
t0 = time.perf_counter()
codes = await subprocesses.run_all([[sys.executable, "-c", script, str(i)] for i in range(4)], 2)
assert codes == [0, 1, 2, 3], codes
assert 0.35 < since(t0) < 2, f"limit 2: two rounds of 0.2 s, took {since(t0):.2f} s"
'''),
    ("async_iterators_1", 3, '''
async_iterators = load("async_iterators")
t0 = time.perf_counter()
assert [x async for x in async_iterators.ticks(D, 3)] == [0, 1, 2]
assert since(t0) >= 2.7 * D
'''),
    ("async_iterators_2", 3, '''
closed = []

async def numbers():
    try:
        for i in range(10):
            yield i
    finally:
        closed.append(True)

assert await async_iterators.take(numbers(), 3) == [0, 1, 2]
assert closed == [True], "take must close the source"
'''),
    ("async_iterators_3", 4, '''
async def timed(name, delays):
    for i, delay in enumerate(delays):
        await asyncio.sleep(delay)
        yield f"{name}{i}"

merged = async_iterators.merge(timed("a", [D, 2 * D]), timed("b", [2 * D]))
assert [x async for x in merged] == ["a0", "b0", "a1"]
'''),
]


def _cell(source: str, meta: dict | None) -> dict:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source.strip("\n")}
    if meta:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, "solution": False, "task": False,
                                        **meta}
    return cell


PRELUDE = re.compile(r"^(\w+ = load\(.*\)|peak = 0)$")


def grade_cell(source: str) -> str:
    """A grade cell: module loads at top level, the checks in a coroutine run ``within``
    a time limit (top-level ``await``: the kernel's loop is already running)."""
    lines = textwrap.dedent(source).strip("\n").splitlines()
    prelude = [line for line in lines if PRELUDE.match(line)]
    body = [line for line in lines if not PRELUDE.match(line)]
    return "\n".join([*prelude, "", "", "async def check():",
                      *[f"    {line}" if line else "" for line in body], "", "",
                      "await within(check())"])


def notebook() -> dict:
    cells = [{"cell_type": "markdown", "metadata": {}, "source":
              "# aiograde exercises, graded by nbgrader\nEdit the `.py` files, not this notebook."},
             _cell(SETUP, {"grade": False, "locked": True, "grade_id": "setup"})]
    for grade_id, points, source in CELLS:
        cells.append(_cell(grade_cell(source), {"grade": True, "locked": True,
                                                     "grade_id": grade_id, "points": points}))
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}}}


class Course:
    """An nbgrader course in ``root`` (a temporary folder), run with ``venv``'s nbgrader."""

    def __init__(self, root: Path, venv: Path, slugs: list[str], cell_timeout: int = 10) -> None:
        self.root, self.venv, self.slugs = root, venv, slugs
        self.cell_timeout = cell_timeout
        jupyter = root / ".jupyter"
        # Everything Jupyter writes (runtime files, kernel connection files) stays in root.
        self.env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}",
                    "HOME": str(root), "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
                    "JUPYTER_DATA_DIR": str(jupyter / "data"),
                    "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
                    "IPYTHONDIR": str(jupyter / "ipython"), "PYTHONDONTWRITEBYTECODE": "1"}
        for key in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
            self.env.pop(key, None)

    def nbgrader(self, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
        process = subprocess.Popen([str(self.venv / "bin" / "nbgrader"), *args], cwd=self.root,
                                   env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        try:
            out, err = process.communicate(timeout=timeout)
        except BaseException:
            _kill_group(process)
            raise
        finally:
            _kill_group(process)  # kernels it may have left behind share its session
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def set_up(self) -> None:
        """Write the course and generate the assignment (nbgrader's one-time step)."""
        self.root.mkdir(parents=True, exist_ok=True)
        for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
            Path(self.env[key]).mkdir(parents=True, exist_ok=True)
        source = self.root / "source" / ASSIGNMENT
        source.mkdir(parents=True)
        (source / "grade.ipynb").write_text(json.dumps(notebook(), indent=1))
        for slug in self.slugs:  # the stubs the students start from
            shutil.copyfile(ROOT / "exercises" / f"{slug}.py", source / f"{slug}.py")
        files = [f"{slug}.py" for slug in self.slugs]
        (self.root / "nbgrader_config.py").write_text(textwrap.dedent(f"""\
            c = get_config()
            c.CourseDirectory.root = {str(self.root)!r}
            c.CourseDirectory.course_id = "aiograde-bench"
            c.CourseDirectory.db_url = "sqlite:///{self.root}/gradebook.db"
            c.Autograde.exclude_overwriting = {{{ASSIGNMENT!r}: {files!r}}}
            c.Execute.timeout = {self.cell_timeout}
            c.Execute.raise_on_iopub_timeout = False
            """))
        done = self.nbgrader("generate_assignment", ASSIGNMENT, "--force")
        if done.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{done.stderr[-3000:]}")

    def submit(self, student: Path) -> None:
        """Put one student's modules, beside the released notebook, in submitted/."""
        folder = self.root / "submitted" / student.name / ASSIGNMENT
        folder.mkdir(parents=True)
        shutil.copyfile(self.root / "release" / ASSIGNMENT / "grade.ipynb", folder / "grade.ipynb")
        for slug in self.slugs:
            if (student / f"{slug}.py").is_file():
                shutil.copyfile(student / f"{slug}.py", folder / f"{slug}.py")
        (folder / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")

    def autograde(self) -> subprocess.CompletedProcess[str]:
        return self.nbgrader("autograde", ASSIGNMENT, "--force", "--create")

    def scores(self) -> dict[str, float]:
        """Student -> autograded score, from ``nbgrader export``."""
        out = self.root / "grades.csv"
        done = self.nbgrader("export", "--to", str(out))
        if done.returncode != 0:
            raise RuntimeError(f"nbgrader export failed:\n{done.stderr[-3000:]}")
        with open(out, newline="") as f:
            return {row["student_id"]: float(row["raw_score"] or 0) for row in csv.DictReader(f)
                    if row["assignment"] == ASSIGNMENT}


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, 9)
    except (ProcessLookupError, PermissionError):
        pass
    if process.returncode is None:
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            pass
