"""The held commands of the subprocesses scenarios (``run_all`` with a limit): a command the
scenario lets go goes, whenever it gets round to opening its FIFO. On a loaded machine a
command can be released between writing its start mark and opening the FIFO; the line that
releases it must still be there then. And a cancellation waits for the program itself, not
for a shell that is still starting it."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from grader.scenarios.subprocesses import Watch, _Holds, _program


def test_a_command_released_before_it_opens_its_fifo_still_goes(tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    holds = _Holds(["p0", "p1"])
    try:
        holds.release("p0")  # before the command has even started
        argv = _program("mark", holds.log, "p0", holds.fifos["p0"], "10")
        done = subprocess.run(argv, timeout=10, check=False)
        assert done.returncode == 10
        assert holds.marks() == ["+p0", "-p0"]
    finally:
        holds.close()


def test_closing_lets_every_command_still_held_go(tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    holds = _Holds(["p0"])
    argv = _program("mark", holds.log, "p0", holds.fifos["p0"], "11")
    command = subprocess.Popen(argv)
    try:
        for _ in range(500):  # until it waits on its FIFO
            if holds.marks():
                break
            subprocess.run(["sleep", "0.01"], check=True)
        assert command.poll() is None  # held
        holds.close()
        assert command.wait(10) == 11
    finally:
        command.kill()
        command.wait()


def test_a_cancellation_waits_for_the_program_not_the_shell_that_starts_it() -> None:
    # A run through a shell that kills only the shell leaves the program behind, but only
    # if the program had started: cancelled the moment the shell exists, it would pass or
    # fail by the shell's speed (a class grading once passed such a run; alone it failed).
    async def main() -> float:
        loop = asyncio.get_running_loop()
        async with Watch() as watch:
            shell = await asyncio.create_subprocess_shell("sleep 0.3; exec sleep 30")
            started_at = loop.time()
            try:
                running = asyncio.ensure_future(watch.running(1, _program("sleep")))
                await asyncio.sleep(0.1)
                assert watch.started(1).done()  # the shell has started
                assert not running.done()  # the program has not: the shell is still napping
                await asyncio.wait_for(running, 10)
                return loop.time() - started_at
            finally:
                shell.kill()
                await shell.wait()

    loop = asyncio.new_event_loop()  # (not asyncio.run: it would drop the loop the test has)
    try:
        waited = loop.run_until_complete(main())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()
    assert waited >= 0.25  # running: the program, once the shell has got round to it
