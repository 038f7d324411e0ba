"""The shipped student workflows, run by hand as GitHub Actions would: each ``run:`` step as a
bash script with the GITHUB_* variables set, the upload step played by zipping its folder,
and the poster run against the fake GitHub API. The step summary, the annotations and the
artifact must come out, and the poster must accept the artifact and comment."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SAMPLES
from fakegithub import APP_TOKEN, started
from test_workflows import load

WORKFLOWS = ROOT / "templates" / "student" / ".github" / "workflows"
REPO = "course/assignment-ada"
HEAD = "d" * 40
# The install steps are skipped: the grader is already installed in this virtualenv, and a
# test must not need the network. Every other run step runs as written.
SKIPPED_STEPS = {"install"}


def expressions(runner_temp: Path, pr: str) -> dict[str, str]:
    return {
        "github.event.pull_request.number": pr,
        "github.event.pull_request.head.sha || github.sha": HEAD,
        "github.token": APP_TOKEN,
        "runner.temp": str(runner_temp),
    }


def evaluate(text: str, known: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match[1].strip()
        assert expression in known, f"the test does not know ${{{{ {expression} }}}}: add it"
        return known[expression]

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


def run_job(workflow: dict[str, Any], env: dict[str, str], cwd: Path,
            known: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """Run the job's steps; returns what the steps printed and the `uses:` steps met."""
    [job] = workflow["jobs"].values()
    printed, actions = [], []
    base = {**env, **{k: evaluate(str(v), known) for k, v in workflow.get("env", {}).items()}}
    for step in job["steps"]:
        if "uses" in step:
            actions.append({"uses": step["uses"], "with": {
                k: evaluate(str(v), known) for k, v in (step.get("with") or {}).items()}})
            continue
        if step.get("id") in SKIPPED_STEPS:
            continue
        step_env = {k: evaluate(str(v), known) for k, v in (step.get("env") or {}).items()}
        script = cwd.parent / "step.sh"
        script.write_text(evaluate(step["run"], known))
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=cwd, env={**base, **step_env}, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"step {step.get('name')}: {done.stdout}{done.stderr}"
        printed.append(done.stdout)
    return "".join(printed), actions


def upload(action: dict[str, Any]) -> bytes:
    """What actions/upload-artifact stores for a folder: its files, by relative name."""
    folder = Path(action["with"]["path"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, str(path.relative_to(folder)))
    return buffer.getvalue()


@pytest.fixture
def student_repo(tmp_path: Path) -> Path:
    """A student's repository as released: every stub, one exercise solved, one wrong."""
    repo = tmp_path / "workspace"
    (repo / "exercises").mkdir(parents=True)
    for stub in (ROOT / "exercises").glob("*.py"):
        (repo / "exercises" / stub.name).write_text(stub.read_text())
    (repo / "exercises" / "coroutines.py").write_text(
        (ROOT / "solutions" / "coroutines.py").read_text())
    (repo / "exercises" / "gathering.py").write_text(
        (SAMPLES / "gathering" / "wrong_time_sleep.py").read_text())
    return repo


def test_the_student_workflow_and_its_poster_as_ci_runs_them(student_repo: Path,
                                                             tmp_path: Path) -> None:
    fake, server = started()
    try:
        runner_temp = tmp_path / "runner-temp"
        runner_temp.mkdir()
        files = {name: tmp_path / name for name in ("summary.md", "output", "env")}
        for path in files.values():
            path.touch()
        env = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(tmp_path), "CI": "true", "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REPOSITORY": REPO,
            "GITHUB_SHA": "e" * 40, "GITHUB_WORKSPACE": str(student_repo),
            "GITHUB_STEP_SUMMARY": str(files["summary.md"]), "GITHUB_OUTPUT": str(files["output"]),
            "GITHUB_ENV": str(files["env"]), "RUNNER_TEMP": str(runner_temp),
            "RUNNER_OS": "Linux", "GITHUB_API_URL": fake.url,
        }
        known = expressions(runner_temp, "3")
        printed, actions = run_job(load(WORKFLOWS / "aiograde.yml"), env, student_repo, known)

        # The step summary is the Markdown report; the annotations point at the student's file.
        summary = files["summary.md"].read_text()
        assert "| `gathering`" in summary and "First failure" in summary
        errors = [x for x in printed.splitlines() if x.startswith("::error ")]
        assert len(errors) == 10
        files_named = {re.match(r"::error file=([^,]+),", x)[1] for x in errors}  # type: ignore[index]
        assert "exercises/gathering.py" in files_named
        assert all((student_repo / name).is_file() for name in files_named)
        assert "exercises/coroutines.py" not in files_named  # solved
        assert "::notice title=Autograding complete::Points " in printed
        assert files["output"].read_text().startswith("result=")

        # The artifact, as upload-artifact would store it, holds exactly what the poster reads.
        [uploaded] = [a for a in actions if a["uses"].startswith("actions/upload-artifact@")]
        assert uploaded["with"]["name"] == "aiograde-report"
        data = upload(uploaded)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert sorted(archive.namelist()) == ["pull-request.json", "report.json"]
            assert json.loads(archive.read("pull-request.json")) == {"number": 3, "head_sha": HEAD}

        # The poster, in its own job, with the workflow_run event.
        fake.add_pull(REPO, 3, HEAD)
        fake.artifacts[(REPO, 9001)] = [({"id": 42, "name": "aiograde-report"}, data)]
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"workflow_run": {
            "id": 9001, "head_sha": HEAD, "event": "pull_request", "conclusion": "success",
            "head_repository": {"full_name": REPO}}}))
        poster_env = {**env, "GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": str(event)}
        default_branch = tmp_path / "default-branch"
        default_branch.mkdir()
        printed, _ = run_job(load(WORKFLOWS / "aiograde-comment.yml"), poster_env,
                             default_branch, known)
        assert "created comment" in printed
        [comment] = fake.comments[(REPO, 3)]
        assert comment["user"]["login"] == "github-actions[bot]"
        assert "visible tests" in comment["body"] and "`gathering`" in comment["body"]
        # The run's token went to the API, and the pull request came from the run's head.
        assert fake.find("GET", rf"/repos/{REPO}/pulls")
    finally:
        server.shutdown()
        server.server_close()
