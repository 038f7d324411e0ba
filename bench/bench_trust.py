"""What the trust instruments cost: CPU per grading with them (this tree) and without them
(the grader as it was before them, a git commit exported to a temporary folder).

The instruments: the sentinel (an audit hook, a snapshot of the instruments compared by a
thread every 250 ms and at every seal, tracker and clock accounts), the step monitor's
scheduler reads per loop step (blocking by effect), leaks found from the loop, and the
per-worker memory cgroup and scratch tmpfs. CPU is user + system time of the whole
grading (grader, fork server, workers: every process is waited for, so the kernel adds
its time to ours), measured as whole commands, alternating, and reported as a ratio of
medians: the machine is shared, so seconds from different runs don't compare, CPU time
less so than wall time.

    .venv/bin/python bench/bench_trust.py [--runs 5] [--base 815b476] [--submission solutions]

The budget (issue 6): the instruments cost under 15% more CPU per grading.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "815b476"  # main just before the trust instruments were merged onto the typed wire
BUDGET = 0.15


def export(ref: str, into: Path) -> Path:
    """The tree of ``ref`` (its grader and solutions), without touching any worktree."""
    archive = subprocess.run(["git", "archive", "--format=tar", ref, "grader", "solutions"],
                             cwd=ROOT, capture_output=True, check=True).stdout
    tar_path = into / "base.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def cpu_of(tree: Path, submission: Path) -> tuple[float, float, int]:
    """CPU seconds (all processes), wall seconds and the score of one grading."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(submission),
                           "--format", "json", "--no-gradebook"], cwd=tree,
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(tree)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, json.loads(done.stdout)["score"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base", default=BASE)
    parser.add_argument("--submission", default="solutions")
    args = parser.parse_args()
    submission = (ROOT / args.submission).resolve()
    with tempfile.TemporaryDirectory(prefix="bench-trust-") as scratch:
        trees = {"with the instruments": ROOT, "without (base)": export(args.base, Path(scratch))}
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        wall: dict[str, list[float]] = {name: [] for name in trees}
        for run in range(args.runs):
            for name, tree in trees.items():
                seconds, elapsed, score = cpu_of(tree, submission)
                cpu[name].append(seconds)
                wall[name].append(elapsed)
                print(f"run {run + 1}: {name}: {seconds:.2f} s CPU, {elapsed:.2f} s wall, "
                      f"score {score}", file=sys.stderr)
    with_, without = (statistics.median(cpu[n]) for n in trees)
    ratio = with_ / without
    print(f"CPU per grading of {args.submission} (median of {args.runs}):")
    for name in trees:
        print(f"  {name:22} {statistics.median(cpu[name]):6.2f} s CPU  "
              f"{statistics.median(wall[name]):6.2f} s wall")
    print(f"  instruments cost {100 * (ratio - 1):+.1f}% CPU (budget +{100 * BUDGET:.0f}%)")
    sys.exit(0 if ratio - 1 < BUDGET else 1)


if __name__ == "__main__":
    main()
