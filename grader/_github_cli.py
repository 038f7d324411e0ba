"""The GitHub subcommands of ``aiograde`` (added to the parser by ``_cli``).

    aiograde comment REPORT.json --repo OWNER/NAME --pr N   post or update the comment
    aiograde comment --workflow-run                         the poster of a workflow_run
    aiograde actions REPORT.json [--classroom] [--artifact DIR]
                                                            annotations, summary, points
    aiograde classroom grade (--org ORG --prefix P | --roster FILE) [--shard K/N]
    aiograde classroom merge OUT.sqlite3 SHARD.sqlite3 ...
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ._errors import UsageError

COMMANDS = ("comment", "actions", "classroom")


def add_commands(commands: Any) -> None:
    c = commands.add_parser("comment", help="post or update the grade comment on a pull request")
    c.add_argument("report", nargs="?", help="the JSON report (aiograde grade --format json)")
    c.add_argument("--repo", metavar="OWNER/NAME", help="the repository of the pull request")
    c.add_argument("--pr", type=int, metavar="N", help="the pull request's number")
    c.add_argument("--kind", choices=("feedback", "grade"), default="feedback",
                   help="feedback: visible tests (default); grade: the authoritative grade")
    c.add_argument("--workflow-run", action="store_true",
                   help="in a workflow_run workflow: take the triggering run's artifact, find its "
                   "pull request by the run's head commit, and post")
    c.add_argument("--as", dest="login", metavar="LOGIN",
                   help="the account the token posts as, when it cannot read /user and is not "
                   "a workflow's GITHUB_TOKEN (e.g. my-grader[bot])")

    a = commands.add_parser("actions", help="in a GitHub Actions job: annotations, step summary, "
                            "GitHub Classroom's points, the artifact")
    a.add_argument("report", help="the JSON report")
    a.add_argument("--summary", metavar="MARKDOWN", help="the Markdown report for the step "
                   "summary (default: rendered from the JSON report)")
    a.add_argument("--root", default="exercises", help="the folder of the exercise modules in "
                   "the repository, for annotations (default: exercises)")
    a.add_argument("--classroom", action="store_true",
                   help="also print GitHub Classroom's points and set the step output 'result'")
    a.add_argument("--artifact", metavar="DIR",
                   help="write the artifact for the comment poster into DIR")
    a.add_argument("--pr", type=_number_or_none, default=None, help="with --artifact: the pull "
                   "request this run is for, empty on a push (checked by the poster, never believed)")
    a.add_argument("--head-sha", default=None, help="with --artifact: the commit graded")

    k = commands.add_parser("classroom", help="grade a GitHub Classroom assignment's pull requests")
    steps = k.add_subparsers(dest="step", required=True)
    g = steps.add_parser("grade", help="grade each student's latest pull request, record, comment")
    g.add_argument("--org", help="the organisation of the students' repositories")
    g.add_argument("--prefix", help="the assignment's repository name prefix")
    g.add_argument("--roster", metavar="FILE", help="instead of --org/--prefix: one OWNER/NAME "
                   "(or STUDENT,OWNER/NAME) a line")
    g.add_argument("--shard", metavar="K/N", help="grade only the K-th of N shares of the class")
    g.add_argument("--gradebook", default="aiograde.sqlite3", metavar="DB")
    g.add_argument("--only", action="append", metavar="SLUG", help="grade only this exercise")
    g.add_argument("--no-comment", action="store_true", help="grade and record, post nothing")
    g.add_argument("--as", dest="login", metavar="LOGIN", help="as for comment")
    g.add_argument("--classroom-points", action="store_true",
                   help="also give GitHub Classroom the grade's points, as a check run on the "
                   "graded commit (needs a GitHub App's token with Checks: write)")
    g.add_argument("--git-url", default=None, metavar="TEMPLATE",
                   help="where to fetch a repository from, with {repo}, {owner}, {name} "
                   "(default: $GITHUB_SERVER_URL/{repo}.git)")
    m = steps.add_parser("merge", help="merge the shards' gradebooks into one")
    m.add_argument("output", help="the merged gradebook (created, or added to)")
    m.add_argument("shards", nargs="+", help="the shards' gradebooks")


def _number_or_none(text: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a pull request number, got {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    return {"comment": _comment, "actions": _actions, "classroom": _classroom}[args.command](args)


def _read(path: str) -> bytes:
    from ._artifact import MAX_REPORT_BYTES

    try:
        with open(path, "rb") as f:
            return f.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _comment(args: argparse.Namespace) -> int:
    from ._artifact import parse_report
    from ._github import GitHub
    from ._prcomment import post_comment, post_from_workflow_run

    with GitHub() as gh:
        if args.workflow_run:
            if args.report or args.repo or args.pr:
                raise UsageError("--workflow-run takes the report, repository and pull request "
                                 "from the event: give no REPORT, --repo or --pr")
            event_path, repo = os.environ.get("GITHUB_EVENT_PATH"), os.environ.get("GITHUB_REPOSITORY")
            if not event_path or not repo:
                raise UsageError("--workflow-run needs GITHUB_EVENT_PATH and GITHUB_REPOSITORY "
                                 "(set by GitHub Actions)")
            try:
                event = json.loads(Path(event_path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise UsageError(f"cannot read the event {event_path}: {exc}") from None
            for number, action, comment in post_from_workflow_run(gh, event, repo, login=args.login):
                print(f"{action} comment {comment} on {repo}#{number}")
            return 0
        if not (args.report and args.repo and args.pr):
            raise UsageError("comment needs REPORT.json, --repo OWNER/NAME and --pr N "
                             "(or --workflow-run)")
        report = parse_report(_read(args.report), args.report)
        action, comment = post_comment(gh, report, args.repo, args.pr, args.kind,
                                       login=args.login)
        print(f"{action} comment {comment} on {args.repo}#{args.pr}")
    return 0


def _actions(args: argparse.Namespace) -> int:
    from ._actions import report_to_actions, write_artifact
    from ._artifact import parse_report
    from ._formats import render_markdown

    data = _read(args.report)
    report = parse_report(data, args.report)
    summary = _read(args.summary).decode("utf-8", "replace") if args.summary else render_markdown(report)
    for line in report_to_actions(report, summary=summary, root=args.root, classroom=args.classroom):
        print(line)
    if args.artifact:
        write_artifact(data, Path(args.artifact), number=args.pr, head_sha=args.head_sha or None)
    return 0


def _classroom(args: argparse.Namespace) -> int:
    from ._classroom import (
        merge_gradebooks,
        parse_shard,
        roster_from_file,
        roster_from_org,
    )
    from ._gradebook import Gradebook

    if args.step == "merge":
        with Gradebook(args.output) as book:
            count = merge_gradebooks(book, [Path(p) for p in args.shards])
        print(f"merged {count} gradings from {len(args.shards)} gradebooks into {args.output}")
        return 0
    from ._classroom import grade_classroom
    from ._github import GitHub

    shard = parse_shard(args.shard)
    if bool(args.roster) == bool(args.org or args.prefix) or (args.org and not args.prefix):
        raise UsageError("classroom grade needs either --org ORG --prefix PREFIX, or --roster FILE")
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    git_url = args.git_url or server + "/{repo}.git"
    with GitHub() as gh, Gradebook(args.gradebook) as book:
        students = (roster_from_file(Path(args.roster)) if args.roster
                    else roster_from_org(gh, args.org, args.prefix))
        token = os.environ.get("GITHUB_TOKEN", "") if git_url.startswith("https://") else ""
        outcome = grade_classroom(gh, students, book, git_url=git_url, shard=shard,
                                  post=not args.no_comment, only=args.only, login=args.login,
                                  token=token, classroom_points=args.classroom_points)
    print(f"graded {len(outcome.graded)}, commented on {len(outcome.posted)}, not graded "
          f"{len(outcome.skipped)} (shard {shard[0]}/{shard[1]}); gradebook: {args.gradebook}")
    for student, why in sorted(outcome.skipped.items()):
        print(f"  not graded {student}: {why}", file=sys.stderr)
    return 0

