"""Grading inside nbgrader, three ways, in one run (ratios only compare within a run).

For the same few students (``make_class.py``, seed 2026, hostile ones left out: the
plain-cell course runs their code with the grader's rights):

1. ``aiograde grade STUDENT``, one after another (serial, like nbgrader), and
   ``aiograde grade CLASS --class`` (default jobs);
2. **our course in nbgrader**: ``aiograde nbgrader``, each student's modules pasted into
   the answer cells, ``nbgrader autograde "*"``: our suites, sandbox and all, behind
   nbgrader's test cells; in both layouts (thirteen notebooks per student, or one);
3. **nbgrader's own autograde of a plain-cell course** (``nbgrader_course.py``): the
   same exercises checked by plain assert cells in the kernel, real clock, no sandbox.

    .venv/bin/python bench/bench_nbgrader.py [--students 6] [--keep DIR]

nbgrader comes from the project's venv (``pip install -e '.[dev,nbgrader]'``, which
``./dev`` does). Every nbgrader run has a HOME and Jupyter folders of its own inside the
work folder, and its process group is killed when it returns.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import make_class
import nbgrader_course

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader._nbgrader import write_course  # noqa: E402

VENV = Path(sys.executable).parent.parent
TIMESTAMP = "2026-12-01 10:00:00.000000 UTC"


def timed(command: list[str], **kwargs: object) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - started, done


def our_course(work: Path, students: dict[str, Path], slugs: list[str],
               layout: str) -> tuple[float, float, dict[str, float]]:
    """Our course in nbgrader: set-up time, autograde time, scores per student."""
    root = work / f"ours-{layout}"
    course = nbgrader_course.Course(root, VENV, slugs)  # for its isolated env and runner
    started = time.perf_counter()
    root.mkdir(parents=True)
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        Path(course.env[key]).mkdir(parents=True, exist_ok=True)
    notebooks = write_course(root, layout=layout)
    done = course.nbgrader("generate_assignment", "*")
    if done.returncode:
        raise RuntimeError(f"generate_assignment failed:\n{done.stderr[-3000:]}")
    setup = time.perf_counter() - started
    for name, folder in students.items():
        for path in notebooks:
            assignment = path.parent.name
            nb = json.loads((root / "release" / assignment / path.name).read_text())
            for cell in nb["cells"]:
                first = "".join(cell["source"]).split("\n", 1)[0]
                if cell["cell_type"] == "code" and first.startswith("%%aiograde "):
                    slug = first.split()[1]
                    cell["source"] = f"{first}\n" + (folder / f"{slug}.py").read_text()
            target = root / "submitted" / name / assignment
            target.mkdir(parents=True)
            (target / path.name).write_text(json.dumps(nb))
            (target / "timestamp.txt").write_text(TIMESTAMP)
    started = time.perf_counter()
    done = course.nbgrader("autograde", "*", "--create")
    wall = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"autograde failed:\n{done.stderr[-3000:]}")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as book:
        scores = {name: sum(book.find_submission(p.parent.name, name).score for p in notebooks)
                  for name in students}
    return setup, wall, scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--keep", type=Path, help="work here and leave everything")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="aiograde-bench-nbgrader-"))
    try:
        return run(work, args.students)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def run(work: Path, n: int) -> int:
    plan = [s for s in make_class.plan_class(n * 2, 2026) if s["profile"] != "hostile"][:n]
    make_class.write_class(work / "class", plan)
    students = {s["name"]: work / "class" / s["name"] for s in plan}
    slugs = make_class.slugs()
    aiograde = [sys.executable, "-m", "grader", "grade"]
    print(f"{len(students)} students, {len(slugs)} exercises each; machine shared: ratios only")

    serial = 0.0
    ours: dict[str, int] = {}
    for name, folder in students.items():
        seconds, done = timed([*aiograde, str(folder), "--format", "json", "--no-gradebook"])
        serial += seconds
        ours[name] = json.loads(done.stdout)["score"]
    klass, _ = timed([*aiograde, str(work / "class"), "--class", "--gradebook",
                      str(work / "class.sqlite3")])
    setup, inside, in_nbgrader = our_course(work, students, slugs, "exercise")
    setup_one, inside_one, in_one = our_course(work, students, slugs, "course")

    plain = nbgrader_course.Course(work / "plain", VENV, slugs)
    started = time.perf_counter()
    plain.set_up()
    plain_setup = time.perf_counter() - started
    for folder in students.values():
        plain.submit(folder)
    started = time.perf_counter()
    done = plain.autograde()
    plain_wall = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"plain autograde failed:\n{done.stderr[-3000:]}")
    plain_scores = plain.scores()

    k = len(students)
    rows = [
        ("aiograde grade, serial", serial),
        ("aiograde grade --class", klass),
        ("our course, per exercise: nbgrader autograde", inside),
        ("our course, one notebook: nbgrader autograde", inside_one),
        ("plain-cell course: nbgrader autograde", plain_wall),
    ]
    for label, seconds in rows:
        print(f"  {label:<40} {seconds:7.1f} s  ({seconds / k:.2f} s per student)")
    print(f"  set-up, once: our course {setup:.1f} s (one notebook: {setup_one:.1f} s), "
          f"plain-cell course {plain_setup:.1f} s")
    ratios = {
        "ours_per_exercise / aiograde_serial": inside / serial,
        "ours_one_notebook / aiograde_serial": inside_one / serial,
        "plain_nbgrader / aiograde_serial": plain_wall / serial,
        "ours_one_notebook / plain_nbgrader": inside_one / plain_wall,
        "ours_per_exercise / plain_nbgrader": inside / plain_wall,
        "aiograde_class / aiograde_serial": klass / serial,
    }
    for label, ratio in ratios.items():
        print(f"  {label:<40} {ratio:.2f}x")
    same = sum(in_nbgrader[name] == ours[name] == in_one[name] for name in students)
    print(f"  scores: our course in nbgrader (both layouts) = aiograde grade for {same} of {k} "
          "students; "
          f"plain-cell course (its own checks, all or nothing per cell): "
          f"{sorted(plain_scores.values())}")
    (work / "results.json").write_text(json.dumps({
        "students": k, "seconds": dict(rows), "ratios": ratios,
        "same_scores": same, "aiograde": ours, "in_nbgrader": in_nbgrader,
        "in_nbgrader_one_notebook": in_one,
        "plain": plain_scores}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
