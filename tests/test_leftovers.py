"""What a scenario leaves behind is still found now that the child looks for it cheaply:
processes through the kernel's list of each thread's children before any search, and the
loop's shutdown steps skipped only when they would run nothing."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
import time

import psutil

from grader._child import instruments, kit


def test_a_process_left_behind_is_found_named_and_killed() -> None:
    before = instruments.Snapshot()
    child = subprocess.Popen(["sleep", "30"])
    try:
        left = before.leftovers(grace=0.1)
        assert len(left["processes"]) == 1
        assert f"pid {child.pid} (sleep 30" in left["processes"][0]
        # killed (and reaped) by the check, so it cannot run into the next scenario
        assert not psutil.pid_exists(child.pid)
    finally:
        child.kill()
        child.wait()


def test_a_grandchild_is_found_too() -> None:
    before = instruments.Snapshot()
    shell = subprocess.Popen(["/bin/sh", "-c", "sleep 30 & wait"])
    try:
        for _ in range(100):  # until the shell has started its own child
            if psutil.Process(shell.pid).children():
                break
            time.sleep(0.02)
        grandchild = psutil.Process(shell.pid).children()[0].pid
        left = before.leftovers(grace=0.1)
        assert sorted(p.split()[1] for p in left["processes"]) == sorted(
            [str(shell.pid), str(grandchild)])
        assert not psutil.pid_exists(grandchild) or \
            psutil.Process(grandchild).status() == psutil.STATUS_ZOMBIE
    finally:
        shell.kill()
        shell.wait()


def test_the_kernels_list_tells_whether_there_is_any_child() -> None:
    # In a process of its own: the test runner may have children of its own.
    code = textwrap.dedent("""
        import subprocess
        from grader._child import instruments
        alone = instruments._childless()
        child = subprocess.Popen(["sleep", "30"])
        with_child = instruments._childless()
        found = set(instruments.child_processes())
        child.kill(); child.wait()
        print(alone, with_child, found == {child.pid}, instruments.child_processes())
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["True", "False", "True", "{}"]


def test_a_loop_is_idle_only_with_nothing_ready_and_no_file_watched() -> None:
    loop = asyncio.new_event_loop()
    left, right = socket.socketpair()
    try:
        assert kit._idle(loop)
        handle = loop.call_soon(print)
        assert not kit._idle(loop)  # a callback would run in the shutdown's steps
        handle.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        assert kit._idle(loop)
        loop.add_reader(left, print)
        assert not kit._idle(loop)  # so would a reader whose file is ready
        loop.remove_reader(left)
        assert kit._idle(loop)
    finally:
        left.close()
        right.close()
        loop.close()
