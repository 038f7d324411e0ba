"""A warm grader process for class gradings: start-up paid once, many students graded.

``python -m grader._gradeserver`` imports the grader and pytest, collects the hidden
suites once in a pytest session it keeps open and starts one fork server, then reads one
:class:`Order` per line on its standard input and writes one :class:`Reply` per line on
its standard output. Each student is graded in a process forked from this one for that
student alone, running the tests of that session (``_suiterun.Collected``): nothing of
one grading (its tests' state, its sandbox, its temporary folder) outlives it, and a
report is the very one ``aiograde grade`` gives for that student alone.

The fork server is shared by the students this process grades, one at a time: it never
runs student code (each student gets fresh workers forked from it, confined with that
student's own paths), and it is replaced whenever a grading did not end cleanly, so a
student that killed it or left it mid-conversation costs the next one nothing.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import msgspec
import pytest

from ._errors import AiogradeError

if TYPE_CHECKING:
    from ._plugin import GradingPlugin
    from ._sandbox import Zygote


class Order(msgspec.Struct, forbid_unknown_fields=True):
    """Grade one student folder."""

    student: str
    only: list[str] | None
    tamper: str
    hide: list[str]
    parallel: int


class Reply(msgspec.Struct, forbid_unknown_fields=True):
    """The report as ``aiograde grade --format json`` writes it, or why there is none."""

    report: str | None = None
    error: str | None = None


def error_line(exc: BaseException) -> str:
    """What ``aiograde grade`` would have said last on its standard error for ``exc``."""
    if isinstance(exc, AiogradeError):
        text = f"{exc}"
    else:
        text = traceback.format_exception_only(exc)[-1]
    lines = text.strip().splitlines()
    return (lines[-1] if lines else type(exc).__name__)[:300]


def _stop_cleanly(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwind: sandboxes closed, temporary folders removed


class _Serving:
    """The pytest plugin that serves the orders once the suites are collected, inside the
    one session this process keeps: every grading forked from it runs that session's tests
    (see ``_suiterun.Collected``), so none starts pytest or collects again."""

    def __init__(self, plugin: GradingPlugin, answers: BinaryIO) -> None:
        self.plugin, self.answers = plugin, answers
        self.stopped: SystemExit | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        from . import _formats, _grading, _suiterun  # noqa: F401  (what a grading uses)
        from ._plugin import fill_caches

        _suiterun.COLLECTED[:] = [_suiterun.Collected(session, self.plugin)]
        fill_caches()
        for item in session.items:  # (each test's report reads it: worked out once, here)
            item.location  # noqa: B018  (a cached property: computed and kept)
        # What is loaded now lives as long as this process: keep it out of the collections
        # each forked grading runs (which would also copy the pages it touches).
        gc.collect()
        gc.freeze()
        try:
            _serve_orders(self.answers)
        except SystemExit as stop:  # pytest would take it for its own internal error
            self.stopped = stop
        return True


def _grade_in_child(order: Order, zygote: Zygote, write_end: int) -> None:  # pragma: no cover
    """The forked grading process: grade, write the reply, exit without unwinding ours."""
    code = 0
    try:
        signal.signal(signal.SIGTERM, _stop_cleanly)
        from ._formats import render_json
        from ._grading import grade

        try:
            report = grade(order.student, only=order.only, tamper=order.tamper,
                           hide=[Path(p) for p in order.hide], parallel=order.parallel,
                           zygote=zygote if order.parallel <= 1 else None)
            reply = Reply(report=render_json(report))
        except Exception as exc:
            reply = Reply(error=error_line(exc))
            # Bad input is refused before any sandbox; anything else may have left the
            # fork server mid-conversation: the exit status says to replace it.
            code = 0 if isinstance(exc, AiogradeError) else 1
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(msgspec.json.encode(reply))
    except BaseException:
        code = 2
    finally:
        os._exit(code)


def serve() -> None:
    from . import _manifest, _suiterun
    from ._plugin import GradingPlugin

    signal.signal(signal.SIGTERM, _stop_cleanly)
    exercises = {e.slug: e for e in _manifest.load()}
    plugin = GradingPlugin(exercises, None, {})
    serving = _Serving(plugin, sys.stdout.buffer)  # (taken before pytest redirects sys.stdout)
    _suiterun.run_pytest(plugin, list(exercises), also=[serving])
    if serving.stopped is not None:
        raise serving.stopped


def _serve_orders(answers: BinaryIO) -> None:
    from ._sandbox import Zygote

    zygote: Zygote | None = Zygote()  # started while the class parent hands out the work
    child = 0
    orders = sys.stdin.buffer
    try:
        for line in orders:
            order = msgspec.json.decode(line, type=Order)
            if zygote is None:
                zygote = Zygote()
            read_end, write_end = os.pipe()
            child = os.fork()
            if child == 0:  # pragma: no cover - the grading process
                os.close(read_end)
                _grade_in_child(order, zygote, write_end)
            os.close(write_end)
            with os.fdopen(read_end, "rb") as pipe:
                text = pipe.read()
            _, status = os.waitpid(child, 0)
            child = 0
            try:
                reply = msgspec.json.decode(text, type=Reply)
            except msgspec.DecodeError:
                reply = Reply(error="the grading process died "
                              f"(exit status {os.waitstatus_to_exitcode(status)})")
            if os.waitstatus_to_exitcode(status) != 0 or zygote.process.poll() is not None:
                zygote.close()  # it may hold half a conversation, or be dead: a fresh one
                zygote = None
            answers.write(msgspec.json.encode(reply) + b"\n")
            answers.flush()
    finally:
        if child:  # stopped mid-grading: let the grading unwind (its temporary folder)
            try:
                os.kill(child, signal.SIGTERM)
                os.waitpid(child, 0)
            except OSError:
                pass
        if zygote is not None:
            zygote.close()


if __name__ == "__main__":
    serve()
