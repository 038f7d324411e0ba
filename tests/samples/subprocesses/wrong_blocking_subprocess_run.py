"""WRONG: run() calls the blocking subprocess.run() on the event loop's thread.

Violates: "The loop is never blocked." A good grader says: subprocess.run() holds the
loop until the program ends (or times out), so every other task freezes; start it with
asyncio.create_subprocess_exec() and await communicate().

Fails: test_run_returns_the_code_and_both_outputs, test_run_sends_the_input_and_closes_stdin, test_run_without_input_gives_an_empty_stdin, test_run_passes_arguments_as_they_are, test_run_never_lets_a_pipe_fill_up, test_run_kills_and_reaps_a_program_that_runs_too_long, test_run_does_not_block_the_loop
Cause: blocking | subprocess.run( | create_subprocess_exec
"""

from __future__ import annotations

import asyncio
import subprocess
from asyncio.subprocess import DEVNULL, PIPE


# The contract fixes a `timeout` argument; inside, asyncio.timeout() does the work.
async def run(
    *argv: str,
    input: bytes | None = None,
    timeout: float,
) -> tuple[int, bytes, bytes]:
    # exec, not shell: each argument reaches the program as it is, spaces, quotes,
    # `$` and all. With no input, /dev/null gives the program an empty stdin at once
    # instead of letting it read (and wait on) ours.
    try:
        completed = subprocess.run(
            argv,
            input=input,
            stdin=DEVNULL if input is None else None,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"{argv[0]} ran for more than {timeout} s") from None
    return completed.returncode, completed.stdout, completed.stderr


async def run_all(commands: list[list[str]], limit: int) -> list[int]:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    # The semaphore lets `limit` commands run and queues the rest; as soon as one
    # ends, the next waiting one starts, so the slots never sit idle while there is work.
    slots = asyncio.Semaphore(limit)

    async def run_one(argv: list[str]) -> int:
        async with slots:
            process = await asyncio.create_subprocess_exec(*argv, stdin=DEVNULL, stdout=PIPE, stderr=PIPE)
            await process.communicate()  # read (and drop) the output, wait for the exit
            return process.returncode

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(run_one(argv)) for argv in commands]
    return [task.result() for task in tasks]
