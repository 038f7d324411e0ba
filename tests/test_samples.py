"""Every sample submission under tests/samples/<slug>/ graded as a student's would be.

``correct_*.py`` must keep full marks. ``wrong_*.py`` must lose points, and its docstring
declares, from the mistake it makes (not from today's output):

    Fails: test_a, test_b
    Cause: blocking | time.sleep | ticks

``Fails:`` names the hidden tests that must catch the mistake; the first test that fails
(in report order) must be one of them. ``Cause:`` is that first failure's reason (a
``grader._status.Reason`` value), then words its message must contain (case-insensitive):
what a student reads first names the real cause.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SAMPLES, failures, graded_sample

from grader._manifest import load
from grader._status import Reason

SLUGS = [e.slug for e in load()]


def _samples() -> list:
    found = []
    for slug in SLUGS:
        for path in sorted((SAMPLES / slug).glob("*.py")):
            found.append(pytest.param(slug, path, id=f"{slug}/{path.stem}"))
    return found


def expected_failures(path: Path) -> set[str]:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    match = re.search(r"^Fails:\s*(.+)$", doc, re.MULTILINE)
    return {name.strip() for name in match.group(1).split(",")} if match else set()


@dataclass(frozen=True)
class Cause:
    """What a wrong sample's first failing test must say: why, and in which words."""

    reason: Reason
    words: tuple[str, ...]

    def missing(self, test: dict) -> list[str]:
        """What the first failing test's report lacks of this cause (nothing if it names it)."""
        gaps = [] if test["reason"] == self.reason else [f"reason {self.reason.value!r}"]
        message = test["message"].lower()
        return gaps + [repr(word) for word in self.words if word.lower() not in message]


# The reasons a first failure can have (a caused-by failure is never the first, and a
# grader fault is never a student's mistake).
FIRST_REASONS = set(Reason) - {Reason.NONE, Reason.CAUSED_BY, Reason.GRADER_FAULT}


def declared_cause(path: Path) -> Cause:
    """The sample's ``Cause: reason | word | word`` line."""
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    match = re.search(r"^Cause:\s*(.+)$", doc, re.MULTILINE)
    assert match, f"{path.name}: its docstring needs a 'Cause: reason | word | word' line"
    reason, *words = (part.strip() for part in match.group(1).split("|"))
    assert reason in {r.value for r in FIRST_REASONS}, (
        f"{path.name}: Cause: {reason!r} is not a reason a first failure can have "
        f"({sorted(r.value for r in FIRST_REASONS)})")
    assert words and all(words), f"{path.name}: Cause: names no words its message must contain"
    return Cause(Reason(reason), tuple(words))


# Samples whose first message does not name its cause yet, in exercises whose messages
# another branch owns (issue 12, "diagnoses"): each stays an expected failure (strict: once
# the message names the cause, the entry must go).
AWAITING_DIAGNOSIS: dict[str, str] = {}


def test_a_cause_is_checked_by_its_reason_and_every_word() -> None:
    cause = Cause(Reason.BLOCKING, ("time.sleep", "ticks"))
    said = "ticks(0.5, 3) blocked the event loop: Blocking call to TIME.SLEEP at ..."
    assert cause.missing({"reason": "blocking", "message": said}) == []
    assert cause.missing({"reason": "timing", "message": said}) == ["reason 'blocking'"]
    assert cause.missing({"reason": "blocking", "message": "ticks was late"}) == ["'time.sleep'"]


def _wrong_samples() -> list[Path]:
    return sorted(p for slug in SLUGS for p in (SAMPLES / slug).glob("wrong_*.py"))


def test_every_wrong_sample_declares_its_cause() -> None:
    """Without grading: the declarations parse, so a typo fails here, at once."""
    for path in _wrong_samples():
        assert expected_failures(path), f"{path.name}: its docstring needs a 'Fails:' line"
        declared_cause(path)
    ids = {f"{p.parent.name}/{p.stem}" for p in _wrong_samples()}
    assert set(AWAITING_DIAGNOSIS) <= ids, set(AWAITING_DIAGNOSIS) - ids


@pytest.mark.parametrize(("slug", "path"), _samples())
def test_sample_is_graded_as_it_deserves(slug: str, path: Path) -> None:
    report = graded_sample(path)
    (exercise,) = report["exercises"]
    if path.name.startswith("correct_"):
        assert exercise["score"] == exercise["max_score"], (
            f"a correct solution lost points:\n{failures(exercise)}")
        assert not report["flagged"], f"a correct solution was flagged: {exercise['findings']}"
        return
    assert path.name.startswith("wrong_"), "samples are named correct_* or wrong_*"
    expected = expected_failures(path)
    assert expected, f"{path.name}: its docstring needs a 'Fails: test_a, test_b' line"
    cause = declared_cause(path)
    failed = {t["name"]: t["message"] for t in exercise["tests"] if t["status"] == "failed"}
    assert exercise["score"] < exercise["max_score"]
    missing = expected - set(failed)
    assert not missing, (f"{path.name}: expected {sorted(missing)} to fail; "
                         f"failures were:\n{failures(exercise)}")
    for name in expected:
        assert len(failed[name]) > 40, f"{name}: feedback too thin to teach: {failed[name]!r}"
    assert not [t for t in exercise["tests"] if t["status"] == "error"], failures(exercise)
    # A wrong answer is wrong, not tampering: it loses what it gets wrong, no more.
    assert not [f for f in exercise["findings"] if f["severity"] == "tampering"], \
        exercise["findings"]
    expect_pictures(report)
    expect_first_failure_names(cause, exercise, f"{slug}/{path.stem}", expected)


def expect_first_failure_names(cause: Cause, exercise: dict, sample: str,
                               expected: set[str]) -> None:
    """The first failing test, the one a student reads first (exercism shows only it), is
    one the sample names, and its reason and message name the sample's real cause."""
    first = next(t for t in exercise["tests"] if t["status"] != "passed")
    assert first["name"] in expected, (
        f"{sample}: the first failure, {first['name']}, is not one its 'Fails:' line names: "
        f"{first['message']}")
    missing = cause.missing(first)
    awaiting = AWAITING_DIAGNOSIS.get(sample)
    if awaiting and missing:
        pytest.xfail(awaiting)
    assert not awaiting, f"{sample} now names its cause: take it out of AWAITING_DIAGNOSIS"
    assert not missing, (
        f"{sample}: the first failure, {first['name']} [{first['reason']}], lacks "
        f"{', '.join(missing)} of its declared cause:\n  {first['message']}")


def expect_pictures(data: dict) -> None:
    """Every timing or concurrency failure carries a picture of what the loop did, and the
    table and the Markdown report draw one for the exercise."""
    from grader._formats import render_markdown
    from grader._report import Report, render_table

    timing = [t for ex in data["exercises"] for t in ex["tests"] if t["reason"] == "timing"]
    if not timing:
        return
    assert all(t["timeline"] for t in timing), [t["name"] for t in timing if not t["timeline"]]
    report = Report.from_dict(data)
    from rich.console import Console

    console = Console(record=True, width=120)
    render_table(report, console)
    assert "█" in console.export_text(), "the table draws the loop's timeline"
    assert "█" in render_markdown(report), "the Markdown report draws the loop's timeline"
