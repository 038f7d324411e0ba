"""Public checks for the `subprocesses` exercise: `pytest checks/test_subprocesses.py`.

Real programs take real time, so these checks run on the real clock
(`looptime(False)`) and only check what cannot be flaky: values, order, and counts.
"""

import asyncio
import sys

import psutil
import pytest
from _target import exercise

mod = exercise("subprocesses")

PATIENCE = 3.0  # seconds: a timeout that a correct run never comes near


@pytest.mark.asyncio
@pytest.mark.looptime(False)
async def test_run_returns_returncode_stdout_and_stderr():
    program = "import sys; print('to out'); print('to err', file=sys.stderr); sys.exit(3)"
    result = await mod.run(sys.executable, "-c", program, timeout=PATIENCE)
    assert result == (3, b"to out\n", b"to err\n"), (
        f"run should return (returncode, stdout, stderr), each pipe captured apart; got {result}"
    )
    # A megabyte does not fit in a pipe: the program waits until someone reads it.
    program = "import sys; sys.stdout.write('x' * 1_000_000); print('done', file=sys.stderr)"
    big = asyncio.ensure_future(mod.run(sys.executable, "-c", program, timeout=PATIENCE))
    await asyncio.wait([big], timeout=PATIENCE + 1)  # a bound, in case run() itself hangs
    if not big.done() or isinstance(big.exception(), TimeoutError):
        big.cancel()
        pytest.fail(
            "a program that writes 1 MB never ended: read its pipes while it runs"
            " (communicate()), not after wait(), or it blocks on a full pipe"
        )
    code, out, err = big.result()
    assert (code, len(out), err) == (0, 1_000_000, b"done\n"), "all of stdout should be captured"


@pytest.mark.asyncio
@pytest.mark.looptime(False)
async def test_run_passes_input_and_arguments_as_they_are():
    echoed = await mod.run("cat", input=b"line one\nline two\n", timeout=PATIENCE)
    assert echoed == (0, b"line one\nline two\n", b""), (
        f"cat should echo the input back (write it, then close stdin); got {echoed}"
    )
    nothing = await mod.run("cat", timeout=PATIENCE)
    assert nothing == (0, b"", b""), (
        f"with input=None the program's stdin is empty from the start; got {nothing}"
    )
    program = "import sys; print(sys.argv[1:])"
    _, out, _ = await mod.run(sys.executable, "-c", program, "a b", "$HOME", "*", timeout=PATIENCE)
    assert out == b"['a b', '$HOME', '*']\n", (
        "each argument must reach the program as it is: no shell splits, expands or globs"
        f" them (use create_subprocess_exec); the program saw {out!r}"
    )


@pytest.mark.asyncio
@pytest.mark.looptime(False)
async def test_run_kills_and_reaps_a_program_that_runs_too_long():
    beats = 0

    async def heartbeat():
        nonlocal beats
        while True:
            await asyncio.sleep(0.01)
            beats += 1

    beating = asyncio.create_task(heartbeat())
    try:
        with pytest.raises(TimeoutError):
            await mod.run("sleep", "5", timeout=0.2)
    finally:
        beating.cancel()
    assert beats >= 3, (
        f"other tasks got to run only {beats} times in 0.2 s: run blocked the event loop"
        " (use asyncio.create_subprocess_exec, not subprocess.run)"
    )
    left_behind = psutil.Process().children(recursive=True)
    assert left_behind == [], (
        f"after the timeout the program must be killed and waited for (reaped); still there: {left_behind}"
    )


@pytest.mark.asyncio
@pytest.mark.looptime(False)
async def test_run_all_returns_codes_in_order_and_checks_limit():
    commands = [["sh", "-c", "sleep 0.1; exit 4"], ["true"], ["false"], ["sh", "-c", "exit 7"]]
    codes = await mod.run_all(commands, limit=2)
    assert codes == [4, 0, 1, 7], (
        f"return codes come in the order of the commands, not of their ends; got {codes}"
    )
    with pytest.raises(ValueError):
        await mod.run_all([["true"]], limit=0)


@pytest.mark.asyncio
@pytest.mark.looptime(False)
async def test_run_all_keeps_limit_programs_running_while_there_is_work(tmp_path):
    log = tmp_path / "log"
    # Each command writes "+" to the log when it starts and "-" when it ends.
    step = 'echo + >> "$0"; sleep "$1"; echo - >> "$0"'
    seconds = ["0.4", "0.05", "0.05", "0.05"]  # one long command, three short ones
    await mod.run_all([["sh", "-c", step, str(log), s] for s in seconds], limit=2)
    marks = log.read_text().split()
    running, most, idle_gaps = 0, 0, 0
    for i, mark in enumerate(marks):
        running += 1 if mark == "+" else -1
        most = max(most, running)
        if running == 0 and i < len(marks) - 1:
            idle_gaps += 1
    assert most == 2, f"with limit=2, two programs should run at once (never more); {most} did"
    assert idle_gaps == 0, (
        "every program had ended while commands were still waiting: start the next command"
        " as soon as one ends (not batch by batch, not one by one)"
    )
