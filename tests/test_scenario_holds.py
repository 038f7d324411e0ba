"""The held commands of the subprocesses scenarios (``run_all`` with a limit): a command the
scenario lets go goes, whenever it gets round to opening its FIFO. On a loaded machine a
command can be released between writing its start mark and opening the FIFO; the line that
releases it must still be there then."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from grader.scenarios.subprocesses import _Holds, _program


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
