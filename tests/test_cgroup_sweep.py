"""What a fork server that died without closing left in the cgroup tree (its cgroup and its
workers', named after its pid) is removed by the next fork server, and nothing else is:
left there, such cgroups pile up run after run (a submission can kill its fork server)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from grader._child.zygote import _Cgroups
from grader._grading import grade

ROOT = Path(__file__).resolve().parent.parent


def _pids_parent() -> Path | None:
    """Where a fork server makes its pids cgroup (cgroup v1 or v2), if it can."""
    if os.geteuid() != 0:
        return None
    v1 = Path("/sys/fs/cgroup/pids")
    if v1.is_dir():
        return v1 / _Cgroups._own_path("pids").lstrip("/")
    controllers = Path("/sys/fs/cgroup/cgroup.controllers")
    if controllers.exists() and "pids" in controllers.read_text().split():
        return Path("/sys/fs/cgroup")
    return None


def test_a_dead_fork_servers_cgroups_are_swept_and_a_live_ones_kept() -> None:
    parent = _pids_parent()
    if parent is None or not parent.is_dir():
        pytest.skip("needs root and a pids cgroup (as CI has)")
    ended = subprocess.Popen(["true"])
    ended.wait()  # its pid names no process now
    dead = parent / f"{_Cgroups.PREFIX}{ended.pid}"
    alive = parent / f"{_Cgroups.PREFIX}{os.getpid()}"  # this process: alive
    (dead / "w0").mkdir(parents=True)
    (alive / "w0").mkdir(parents=True)
    try:
        report = grade(ROOT / "solutions", only=["coroutines"], parallel=1)
        assert report.score == report.max_score > 0
        assert not dead.exists()
        assert (alive / "w0").is_dir()
    finally:
        for path in (dead / "w0", dead, alive / "w0", alive):
            if path.exists():
                path.rmdir()


def test_a_workers_cgroup_is_emptied_before_another_worker_gets_it() -> None:
    if _pids_parent() is None:
        pytest.skip("needs root and a pids cgroup (as CI has)")
    groups = _Cgroups(max_pids=64, memory_bytes=None)
    try:
        first = groups.make("w0")
        assert "pids" in first
        left = subprocess.Popen(["sleep", "30"])  # what a worker left running
        Path(first["pids"], "cgroup.procs").write_text(str(left.pid))
        groups.remove(first)
        assert left.wait(timeout=5) == -9  # killed with the worker's cgroup
        assert groups.make("w1") == first  # the same cgroup, empty, its limit kept
        assert Path(first["pids"], "cgroup.procs").read_text().split() == []
        assert Path(first["pids"], "pids.max").read_text().strip() == "64"
    finally:
        groups.close()
    assert not Path(first["pids"]).exists()
