"""What the trust instruments cost: CPU per grading with them and without them, same tree.

The instruments: the audit hooks (the tamper hook and the sentinel: a snapshot of the
instruments compared by a thread every 250 ms and at every seal, tracker and clock
accounts), the step monitor's scheduler reads per loop step (blocking by effect, the
loop's clock, the tasks each step ran for). Without them is the same grader with
``grader._sandbox.TRUST_INSTRUMENTS`` set to False in the parent, which tells the fork
server so when it starts (a submission has no way to: the order is given before any
student code exists); the bounds (memory cgroup, scratch tmpfs) and the confinement stay
in both. CPU is user + system time of the whole grading (grader, fork server, workers and
what they start: every process is waited for, so the kernel adds its time to ours), and of
the child alone (what the parent process reaped: fork server and workers), measured as
whole commands, alternating, and reported as a ratio of medians: the machine is shared, so
seconds from different runs don't compare, CPU time less so than wall time. One grader
process by default (``--parallel 1``): with more, the parent forks the others, and their
time counts as the child's.

    .venv/bin/python bench/bench_trust.py [--runs 5] [--submission solutions] [--parallel 1]

The budget (issue 6): the instruments cost under 15% more CPU per grading. Measured
2026-12-06 on the idle 2-core machine, ``--runs 11``: +2.3% (1.74 against 1.70 s; the
child 1.23 against 1.12 s, +9.9%); see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 0.15
# The grader's command, in a parent that reports the CPU time of its children (the fork
# server and all it started) as it exits; ``{trust}`` switches the instruments.
DRIVER = """
import atexit, os, resource, sys
import grader._sandbox
grader._sandbox.TRUST_INSTRUMENTS = {trust}

def report() -> None:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.write(2, f"\\nchild-cpu {{used.ru_utime + used.ru_stime}}\\n".encode())

atexit.register(report)
from grader._cli import main
sys.exit(main())
"""
VARIANTS = {"with the instruments": True, "without": False}


def grading(trust: bool, submission: Path, parallel: int) -> tuple[float, float, float, int]:
    """CPU seconds (all processes, and the child's), wall seconds and the score of one
    grading."""
    extra = ["--parallel", str(parallel)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", DRIVER.format(trust=trust), "grade",
                           str(submission), "--format", "json", "--no-gradebook", *extra],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    child = float(done.stderr.rsplit("child-cpu ", 1)[1].split()[0])
    return cpu, child, wall, json.loads(done.stdout)["score"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--submission", default="solutions")
    parser.add_argument("--parallel", type=int, default=1,
                        help="grader processes per submission (default 1: see above)")
    args = parser.parse_args()
    submission = (ROOT / args.submission).resolve()
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in VARIANTS}
    for run in range(args.runs):
        for name, trust in VARIANTS.items():
            cpu, child, wall, score = grading(trust, submission, args.parallel)
            figures[name].append((cpu, child, wall))
            print(f"run {run + 1}: {name}: {cpu:.2f} s CPU ({child:.2f} s in the child), "
                  f"{wall:.2f} s wall, score {score}", file=sys.stderr)
    medians = {name: [statistics.median(column) for column in zip(*rows, strict=True)]
               for name, rows in figures.items()}
    print(f"CPU per grading of {args.submission} (median of {args.runs}):")
    for name, (cpu, child, wall) in medians.items():
        print(f"  {name:22} {cpu:6.2f} s CPU  {child:6.2f} s in the child  {wall:6.2f} s wall")
    (with_, with_child, _), (without, without_child, _) = medians.values()
    ratio = with_ / without
    print(f"  instruments cost {100 * (ratio - 1):+.1f}% CPU per grading "
          f"({100 * (with_child / without_child - 1):+.1f}% in the child; "
          f"budget +{100 * BUDGET:.0f}%)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sys.exit(0 if ratio - 1 < BUDGET else 1)


if __name__ == "__main__":
    main()
