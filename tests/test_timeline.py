"""The timeline renderer: golden files for a made-up sequential and concurrent run.

Regenerate the golden files after an intended change with
``AIOGRADE_UPDATE_GOLDEN=1 ./dev test tests/test_timeline.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from grader._timeline import most_at_once, render_markdown, render_terminal, summary

GOLDEN = Path(__file__).parent / "golden"


def _calls(starts: list[float], length: float) -> list[dict[str, Any]]:
    return [{"kind": "call", "name": f"slow_square({i})", "start": start, "end": start + length,
             "where": None} for i, start in enumerate(starts, 1)]


SEQUENTIAL = _calls([float(i) for i in range(10)], 1.0)  # awaited one after another
CONCURRENT = _calls([0.0] * 10, 1.0)  # gathered
BLOCKED = [
    {"kind": "task", "name": "worker-1", "start": 0.0, "end": 2.0, "where": None},
    {"kind": "blocked", "name": "time.sleep", "start": 0.0, "end": 1.0,
     "where": {"file": "gathering.py", "line": 20}},
    {"kind": "task", "name": "worker-2", "start": 1.0, "end": None, "where": None},
]


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("AIOGRADE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed:\n{text}"


@pytest.mark.parametrize(("name", "events"), [("sequential", SEQUENTIAL),
                                              ("concurrent", CONCURRENT),
                                              ("blocked", BLOCKED)])
def test_terminal_and_markdown_match_the_golden_files(name: str, events: list[dict[str, Any]]) -> None:
    _golden(f"timeline_{name}.txt", render_terminal(events) + "\n")
    _golden(f"timeline_{name}.md", render_markdown(events))


def test_sequential_is_a_staircase_and_concurrent_side_by_side() -> None:
    rows = [line for line in render_terminal(SEQUENTIAL).splitlines() if "slow_square" in line]
    starts = [row.index("█") for row in rows]
    assert starts == sorted(starts) and len(set(starts)) == 10  # each starts after the last
    rows = [line for line in render_terminal(CONCURRENT).splitlines() if "slow_square" in line]
    assert len({row.index("█") for row in rows}) == 1
    assert most_at_once(SEQUENTIAL) == 1 and most_at_once(CONCURRENT) == 10
    assert "at most 1 running at once; 10 s of loop time" in summary(SEQUENTIAL)


def test_blocked_and_unfinished_events_are_told_apart() -> None:
    text = render_terminal(BLOCKED)
    assert "blocked: time.sleep" in text and "at gathering.py:20" in text
    assert "▓" in text and "→  1 s → still running" in text
    assert "the loop was blocked 1 time(s), 1 s in all" in text


def test_many_events_are_summarised_and_nothing_gives_nothing() -> None:
    text = render_terminal(_calls([float(i) for i in range(40)], 1.0))
    assert "… and 24 more event(s)" in text
    assert render_terminal([]) == "" and render_markdown([]) == ""


def test_an_instant_scenario_still_draws_one_cell() -> None:
    text = render_terminal(_calls([0.0], 0.0))
    assert "█" in text


def test_a_busy_loop_is_drawn_as_busy_in_the_function_that_spins() -> None:
    spin = {"file": "streams.py", "line": 24, "function": "_serve_client"}
    text = render_terminal([
        {"kind": "call", "name": "pieces(…) as a whole", "start": 0.0, "end": 1.0, "where": None},
        {"kind": "stall", "name": "0.8 s in one step", "start": 0.5, "end": 0.5, "where": spin},
    ])
    row = next(line for line in text.splitlines() if line.startswith("busy:"))
    assert "▒" in row and row.endswith("at streams.py:24 in _serve_client"), row
    assert "▒ loop busy (CPU)" in text
