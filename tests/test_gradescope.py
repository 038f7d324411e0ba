"""The Gradescope autograder, run as Gradescope runs it.

``aiograde gradescope OUT.zip`` is unpacked into a temporary folder standing in for
``/autograder`` (``$AUTOGRADER_ROOT``); ``setup.sh`` then ``run_autograder`` run there for
a correct submission (a folder of modules) and a wrong one (a zip of a checkout). The
``results.json`` must follow Gradescope's spec and equal our own grade.

To keep the install offline and quick, ``setup.sh`` installs from a wheelhouse
(``PIP_NO_INDEX=1``, ``PIP_FIND_LINKS``) made here from the packages this venv has
installed, repacked as wheels: the real script, venv and pins (a pin this venv does not
match has no wheel, and the install fails), without the network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import jsonschema
import pytest

from grader._formats import render_gradescope
from grader._gradescope import find_submission, pinned_requirements, write_autograder
from grader._grading import grade

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "schemas" / "gradescope.schema.json").read_text())


def repack(name: str, wheelhouse: Path) -> None:
    """An installed distribution, as the wheel it was installed from."""
    dist = metadata.distribution(name)
    info = next(p for p in dist.files or [] if p.name == "WHEEL")
    tag = next(line.split(": ", 1)[1] for line in info.read_text().splitlines()
               if line.startswith("Tag: "))
    base = f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}"
    records = []
    with zipfile.ZipFile(wheelhouse / f"{base}-{tag}.whl", "w") as wheel:
        for file in dist.files or []:
            if file.parts[0] == ".." or "__pycache__" in file.parts or file.name in (
                    "RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
                continue
            data = Path(str(file.locate())).read_bytes()
            wheel.writestr(file.as_posix(), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            records.append(f"{file.as_posix()},sha256={digest.decode()},{len(data)}")
        record = f"{dist._path.name}/RECORD"  # type: ignore[attr-defined]
        wheel.writestr(record, "\n".join([*records, f"{record},,"]) + "\n")


@pytest.fixture(scope="module")
def autograder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("gradescope")
    archive = base / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "grader", "gradescope", str(archive)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    root = base / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(archive) as z:
        z.extractall(root / "source")
        for info in z.infolist():  # extractall drops the modes; Gradescope keeps them
            (root / "source" / info.filename).chmod((info.external_attr >> 16) & 0o777)
    wheelhouse = base / "wheelhouse"
    wheelhouse.mkdir()
    for pin in pinned_requirements():
        repack(pin.split("==")[0], wheelhouse)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AIOGRADE_PYTHON=sys.executable,
               PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse))
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, cwd=root,
                           capture_output=True, text=True, timeout=600)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    return root, env


def run_as_gradescope(root: Path, env: dict[str, str], submission: Path) -> dict:
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    shutil.copytree(submission, root / "submission")
    (root / "results").mkdir()
    done = subprocess.run([str(root / "source" / "run_autograder")], env=env, cwd=root,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (root / "stdout").write_text(done.stdout)
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    return results


def comparable(results: dict) -> dict:
    return {"score": results["score"],
            "tests": [(t["name"], t["score"], t["max_score"], t["status"], t["visibility"],
                       t["output"]) for t in results["tests"]]}


def test_the_zip_has_gradescope_s_layout_and_pins(tmp_path: Path) -> None:
    write_autograder(tmp_path / "a.zip")
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        names = z.namelist()
        modes = {i.filename: (i.external_attr >> 16) for i in z.infolist()}
        requirements = z.read("requirements.txt").decode().splitlines()
    assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(names)
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert "aiograde/grader/suites/test_gathering.py" in names
    assert [r for r in requirements if not r.startswith("#")] == pinned_requirements()
    assert all("==" in r for r in pinned_requirements())
    assert {r.split("==")[0].lower() for r in pinned_requirements()} >= {"pytest", "looptime",
                                                                          "blockbuster"}


def test_installed_grader_is_the_zip_s_copy(autograder: tuple[Path, dict[str, str]]) -> None:
    root, env = autograder
    venv = root / "aiograde-venv" / "bin" / "python"
    where = subprocess.run([str(venv), "-c", "import grader; print(grader.__file__)"],
                           env=env, cwd=root, capture_output=True, text=True, check=True).stdout
    assert Path(where.strip()).is_relative_to(root / "source" / "aiograde")


def test_a_correct_folder_of_modules(autograder: tuple[Path, dict[str, str]]) -> None:
    root, env = autograder
    results = run_as_gradescope(root, env, ROOT / "solutions")
    ours = json.loads(render_gradescope(grade(ROOT / "solutions")))
    assert comparable(results) == comparable(ours)
    assert results["score"] == sum(t["max_score"] for t in results["tests"])
    assert results["execution_time"] > 0 and results["output_format"] == "md"
    assert {t["visibility"] for t in results["tests"]} == {"visible", "after_published"}
    assert "aiograde (for instructors): " in (root / "stdout").read_text()


def test_a_wrong_checkout_in_a_zip(autograder: tuple[Path, dict[str, str]],
                                   tmp_path: Path) -> None:
    root, env = autograder
    checkout = tmp_path / "checkout" / "repo-main" / "exercises"
    checkout.mkdir(parents=True)
    for sample in sorted((ROOT / "tests" / "samples").glob("*/wrong_*.py")):
        if not (checkout / f"{sample.parent.name}.py").exists():
            shutil.copyfile(sample, checkout / f"{sample.parent.name}.py")
    submission = tmp_path / "submission"
    submission.mkdir()
    with zipfile.ZipFile(submission / "mine.zip", "w") as z:
        for path in checkout.rglob("*.py"):
            z.write(path, path.relative_to(tmp_path / "checkout"))
    results = run_as_gradescope(root, env, submission)
    ours = json.loads(render_gradescope(grade(checkout.parent)))
    assert comparable(results) == comparable(ours)
    assert 0 < results["score"] < sum(t["max_score"] for t in results["tests"])


def test_a_zip_cannot_write_outside(tmp_path: Path) -> None:
    submission = tmp_path / "submission"
    submission.mkdir()
    with zipfile.ZipFile(submission / "evil.zip", "w") as z:
        z.writestr("../../escaped.py", "x = 1\n")
        z.writestr("coroutines.py", "x = 1\n")
    (tmp_path / "scratch").mkdir()
    folder = find_submission(submission, tmp_path / "scratch")
    assert (folder / "coroutines.py").is_file()
    assert not list(tmp_path.rglob("escaped.py"))


def test_unreadable_submission_still_writes_results(tmp_path: Path) -> None:
    from grader._gradescope import run

    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "broken.zip").write_bytes(b"not a zip")
    assert run(tmp_path) == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    assert results["score"] == 0 and "could not be read" in results["output"]
