"""One submission, all 13 exercises: the sandboxed grader against the same suites run
in one plain pytest process with the student code imported in-process.

Both are measured side by side in one run, alternating, as whole commands (start-up
included), and reported as a ratio: this machine is shared and noisy, so absolute
seconds taken on different runs don't compare.

    .venv/bin/python bench/bench_grading.py [--runs 7] [--submission solutions]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(args: list[str]) -> tuple[float, float, dict]:
    """Wall and CPU seconds of the whole command (every process it waited for)."""
    started, cpu = time.perf_counter(), _children_cpu()
    command = [sys.executable, *args] if args[0].endswith(".py") else [sys.executable, "-m", "grader", *args]
    done = subprocess.run(command, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return time.perf_counter() - started, _children_cpu() - cpu, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--submission", default="solutions")
    args = parser.parse_args()
    base = ["grade", args.submission, "--format", "json"]
    variants = {
        "sandboxed grader (lanes)": base,
        "sandboxed, one grader process": [*base, "--parallel", "1"],
        "plain pytest, in-process": ["bench/_inprocess.py", args.submission],
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    cpus: dict[str, list[float]] = {name: [] for name in variants}
    scores: dict[str, set[int]] = {name: set() for name in variants}
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores; other work on the machine slows every figure)")
    # The grader's bytecode compiled, as ./dev leaves it (see there why).
    compileall.compile_dir(ROOT / "grader", quiet=1)
    timed(base)  # warm the file cache once
    for _ in range(args.runs):
        for name, command in variants.items():
            seconds, cpu, report = timed(command)
            times[name].append(seconds)
            cpus[name].append(cpu)
            scores[name].add(report["score"])
    sandboxed, serial, plain = (statistics.median(times[n]) for n in variants)
    print(f"{args.runs} runs each, alternating; whole-process wall time, median (min-max); "
          "CPU of the whole process tree, median")
    for name in variants:
        t = times[name]
        print(f"  {name:30} {statistics.median(t):6.2f} s ({min(t):.2f}-{max(t):.2f})  "
              f"CPU {statistics.median(cpus[name]):5.2f} s  score {sorted(scores[name])}")
    print(f"  ratio sandboxed / in-process: {sandboxed / plain:.2f}x "
          f"(one grader process: {serial / plain:.2f}x)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
