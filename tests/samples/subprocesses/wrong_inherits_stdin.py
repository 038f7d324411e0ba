"""WRONG: with input=None, run() lets the program inherit the caller's standard input.

Violates: "with `input=None` the program's standard input is closed, or empty, from the
start". A good grader says: an inherited stdin may be a terminal or a pipe that never
ends, and a program that reads it (`cat`, a tool asking a question) then waits for ever;
pass `stdin=DEVNULL` (or a pipe you close at once).

Fails: test_run_without_input_gives_an_empty_stdin
Cause: wrong | input=None | inherit
"""

from __future__ import annotations

import asyncio
import contextlib
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
        *argv, stdin=None if input is None else PIPE, stdout=PIPE, stderr=PIPE
    )
    try:
        async with asyncio.timeout(timeout):
            # communicate() writes the input, closes stdin and reads both pipes at the
            # same time: waiting for the exit before reading can deadlock once a pipe
            # buffer (64 KiB) fills up.
            stdout, stderr = await process.communicate(input)
    finally:
        if process.returncode is None:
            # Timed out (or our caller cancelled us): kill it, then wait() so that it
            # is reaped and its pipes are closed; a killed program left unwaited is a
            # zombie.
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
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
