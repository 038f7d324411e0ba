"""A picture of what the event loop did: tasks and calls as bars on the loop's clock.

Fed with the events a test recorded (``TestResult.timeline``), each a dict::

    {"kind": "task" | "call" | "blocked" | "stall", "name": str,
     "start": float, "end": float | None, "where": {"file": str, "line": int} | None}

with times in seconds of the loop's clock from the scenario's start (``end`` None: still
running when the scenario ended). A student who awaited ten calls one after another sees
ten bars in a staircase where ten side by side were expected. Rendered as plain text
(Unicode bars) for the terminal, and in a fenced block for Markdown (pull-request
comments render it in a monospace font).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

WIDTH = 40  # columns of the bar area
MAX_ROWS = 16  # more events than this are summarised, not drawn
MAX_LABEL = 30
GLYPHS = {"task": "█", "call": "█", "blocked": "▓", "stall": "▒"}
RUNNING_MARK = "→"  # the bar of an event still running when the scenario ended
LEGEND = {"run": "█ running", "blocked": "▓ loop blocked", "stall": "▒ loop busy (CPU)",
          "open": f"{RUNNING_MARK} still running at the end"}

Event = Mapping[str, Any]


def _end(event: Event, horizon: float) -> float:
    end = event.get("end")
    return horizon if end is None else float(end)


def _horizon(events: Sequence[Event]) -> float:
    times = [float(e["start"]) for e in events]
    times += [float(e["end"]) for e in events if e.get("end") is not None]
    return max(times, default=0.0)


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + " s"


def _label(event: Event) -> str:
    name = str(event.get("name", "?"))
    if event.get("kind") == "blocked":
        name = f"blocked: {name}"
    elif event.get("kind") == "stall":
        name = f"busy: {name}"
    return name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1] + "…"


def _where(event: Event) -> str:
    """``gathering.py:5 in slow_square``: the student's line, and the function to look in
    (for a busy loop, the one that spins, whichever call was running)."""
    where = event.get("where")
    if isinstance(where, Mapping) and where.get("file"):
        function = f" in {where['function']}" if where.get("function") else ""
        return f"{where['file']}:{where.get('line', '?')}{function}"
    return ""


def most_at_once(events: Sequence[Event]) -> int:
    """How many tasks or calls ran at the same time, at most (ends before starts at a tie)."""
    horizon = _horizon(events)
    edges: list[tuple[float, int]] = []
    for e in events:
        if e.get("kind") in ("task", "call"):
            start, end = float(e["start"]), _end(e, horizon)
            if end > start or e.get("end") is None:
                edges += [(start, 1), (max(end, start), -1)]
    running = most = 0
    for _, step in sorted(edges):
        running += step
        most = max(most, running)
    return most


def summary(events: Sequence[Event]) -> str:
    """One line: how much ran at once, and for how long the loop was blocked."""
    runs = [e for e in events if e.get("kind") in ("task", "call")]
    parts = []
    if runs:
        parts.append(f"{len(runs)} task(s) or call(s), at most {most_at_once(events)} "
                     "running at once")
    blocked = [e for e in events if e.get("kind") in ("blocked", "stall")]
    if blocked:
        horizon = _horizon(events)
        total = sum(_end(e, horizon) - float(e["start"]) for e in blocked)
        parts.append(f"the loop was blocked {len(blocked)} time(s), {_seconds(total)} in all")
    return "; ".join(parts) + f"; {_seconds(_horizon(events))} of loop time" if parts else ""


def _bar(event: Event, horizon: float, width: int) -> str:
    start = float(event["start"])
    end = _end(event, horizon)
    if horizon <= 0:
        first, last = 0, 1
    else:
        first = min(width - 1, int(start / horizon * width))
        last = max(first + 1, min(width, round(end / horizon * width)))
    glyph = GLYPHS.get(str(event.get("kind")), "█")
    cells = " " * first + glyph * (last - first)
    if event.get("end") is None:
        cells = cells[:-1] + RUNNING_MARK
    return cells.ljust(width)


def _shows(key: str, events: Sequence[Event]) -> bool:
    if key == "run":
        return any(e.get("kind") in ("task", "call") for e in events)
    if key == "open":
        return any(e.get("end") is None for e in events)
    return any(e.get("kind") == key for e in events)


def render_terminal(events: Sequence[Event], width: int = WIDTH) -> str:
    """The timeline as lines of text with Unicode bars; empty when there are no events."""
    if not events:
        return ""
    horizon = _horizon(events)
    shown = list(events[:MAX_ROWS])
    label_width = max(len(_label(e)) for e in shown)
    right = _seconds(horizon)
    axis = "0 s".ljust(width - len(right)) + right
    lines = [f"{'loop time'.ljust(label_width)}  {axis}",
             f"{' ' * label_width}  ├{'─' * (width - 2)}┤"]
    for event in shown:
        start, end = float(event["start"]), event.get("end")
        span = f"{_seconds(start)} → " + ("still running" if end is None else _seconds(end))
        where = _where(event)
        lines.append(f"{_label(event).ljust(label_width)}  {_bar(event, horizon, width)}  {span}"
                     + (f"  at {where}" if where else ""))
    if len(events) > len(shown):
        lines.append(f"… and {len(events) - len(shown)} more event(s)")
    lines.append(summary(events))
    lines.append("   ".join(text for key, text in LEGEND.items() if _shows(key, events)))
    return "\n".join(line.rstrip() for line in lines)


def render_markdown(events: Sequence[Event], width: int = WIDTH) -> str:
    """The same picture for a Markdown report: a fenced block, preceded by its summary."""
    if not events:
        return ""
    return ("What the event loop did (loop time):\n\n```text\n"
            + render_terminal(events, width) + "\n```\n")
