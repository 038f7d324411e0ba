"""CORRECT: wait_for() around communicate(), and `limit` worker tasks sharing one iterator of commands."""

from __future__ import annotations

import asyncio
from asyncio.subprocess import DEVNULL, PIPE


async def run(*argv: str, input: bytes | None = None, timeout: float) -> tuple[int, bytes, bytes]:
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=DEVNULL if input is None else PIPE, stdout=PIPE, stderr=PIPE
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(input), timeout)
    except BaseException:  # timed out, or cancelled by our caller
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    return process.returncode, stdout, stderr


async def run_all(commands: list[list[str]], limit: int) -> list[int]:
    if limit < 1:
        raise ValueError("limit must be >= 1")
    codes: list[int] = [0] * len(commands)
    todo = iter(enumerate(commands))

    async def worker() -> None:
        # All workers pull from the same iterator: each takes the next command as soon
        # as its previous one has ended.
        for index, argv in todo:
            process = await asyncio.create_subprocess_exec(*argv, stdin=DEVNULL, stdout=PIPE, stderr=PIPE)
            try:
                await process.communicate()
            finally:
                if process.returncode is None:  # cancelled: don't leave the program running
                    process.kill()
                    await process.wait()
            codes[index] = process.returncode

    async with asyncio.TaskGroup() as group:
        for _ in range(min(limit, len(commands))):
            group.create_task(worker())
    return codes
