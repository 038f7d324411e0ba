"""Subprocesses: other programs, through pipes.

``subprocess.run`` blocks the thread that calls it until the program ends: on the event
loop's thread that freezes every other task. asyncio starts programs itself
(``asyncio.create_subprocess_exec``) and gives you a ``Process`` whose pipes are
streams and whose ``wait()`` and ``communicate()`` are awaitables, so the loop keeps
running while the program does. ``exec`` passes each argument as it is, with no shell
to split or expand it. Reading the pipes matters as much as waiting: a program that
fills a pipe nobody reads stops until someone does. And a program you gave up on must
be killed and then waited for (reaped), or it keeps running, or lingers as a zombie;
that includes the programs still running when your caller cancels you.

Read: https://docs.python.org/3/library/asyncio-subprocess.html
"""

from __future__ import annotations

# The solution uses these; the noqa keeps the linter quiet until yours does too.
import asyncio  # noqa: F401
import contextlib  # noqa: F401
from asyncio.subprocess import DEVNULL, PIPE  # noqa: F401


# The contract fixes a `timeout` argument; inside, asyncio.timeout() does the work.
async def run(
    *argv: str,
    input: bytes | None = None,
    timeout: float,  # noqa: ASYNC109
) -> tuple[int, bytes, bytes]:
    """Run the program ``argv`` and return ``(returncode, stdout, stderr)``.

    Runs the program ``argv`` with no shell: arguments are passed as they are
    (``run("echo", "a b")`` gives ``echo`` one argument, ``a b``). Writes ``input``
    to its standard input and closes it; with ``input=None`` the program's standard
    input is closed, or empty, from the start (it must not wait on ours). Standard
    output and standard error are captured, separately.

    If the program has not ended within ``timeout`` wall-clock seconds, it is killed
    (``SIGKILL``) and reaped (waited for, so that no process is left behind), and
    ``TimeoutError`` is raised. The loop is never blocked (no ``subprocess.run``).

    When the task awaiting it is cancelled (by its caller), the program is killed and
    reaped before the cancellation propagates: the caller's task ends *cancelled*, no
    process left behind.

    Args:
        *argv: the program and its arguments, e.g. ``("cat",)`` or
            ``(sys.executable, "-c", "print(1)")``.
        input: bytes to feed to the program's standard input, or ``None``.
        timeout: how long the program may run, in seconds.

    Returns:
        ``(returncode, stdout, stderr)``: the exit status and everything the program
        wrote to each pipe.

    Raises:
        TimeoutError: the program ran for longer than ``timeout`` (it has been killed
            and reaped).
    """
    raise NotImplementedError


async def run_all(commands: list[list[str]], limit: int) -> list[int]:
    """Run every command, at most ``limit`` at once, and return their return codes.

    Each command runs as ``run`` does, with no input and no timeout; its output is
    captured and discarded. At most ``limit`` programs run at once and, while there is
    work, as many as that: when one ends, the next command starts (not when a whole
    batch has ended).

    When the task awaiting it is cancelled (by its caller), every program still running
    is killed and reaped before the cancellation propagates: the caller's task ends
    *cancelled*, no process left behind.

    Args:
        commands: the commands, each a list like ``["sleep", "1"]``.
        limit: how many programs may run at the same time.

    Returns:
        The return codes, in the order of ``commands`` (not in the order they ended).

    Raises:
        ValueError: ``limit < 1``.
    """
    raise NotImplementedError
