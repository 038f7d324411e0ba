"""The grade comment on a pull request: its text, and posting it as one sticky comment.

One comment per pull request and kind, found again by a hidden marker *and* its author
(so a student's comment that copies the marker is never edited, and never mistaken for
ours), then edited in place. Two kinds: ``feedback``, the visible tests from the student's
own workflow (data from an untrusted run: every string is made inert), and ``grade``, the
instructor's authoritative grading, where hidden tests show their names only.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._artifact import MAX_ARTIFACT_BYTES, read_artifact
from ._errors import ReportError, UsageError
from ._formats import _code, _failing, _md
from ._github import SERVER_ERRORS, GitHub, StatusError
from ._manifest import Exercise, load
from ._report import ExerciseResult, Report, TestResult, bound

BODY_LIMIT = 65_536  # GitHub refuses a longer comment (422)
MAX_BODY = 65_000  # what we aim under, the marker and the footer included
KINDS = ("feedback", "grade")
ARTIFACT_NAME = "aiograde-report"  # the student workflow's upload (templates/student/.github)
# Paths a pull request should not touch: the public checks, the workflows, the grader.
PROTECTED = ("checks/", ".github/", "grader/", "pyproject.toml")
TIMELINE_WIDTH = 24  # characters of a timeline bar
MAX_TIMELINE_ROWS = 40


def marker(kind: str) -> str:
    if kind not in KINDS:
        raise UsageError(f"unknown comment kind {kind!r}; use one of {', '.join(KINDS)}")
    return f"<!-- aiograde:{kind} -->"


@dataclass(frozen=True)
class Change:
    """A file a pull request changes, as GitHub lists it."""

    path: str
    status: str  # added, modified, removed, renamed, ...
    previous: str = ""


def protected_changes(changes: Iterable[Change]) -> list[Change]:
    def touches(path: str) -> bool:
        return any(path == p or path.startswith(p) for p in PROTECTED) if path else False

    return [c for c in changes if touches(c.path) or touches(c.previous)]


# --------------------------------------------------------------------------- the body


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def _where(item: Any) -> str:
    where = _field(item, "where")
    if not where or not _field(where, "file"):
        return ""
    line = _field(where, "line")
    return _md(str(_field(where, "file"))) + (f":{line}" if isinstance(line, int) else "")


def _timeline(test: TestResult) -> list[str]:
    events = list(_field(test, "timeline") or [])[:MAX_TIMELINE_ROWS]
    if not events:
        return []
    ends = [float(_field(e, "end") if _field(e, "end") is not None else _field(e, "start"))
            for e in events]
    span = max([*ends, *(float(_field(e, "start")) for e in events), 1e-9])
    lines = ["<details>", f"<summary>Loop timeline of {_code(test.name)} (loop seconds, 0 to "
             f"{span:.2f})</summary>", "", "| event | name | loop time (s) | | at |",
             "| --- | --- | --- | --- | --- |"]
    for event in events:
        start, end = float(_field(event, "start")), _field(event, "end")
        stop = float(end) if end is not None else span
        first = min(TIMELINE_WIDTH - 1, int(start / span * TIMELINE_WIDTH))
        last = max(first + 1, min(TIMELINE_WIDTH, round(stop / span * TIMELINE_WIDTH)))
        bar = "·" * first + "█" * (last - first) + "·" * (TIMELINE_WIDTH - last)
        until = f"{stop:.2f}" if end is not None else "still running"
        lines.append(f"| {_md(str(_field(event, 'kind')))} | {_md(bound(str(_field(event, 'name')), 80))} "
                     f"| {start:.2f} → {until} | `{bar}` | {_where(event)} |")
    return [*lines, "", "</details>", ""]


def _course() -> dict[str, Exercise]:
    """This course's exercises: titles and hints come from here (our own Markdown), never
    from a report, which may come from an untrusted run."""
    return {ex.slug: ex for ex in load()}


def _title(ex: ExerciseResult, course: dict[str, Exercise]) -> str:
    return course[ex.slug].title if ex.slug in course else _md(ex.title)


def _exercise(ex: ExerciseResult, kind: str, limit: int, timelines: bool,
              course: dict[str, Exercise]) -> list[str]:
    failing = _failing(ex)
    first = failing[0]
    lines = [f"#### {_code(ex.slug)}: {_title(ex, course)} ({ex.score}/{ex.max_score}, "
             f"{_md(ex.status)})", ""]
    if ex.problem and ex.problem != first.message:
        lines += [_md(bound(ex.problem, max(limit, 200))), ""]
    where = _where(first)
    at = f" (at {where})" if where else ""
    if first.hidden and kind == "grade":
        lines += [f"**First failure:** {_code(first.name)} (hidden test){at}", ""]
    else:
        said = _md(bound(first.message, limit)) if limit and first.message else (
            "(no message)" if not first.message else "(message left out to keep this short)")
        hidden = " (hidden test)" if first.hidden else ""
        lines += [f"**First failure:** {_code(first.name)}{hidden}{at}: {said}", ""]
    if len(failing) > 1:
        lines += [f"{len(failing) - 1} more failing: "
                  + ", ".join(_code(t.name) for t in failing[1:20])
                  + (", …" if len(failing) > 20 else ""), ""]
    hints = course[ex.slug].hints if ex.slug in course else ()
    if hints:
        lines += [f"**Hint:** {hints[0]}", ""]
    if timelines and not (first.hidden and kind == "grade"):
        lines += _timeline(first)
    return lines


def render_comment(report: Report, kind: str, *, head_sha: str = "",
                   changes: Iterable[Change] = ()) -> str:
    """The comment's Markdown, under :data:`MAX_BODY` characters."""
    tag = marker(kind)
    flagged = protected_changes(changes)
    for limit, timelines in ((1000, True), (300, True), (300, False), (0, False)):
        body = _render(report, kind, tag, head_sha, flagged, limit, timelines)
        if len(body) <= MAX_BODY:
            return body
    cut = "\n\n…(cut to fit in one comment: the whole report is the run's artifact)\n"
    return body[: MAX_BODY - len(cut) - len(tag) - 1] + cut + tag + "\n"


def _render(report: Report, kind: str, tag: str, head_sha: str, flagged: list[Change],
            limit: int, timelines: bool) -> str:
    passed = sum(ex.status == "passed" for ex in report.exercises)
    what = ("grade (hidden tests included)" if kind == "grade"
            else "visible tests (feedback, not the grade)")
    commit = f" · commit `{head_sha[:12]}`" if head_sha else ""
    lines = [tag, f"### aiograde {what}: {report.score}/{report.max_score}", "",
             f"`{report.score}/{report.max_score}` points · {passed} of "
             f"{len(report.exercises)} exercises passed{commit}", ""]
    if kind == "feedback":
        lines += ["> Run by this repository's own workflow on the visible tests. Your grade "
                  "comes from your instructor's grader, with hidden tests.", ""]
    else:
        lines += ["> Graded by your instructor's grader. Hidden tests show their names only.",
                  ""]
    if report.flagged:
        lines += ["**Flagged for review:** this submission did something no honest answer "
                  "needs; an instructor will look at it.", ""]
    if flagged:
        lines += ["#### This pull request changes files the grading depends on", "",
                  "Changes to `checks/`, the workflows or the grader do not change how you "
                  "are graded; your instructor sees them:", ""]
        for change in flagged[:50]:
            was = f" (from {_code(change.previous)})" if change.previous else ""
            lines.append(f"- {_code(change.path)}{was}: {_md(change.status)}")
        if len(flagged) > 50:
            lines.append(f"- …and {len(flagged) - 50} more")
        lines.append("")
    course = _course()
    lines += ["| Exercise | Score | Status |", "| --- | ---: | --- |"]
    for ex in report.exercises:
        lines.append(f"| {_code(ex.slug)} {_title(ex, course)} | {ex.score}/{ex.max_score} "
                     f"| {_md(ex.status)} |")
    lines += [f"| **Total** | **{report.score}/{report.max_score}** | |", ""]
    for ex in report.exercises:
        if _failing(ex):
            lines += _exercise(ex, kind, limit, timelines, course)
    applied = report.sandbox.get("applied", []) if report.sandbox else []
    missing = report.sandbox.get("missing", []) if report.sandbox else []
    sandbox = ("; ".join(_md(m) for m in applied) or "none") + (
        f". Unavailable on the runner: {'; '.join(_md(m) for m in missing)}" if missing else "")
    lines += [f"<sub>aiograde {_md(report.grader_version)} · sandbox: {sandbox}</sub>", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- posting


def _same_author(a: str, b: str) -> bool:
    # Exactly (logins ignore case): a user may be named like an app's bot without "[bot]".
    return a.casefold() == b.casefold()


def find_comment(gh: GitHub, repo: str, number: int, tag: str, login: str) -> int | None:
    for comment in gh.paginate(f"/repos/{repo}/issues/{number}/comments"):
        author = (comment.get("user") or {}).get("login", "")
        if tag in (comment.get("body") or "") and _same_author(author, login):
            return int(comment["id"])
    return None


def upsert_comment(gh: GitHub, repo: str, number: int, body: str, tag: str,
                   login: str) -> tuple[str, int]:
    """Edit our comment on the pull request, or create it: ("created" | "updated", id)."""
    if len(body) >= BODY_LIMIT:
        raise ReportError(f"the comment is {len(body)} characters; GitHub takes fewer than "
                          f"{BODY_LIMIT}")
    for attempt in range(2):
        existing = find_comment(gh, repo, number, tag, login)
        if existing is not None:
            gh.request("PATCH", f"/repos/{repo}/issues/comments/{existing}", json={"body": body})
            return "updated", existing
        try:
            made = gh.request("POST", f"/repos/{repo}/issues/{number}/comments",
                              json={"body": body})
            return "created", int(made["id"])
        except StatusError as exc:
            # The comment may exist despite the error: look for it again before retrying.
            if exc.status not in SERVER_ERRORS or attempt:
                raise
    raise AssertionError("unreachable")


def pull_request_changes(gh: GitHub, repo: str, number: int) -> list[Change]:
    return [Change(str(f.get("filename", "")), str(f.get("status", "")),
                   str(f.get("previous_filename") or ""))
            for f in gh.paginate(f"/repos/{repo}/pulls/{number}/files")]


def post_comment(gh: GitHub, report: Report, repo: str, number: int, kind: str, *,
                 login: str | None = None, head_sha: str = "") -> tuple[str, int]:
    """Render and post (or update) the comment on pull request ``number`` of ``repo``."""
    _check_repo(repo)
    changes = pull_request_changes(gh, repo, number)
    body = render_comment(report, kind, head_sha=head_sha, changes=changes)
    return upsert_comment(gh, repo, number, body, marker(kind), login or gh.login())


def pull_requests_for(gh: GitHub, repo: str, head_sha: str, head_repo: str) -> list[int]:
    """Open pull requests of ``repo`` whose head is ``head_sha`` in ``head_repo``."""
    found = []
    for pull in gh.paginate(f"/repos/{repo}/pulls", state="open"):
        head = pull.get("head") or {}
        if (head.get("sha") == head_sha
                and ((head.get("repo") or {}).get("full_name", "")).casefold() == head_repo.casefold()):
            found.append(int(pull["number"]))
    return found


def post_from_workflow_run(gh: GitHub, event: Mapping[str, Any], repo: str, *,
                           login: str | None = None) -> list[tuple[int, str, int]]:
    """The ``workflow_run`` poster: the run's artifact, validated, onto the pull request that
    GitHub (not the artifact) says the run was for. Returns (pull request, action, id)."""
    _check_repo(repo)
    run = event.get("workflow_run")
    if not isinstance(run, Mapping):
        raise UsageError("the event is not a workflow_run event (no workflow_run in "
                         "GITHUB_EVENT_PATH)")
    run_id, head_sha = int(run["id"]), str(run["head_sha"])
    head_repo = str((run.get("head_repository") or {}).get("full_name", ""))
    artifacts = [a for a in gh.paginate(f"/repos/{repo}/actions/runs/{run_id}/artifacts",
                                        key="artifacts", name=ARTIFACT_NAME)
                 if a.get("name") == ARTIFACT_NAME and not a.get("expired")]
    if not artifacts:
        print(f"aiograde: run {run_id} uploaded no {ARTIFACT_NAME} artifact: nothing to post",
              file=sys.stderr)
        return []
    data = gh.download(f"/repos/{repo}/actions/artifacts/{int(artifacts[0]['id'])}/zip",
                       MAX_ARTIFACT_BYTES)
    report, claim = read_artifact(data)
    numbers = pull_requests_for(gh, repo, head_sha, head_repo)
    if claim.head_sha is not None and claim.head_sha != head_sha:
        raise ReportError(f"the artifact says it graded commit {claim.head_sha[:12]} but the run "
                          f"was for {head_sha[:12]}: refusing a forged artifact")
    if not numbers:
        print(f"aiograde: no open pull request has head {head_sha[:12]} from "
              f"{head_repo or 'a deleted repository'}: nothing to post", file=sys.stderr)
        return []
    if claim.number is not None and claim.number not in numbers:
        found = ", ".join(f"#{n}" for n in numbers)
        raise ReportError(f"the artifact says it is for pull request #{claim.number}, but the "
                          f"run's commit {head_sha[:12]} from {head_repo} is the head of "
                          f"{found}: refusing a forged artifact")
    login = login or gh.login()
    posted = []
    for number in numbers:
        action, comment = post_comment(gh, report, repo, number, "feedback", login=login,
                                       head_sha=head_sha)
        posted.append((number, action, comment))
    return posted


def _check_repo(repo: str) -> None:
    owner, sep, name = repo.partition("/")
    if not (sep and owner and name and "/" not in name
            and all(c.isalnum() or c in "-_." for c in owner + name)):
        raise UsageError(f"--repo takes OWNER/NAME, got {json.dumps(repo)}")
