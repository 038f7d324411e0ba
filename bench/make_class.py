"""Generate a class of student submissions, deterministically, for class-grading benchmarks.

Each student folder holds all 13 exercise modules, picked per exercise from the
project's own material, so the class resembles a real one:

- about 60% "mostly correct": each exercise correct (a reference solution or a
  ``tests/samples/<slug>/correct_*.py``) with probability 0.92, else a classic mistake;
- about 35% "struggling": 3 to 6 exercises with a classic mistake
  (``tests/samples/<slug>/wrong_*.py``), the rest correct;
- about 5% "hostile": one exercise replaced by a hostile module from
  ``tests/hostile/<case>/`` (with the files beside it, e.g. a ``conftest.py``), the
  rest as a mostly-correct student. Hang cases (a whole time limit each) are rare:
  ``--hangs`` of them (default 1).

The same ``--seed`` and ``--students`` always give the same class, byte for byte.
A ``.class.json`` beside the student folders (hidden from ``aiograde grade --class``,
which skips dot-files) records each student's profile and where every module came from.

    .venv/bin/python bench/make_class.py TARGET [--students 200] [--seed 2026] [--hangs 1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "samples"
HOSTILE = ROOT / "tests" / "hostile"

SHARES = {"hostile": 0.05, "struggling": 0.35}  # the rest: "mostly correct"
P_CORRECT_WHEN_GOOD = 0.92
HANG_CASES = ("hangs_at_import",)  # cost a whole time limit
# Cases that act on the machine itself (processes, memory, files): harmless only inside
# a complete sandbox. bench_class.py leaves them out where the sandbox reports gaps.
MACHINE_CASES = ("daemonizes", "fork_bomb", "kills_grader", "memory_bomb", "writes_outside")


def slugs() -> list[str]:
    with open(ROOT / "grader" / "curriculum.toml", "rb") as f:
        return [e["slug"] for e in tomllib.load(f)["exercise"]]


def pools(slug: str) -> tuple[list[Path], list[Path]]:
    """The correct and the wrong modules for one exercise, in a stable order."""
    correct = [ROOT / "solutions" / f"{slug}.py", *sorted((SAMPLES / slug).glob("correct_*.py"))]
    wrong = sorted((SAMPLES / slug).glob("wrong_*.py"))
    return correct, wrong


def hostile_cases() -> dict[str, Path]:
    """Hostile case name -> its folder (each replaces one or more exercise modules)."""
    return {p.name: p for p in sorted(HOSTILE.iterdir()) if p.is_dir() and any(p.glob("*.py"))}


def _profiles(n: int, rng: random.Random) -> list[str]:
    hostile = round(n * SHARES["hostile"])
    struggling = round(n * SHARES["struggling"])
    profiles = ["hostile"] * hostile + ["struggling"] * struggling
    profiles += ["good"] * (n - len(profiles))
    rng.shuffle(profiles)
    return profiles


def plan_class(n: int, seed: int, hangs: int = 1,
               exclude: tuple[str, ...] = ()) -> list[dict]:
    """Who gets what: one dict per student, {name, profile, modules: {slug: source}, hostile}."""
    rng = random.Random(seed)
    all_slugs = slugs()
    material = {slug: pools(slug) for slug in all_slugs}
    cases = {k: v for k, v in hostile_cases().items() if k not in exclude}
    plain_cases = [c for c in cases if c not in HANG_CASES]
    hang_cases = [c for c in cases if c in HANG_CASES]
    profiles = _profiles(n, rng)
    # Hostile students: hang cases first (at most `hangs`), then a shuffled cycle of the rest.
    hostile_total = profiles.count("hostile")
    wanted_hangs = min(hangs, hostile_total) if hang_cases else 0
    order = [hang_cases[i % len(hang_cases)] for i in range(wanted_hangs)]
    cycle = list(plain_cases)
    rng.shuffle(cycle)
    while len(order) < hostile_total and cycle:
        order.append(cycle[(len(order) - wanted_hangs) % len(cycle)])
    rng.shuffle(order)
    students = []
    for i, profile in enumerate(profiles):
        wrong_slugs: set[str] = set()
        if profile == "struggling":
            wrong_slugs = set(rng.sample(all_slugs, rng.randint(3, 6)))
        modules, case = {}, None
        for slug in all_slugs:
            correct, wrong = material[slug]
            bad = slug in wrong_slugs or (profile != "struggling"
                                          and rng.random() > P_CORRECT_WHEN_GOOD)
            source = rng.choice(wrong) if bad and wrong else rng.choice(correct)
            modules[slug] = source
        if profile == "hostile" and order:
            case = order.pop()
        students.append({"name": f"student-{i:03d}", "profile": profile, "hostile": case,
                         "modules": modules})
    return students


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def write_class(target: Path, students: list[dict]) -> dict:
    """Write the student folders and .class.json into ``target`` (emptied first)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    cases = hostile_cases()
    manifest = {"students": []}
    for student in students:
        folder = target / student["name"]
        folder.mkdir()
        sources = {slug: _rel(src) for slug, src in student["modules"].items()}
        for slug, source in student["modules"].items():
            shutil.copyfile(source, folder / f"{slug}.py")
        if student["hostile"]:
            # The case's files (its exercise module(s), and a conftest.py, pytest.ini or
            # helper module beside them) replace or join the student's own.
            for extra in sorted(cases[student["hostile"]].iterdir()):
                if extra.is_file():
                    shutil.copyfile(extra, folder / extra.name)
                    if extra.stem in sources:
                        sources[extra.stem] = _rel(extra)
        digest = hashlib.sha256()
        for path in sorted(folder.iterdir()):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        manifest["students"].append({"name": student["name"], "profile": student["profile"],
                                     "hostile": student["hostile"], "modules": sources,
                                     "sha256": digest.hexdigest()})
    whole = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()
    manifest["sha256"] = whole
    (target / ".class.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="the class folder to (re)create")
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--hangs", type=int, default=1,
                        help="hostile students whose module hangs (each costs a time limit)")
    parser.add_argument("--exclude-hostile", action="append", default=[], metavar="CASE",
                        help="leave this tests/hostile case out (repeatable)")
    parser.add_argument("--no-machine-cases", action="store_true",
                        help=f"leave out the cases that act on the machine: {', '.join(MACHINE_CASES)}")
    args = parser.parse_args(argv)
    if args.students < 1:
        parser.error("--students must be at least 1")
    exclude = tuple(args.exclude_hostile) + (MACHINE_CASES if args.no_machine_cases else ())
    students = plan_class(args.students, args.seed, args.hangs, exclude)
    manifest = write_class(args.target, students)
    counts: dict[str, int] = {}
    for s in manifest["students"]:
        counts[s["profile"]] = counts.get(s["profile"], 0) + 1
    hostile = sorted(s["hostile"] for s in manifest["students"] if s["hostile"])
    print(f"{len(students)} students in {args.target}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
          + f"; hostile cases: {', '.join(hostile) or 'none'}; class sha256 {manifest['sha256'][:12]}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
