"""``aiograde classroom grade`` against the fake GitHub API and students' repositories kept
as bare git repositories on disk (with GitHub's ``refs/pull/N/head``), and the merge of
shard gradebooks."""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, run_grader
from fakegithub import INSTRUCTOR_TOKEN, FakeGitHub, started

from grader._classroom import in_shard
from grader._gradebook import Gradebook
from grader._prcomment import marker

ORG, PREFIX = "course", "asyncio-1"
# ada and edsger fall in shard 2 of 2, grace and alan in shard 1; edsger has no pull request.
SUBMISSIONS = {
    "ada": ROOT / "solutions" / "coroutines.py",
    "grace": SAMPLES / "coroutines" / "wrong_loop_never_closed.py",
    "alan": ROOT / "exercises" / "coroutines.py",
    "edsger": None,
}


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", "-c", "user.name=s", "-c", "user.email=s@example.invalid", *args],
                          cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def classroom(tmp_path: Path) -> Iterator[tuple[FakeGitHub, Path]]:
    """One bare repository per student; each with a pull request but edsger."""
    fake, server = started()
    fake.org_repos[ORG] = [{"name": "unrelated", "full_name": f"{ORG}/unrelated"}]
    for student, module in SUBMISSIONS.items():
        repo = f"{ORG}/{PREFIX}-{student}"
        fake.org_repos[ORG].append({"name": f"{PREFIX}-{student}", "full_name": repo})
        bare = tmp_path / "git" / f"{repo}.git"
        bare.mkdir(parents=True)
        git("init", "-q", "--bare", cwd=bare)
        work = tmp_path / "work" / student
        (work / "exercises").mkdir(parents=True)
        (work / "exercises" / "coroutines.py").write_text((ROOT / "exercises" / "coroutines.py")
                                                          .read_text())
        git("init", "-q", cwd=work)
        git("add", ".", cwd=work)
        git("commit", "-qm", "start", cwd=work)
        git("push", "-q", str(bare), "HEAD:refs/heads/main", cwd=work)
        if module is None:
            continue
        (work / "exercises" / "coroutines.py").write_text(module.read_text())
        (work / "checks").mkdir()
        (work / "checks" / "test_coroutines.py").write_text("def test_nothing(): pass\n")
        git("add", ".", cwd=work)
        git("commit", "-qm", "my answer", cwd=work)
        git("push", "-q", str(bare), "HEAD:refs/pull/1/head", cwd=work)
        fake.add_pull(repo, 1, git("rev-parse", "HEAD", cwd=work))
        fake.files[(repo, 1)] = [{"filename": "exercises/coroutines.py", "status": "modified"},
                                 {"filename": "checks/test_coroutines.py", "status": "added"}]
    yield fake, tmp_path
    server.shutdown()
    server.server_close()


def classroom_cli(fake: FakeGitHub, root: Path, *args: str):
    done = run_grader("classroom", *args, env={"GITHUB_API_URL": fake.url,
                                               "GITHUB_TOKEN": INSTRUCTOR_TOKEN}, timeout=300)
    return done


def grade(fake: FakeGitHub, root: Path, gradebook: str, *args: str):
    done = classroom_cli(fake, root, "grade", "--org", ORG, "--prefix", PREFIX,
                         "--only", "coroutines", "--gradebook", str(root / gradebook),
                         "--git-url", f"{root}/git/{{repo}}.git", *args)
    assert done.returncode == 0, done.stderr
    return done


def rows(gradebook: Path) -> list[dict[str, str]]:
    done = run_grader("gradebook", "csv", "--gradebook", gradebook)
    assert done.returncode == 0, done.stderr
    return [{k: v for k, v in row.items() if k != "graded_at"}
            for row in csv.DictReader(io.StringIO(done.stdout))]


def test_each_student_is_graded_recorded_and_commented_once(
        classroom: tuple[FakeGitHub, Path]) -> None:
    fake, root = classroom
    done = grade(fake, root, "class.sqlite3")
    assert "graded 3, commented on 3, not graded 1" in done.stdout
    assert "edsger: no open pull request" in done.stderr
    with Gradebook(root / "class.sqlite3") as book:
        latest = {student: report for student, report, _ in book.latest()}
    assert {s: r.score for s, r in latest.items()} == {"ada": 5, "grace": latest["grace"].score,
                                                        "alan": 0}
    assert 0 < latest["grace"].score < 5
    for student in ("ada", "grace", "alan"):
        [comment] = fake.comments[(f"{ORG}/{PREFIX}-{student}", 1)]
        body = comment["body"]
        assert comment["user"]["login"] == "instructor" and marker("grade") in body
        assert f"{latest[student].score}/5" in body
        assert "`checks/test_coroutines.py`" in body  # the pull request changed a check
        for test in latest[student].exercises[0].tests:
            if test.hidden and test.status != "passed":
                assert test.name in body and test.message not in body

    # Again: the same comments are updated, and unchanged submissions are not regraded;
    # this time Classroom gets the grade's points too.
    again = grade(fake, root, "class.sqlite3", "--classroom-points")
    assert "graded 3, commented on 3" in again.stdout
    for student in ("ada", "grace", "alan"):
        assert len(fake.comments[(f"{ORG}/{PREFIX}-{student}", 1)]) == 1
    with Gradebook(root / "class.sqlite3") as book:
        assert book.db.execute("SELECT count(*) FROM gradings").fetchone()[0] == 3
    [check] = fake.check_runs[f"{ORG}/{PREFIX}-grace"]
    score = latest["grace"].score
    assert check["head_sha"] == fake.pulls[f"{ORG}/{PREFIX}-grace"][0]["head"]["sha"]
    assert check["conclusion"] == "failure" and check["status"] == "completed"
    assert [(a["title"], a["message"], a["annotation_level"])
            for a in check["output"]["annotations"]] == [
        ("Autograding complete", f"Points {score}/5", "notice"),
        ("Autograding report", '{"totalPoints":' + str(score) + ',"maxPoints":5}', "notice")]
    assert fake.check_runs[f"{ORG}/{PREFIX}-ada"][0]["conclusion"] == "success"


def test_shard_gradebooks_merge_into_the_gradebook_of_one_run(
        classroom: tuple[FakeGitHub, Path]) -> None:
    fake, root = classroom
    assert [s for s in SUBMISSIONS if in_shard(s, (1, 2))] == ["grace", "alan"]
    grade(fake, root, "together.sqlite3", "--no-comment")
    first = grade(fake, root, "shard-1.sqlite3", "--shard", "1/2", "--no-comment")
    second = grade(fake, root, "shard-2.sqlite3", "--shard", "2/2", "--no-comment")
    assert "graded 2" in first.stdout and "graded 1" in second.stdout
    done = classroom_cli(fake, root, "merge", str(root / "merged.sqlite3"),
                         str(root / "shard-1.sqlite3"), str(root / "shard-2.sqlite3"))
    assert done.returncode == 0, done.stderr
    assert "merged 3 gradings" in done.stdout
    assert rows(root / "merged.sqlite3") == rows(root / "together.sqlite3")
    assert len(rows(root / "merged.sqlite3")) == 3
    assert not fake.find("POST", r".*/comments")


def test_a_roster_file_and_its_mistakes(classroom: tuple[FakeGitHub, Path]) -> None:
    fake, root = classroom
    roster = root / "roster.txt"
    roster.write_text(f"# the class\nlovelace,{ORG}/{PREFIX}-ada\n{ORG}/{PREFIX}-alan\n")
    done = classroom_cli(fake, root, "grade", "--roster", str(roster), "--only", "coroutines",
                         "--gradebook", str(root / "r.sqlite3"), "--no-comment",
                         "--git-url", f"{root}/git/{{repo}}.git")
    assert done.returncode == 0, done.stderr
    with Gradebook(root / "r.sqlite3") as book:
        assert {s: r.score for s, r, _ in book.latest()} == {"lovelace": 5, f"{PREFIX}-alan": 0}

    roster.write_text("not a repository\n")
    done = classroom_cli(fake, root, "grade", "--roster", str(roster), "--gradebook",
                         str(root / "r.sqlite3"))
    assert done.returncode == 2
    assert "roster.txt:1: expected OWNER/NAME" in done.stderr and "Traceback" not in done.stderr
    done = classroom_cli(fake, root, "grade", "--org", ORG, "--gradebook", str(root / "r.sqlite3"))
    assert done.returncode == 2 and "--prefix" in done.stderr
