"""WRONG: on timeout run() raises TimeoutError but leaves the program running.

Violates: "it is killed (`SIGKILL`) and reaped (no process is left behind)".
A good grader says: a timeout only stops *your waiting*; the program goes on until you
kill it (process.kill()) and then reap it (await process.wait()).

Fails: test_run_kills_and_reaps_a_program_that_runs_too_long
Cause: leak | still running | process.kill()
"""

from __future__ import annotations

import asyncio
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
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=DEVNULL if input is None else PIPE, stdout=PIPE, stderr=PIPE
    )
    async with asyncio.timeout(timeout):
        stdout, stderr = await process.communicate(input)
    return process.returncode, stdout, stderr


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
