"""Grades on pull requests, against a fake GitHub API on loopback (tests/fakegithub.py):
the sticky comment, forged artifacts, retries and rate limits, annotations and points."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SAMPLES, run_grader
from fakegithub import APP_TOKEN, STUDENT_TOKEN, FakeGitHub, started

from grader._actions import annotation_commands, classroom_notices, report_to_actions
from grader._artifact import MAX_REPORT_BYTES, parse_report, read_artifact
from grader._errors import GitHubError, ReportError
from grader._github import GitHub
from grader._prcomment import (
    BODY_LIMIT,
    Change,
    marker,
    post_comment,
    post_from_workflow_run,
    render_comment,
)
from grader._report import Report

REPO = "course/assignment-ada"
HEAD = "a" * 40


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    fake, server = started()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def gh(fake: FakeGitHub) -> Iterator[GitHub]:
    waits: list[float] = []
    with GitHub(APP_TOKEN, fake.url, backoff=0, sleep=waits.append) as client:
        client.waits = waits  # type: ignore[attr-defined]
        yield client


@pytest.fixture(scope="module")
def report_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real report: coroutines right, gathering sequential (wrong)."""
    folder = tmp_path_factory.mktemp("submission")
    (folder / "coroutines.py").write_text((ROOT / "solutions" / "coroutines.py").read_text())
    (folder / "gathering.py").write_text((SAMPLES / "gathering" / "wrong_sequential.py").read_text())
    done = run_grader("grade", folder, "--only", "coroutines", "--only", "gathering",
                      "--format", "json", "--no-gradebook")
    assert done.returncode == 0, done.stderr
    return done.stdout.encode()


@pytest.fixture
def report(report_bytes: bytes) -> Report:
    return parse_report(report_bytes)


def artifact(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def claim(number: int | None, sha: str | None = HEAD) -> bytes:
    return json.dumps({"number": number, "head_sha": sha}).encode()


def workflow_run(run_id: int = 77, head_repo: str = REPO) -> dict[str, Any]:
    return {"workflow_run": {"id": run_id, "head_sha": HEAD, "event": "pull_request",
                             "head_repository": {"full_name": head_repo}}}


def comment_cli(fake: FakeGitHub, path: Path, *args: str, token: str = APP_TOKEN):
    return run_grader("comment", path, "--repo", REPO, "--pr", "3", *args,
                      env={"GITHUB_API_URL": fake.url, "GITHUB_TOKEN": token}, timeout=60)


# --------------------------------------------------------------------------- the sticky comment


def test_first_run_creates_one_comment_and_the_second_updates_it(
        fake: FakeGitHub, report_bytes: bytes, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(report_bytes)
    first = comment_cli(fake, path)
    assert first.returncode == 0, first.stderr
    assert "created comment" in first.stdout
    [comment] = fake.comments[(REPO, 3)]
    assert comment["user"]["login"] == "github-actions[bot]"
    score = json.loads(report_bytes)["score"]
    assert score < 15
    assert marker("feedback") in comment["body"] and f"{score}/15" in comment["body"]

    better = json.loads(report_bytes)
    for ex in better["exercises"]:
        ex["score"] = ex["max_score"]
        ex["status"] = "passed"
        for test in ex["tests"]:
            test.update(score=test["max_score"], status="passed", message="")
    better["score"] = better["max_score"]
    path.write_text(json.dumps(better))
    second = comment_cli(fake, path)
    assert second.returncode == 0, second.stderr
    assert f"updated comment {comment['id']}" in second.stdout
    [again] = fake.comments[(REPO, 3)]
    assert again["id"] == comment["id"] and "15/15" in again["body"]
    assert not fake.find("POST", r".*/comments")[1:], "the second run must not create a comment"


def test_a_comment_by_someone_else_with_our_marker_is_left_alone(
        fake: FakeGitHub, report: Report) -> None:
    forged = f"{marker('feedback')}\n### aiograde: 15/15 (trust me)"
    theirs = fake.add_comment(REPO, 3, "student", forged)
    lookalike = fake.add_comment(REPO, 3, "GitHub-Actions", forged)  # a user, not the bot
    with GitHub(APP_TOKEN, fake.url, backoff=0) as gh:
        action, ours = post_comment(gh, report, REPO, 3, "feedback")
    assert action == "created" and ours not in (theirs, lookalike)
    by_id = {c["id"]: c for c in fake.comments[(REPO, 3)]}
    assert by_id[theirs]["body"] == by_id[lookalike]["body"] == forged
    assert by_id[ours]["user"]["login"] == "github-actions[bot]"
    assert not fake.find("PATCH", r".*")


def test_a_user_token_finds_its_own_comment_through_the_user_endpoint(
        fake: FakeGitHub, report: Report) -> None:
    fake.add_comment(REPO, 3, "github-actions[bot]", marker("feedback"))  # not this token's
    with GitHub(STUDENT_TOKEN, fake.url, backoff=0) as gh:
        assert gh.login() == "student"
        assert post_comment(gh, report, REPO, 3, "feedback")[0] == "created"
        assert post_comment(gh, report, REPO, 3, "feedback")[0] == "updated"
    assert len(fake.comments[(REPO, 3)]) == 2


def test_comments_are_found_across_pages(fake: FakeGitHub, gh: GitHub, report: Report) -> None:
    fake.per_page_cap = 2
    for n in range(5):
        fake.add_comment(REPO, 3, "student", f"comment {n}")
    ours = fake.add_comment(REPO, 3, "github-actions[bot]", f"old {marker('feedback')}")
    assert post_comment(gh, report, REPO, 3, "feedback") == ("updated", ours)
    assert len(fake.find("GET", r".*/issues/3/comments")) == 3


# --------------------------------------------------------------------------- retries, rate limits


def test_server_errors_are_retried(
        fake: FakeGitHub, gh: GitHub, report: Report) -> None:
    comments = f"/repos/{REPO}/issues/3/comments"
    fake.fail[comments] = [502, 503]  # two listings fail, then work
    fake.fail[f"/repos/{REPO}/pulls/3/files"] = [500]
    action, _ = post_comment(gh, report, REPO, 3, "feedback")
    assert action == "created"
    assert len(fake.find("GET", comments)) == 3
    assert len(fake.comments[(REPO, 3)]) == 1


def test_a_post_answered_502_looks_for_the_comment_before_posting_again(
        fake: FakeGitHub, gh: GitHub, report: Report) -> None:
    comments = f"/repos/{REPO}/issues/3/comments"
    original_route = fake.route
    state = {"failed": False}

    def route(h: Any, method: str, path: str, *rest: Any) -> None:
        if method == "POST" and not state["failed"]:
            state["failed"] = True
            body = rest[1]
            fake.add_comment(REPO, 3, "github-actions[bot]", body["body"])  # made, then 502
            return h._answer(502, {"message": "Bad Gateway"})
        return original_route(h, method, path, *rest)

    fake.route = route  # type: ignore[method-assign]
    action, comment = post_comment(gh, report, REPO, 3, "feedback")
    assert action == "updated"
    assert [c["id"] for c in fake.comments[(REPO, 3)]] == [comment]
    assert len(fake.find("POST", comments)) == 1


def test_rate_limits_are_waited_out_or_refused_with_a_message(fake: FakeGitHub, gh: GitHub) -> None:
    import time

    reset = str(int(time.time()) + 30)
    fake.fail["/user"] = [(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}),
                          (429, {"retry-after": "7"})]
    fake.tokens["t"] = "someone"
    with GitHub("t", fake.url, backoff=0, sleep=gh.waits.append) as client:  # type: ignore[attr-defined]
        assert client.login() == "someone"
    waits = gh.waits  # type: ignore[attr-defined]
    assert 29 <= waits[0] <= 32 and waits[1] == 7

    fake.fail["/user"] = [(403, {"x-ratelimit-remaining": "0",
                                 "x-ratelimit-reset": str(int(time.time()) + 7200)})]
    with GitHub("t", fake.url, backoff=0, sleep=waits.append) as client, \
            pytest.raises(GitHubError, match=r"rate limit.*Run it again later"):
        client.login()


def test_a_bad_token_says_what_to_do(fake: FakeGitHub, report_bytes: bytes, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(report_bytes)
    done = comment_cli(fake, path, token="wrong")
    assert done.returncode == 2
    assert "401" in done.stderr and "GITHUB_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr


# --------------------------------------------------------------------------- the workflow_run poster


def test_the_poster_finds_the_pull_request_by_the_runs_head_not_the_artifact(
        fake: FakeGitHub, gh: GitHub, report_bytes: bytes) -> None:
    fork = "someone/assignment-fork"
    fake.add_pull(REPO, 2, "b" * 40)
    fake.add_pull(REPO, 3, HEAD, head_repo=fork)
    fake.add_pull(REPO, 4, HEAD, head_repo="other/repo")  # same commit, another head repo
    fake.files[(REPO, 3)] = [{"filename": "exercises/gathering.py", "status": "modified"},
                             {"filename": "checks/test_gathering.py", "status": "modified"},
                             {"filename": "grader/x.py", "status": "renamed",
                              "previous_filename": "tests/x.py"}]
    fake.artifacts[(REPO, 77)] = [({"id": 5, "name": "aiograde-report", "expired": False},
                                   artifact({"report.json": report_bytes,
                                             "pull-request.json": claim(3)}))]
    posted = post_from_workflow_run(gh, workflow_run(head_repo=fork), REPO)
    assert [(n, a) for n, a, _ in posted] == [(3, "created")]
    [blob] = fake.find("GET", r"/blobs/5")
    assert blob.headers["Host"].startswith("localhost:")
    assert "Authorization" not in blob.headers  # the token stays with the API
    [comment] = fake.comments[(REPO, 3)]
    body = comment["body"]
    assert "changes files the grading depends on" in body
    assert "`checks/test_gathering.py`" in body and "`grader/x.py`" in body
    assert "exercises/gathering.py" not in body.split("#### This pull")[1].split("| Exercise")[0]
    assert "sandbox:" in body and "First failure" in body


@pytest.mark.parametrize("forgery, files, expected", [
    ("wrong PR number", {"pull-request.json": claim(2)}, "pull request #2.*forged"),
    ("wrong commit", {"pull-request.json": claim(3, "c" * 40)}, "commit cccc.*forged"),
    ("path in a name", {"../report.json": b"{}"}, "a path, not a plain file name"),
    ("folder in a name", {"x/report.json": b"{}"}, "a path, not a plain file name"),
    ("bad JSON", {"report.json": b"{not json"}, "not JSON"),
    ("NaN", {"report.json": b'{"score": NaN}'}, "not JSON"),
    ("oversized", {"report.json": b" " * (MAX_REPORT_BYTES + 1)}, "larger than"),
])
def test_forged_artifacts_are_refused_and_nothing_is_posted(
        fake: FakeGitHub, gh: GitHub, report_bytes: bytes, forgery: str,
        files: dict[str, bytes], expected: str) -> None:
    fake.add_pull(REPO, 2, "b" * 40)
    fake.add_pull(REPO, 3, HEAD)
    content = {"report.json": report_bytes, **files}
    if any("/" in name for name in files):
        del content["report.json"]
    fake.artifacts[(REPO, 77)] = [({"id": 5, "name": "aiograde-report"}, artifact(content))]
    with pytest.raises(ReportError, match=expected):
        post_from_workflow_run(gh, workflow_run(), REPO)
    assert not fake.comments[(REPO, 2)] and not fake.comments[(REPO, 3)]


@pytest.mark.parametrize("change, expected", [
    (lambda r: r.update(extra=1), "Additional properties"),
    (lambda r: r["exercises"][0]["tests"][0].update(message=5), "is not of type 'string'"),
    (lambda r: r["exercises"][0].update(slug="not_a_lesson"), "does not have"),
    (lambda r: r["exercises"][0].update(score=99), "more points than"),
    (lambda r: r.update(score=r["score"] + 1), "not the sum"),
    (lambda r: r["exercises"][0]["tests"][0].update(where={"file": "../../x.py", "line": 1}),
     "does not match"),
    (lambda r: r["exercises"][0]["findings"].append(
        {"kind": "k", "message": "m", "file": "/etc/passwd", "line": 1, "origin": "static"}),
     "does not match"),
])
def test_the_report_is_validated_strictly(report_bytes: bytes, change: Any, expected: str) -> None:
    raw = json.loads(report_bytes)
    change(raw)
    with pytest.raises(ReportError, match=expected):
        parse_report(json.dumps(raw).encode())


def test_fields_the_report_is_gaining_are_accepted(report_bytes: bytes) -> None:
    raw = json.loads(report_bytes)
    test = raw["exercises"][1]["tests"][0]
    line12 = {"file": "gathering.py", "line": 12, "function": "slow_square", "code": "time.sleep(1)"}
    test.update(reason="timing", where=line12, caused_by=None,
                hints=["use gather"], timeline=[
                    {"kind": "task", "name": "slow_square(1)", "start": 0, "end": 1.0, "where": None},
                    {"kind": "blocked", "name": "time.sleep", "start": 1.0, "end": None,
                     "where": line12}])
    parse_report(json.dumps(raw).encode())
    raw["exercises"][1]["tests"][0]["reason"] = "because"
    with pytest.raises(ReportError, match="reason"):
        parse_report(json.dumps(raw).encode())


def test_a_zip_that_lies_about_its_sizes_is_read_no_further_than_the_cap(report_bytes: bytes) -> None:
    bomb = artifact({"report.json": b"[" * (MAX_REPORT_BYTES * 3)})
    assert len(bomb) < MAX_REPORT_BYTES  # small on the wire, huge unpacked
    with pytest.raises(ReportError, match="larger than"):
        read_artifact(bomb)
    report, found = read_artifact(artifact({"report.json": report_bytes}))
    assert report.max_score == 15 and found.number is None


# --------------------------------------------------------------------------- the body


def test_the_body_stays_under_githubs_limit_and_says_what_was_cut(
        fake: FakeGitHub, gh: GitHub, report: Report) -> None:
    big = Report.from_dict(report.to_dict())
    for ex in big.exercises:
        template = ex.tests[0]
        ex.tests = []
        for n in range(300):
            test = type(template)(f"test_{n}_" + "x" * 50, 0, 1, "failed", "m" * 5000, False)
            test.timeline = [{"kind": "task", "name": "t" * 300, "start": i, "end": i + 1,  # type: ignore[attr-defined]
                              "where": None} for i in range(100)]
            ex.tests.append(test)
    changes = [Change(f"checks/{'d' * 200}/{n}.py", "added") for n in range(500)]
    body = render_comment(big, "feedback", changes=changes)
    assert len(body) < BODY_LIMIT
    assert marker("feedback") in body
    fake.add_pull(REPO, 3, HEAD)
    assert post_comment(gh, big, REPO, 3, "feedback")[0] == "created"


def test_the_timeline_and_the_students_line_appear_and_text_is_inert(report: Report) -> None:
    gathering = report.exercises[1]
    first = next(t for t in gathering.tests if t.status != "passed")
    first.message = "boom <img src=x onerror=alert(1)> @teacher | ``` [link](http://evil)"
    first.where = {"file": "gathering.py", "line": 12}  # type: ignore[attr-defined]
    first.timeline = [  # type: ignore[attr-defined]
        {"kind": "task", "name": "slow_square(1)", "start": 0.0, "end": 1.0, "where": None},
        {"kind": "task", "name": "slow_square(2)", "start": 1.0, "end": 2.0, "where": None},
        {"kind": "blocked", "name": "time.sleep", "start": 2.0, "end": None,
         "where": {"file": "gathering.py", "line": 12}}]
    gathering.title, gathering.hints = "[evil](http://evil)", ["<b>forged hint</b>"]
    body = render_comment(report, "feedback")
    # Titles and hints come from the course's own manifest, never from the report.
    assert "forged hint" not in body and "[evil]" not in body and "\\[evil\\]" not in body
    assert "Running coroutines concurrently" in body
    assert "Loop timeline" in body and "slow\\_square(2)" in body and "still running" in body
    assert "(at gathering.py:12)" in body
    assert "<img" not in body and "@teacher" not in body and "[link](" not in body


def test_the_authoritative_comment_shows_hidden_tests_by_name_only(report: Report) -> None:
    gathering = report.exercises[1]
    first = next(t for t in gathering.tests if t.status != "passed")
    first.hidden, first.message = True, "SECRET expected [1, 4, 9] from the hidden suite"
    body = render_comment(report, "grade")
    assert first.name in body and "(hidden test)" in body
    assert "SECRET" not in body
    assert marker("grade") in body and marker("feedback") not in body


# --------------------------------------------------------------------------- Actions output


def test_annotations_stay_within_githubs_limits_most_useful_first(report: Report) -> None:
    many = Report.from_dict(report.to_dict())
    template = many.exercises[1].tests[0]
    for ex in many.exercises:
        ex.tests = [type(template)(f"t{n}", 0, 1, "failed", f"{ex.slug} {n}", False)
                    for n in range(15)]
    many.exercises[1].tests[3].where = {"file": "gathering.py", "line": 7}  # type: ignore[attr-defined]
    lines = annotation_commands(many)
    errors = [x for x in lines if x.startswith("::error")]
    warnings = [x for x in lines if x.startswith("::warning")]
    assert len(errors) == 10 and len(warnings) == 10
    # Each exercise's first failure comes before any exercise's second.
    assert errors[0].startswith("::error file=exercises/coroutines.py,title=coroutines%3A t0::")
    assert errors[1].startswith("::error file=exercises/gathering.py,title=gathering%3A t0::")
    assert any("line=7" in x for x in lines[2:])


def test_annotation_text_cannot_start_another_workflow_command(report: Report) -> None:
    first = next(t for t in report.exercises[1].tests if t.status != "passed")
    first.message = "bad\n::add-mask::x\r\n::error::forged 100%"
    first.where = {"file": "gathering.py", "line": 3}  # type: ignore[attr-defined]
    [line] = [x for x in annotation_commands(report) if "gathering" in x]
    assert "\n" not in line and "\r" not in line
    assert line.startswith("::error file=exercises/gathering.py,line=3,title=gathering%3A ")
    assert "bad%0A::add-mask::x%0D%0A::error::forged 100%25" in line


def test_classroom_points_and_the_step_summary(report: Report, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    lines = list(report_to_actions(report, summary="# the report\n", root="exercises",
                                   classroom=True))
    points = report.score
    assert lines[-2:] == classroom_notices(report) == [
        f"::notice title=Autograding complete::Points {points}/15",
        '::notice title=Autograding report::{"totalPoints":' + str(points) + ',"maxPoints":15}']
    assert summary.read_text() == "# the report\n"
    key, _, value = output.read_text().strip().partition("=")
    result = json.loads(base64.b64decode(value))
    assert key == "result" and result["max_score"] == 15 and result["version"] == 3
    assert sum(t["score"] for t in result["tests"]) == points


def test_the_poster_posts_nothing_without_a_pull_request_or_an_artifact(
        fake: FakeGitHub, gh: GitHub, report_bytes: bytes,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert post_from_workflow_run(gh, workflow_run(), REPO) == []
    assert "uploaded no aiograde-report artifact" in capsys.readouterr().err
    fake.artifacts[(REPO, 77)] = [({"id": 5, "name": "aiograde-report"},
                                   artifact({"report.json": report_bytes,
                                             "pull-request.json": claim(None)}))]
    assert post_from_workflow_run(gh, workflow_run(), REPO) == []  # a push with no pull request
    assert "no open pull request has head" in capsys.readouterr().err
    assert not fake.find("POST", r".*")
