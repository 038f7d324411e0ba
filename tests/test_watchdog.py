"""The child's watchdog tells a loop step that spins on the CPU (a busy loop) from one that
waits off the CPU (a blocking call), at the student's line in the function doing it.

Run in a subprocess with a short ``STUCK_SECONDS``: the step monitor patches asyncio for
the whole process it runs in. The judgement reads the thread's scheduler account, so a
loaded machine (the spinning thread waiting for a CPU) still reads as busy.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import msgspec

from grader._child import STUCK_MARK
from grader._wire import Stall

STUDENT = '''
import queue
import time


def spins():
    end = time.perf_counter() + 0.8
    while time.perf_counter() < end:
        pass


def waits():
    try:
        queue.SimpleQueue().get(timeout=0.8)
    except queue.Empty:
        pass
'''

RUN = '''
import asyncio, importlib.util, sys
from grader._child import instruments, plain

path = sys.argv[1]
plain.STUDENT_FILES.add(path)
spec = importlib.util.spec_from_file_location("student", path)
student = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student)
instruments.STUCK_SECONDS = 0.4
instruments.monitor.install()
instruments.monitor.start_watchdog()
instruments.monitor.wake()  # as kit.execute does while a scenario runs


async def main():
    loop = asyncio.get_running_loop()
    for step in (student.spins, student.waits):
        loop.call_soon(step)
        await asyncio.sleep(0.9)

asyncio.run(main())
'''


def test_a_stuck_step_is_told_busy_or_waiting_where_it_is(tmp_path: Path) -> None:
    student = tmp_path / "student.py"
    student.write_text(STUDENT)
    done = subprocess.run([sys.executable, "-c", RUN, str(student)], capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    said = [msgspec.json.decode(line[len(STUCK_MARK):], type=Stall)
            for line in done.stderr.splitlines() if line.startswith(STUCK_MARK)]
    assert [(s.kind, s.where and s.where.function) for s in said] == [
        ("cpu", "spins"), ("wait", "waits")], said
    spin, wait = said
    assert spin.where is not None and spin.where.code.startswith("while time.perf_counter()")
    assert spin.cpu >= 0.5 * spin.wall > 0, spin  # the thread kept a CPU (or waited for one)
    assert wait.where is not None and wait.where.code.startswith("queue.SimpleQueue().get")
    assert wait.cpu < 0.5 * wait.wall, wait


RESTS = '''
import time
from grader._child import instruments

monitor = instruments.monitor
monitor.start_watchdog()
time.sleep(0.3)
resting = monitor.ticks
monitor.wake()
time.sleep(0.3)
awake = monitor.ticks - resting
monitor.rest()
time.sleep(0.05)
rested = monitor.ticks
time.sleep(0.3)
print(resting, awake, monitor.ticks - rested)
'''


def test_the_watchdog_looks_only_while_a_scenario_runs() -> None:
    # Between requests a worker's watchdog waits at its gate: in a class grading a worker
    # lives for the whole grading, and waking every 10 ms for nothing cost CPU.
    done = subprocess.run([sys.executable, "-c", RESTS], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    resting, awake, after = map(int, done.stdout.split())
    assert resting == 0 and after == 0
    assert awake >= 5  # 30 looks in 0.3 s on an idle machine; a few on a loaded one
