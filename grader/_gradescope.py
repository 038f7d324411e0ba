"""``aiograde gradescope OUT.zip``: a Gradescope autograder, and what it runs there.

The zip holds, at its root (Gradescope unpacks it into ``/autograder/source``):

- ``setup.sh``: run once when Gradescope builds the image (Ubuntu 22.04, root). Installs
  Python 3.11 with apt if missing, makes a venv, installs the pinned dependencies
  (``requirements.txt``, exactly the versions this grader was built with) and puts this
  grader (``aiograde/grader``, the same copy, hidden suites included) on the venv's path.
- ``run_autograder``: run for every submission; ``python -m grader._gradescope``.

The hidden suites travel inside the zip, which only instructors upload and which
students never see; the child that runs the student's code is confined away from them
(where the container allows: see the instructor-only output).

Every path is under ``$AUTOGRADER_ROOT`` (default ``/autograder``), so the tests can run
both scripts against a temporary folder; ``$AIOGRADE_PYTHON`` names the interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from importlib import metadata
from pathlib import Path

from . import __version__
from ._errors import OutputError

PACKAGE = Path(__file__).resolve().parent
# Gradescope stops a submission after 10 minutes by default: give up a little before, and
# still write a results.json that says so (a missing one fails the whole submission).
DEADLINE = 540.0
MAX_ZIP_BYTES = 20 * 1024 * 1024  # a submitted zip, unpacked

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
root=${AUTOGRADER_ROOT:-/autograder}
python=${AIOGRADE_PYTHON:-python3.11}
if ! command -v "$python" >/dev/null; then
  # Ubuntu 22.04's python3 is 3.10; aiograde needs 3.11.
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv >/dev/null
fi
"$python" -m venv "$root/aiograde-venv"
venv="$root/aiograde-venv/bin/python"
"$venv" -m pip install --quiet --disable-pip-version-check \\
  --requirement "$root/source/requirements.txt"
# This grader, the copy in the zip, on the venv's path.
site=$("$venv" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$root/source/aiograde" > "$site/aiograde.pth"
"$venv" -m grader --version
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes $root/results/results.json.
root=${AUTOGRADER_ROOT:-/autograder}
exec "$root/aiograde-venv/bin/python" -m grader._gradescope --root "$root"
"""


# --------------------------------------------------------------------------- the zip


def pinned_requirements() -> list[str]:
    """``name==version`` for every package the grader needs at run time, as installed here."""
    from packaging.requirements import Requirement

    pins: dict[str, str] = {}
    todo = [Requirement(r) for r in metadata.requires("aiograde") or []]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        key = req.name.lower().replace("_", "-")
        if key in pins:
            continue
        dist = metadata.distribution(req.name)
        pins[key] = f"{dist.metadata['Name']}=={dist.version}"
        todo += [Requirement(r) for r in dist.requires or []]
    return sorted(pins.values(), key=str.lower)


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    archive.writestr(info, data)


def write_autograder(out: Path) -> None:
    """Write the autograder zip to ``out`` (the same inputs give the same bytes)."""
    if out.suffix != ".zip":
        raise OutputError(f"{out}: Gradescope takes a .zip; name the file OUT.zip")
    files = sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and p.suffix not in (".pyc", ".pyo"))
    try:
        with zipfile.ZipFile(out, "w") as archive:
            _add(archive, "setup.sh", SETUP_SH.encode(), executable=True)
            _add(archive, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
            _add(archive, "requirements.txt",
                 (f"# aiograde {__version__}: its run-time dependencies, pinned\n"
                  + "\n".join(pinned_requirements()) + "\n").encode())
            for path in files:
                _add(archive, f"aiograde/grader/{path.relative_to(PACKAGE).as_posix()}",
                     path.read_bytes())
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc}") from None


# --------------------------------------------------------------------------- on Gradescope


def _unzip(archive: Path, into: Path) -> None:
    """Unpack a submitted zip: regular files only, inside ``into``, bounded in size."""
    total = 0
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            target = (into / info.filename).resolve()
            if info.is_dir() or not target.is_relative_to(into.resolve()):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                continue
            total += info.file_size
            if total > MAX_ZIP_BYTES:
                raise ValueError(f"{archive.name} unpacks to more than {MAX_ZIP_BYTES} bytes")
            target.parent.mkdir(parents=True, exist_ok=True)
            with z.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)


def find_submission(submission: Path, scratch: Path) -> Path:
    """The folder to grade: the submission itself (modules, or a checkout), or what a
    zip in it holds (a top folder of its own is stepped into)."""
    if any(submission.glob("*.py")) or (submission / "exercises").is_dir():
        return submission
    zips = sorted(submission.glob("*.zip"))
    if len(zips) != 1:
        return submission
    _unzip(zips[0], scratch)
    folder = scratch
    while True:
        entries = [p for p in folder.iterdir() if p.name != "__MACOSX"]
        if any(p.suffix == ".py" for p in entries) or (folder / "exercises").is_dir():
            return folder
        dirs = [p for p in entries if p.is_dir()]
        if len(dirs) != 1:
            return folder
        folder = dirs[0]


def _failed_results(why: str, seconds: float) -> str:
    return json.dumps({"score": 0, "execution_time": round(seconds, 3), "output": why,
                       "output_format": "md", "visibility": "visible",
                       "stdout_visibility": "hidden", "tests": []}, indent=2)


def run(root: Path, deadline: float = DEADLINE) -> int:
    """Grade ``root/submission`` into ``root/results/results.json``; what only the
    instructor should read goes to standard output (Gradescope's hidden stdout)."""
    started = time.monotonic()
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="aiograde-gradescope-") as scratch_dir:
        scratch = Path(scratch_dir)
        (scratch / "unpacked").mkdir()
        try:
            folder = find_submission(root / "submission", scratch / "unpacked")
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            text = _failed_results(f"The submission could not be read: {exc}. Submit the "
                                   "exercise modules, a zip of them, or your repository.",
                                   time.monotonic() - started)
            (results / "results.json").write_text(text, encoding="utf-8")
            return 0
        out, report = scratch / "results.json", scratch / "report.json"
        command = [sys.executable, "-m", "grader", "grade", str(folder), "--no-gradebook",
                   "--write", f"gradescope={out}", "--write", f"json={report}"]
        print(f"aiograde {__version__}: grading {folder}", flush=True)
        process = subprocess.Popen(command, stdout=sys.stdout, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            code = process.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            code = None
        seconds = time.monotonic() - started
        if code == 0 and out.is_file():
            _note_sandbox(report)
            text = out.read_text(encoding="utf-8")
        elif code is None:
            text = _failed_results(f"The grading did not finish within {deadline:g} s and was "
                                   "stopped. Does some code wait forever? Ask your instructor.",
                                   seconds)
        else:
            text = _failed_results("The grader could not grade this submission (see the "
                                   "autograder's output, for instructors). Submit the exercise "
                                   "modules (coroutines.py, ...), a zip of them, or your "
                                   "repository.", seconds)
        tmp = results / ".results.json.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, results / "results.json")  # written once, complete
    return 0


def _note_sandbox(report_path: Path) -> None:
    try:
        sandbox = json.loads(report_path.read_text(encoding="utf-8")).get("sandbox") or {}
    except (OSError, ValueError):
        return
    if sandbox.get("missing"):
        print("aiograde (for instructors): the sandbox is weaker in this container: "
              + "; ".join(sandbox["missing"]) + ". Scores are computed the same way; the "
              "student's code was less confined (see the instructor guide, Gradescope).")
    else:
        print("aiograde (for instructors): sandbox applied: " + ", ".join(sandbox.get("applied", [])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader._gradescope")
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    parser.add_argument("--deadline", type=float, default=DEADLINE)
    args = parser.parse_args(argv)
    return run(args.root, args.deadline)


if __name__ == "__main__":
    sys.exit(main())
