"""Every sample submission under tests/samples/<slug>/ graded as a student's would be.

``correct_*.py`` must keep full marks. ``wrong_*.py`` must lose points, and its
docstring's ``Fails:`` line names the hidden tests that must catch the mistake.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import SAMPLES, failures, grade_json

from grader._manifest import load

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


@pytest.mark.parametrize(("slug", "path"), _samples())
def test_sample_is_graded_as_it_deserves(slug: str, path: Path, submission) -> None:
    report = grade_json(submission({slug: path}), slug)
    (exercise,) = report["exercises"]
    if path.name.startswith("correct_"):
        assert exercise["score"] == exercise["max_score"], (
            f"a correct solution lost points:\n{failures(exercise)}")
        assert not report["flagged"], f"a correct solution was flagged: {exercise['findings']}"
        return
    assert path.name.startswith("wrong_"), "samples are named correct_* or wrong_*"
    expected = expected_failures(path)
    assert expected, f"{path.name}: its docstring needs a 'Fails: test_a, test_b' line"
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
