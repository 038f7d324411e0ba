"""One submission is bounded as a whole: its memory (children and scratch included), its
disk, what its cleanup must survive, and the size of its report in every format.

Measured, not timed: the memory test reads the peak the kernel accounted for a whole
grading (a memory cgroup around the grader), the others sizes and what is left on disk.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from grader import _bounds, _report
from grader._bounds import JSON_BUDGET, MAX_REPORT_BYTES, bound_report
from grader._cleanup import remove_tree
from grader._formats import FORMATS
from grader._gradebook import Gradebook
from grader._wire import Limits

HOSTILE = Path(__file__).parent / "hostile"
MiB = 1024 * 1024


def test_cleanup_survives_deep_unreadable_and_linked_trees(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("must survive")
    tree = tmp_path / "tree"
    tree.mkdir()
    fd = os.open(tree, os.O_RDONLY)
    for depth in range(5000):  # far deeper than PATH_MAX and Python's recursion allow
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
        if depth % 1000 == 0:
            os.symlink(outside, "link", dir_fd=fd)
            os.link(outside / "keep", "hard", dst_dir_fd=fd)
    os.close(fd)
    (tree / "locked" / "inner").mkdir(parents=True)
    (tree / "locked" / "inner").chmod(0)
    (tree / "locked").chmod(0)
    with pytest.raises(RecursionError):
        shutil.rmtree(tree)  # what the grader used before: it crashed here, no report
    assert remove_tree(tree) == []
    assert not tree.exists()
    assert (outside / "keep").read_text() == "must survive"
    assert remove_tree(tmp_path / "absent") == []


def _grade(case: str, tmp_path: Path, *extra: str, cgroup: Path | None = None,
           ) -> tuple[subprocess.CompletedProcess[str], Path]:
    folder = tmp_path / case
    shutil.copytree(HOSTILE / case, folder, symlinks=True)
    shutil.copy(ROOT / "solutions" / "coroutines.py", folder / "coroutines.py")
    private = tmp_path / "grader-tmp"
    private.mkdir()
    command = [sys.executable, "-m", "grader", "grade", str(folder), "--only", "gathering",
               "--only", "coroutines", "--no-gradebook", *extra]
    if cgroup is not None:  # the whole grading, grader and workers, inside one memory cgroup
        command = ["sh", "-c", f'echo $$ > "{cgroup}/cgroup.procs" && exec "$@"', "sh", *command]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TMPDIR": str(private)})
    assert done.returncode == 0, done.stderr[-3000:]
    return done, private


def test_a_deep_tree_in_scratch_leaves_nothing_behind(tmp_path: Path) -> None:
    done, private = _grade("deep_tree", tmp_path, "--format", "json")
    report = json.loads(done.stdout)
    gathering = {e["slug"]: e for e in report["exercises"]}["gathering"]
    assert gathering["score"] == 0
    assert list(private.iterdir()) == []
    assert (tmp_path / "deep_tree" / "gathering.py").exists()


def test_a_flood_of_findings_is_capped_and_every_format_stays_under_1_mib(tmp_path: Path) -> None:
    formats = [name for name in FORMATS if name != "json"]
    writes = [f"--write={name}={tmp_path / ('out.' + name)}" for name in formats]
    done, _ = _grade("finding_flood", tmp_path, "--format", "json", *writes)
    sizes = {"json": len(done.stdout.encode())}
    sizes.update({name: (tmp_path / f"out.{name}").stat().st_size for name in formats})
    assert max(sizes.values()) < MAX_REPORT_BYTES, sizes
    report = json.loads(done.stdout)
    gathering = {e["slug"]: e for e in report["exercises"]}["gathering"]
    assert len(gathering["findings"]) == 50
    assert "more findings not listed" in gathering["findings"][-1]["message"]
    assert report["flagged"]
    book = tmp_path / "book.sqlite"
    with Gradebook(book) as gradebook:
        gradebook.record("someone", _report.Report.from_dict(report), "0" * 64)
    empty = tmp_path / "empty.sqlite"
    with Gradebook(empty) as gradebook:
        pass
    assert book.stat().st_size - empty.stat().st_size < MAX_REPORT_BYTES


def _huge_report() -> _report.Report:
    long = "x" * 5000
    exercises = [
        _report.ExerciseResult(f"ex{i}", "title", 0, 10, "failed",
                       [_report.TestResult(f"test_{j}", 0, 1, "failed", long, True) for j in range(40)],
                       hints=[long] * 20, docs=long, problem=long,
                       findings=[_report.Finding("introspection", long, "ex.py", n, "static")
                                 for n in range(400)])
        for i in range(13)]
    return _report.Report("sub", 0, 130, exercises, "0", 1.0,
                  findings=[_report.Finding("test-runner-file", long, "x", None, "static")] * 300)


def test_any_report_is_bounded_in_every_format() -> None:
    report = bound_report(_huge_report())
    for name, render in FORMATS.items():
        assert len(render(report).encode()) < MAX_REPORT_BYTES, name
    assert all(t.max_score == 1 for e in report.exercises for t in e.tests)  # scores kept


def test_the_quick_size_check_agrees_with_the_exact_one_around_the_budget() -> None:
    # Many short items: the most separators per byte, where the compact encoding and
    # json.dumps's differ most. Sizes from well below the budget to above it.
    def report(tests: int) -> _report.Report:
        exercise = _report.ExerciseResult("ex", "t", 0, tests, "failed", [
            _report.TestResult(f"t{j}", 0, 1, "failed", "m", True) for j in range(tests)])
        return _report.Report("sub", 0, tests, [exercise], "0", 1.0)

    per_test = _bounds._size(report(101)) - _bounds._size(report(100))
    over = JSON_BUDGET // per_test + 2
    sizes = [*range(over // 4, over, over // 8), *range(over - 6, over + 6)]
    verdicts = {n: _bounds._fits(report(n)) for n in sizes}
    assert verdicts == {n: _bounds._size(report(n)) <= JSON_BUDGET for n in sizes}
    assert verdicts[over // 4] and not verdicts[over + 5]  # (both sides of the budget seen)


def _memory_cgroup(tmp_name: str) -> tuple[Path, str] | None:
    """A fresh memory cgroup under this process's own (v1 or v2), with its peak file."""
    if os.geteuid() != 0:
        return None
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _number, names, path = line.split(":", 2)
        if "memory" in names.split(","):
            base, peak = Path("/sys/fs/cgroup/memory" + path), "memory.max_usage_in_bytes"
            break
    else:
        path = next((p for n, _, p in (x.split(":", 2) for x in
                                       Path("/proc/self/cgroup").read_text().splitlines())
                     if n == "0"), "/")
        base, peak = Path("/sys/fs/cgroup" + path), "memory.peak"
    try:
        group = base / tmp_name
        group.mkdir()
    except OSError:
        return None
    if not (group / peak).exists():
        group.rmdir()
        return None
    return group, peak


@pytest.mark.parametrize("case", ["forked_memory", "fills_scratch"])
def test_a_submission_s_memory_and_disk_are_bounded(case: str, tmp_path: Path) -> None:
    found = _memory_cgroup(f"aiograde-test-{os.getpid()}-{case}")
    if found is None:
        pytest.skip("no memory cgroup to measure a grading in (needs root)")
    group, peak_file = found
    try:
        done, private = _grade(case, tmp_path, "--format", "json", cgroup=group)
        peak = int((group / peak_file).read_text())
    finally:
        group.rmdir()
    report = json.loads(done.stdout)
    by_slug = {e["slug"]: e for e in report["exercises"]}
    if any("memory limit per worker" in m for m in report["sandbox"]["missing"]):
        pytest.skip(f"no memory cgroup for workers here: {report['sandbox']['missing']}")
    assert by_slug["gathering"]["score"] == 0
    assert by_slug["coroutines"]["status"] == "passed"
    # One worker with every child and its scratch is held to memory_mb; the grader itself
    # (pytest, the fork server, the other exercise's worker) takes a few hundred MiB.
    bound = Limits().memory_mb * MiB + 512 * MiB
    print(f"{case}: peak {peak / MiB:.0f} MiB for the whole grading (bound {bound / MiB:.0f})")
    assert peak < bound
    assert list(private.iterdir()) == []
    if case == "fills_scratch":  # it returns minus the MiB it wrote
        message = by_slug["gathering"]["tests"][0]["message"]
        written = -int(re.search(r"returned (-\d+)", message)[1])  # type: ignore[index]
        # its scratch, /tmp and /dev/shm: three tmpfs of its own, nothing on the disk
        assert 0 < written <= 3 * Limits().scratch_mb + 64, message
