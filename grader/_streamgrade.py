"""Grade one exercise and report each test as it finishes: ``python -m grader._streamgrade
FOLDER SLUG``, the grading process behind the notebook's test cells (``grader.notebook``).
With no arguments it loads the grader first and then reads ``FOLDER<tab>SLUG`` from
standard input: the notebook keeps one such process warm, so a grading skips start-up.

Standard output carries only JSON lines: ``{"test": {...}}`` per finished test, in the
suite's order, then ``{"report": ...}`` (the report as ``aiograde grade --format json``
has it) or ``{"error": "..."}``. Anything else the grading prints goes to standard error.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from . import _plugin
from ._errors import AiogradeError
from ._grading import grade
from ._status import Reason


def _send(channel: TextIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def main(argv: list[str]) -> int:
    if len(argv) == 2:
        folder, slug = argv
    elif not argv:  # started ahead of time (warm): FOLDER and SLUG come on stdin
        words = sys.stdin.readline().split("\t")
        if len(words) != 2:
            return 0  # the kernel went away before it needed us
        folder, slug = words[0], words[1].strip()
    else:
        print("usage: python -m grader._streamgrade [FOLDER SLUG]", file=sys.stderr)
        return 2
    # The protocol keeps fd 1 to itself; everything else printed lands on stderr.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)

    def on_test(outcome: _plugin.TestOutcome) -> None:
        _send(channel, {"test": {"name": outcome.name, "points": outcome.points,
                                 "passed": outcome.passed, "hidden": outcome.hidden,
                                 "fault": outcome.reason is Reason.GRADER_FAULT,
                                 "message": outcome.message}})

    _plugin.on_test_finished = on_test
    try:
        report = grade(folder, only=[slug], parallel=1)
    except AiogradeError as exc:
        _send(channel, {"error": str(exc)})
        return 0
    _send(channel, {"report": report.to_dict()})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
