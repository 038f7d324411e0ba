"""CORRECT: pipes fed and read by hand in a TaskGroup, and a sliding window of tasks with asyncio.wait()."""

from __future__ import annotations

import asyncio
from asyncio.subprocess import DEVNULL, PIPE


async def run(*argv: str, input: bytes | None = None, timeout: float) -> tuple[int, bytes, bytes]:
    process = await asyncio.create_subprocess_exec(*argv, stdin=PIPE, stdout=PIPE, stderr=PIPE)
    assert process.stdin and process.stdout and process.stderr

    async def feed() -> None:
        # With no input, stdin is closed at once: the program reads end-of-file.
        try:
            if input:
                process.stdin.write(input)
                await process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # The program ended without reading everything: that is its business.
        process.stdin.close()

    try:
        async with asyncio.timeout(timeout), asyncio.TaskGroup() as group:
            group.create_task(feed())
            stdout = group.create_task(process.stdout.read())
            stderr = group.create_task(process.stderr.read())
            returncode = group.create_task(process.wait())
    except BaseException:  # timed out, or cancelled by our caller
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    return returncode.result(), stdout.result(), stderr.result()


async def exit_status(argv: list[str]) -> int:
    # No input: an empty stdin (communicate() with no input leaves a PIPE open on 3.11).
    process = await asyncio.create_subprocess_exec(*argv, stdin=DEVNULL, stdout=PIPE, stderr=PIPE)
    try:
        await process.communicate()
    finally:
        if process.returncode is None:  # cancelled: don't leave the program running
            process.kill()
            await process.wait()
    return process.returncode


async def run_all(commands: list[list[str]], limit: int) -> list[int]:
    if limit < 1:
        raise ValueError(f"limit={limit}: at least one command must be able to run")
    codes: list[int] = [0] * len(commands)
    running: dict[asyncio.Task[int], int] = {}
    waiting = list(enumerate(commands))[::-1]
    try:
        while waiting or running:
            while waiting and len(running) < limit:
                index, argv = waiting.pop()
                running[asyncio.create_task(exit_status(argv))] = index
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                codes[running.pop(task)] = task.result()
    finally:
        # Left early (cancelled by our caller): stop what still runs, and wait for it.
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running)
    return codes
