"""Statuses and reasons, set where the event happens and carried to the report as enums.

Nothing downstream reads a status back out of a message's wording (exercism's test
runner sets ``status.error(message)`` the same way).
"""

from __future__ import annotations

import enum


class TestStatus(enum.StrEnum):
    __test__ = False  # not a pytest test class

    PASSED = "passed"
    FAILED = "failed"  # the submission's fault: it loses the test's points
    ERROR = "error"  # the grader's own fault, or nothing could run: never blamed on the code


class ExerciseStatus(enum.StrEnum):
    PASSED = "passed"
    PARTIAL = "partial"
    FAILED = "failed"
    MISSING = "missing"  # the module is not in the submission
    ERROR = "error"  # it could not be read or imported, or the grader failed


class Reason(enum.StrEnum):
    """Why a test did not pass."""

    NONE = ""  # it passed
    WRONG = "wrong"  # a wrong value or behaviour
    NOT_IMPLEMENTED = "not-implemented"
    BLOCKING = "blocking"  # a blocking call on the loop's thread
    BUSY_LOOP = "busy-loop"  # one loop step kept the CPU
    LEAK = "leak"  # something left behind: tasks, timers, threads, processes, sockets
    TIMING = "timing"  # the wrong loop time, or not concurrent
    HANG = "hang"  # nothing left to do but wait forever, on the loop's clock
    TIME_LIMIT = "time-limit"  # no answer within the exercise's real-time limit: stopped
    CRASH = "crash"  # the process running the module died
    IMPORT = "import"  # the module does not import
    MISSING = "missing"  # the module is not in the submission
    UNREADABLE = "unreadable"  # a link, not a file, too large
    TAMPERING = "tampering"  # forged answers on the grader's channel
    GRADER_FAULT = "grader-fault"  # a bug in the grader: status error
    CAUSED_BY = "caused-by"  # failed because of an earlier test's cause (see caused_by)

    @property
    def status(self) -> TestStatus:
        if self is Reason.NONE:
            return TestStatus.PASSED
        if self is Reason.GRADER_FAULT:
            return TestStatus.ERROR
        return TestStatus.FAILED
