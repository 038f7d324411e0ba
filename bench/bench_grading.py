"""One submission, all 13 exercises: the sandboxed grader against the same suites run
in one plain pytest process with the student code imported in-process.

Both are measured side by side in one run, alternating, as whole commands (start-up
included), and reported as a ratio: this machine is shared and noisy, so absolute
seconds taken on different runs don't compare.

    .venv/bin/python bench/bench_grading.py [--runs 7] [--submission solutions]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(args: list[str]) -> tuple[float, dict]:
    started = time.perf_counter()
    command = [sys.executable, *args] if args[0].endswith(".py") else [sys.executable, "-m", "grader", *args]
    done = subprocess.run(command, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return time.perf_counter() - started, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--submission", default="solutions")
    args = parser.parse_args()
    base = ["grade", args.submission, "--format", "json"]
    variants = {
        "sandboxed grader": base,
        "sandboxed, one grader process": [*base, "--parallel", "1"],
        "plain pytest, in-process": ["bench/_inprocess.py", args.submission],
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    scores: dict[str, set[int]] = {name: set() for name in variants}
    timed(base)  # warm the file cache once
    for _ in range(args.runs):
        for name, command in variants.items():
            seconds, report = timed(command)
            times[name].append(seconds)
            scores[name].add(report["score"])
    sandboxed, serial, plain = (statistics.median(times[n]) for n in variants)
    print(f"{args.runs} runs each, alternating; whole-process wall time, median (min-max)")
    for name in variants:
        t = times[name]
        print(f"  {name:28} {statistics.median(t):6.2f} s ({min(t):.2f}-{max(t):.2f})  "
              f"score {sorted(scores[name])}")
    print(f"  ratio sandboxed / in-process: {sandboxed / plain:.2f}x "
          f"(one grader process: {serial / plain:.2f}x)")


if __name__ == "__main__":
    main()
