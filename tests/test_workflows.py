"""Every workflow, the project's own and the ones shipped to students and instructors, passes
actionlint and ``zizmor --offline``, pins its actions to commits, and never pairs a
privileged trigger with the pull request's code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

BIN = Path(sys.executable).parent
WORKFLOWS = sorted([*ROOT.glob(".github/workflows/*.yml"),
                    *ROOT.glob("templates/*/.github/workflows/*.yml")])
PRIVILEGED = {"pull_request_target", "workflow_run"}
# Shell that would bring the pull request's code into a privileged job.
FETCHES_PR_CODE = re.compile(r"git\s+(fetch|checkout|clone|pull)|gh\s+pr\s+checkout|refs/pull/")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def triggers(workflow: dict[str, Any]) -> set[str]:
    on = workflow["on"]
    return {on} if isinstance(on, str) else set(on)


def test_every_workflow_is_checked() -> None:
    names = {str(p.relative_to(ROOT)) for p in WORKFLOWS}
    assert {".github/workflows/tests.yml",
            "templates/student/.github/workflows/aiograde.yml",
            "templates/student/.github/workflows/aiograde-comment.yml",
            "templates/instructor/.github/workflows/aiograde-classroom.yml"} <= names


def test_actionlint_passes() -> None:
    done = subprocess.run([str(BIN / "actionlint"), "-no-color", *map(str, WORKFLOWS)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_zizmor_offline_finds_nothing(path: Path) -> None:
    # Policy: every action pinned to a commit, no finding at the default persona; the one
    # ignore (workflow_run in the poster) says why on its line.
    done = subprocess.run([str(BIN / "zizmor"), "--offline", "--no-progress", "--color=never",
                           str(path)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_actions_are_pinned_to_commits(path: Path) -> None:
    for step in steps(load(path)):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_privileged_trigger_runs_pull_request_code(path: Path) -> None:
    workflow = load(path)
    assert "pull_request_target" not in triggers(workflow)
    if not triggers(workflow) & PRIVILEGED:
        return
    for step in steps(workflow):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            given = set(step.get("with") or {})
            assert not given & {"ref", "repository", "allow-unsafe-pr-checkout"}, step
            assert (step.get("with") or {}).get("persist-credentials") is False
        assert not FETCHES_PR_CODE.search(str(step.get("run", ""))), step


def test_the_workflow_that_runs_student_code_has_no_secret_and_reads_only() -> None:
    path = ROOT / "templates/student/.github/workflows/aiograde.yml"
    workflow = load(path)
    assert triggers(workflow) & {"pull_request", "push"}
    assert workflow["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in workflow["jobs"].values())
    assert "secrets." not in path.read_text()


def test_the_poster_may_comment_and_nothing_more() -> None:
    workflow = load(ROOT / "templates/student/.github/workflows/aiograde-comment.yml")
    assert triggers(workflow) == {"workflow_run"}
    assert workflow["permissions"] == {}
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"actions": "read", "contents": "read",
                                  "pull-requests": "write"}
    assert "--workflow-run" in str([s.get("run") for s in job["steps"]])
