"""Every report format, checked against what its consumer expects.

The reports come from two real gradings (the solutions and the stubs of ``gathering``,
run once for the module, at the same time) and from one hand-made report full of
trouble: hostile messages, a grader error, a missing module, findings, an exercise the
manifest does not know. The consumers' rules live in ``tests/schemas/``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from conftest import ROOT

from grader import _manifest
from grader._errors import ReportError
from grader._formats import (
    FORMATS,
    MARKDOWN_LIMIT,
    OUTPUT_LIMIT,
    render_exercism,
    render_gradescope,
    render_junit,
    render_markdown,
)
from grader._report import MESSAGE_LIMIT, TRUNCATED, ExerciseResult, Finding, Report, bound
from grader._report import TestResult as Result  # not collected as a test class

SCHEMAS = Path(__file__).parent / "schemas"
STAMP = datetime(2026, 1, 2, 3, 4, 5)
HOSTILE = ("got `a | b` and <script>alert('x')</script> & [link](https://evil.example) "
           "**bold** $x^2$ ~~gone~~ for @octocat\nsecond line \\ back")
LONG = "the value was " + "x" * 5000


def _grade_both() -> dict[str, dict[str, Any]]:
    command = [sys.executable, "-m", "grader", "grade", "", "--format", "json",
               "--no-gradebook", "--only", "gathering"]
    running = {name: subprocess.Popen([*command[:4], folder, *command[5:]], cwd=ROOT,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for name, folder in (("solutions", "solutions"), ("stubs", "exercises"))}
    reports = {}
    for name, process in running.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"grading {name} exited {process.returncode}: {err[-3000:]}"
        reports[name] = json.loads(out)
    return reports


@pytest.fixture(scope="module")
def graded() -> dict[str, dict[str, Any]]:
    """The JSON reports, as the command printed them."""
    return _grade_both()


def _tricky() -> Report:
    tests = [
        Result("test_passes", 2, 2, "passed", "", False),
        Result("test_hostile_message", 0, 1, "failed", HOSTILE, False),
        Result("test_long_hidden", 0, 1, "failed", LONG, True),
        Result("test_grader_broke", 0, 1, "error", "the grader failed: \x07 bell", False),
    ]
    findings = [Finding("patches-stdlib", "replaced asyncio.sleep <b>|</b>", "gathering.py", 3,
                        "static"),
                Finding("os-exit", "called os._exit(0)", "gathering.py", None, "runtime")]
    return Report(
        submission="students/ann | <i>",
        score=2, max_score=20,
        exercises=[
            ExerciseResult("gathering", "Running coroutines concurrently", 2, 5, "partial", tests,
                           ["First `hint`.", "Second hint."], "https://docs.python.org/3/",
                           "", findings),
            ExerciseResult("futures", "Futures", 0, 10, "missing", [], ["h1", "h2"], "",
                           "futures.py was not found in the submission."),
            ExerciseResult("bonus", "Not in the curriculum", 0, 5, "error",
                           [Result("test_imports", 0, 5, "failed", "SyntaxError", False)]),
        ],
        grader_version="0.1.0", duration=1.25, flagged=True, tamper_policy="zero",
    )


@pytest.fixture(scope="module")
def reports(graded: dict[str, dict[str, Any]]) -> dict[str, Report]:
    return {**{name: Report.from_dict(data) for name, data in graded.items()},
            "tricky": _tricky()}


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(SCHEMAS / "junit.xsd")


def _validator(path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _render_all(report: Report) -> dict[str, str]:
    out = {name: render(report) for name, render in FORMATS.items() if name != "junit"}
    out["junit"] = render_junit(report, timestamp=STAMP)
    return out


# --------------------------------------------------------------------------- the JSON report


def test_the_json_report_matches_its_schema(graded, reports) -> None:
    validator = _validator(ROOT / "grader" / "report.schema.json")
    for name, data in graded.items():
        errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(data)]
        assert not errors, (name, errors)
    validator.validate(reports["tricky"].to_dict())
    bad = {**graded["stubs"], "schema_version": 2}
    assert not validator.is_valid(bad)


def test_the_schema_names_every_field_of_the_model() -> None:
    schema = json.loads((ROOT / "grader" / "report.schema.json").read_text(encoding="utf-8"))
    parts = {Report: schema, ExerciseResult: schema["$defs"]["exercise"],
             Result: schema["$defs"]["test"], Finding: schema["$defs"]["finding"]}
    for cls, part in parts.items():
        names = {f.name for f in fields(cls)}
        assert set(part["properties"]) == names, f"{cls.__name__}: update report.schema.json"
        assert set(part["required"]) == names


def test_a_report_reads_back_from_its_json(graded) -> None:
    for data in graded.values():
        assert Report.from_dict(data).to_dict() == data
    newer = {**graded["stubs"], "added_later": 1}
    newer["exercises"] = [{**graded["stubs"]["exercises"][0], "added_later": 2}]
    assert Report.from_dict(newer).to_dict() == graded["stubs"]
    with pytest.raises(ReportError, match="schema_version 2"):
        Report.from_dict({**graded["stubs"], "schema_version": 2})


def test_the_json_report_says_what_the_dict_holds(reports) -> None:
    for report in reports.values():  # (msgspec writes it; the dict is dataclasses' own)
        assert json.loads(report.to_json()) == json.loads(json.dumps(report.to_dict()))
    # What msgspec refuses to encode (a lone surrogate, from a submission's bytes) still
    # renders: by json, as before.
    odd = _tricky()
    odd.exercises[0].tests[0].message = "printed \ud800 half a character"
    assert "\ud800" in json.loads(odd.to_json())["exercises"][0]["tests"][0]["message"]


def test_every_format_is_registered_and_renders(reports) -> None:
    assert set(FORMATS) == {"json", "markdown", "junit", "gradescope", "exercism"}
    for report in reports.values():
        assert FORMATS["json"](report) == report.to_json()
        for name, text in _render_all(report).items():
            assert isinstance(text, str) and text.strip(), name


def test_rendering_is_deterministic(reports) -> None:
    for name in reports:
        assert _render_all(reports[name]) == _render_all(_tricky() if name == "tricky"
                                                         else reports[name])


# --------------------------------------------------------------------------- junit


def test_junit_validates_against_the_jenkins_xsd(reports, junit_schema) -> None:
    for name, report in reports.items():
        for text in (render_junit(report, timestamp=STAMP), FORMATS["junit"](report)):
            errors = [str(e) for e in junit_schema.iter_errors(text)]
            assert not errors, (name, errors[:3])


def test_junit_maps_exercises_to_suites_and_tests_to_cases(reports) -> None:
    root = ET.fromstring(render_junit(reports["tricky"], timestamp=STAMP))
    assert root.tag == "testsuites" and not root.attrib
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["gathering", "futures", "bonus"]
    gathering = suites[0]
    assert (gathering.get("tests"), gathering.get("failures"), gathering.get("errors"),
            gathering.get("skipped")) == ("4", "2", "1", "0")
    assert gathering.get("timestamp") == "2026-01-02T03:04:05"
    props = {p.get("name"): p.get("value") for p in gathering.iter("property")}
    assert (props["score"], props["max_score"]) == ("2", "5")
    cases = {c.get("name"): c for c in gathering.findall("testcase")}
    assert {c.get("classname") for c in cases.values()} == {"aiograde.gathering"}
    assert list(cases["test_passes"]) == []
    failure = cases["test_hostile_message"].find("failure")
    assert failure is not None and failure.get("message") == HOSTILE
    error = cases["test_grader_broke"].find("error")
    assert error is not None and error.get("message") == "the grader failed: \\x07 bell"
    # A module that never ran still shows up, and still weighs its points.
    missing = suites[1].findall("testcase")
    assert len(missing) == 1 and missing[0].find("failure") is not None
    assert "hint: First `hint`." in (gathering.findtext("system-out") or "")
    assert "patches-stdlib" in (gathering.findtext("system-err") or "")


def test_junit_counts_the_real_stub_failures(reports) -> None:
    root = ET.fromstring(render_junit(reports["stubs"], timestamp=STAMP))
    (suite,) = root.findall("testsuite")
    tests = reports["stubs"].exercises[0].tests
    assert int(suite.get("tests", "-1")) == len(tests)
    assert int(suite.get("failures", "-1")) == sum(t.status == "failed" for t in tests) > 0
    assert len(suite.findall("testcase/failure")) == int(suite.get("failures", "-1"))


# --------------------------------------------------------------------------- gradescope


def test_gradescope_results_follow_the_spec(reports) -> None:
    validator = _validator(SCHEMAS / "gradescope.schema.json")
    for name, report in reports.items():
        data = json.loads(render_gradescope(report))
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(data)]
        assert not errors, (name, errors)
        assert (data["score"], data["max_score"]) == (report.score, report.max_score)
        assert (data["output_format"], data["visibility"], data["stdout_visibility"]) == (
            "md", "visible", "hidden")
        assert data["execution_time"] == report.duration
        expected = [(t.hidden, t.status == "passed") for ex in report.exercises for t in ex.tests]
        got = [(t["visibility"] == "after_published", t["status"] == "passed")
               for t in data["tests"] if not t["name"].endswith("exercise_could_run")]
        assert got == expected, name
        for test in data["tests"]:
            assert test["visibility"] in ("visible", "after_published")
            assert ("hidden" in test["tags"]) == (test["visibility"] == "after_published")


def test_gradescope_numbers_tests_by_curriculum_position(reports) -> None:
    data = json.loads(render_gradescope(reports["stubs"]))
    position = [e.slug for e in _manifest.load()].index("gathering") + 1
    assert [t["number"] for t in data["tests"]] == [
        f"{position}.{i}" for i in range(1, len(data["tests"]) + 1)]


def test_gradescope_summary_does_not_give_away_hidden_results(reports) -> None:
    solutions = reports["solutions"]
    total = f"{solutions.score}/{solutions.max_score}"
    hiding = json.loads(render_gradescope(solutions))["output"]
    assert total not in hiding and "published" in hiding
    showing = json.loads(render_gradescope(solutions, hidden_visibility="visible"))
    assert total in showing["output"]
    assert {t["visibility"] for t in showing["tests"]} == {"visible"}
    with pytest.raises(ValueError):
        render_gradescope(solutions, hidden_visibility="later")


# --------------------------------------------------------------------------- exercism


def test_exercism_results_follow_interface_v3(reports) -> None:
    validator = _validator(SCHEMAS / "exercism.schema.json")
    for name, report in reports.items():
        data = json.loads(render_exercism(report))
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(data)]
        assert not errors, (name, errors)
        # GitHub Classroom's reporter: Points = sum(tests[].score) / max_score.
        assert sum(t["score"] for t in data["tests"]) == report.score
        assert data["max_score"] == report.max_score
    assert json.loads(render_exercism(reports["solutions"]))["status"] == "pass"
    stubs = json.loads(render_exercism(reports["stubs"]))
    assert stubs["status"] == "fail" and "message" not in stubs
    first = stubs["tests"][0]
    assert first["status"] == "fail" and "NotImplementedError" in first["message"]
    assert [t["name"] for t in stubs["tests"]] == [
        f"gathering: {t.name}" for t in reports["stubs"].exercises[0].tests]


def test_exercism_task_ids_follow_the_curriculum(reports) -> None:
    order = [e.slug for e in _manifest.load()]
    data = json.loads(render_exercism(reports["tricky"]))
    ids = {t["name"].split(":")[0]: t["task_id"] for t in data["tests"]}
    assert ids["gathering"] == order.index("gathering") + 1
    assert ids["futures"] == order.index("futures") + 1
    assert ids["bonus"] == len(order) + 1  # unknown to the manifest: after it
    statuses = {t["name"]: t["status"] for t in data["tests"]}
    assert statuses["gathering: test_grader_broke"] == "error"
    assert statuses["gathering: test_passes"] == "pass"


def test_exercism_error_only_when_nothing_could_run() -> None:
    broken = Report("s", 0, 5, [ExerciseResult(
        "gathering", "G", 0, 5, "error",
        [Result("test_a", 0, 5, "failed", "gathering.py could not be imported", False)],
        problem="gathering.py could not be imported: SyntaxError")], "0.1.0", 0.5)
    data = json.loads(render_exercism(broken))
    assert data["status"] == "error"
    assert data["message"] == "gathering: gathering.py could not be imported: SyntaxError"
    _validator(SCHEMAS / "exercism.schema.json").validate(data)


def test_exercism_test_code_never_carries_the_suite(reports) -> None:
    for report in reports.values():
        for test in json.loads(render_exercism(report))["tests"]:
            assert "source is not shown" in test["test_code"]
            assert "def " not in test["test_code"] and "student.run" not in test["test_code"]


def test_exercism_shares_scaled_points_in_whole_numbers() -> None:
    # Suite points (4) differ from the manifest's (10): the score is shared out.
    tests = [Result(f"test_{i}", 1, 1, "passed", "", False) for i in range(3)]
    tests.append(Result("test_3", 0, 1, "failed", "no", False))
    report = Report("s", 8, 10, [ExerciseResult("gathering", "G", 8, 10, "partial", tests)],
                    "0.1.0", 0.1)
    scores = [t["score"] for t in json.loads(render_exercism(report))["tests"]]
    assert sum(scores) == 8 and all(isinstance(s, int) for s in scores) and scores[3] == 0


# --------------------------------------------------------------------------- markdown


def _md_text(text: str) -> str:
    """How a plain message reads in the markdown source (for the stubs' messages)."""
    return re.sub(r"([\\`*_\[\]|~$])", r"\\\1", text)


def _table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ")]


def test_markdown_has_a_title_a_badge_and_a_table(reports) -> None:
    for report in reports.values():
        text = render_markdown(report)
        lines = text.splitlines()
        assert lines[0].startswith(f"## aiograde: {report.score}/{report.max_score}")
        assert re.match(r"\*\*(PASSED|PARTIAL|FAILED)\*\* · `\d+/\d+` points", lines[2])
        rows = _table_rows(text)
        assert rows[:2] == ["| Exercise | Score | Status |", "| --- | ---: | --- |"]
        assert len(rows) == 2 + len(report.exercises) + 1  # head, one per exercise, total
        assert rows[-1] == f"| **Total** | **{report.score}/{report.max_score}** | |"
        for row, ex in zip(rows[2:], report.exercises, strict=False):
            assert row.startswith(f"| `{ex.slug}` ") and f"| {ex.score}/{ex.max_score} |" in row
        assert text.count("<details>") == text.count("</details>")
        # One fold per exercise that did not pass, when there is something to fold.
        assert text.count("<details>") == sum(
            ex.status != "passed" and bool(ex.hints or ex.docs or len(ex.tests) > 1)
            for ex in report.exercises)
    assert "<details>" not in render_markdown(reports["solutions"])
    assert "**PASSED**" in render_markdown(reports["solutions"])


def test_markdown_shows_the_first_failure_and_folds_the_rest(reports) -> None:
    text = render_markdown(reports["stubs"])
    tests = reports["stubs"].exercises[0].tests
    before, folded = text.split("<details>")
    assert f"**First failure:** `{tests[0].name}`" in before
    assert "**Hint:**" in before
    for test in tests[1:]:
        assert f"- `{test.name}`" in folded
    assert f"- `{tests[0].name}`" not in folded
    assert folded.count("(hidden test)") == sum(t.hidden for t in tests[1:])
    for test in tests[1:]:
        said = ("the same message as the first failure" if test.message == tests[0].message
                else _md_text(test.message))
        assert f"- `{test.name}`{' (hidden test)' if test.hidden else ''}: {said}\n" in folded
    assert "Hints, from gentle to telling:" in folded and "Lesson: https://" in folded


def test_markdown_escapes_what_a_message_could_smuggle(reports) -> None:
    text = render_markdown(reports["tricky"])
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "<b>" not in text and "<i>" not in text
    assert r"\`a \| b\`" in text
    assert r"\[link\](https://evil.example)" in text and r"\*\*bold\*\*" in text
    assert r"\$x^2\$" in text and "@\u200boctocat" in text and "@octocat" not in text
    assert "for @\u200boctocat<br>second line" in text
    assert "\x07" not in text and r"failed: \\x07 bell" in text
    # Every table row still has exactly its three cells.
    for row in _table_rows(text):
        assert len(re.findall(r"(?<!\\)\|", row)) == 4, row


def test_markdown_lists_findings_when_flagged(reports) -> None:
    text = render_markdown(reports["tricky"])
    assert "**FLAGGED FOR REVIEW**" in text.splitlines()[2]
    section = text.split("### Flagged for review")[1]
    assert "**patches\\-stdlib**" in section or "**patches-stdlib**" in section
    assert "gathering.py:3 (static)" in section and "gathering.py (runtime)" in section
    assert "scored 0" in section
    assert "&lt;b&gt;\\|&lt;/b&gt;" in section
    assert "### Flagged for review" not in render_markdown(reports["stubs"])


def test_markdown_stays_under_a_pull_request_comment(reports) -> None:
    many = [ExerciseResult(f"ex{i}", f"Exercise {i}", 0, 30, "failed",
                           [Result(f"test_{j}", 0, 1, "failed", f"{j} " + "y" * 2000, False)
                            for j in range(30)]) for i in range(13)]
    big = Report("s", 0, 390, many, "0.1.0", 1.0)
    text = render_markdown(big)
    assert len(text) <= MARKDOWN_LIMIT
    assert text.count("**First failure:**") == 13 and text.count("<details>") == 13


# --------------------------------------------------------------------------- bounds and leaks


def test_bound_cuts_and_says_so() -> None:
    assert bound("short") == "short"
    assert bound("x" * MESSAGE_LIMIT) == "x" * MESSAGE_LIMIT
    cut = bound("x" * 5000)
    assert len(cut) == MESSAGE_LIMIT and cut.endswith(TRUNCATED)
    assert len(bound("y" * 900, OUTPUT_LIMIT)) == OUTPUT_LIMIT


def test_every_format_bounds_what_students_see(reports) -> None:
    report = reports["tricky"]
    grades = json.loads(render_gradescope(report))
    exercism = json.loads(render_exercism(report))
    root = ET.fromstring(render_junit(report, timestamp=STAMP))
    texts = ([t["output"] for t in grades["tests"]] + [t.get("message", "") for t in exercism["tests"]]
             + [e.get("message", "") for e in root.iter("failure")])
    assert all(len(t) <= MESSAGE_LIMIT for t in texts)
    assert sum(t.endswith(TRUNCATED) for t in texts) == 3  # the long message, in each format
    assert LONG[:MESSAGE_LIMIT] not in render_markdown(report)


def test_exercism_output_is_bounded_to_500() -> None:
    @dataclass
    class Printed(Result):  # a test that captured what the student printed
        output: str = ""

    test = Printed("test_prints", 0, 1, "failed", "wrong", False, output="p" * 2000)
    report = Report("s", 0, 1, [ExerciseResult("gathering", "G", 0, 1, "failed", [test])],
                    "0.1.0", 0.1)
    (entry,) = json.loads(render_exercism(report))["tests"]
    assert len(entry["output"]) == OUTPUT_LIMIT and entry["output"].endswith(TRUNCATED)


def test_no_format_carries_a_hidden_suite(reports) -> None:
    suite = (ROOT / "grader" / "suites" / "test_gathering.py").read_text(encoding="utf-8")
    code = [line.strip() for line in suite.splitlines()
            if re.match(r"\s*(def |@case|obs\b|expect_|return |student\.)", line)
            and len(line.strip()) > 12]
    assert code, "the suite's code lines were not found"
    for name, report in reports.items():
        for test in (t for ex in report.exercises for t in ex.tests):
            assert "def test_" not in test.message and "@case(" not in test.message
        for fmt, text in _render_all(report).items():
            assert "def test_" not in text and "@case(" not in text, (name, fmt)
            leaked = [line for line in code if line in text]
            assert not leaked, (name, fmt, leaked[:3])
