"""Grading a GitHub Classroom assignment from the instructor's repository.

``aiograde classroom grade`` lists the students' repositories (an organisation and the
assignment's name prefix, as Classroom names them ``<prefix>-<login>``, or a roster
file), takes each one's most recently updated open pull request, fetches its head with
git, grades it with the hidden suites in the sandbox (in its own grader process, as
``grade --class`` does), records it in the gradebook, and
posts the authoritative comment. ``--shard K/N`` grades the students whose name hashes to
K, so a workflow's matrix can share a class out; :func:`merge_gradebooks` joins the
shards' gradebooks into one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import __version__, _manifest
from ._errors import GitHubError, UsageError
from ._github import GitHub
from ._gradebook import Gradebook, content_hash
from ._report import Report

GIT_TIMEOUT = 300  # seconds for one fetch
CHECK_NAME = "aiograde grade"  # the check run that carries GitHub Classroom's points
# A file every released repository has, for the check run's annotations (they need one).
CHECK_ANNOTATION_PATH = ".github/workflows/aiograde.yml"
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Student:
    name: str  # the gradebook's key
    repo: str  # OWNER/NAME


@dataclass
class Outcome:
    graded: dict[str, tuple[int, int]] = field(default_factory=dict)  # student -> score, max
    posted: dict[str, str] = field(default_factory=dict)  # student -> created/updated
    skipped: dict[str, str] = field(default_factory=dict)  # student -> why


def parse_shard(text: str | None) -> tuple[int, int]:
    if not text:
        return 1, 1
    match = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise UsageError(f"--shard takes K/N with 1 <= K <= N (e.g. 2/8), got {text!r}")
    return int(match[1]), int(match[2])


def in_shard(student: str, shard: tuple[int, int]) -> bool:
    """Stable across machines and runs: the shards of N always split a class the same way."""
    k, n = shard
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % n == k - 1


def roster_from_org(gh: GitHub, org: str, prefix: str) -> list[Student]:
    if not prefix:
        raise UsageError("--prefix must not be empty: it picks the assignment's repositories")
    students = []
    for repo in gh.paginate(f"/orgs/{org}/repos", type="all"):
        name = str(repo.get("name", ""))
        if name.startswith(prefix) and name != prefix and not repo.get("archived"):
            student = name[len(prefix):].lstrip("-") or name
            students.append(Student(student, str(repo["full_name"])))
    return sorted(students, key=lambda s: s.name)


def roster_from_file(path: Path) -> list[Student]:
    """One student a line: ``OWNER/NAME``, or ``STUDENT,OWNER/NAME``; ``#`` starts a comment."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the roster {path}: {exc.strerror}") from None
    students = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, repo = line.rpartition(",")
        repo = repo.strip()
        if not _REPO.match(repo):
            raise UsageError(f"{path}:{number}: expected OWNER/NAME or STUDENT,OWNER/NAME, got "
                             f"{raw.strip()!r}")
        students.append(Student(name.strip() or repo.split("/")[1], repo))
    return students


def latest_pull_request(gh: GitHub, repo: str) -> dict[str, object] | None:
    pulls = list(gh.paginate(f"/repos/{repo}/pulls", state="open", sort="updated",
                             direction="desc"))
    return max(pulls, key=lambda p: str(p.get("updated_at", "")), default=None)


def _git(*args: str, cwd: Path, token: str = "") -> str:
    config = ["-c", "core.hooksPath=/dev/null", "-c", "protocol.allow=never",
              "-c", "protocol.https.allow=always", "-c", "protocol.file.allow=always"]
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        config += ["-c", f"http.extraHeader=Authorization: Basic {basic}"]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", *config, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=GIT_TIMEOUT, env=env)
    if done.returncode:
        raise GitHubError(f"git {args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def fetch_head(url: str, number: int, into: Path, token: str = "") -> str:
    """The pull request's head commit, checked out in ``into`` (no history, no hooks); its sha.
    (The head may have moved since the API listed it: what is graded is what was fetched.)"""
    into.mkdir(parents=True)
    _git("init", "-q", cwd=into)
    _git("fetch", "-q", "--depth=1", url, f"refs/pull/{number}/head", cwd=into, token=token)
    _git("-c", "advice.detachedHead=false", "checkout", "-q", "FETCH_HEAD", cwd=into)
    return _git("rev-parse", "HEAD", cwd=into)


def grade_classroom(gh: GitHub, students: list[Student], book: Gradebook, *,
                    git_url: str, shard: tuple[int, int] = (1, 1), post: bool = True,
                    only: list[str] | None = None, login: str | None = None,
                    token: str = "", classroom_points: bool = False,
                    log: Callable[[str], None] | None = None) -> Outcome:
    from ._classgrading import _grade_one, _Graders
    from ._grading import DEFAULT_PARALLEL
    from ._prcomment import post_comment

    say = log or (lambda text: print(text, file=sys.stderr))
    slugs = [e.slug for e in _manifest.load() if not only or e.slug in only]
    outcome = Outcome()
    login = login or (gh.login() if post else None)
    graders = _Graders()  # one warm grader process, reused student after student
    try:
        for student in (s for s in students if in_shard(s.name, shard)):
            try:
                pull = latest_pull_request(gh, student.repo)
                if pull is None:
                    outcome.skipped[student.name] = "no open pull request"
                    continue
                number = int(str(pull["number"]))
                owner, name = student.repo.split("/")
                with tempfile.TemporaryDirectory(prefix="aiograde-classroom-") as work:
                    checkout = Path(work) / "checkout"
                    sha = fetch_head(git_url.format(repo=student.repo, owner=owner, name=name),
                                     number, checkout, token)
                    digest = content_hash(checkout, slugs)
                    report = book.find(student.name, digest, __version__, only)
                    if report is None:
                        # Its own grader process, as a class grading does (_classgrading), with
                        # the work folder hidden from the sandbox.
                        graded = _grade_one(checkout, only, "tampering", DEFAULT_PARALLEL, graders)
                        if isinstance(graded, str):
                            outcome.skipped[student.name] = graded
                            book.record_ungraded(student.name, graded, __version__)
                            say(f"{student.name}: not graded: {graded}")
                            continue
                        report = graded
                        report.submission = f"{student.repo}#{number}"
                        book.record(student.name, report, digest, only=only)
                outcome.graded[student.name] = (report.score, report.max_score)
                say(f"{student.name}: {report.score}/{report.max_score} ({student.repo}#{number})")
                if post:
                    action, _ = post_comment(gh, report, student.repo, number, "grade",
                                             login=login, head_sha=sha)
                    outcome.posted[student.name] = action
                if classroom_points:
                    post_classroom_points(gh, student.repo, sha, report)
            except GitHubError as exc:
                outcome.skipped[student.name] = str(exc)
                say(f"{student.name}: not graded: {exc}")
    finally:
        graders.close_all()
    return outcome


def post_classroom_points(gh: GitHub, repo: str, sha: str, report: Report) -> int:
    """The instructor's grade as GitHub Classroom's points: a completed check run on the
    graded commit, carrying the two notices its reporter prints. (Check runs need a GitHub
    App's token; how Classroom reads the notices is not documented, see docs/instructors.md.)
    Returns the check run's id."""
    from ._prcomment import render_comment

    notices = [("Autograding complete", f"Points {report.score}/{report.max_score}"),
               ("Autograding report", json.dumps({"totalPoints": report.score,
                                                  "maxPoints": report.max_score},
                                                 separators=(",", ":")))]
    full = report.max_score > 0 and report.score == report.max_score
    made = gh.request("POST", f"/repos/{repo}/check-runs", json={
        "name": CHECK_NAME, "head_sha": sha, "status": "completed",
        "conclusion": "success" if full else "failure",
        "output": {
            "title": f"Points {report.score}/{report.max_score}",
            "summary": render_comment(report, "grade", head_sha=sha),
            "annotations": [{"path": CHECK_ANNOTATION_PATH, "start_line": 1, "end_line": 1,
                             "annotation_level": "notice", "title": title, "message": message}
                            for title, message in notices],
        }})
    return int(made["id"])


def merge_gradebooks(target: Gradebook, shards: list[Path]) -> int:
    """Every grading of every shard, into ``target`` (through its public API): the result
    is the gradebook one run over the whole class would have made. Returns how many."""
    count = 0
    for path in shards:
        if not path.is_file():
            raise UsageError(f"no gradebook at {path}")
        with Gradebook(path) as shard:
            rows = shard.db.execute(
                "SELECT student, content_hash, graded_at, report_json, only_slugs FROM gradings "
                "ORDER BY graded_at, id").fetchall()
            ungraded = shard.db.execute(
                "SELECT student, reason, grader_version, attempted_at FROM ungraded "
                "ORDER BY attempted_at").fetchall()
        for student, digest, graded_at, report_json, only_slugs in rows:
            report = Report.from_dict(json.loads(report_json))
            target.record(student, report, digest, graded_at=_moment(graded_at),
                          only=only_slugs.split(",") if only_slugs is not None else None)
            count += 1
        for student, reason, version, attempted_at in ungraded:
            target.record_ungraded(student, reason, version, _moment(attempted_at))
    return count


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
