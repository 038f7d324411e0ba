"""WRONG: run kills its program on timeout only, not when its caller cancels it.

Violates the convention "Cancelled by its caller": the program must be killed and reaped
before the cancellation propagates. A good grader says: kill and reap in a `finally:`,
whatever ended the wait (a timeout, or a cancellation).

Fails: test_run_cancelled_by_its_caller_kills_and_reaps
Cause: leak | cancelled | not been killed | process.kill()
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
        *argv, stdin=DEVNULL if input is None else PIPE, stdout=PIPE, stderr=PIPE
    )
    try:
        async with asyncio.timeout(timeout):
            # communicate() writes the input, closes stdin and reads both pipes at the
            # same time: waiting for the exit before reading can deadlock once a pipe
            # buffer (64 KiB) fills up.
            stdout, stderr = await process.communicate(input)
    except TimeoutError:
        if process.returncode is None:
            # Timed out: kill it, then wait() so that it is reaped.
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        raise
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
            try:
                await process.communicate()  # read (and drop) the output, wait for the exit
            finally:
                if process.returncode is None:
                    # Cancelled (by our caller, or by the group when another failed):
                    # kill the program and reap it, as run() does on its timeout.
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                    await process.wait()
            return process.returncode

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(run_one(argv)) for argv in commands]
    return [task.result() for task in tasks]
