"""A class of 200: ``aiograde grade --class`` against a serial in-process loop, and nbgrader.

Generates a class (``make_class.py``), then measures, side by side in this one run
(the machine is shared and noisy: only ratios taken in one run compare):

1. ``aiograde grade CLASS --class --jobs N`` into a fresh gradebook: wall time, per
   submission, and CPU time of the whole process tree;
2. the resume run: the same command again over the unchanged class (nothing to grade),
   and, with ``--extra-jobs N``, the class again at other ``--jobs`` into fresh gradebooks;
3. the baseline: a plain serial loop of ``bench/_inprocess.py STUDENT``
   (the same suites, student code imported into one pytest process, no sandbox), over
   every student whose modules are safe to import unsandboxed: the hostile ones are
   skipped, and said so;
4. nbgrader's ``autograde`` on a subset (``--nbgrader-students``, default 20, hostile
   ones left out), beside aiograde on the same subset (``--jobs N`` and ``--jobs 1``),
   if nbgrader's venv exists (see ``nbgrader_course.py``) or ``--nbgrader`` is given;
5. where one grading's time goes: the reference solutions, one exercise at a time.

    .venv/bin/python bench/bench_class.py [--students 200] [--jobs 4] [--nbgrader | --no-nbgrader]
                                          [--keep DIR] [--baseline-students N] [--extra-jobs 4]

Every process started here is ended (with what it started) and every temporary
folder removed on the way out, also on Ctrl-C, unless ``--keep DIR`` names where to
leave the class, the gradebooks and the nbgrader course. Nothing here talks to the
network but nbgrader's kernels on loopback.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import make_class
import nbgrader_course

from grader._classgrading import default_jobs

ROOT = Path(__file__).resolve().parent.parent
# nbgrader is the optional extra aiograde[nbgrader], in the project's own venv.
DEFAULT_NBGRADER_VENV = Path(sys.executable).parent.parent
PER_STUDENT_TIMEOUT = 600  # the baseline loop has no time limits of its own: this is ours


# -- processes: everything started here ends here ------------------------------------

def become_subreaper() -> bool:
    """Orphans of the processes started here are re-parented to us, not to init, so that
    ``leftovers()`` finds whatever a grader or a kernel left running."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def leftovers() -> int:
    """Kill (by pid) and reap every process still below this one; how many there were.
    Called only between measurements, when nothing started here should be running."""
    found = descendants(os.getpid())
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in found:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass  # not our child (its parent, also killed, was), or already reaped
    return len(found)


def end_tree(process: subprocess.Popen, grace: float = 20.0) -> None:
    """Stop ``process`` and every process it started (by pid), politely first."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # aiograde --class stops its graders on SIGINT
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    if process.poll() is None:
        for pid in [process.pid, *descendants(process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()


LEFTOVERS: list[tuple[str, int]] = []  # (command, processes it left running)


class Run:
    """One measured command: wall time, CPU time of its whole (waited-for) tree."""

    def __init__(self, argv: list[str], *, timeout: float | None = None, cwd: Path = ROOT) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        self.timed_out = False
        try:
            self.out, self.err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            end_tree(process, grace=5)
            self.out, self.err = process.communicate()
        except BaseException:
            end_tree(process)
            raise
        self.wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        self.returncode = process.returncode
        left = leftovers()
        if left:
            LEFTOVERS.append((" ".join(argv[3:6]), left))


def grader(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "grader", *map(str, args)]


# -- the measurements -----------------------------------------------------------------

def sandbox_gaps() -> list[str]:
    run = Run(grader("grade", ROOT / "solutions", "--only", "coroutines", "--format", "json",
                     "--no-gradebook"), timeout=120)
    if run.returncode != 0:
        raise SystemExit(f"aiograde cannot grade the solutions here:\n{run.err[-2000:]}")
    return (json.loads(run.out).get("sandbox") or {}).get("missing", [])


def class_run(folder: Path, book: Path, jobs: int) -> tuple[Run, dict[str, int]]:
    run = Run(grader("grade", folder, "--class", "--jobs", str(jobs), "--gradebook", book))
    if run.returncode != 0:
        raise SystemExit(f"aiograde --class exited {run.returncode}:\n{run.err[-3000:]}")
    found = re.search(r"graded (\d+), unchanged since the last run (\d+), could not grade (\d+)",
                      run.out)  # the class summary is what --format table prints
    if not found:
        return run, {}
    return run, dict(zip(("graded", "unchanged", "failed"), map(int, found.groups()), strict=True))


def gradebook_rows(book: Path) -> dict[str, tuple[int, int, float]]:
    """Student -> (score, max_score, duration) of their latest grading."""
    with contextlib.closing(sqlite3.connect(f"file:{book}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT student, score, max_score, duration FROM gradings "
                          "ORDER BY graded_at, id").fetchall()
    return {student: (score, top, duration) for student, score, top, duration in rows}


def baseline_loop(folder: Path, students: list[str]) -> dict[str, tuple[float, int | None, float]]:
    """Student -> (whole-process seconds, score or None, grader's own duration)."""
    results = {}
    started = time.perf_counter()
    for i, name in enumerate(students, 1):
        run = Run([sys.executable, str(Path(__file__).with_name("_inprocess.py")), str(folder / name)],
                  timeout=PER_STUDENT_TIMEOUT)
        report = json.loads(run.out) if run.returncode == 0 and run.out.strip() else None
        results[name] = (run.wall, report["score"] if report else None,
                         report["duration"] if report else float("nan"))
        if report is None:
            why = "timed out" if run.timed_out else (run.err.strip().splitlines() or ["?"])[-1]
            print(f"    baseline could not grade {name}: {why[:200]}", flush=True)
        if i % 50 == 0 and i < len(students):
            print(f"    ... {i} of {len(students)} students, {time.perf_counter() - started:.0f} s",
                  flush=True)
    return results


def copy_students(folder: Path, names: list[str], target: Path) -> Path:
    target.mkdir(parents=True)
    for name in names:
        shutil.copytree(folder / name, target / name)
    return target


def nbgrader_status(venv: Path) -> str | None:
    """None if nbgrader can run from ``venv``, else exactly why not."""
    if not (venv / "bin" / "nbgrader").exists():
        return (f"no nbgrader in {venv}: create it with `python -m venv {venv} && "
                f"{venv}/bin/pip install nbgrader ipykernel`")
    try:
        done = subprocess.run([str(venv / "bin" / "python"), "-c",
                               "import nbgrader, ipykernel; print(nbgrader.__version__)"],
                              capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{venv}/bin/python does not run: {exc}"
    if done.returncode != 0:
        return f"nbgrader or ipykernel cannot be imported in {venv}: {done.stderr.strip()[-300:]}"
    return None


# -- reporting --------------------------------------------------------------------------

def pct(scores: list[tuple[float, float]]) -> str:
    return f"{100 * sum(s / m for s, m in scores) / len(scores):.1f}%" if scores else "-"


def line(label: str, value: str) -> None:
    print(f"  {label:52} {value}", flush=True)


def _interrupt(signum: int, frame: object) -> None:
    print(f"bench_class: received {signal.Signals(signum).name} at "
          f"{time.strftime('%H:%M:%S')}", file=sys.stderr, flush=True)
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="default: the grader's own default (4 per core)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--hangs", type=int, default=1, help="hostile students whose module hangs")
    parser.add_argument("--baseline-students", type=int, default=None, metavar="N",
                        help="run the in-process baseline on the first N safe students only "
                        "(default: all of them; 0: skip the baseline)")
    parser.add_argument("--nbgrader", action=argparse.BooleanOptionalAction, default=None,
                        help="run nbgrader's autograde on a subset (default: if its venv exists)")
    parser.add_argument("--nbgrader-venv", type=Path, default=DEFAULT_NBGRADER_VENV)
    parser.add_argument("--nbgrader-students", type=int, default=20)
    parser.add_argument("--extra-jobs", type=int, action="append", default=[], metavar="N",
                        help="also grade the class with --jobs N, into a fresh gradebook (repeatable)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="work in DIR and leave the class, gradebooks and course there")
    args = parser.parse_args()

    if args.keep:
        if args.keep.exists() and any(args.keep.iterdir()):
            parser.error(f"--keep {args.keep}: the folder exists and is not empty")
        args.keep.mkdir(parents=True, exist_ok=True)
        work = args.keep.resolve()
    else:
        work = Path(tempfile.mkdtemp(prefix="aiograde-bench-class-"))
    previous = signal.signal(signal.SIGTERM, _interrupt)
    # Ctrl-C (and end_tree's SIGINT to the class grader) must work even when this was
    # started with SIGINT ignored (a background job), which children would inherit.
    signal.signal(signal.SIGINT, _interrupt)
    become_subreaper()
    try:
        return measure(args, work)
    except KeyboardInterrupt:
        print("interrupted: every process started here was stopped", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        leftovers()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, work: Path) -> int:
    # The grader's bytecode compiled, as ./dev leaves it (see there why).
    compileall.compile_dir(ROOT / "grader", quiet=1)
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                     "cores": os.cpu_count(), "python": sys.version.split()[0],
                     # (its build counts: Debian's graded 5 to 10% faster than pyenv's default)
                     "interpreter": os.path.realpath(sys.executable)}
    print(f"bench_class: {results['date']}, {results['cores']} cores, Python {results['python']} "
          f"({results['interpreter']}); work folder {work}{' (kept)' if args.keep else ''}",
          flush=True)

    line("load average (1, 5, 15 min) at the start", load())
    line("the machine's speed now (a fixed loop, CPU s)", f"{machine_speed():.3f} s")
    one_submission(results)

    gaps = sandbox_gaps()
    exclude = make_class.MACHINE_CASES if gaps else ()
    if gaps:
        print(f"  the sandbox is incomplete here ({'; '.join(gaps)}): the hostile cases that act "
              f"on the machine are left out: {', '.join(make_class.MACHINE_CASES)}")
    folder = work / "class"
    students = make_class.plan_class(args.students, args.seed, args.hangs, exclude)
    manifest = make_class.write_class(folder, students)
    profiles = {s["name"]: s["profile"] for s in manifest["students"]}
    hostile = {s["name"]: s["hostile"] for s in manifest["students"] if s["hostile"]}
    safe = [s["name"] for s in manifest["students"] if not s["hostile"]]
    counts = {p: list(profiles.values()).count(p) for p in ("good", "struggling", "hostile")}
    print(f"class: {args.students} students (mostly correct {counts['good']}, struggling "
          f"{counts['struggling']}, hostile {counts['hostile']}: {', '.join(sorted(hostile.values()))}); "
          f"seed {args.seed}, sha256 {manifest['sha256'][:12]}", flush=True)

    # 1. the class, sandboxed, in parallel
    book = work / "gradebook.sqlite3"
    first, first_counts = class_run(folder, book, args.jobs)
    rows = gradebook_rows(book)
    n = args.students
    print(f"\n1. aiograde grade --class --jobs {args.jobs}, {n} students, fresh gradebook", flush=True)
    line("wall time", f"{first.wall:.1f} s")
    line("per submission (wall / students)", f"{first.wall / n:.2f} s")
    line("CPU time of the whole tree (user + sys)", f"{first.cpu:.1f} s = {first.cpu / first.wall:.2f} "
         f"cores busy of {os.cpu_count()}")
    line("graded / unchanged / could not grade", " / ".join(str(first_counts.get(k, "?"))
                                                            for k in ("graded", "unchanged", "failed")))
    durations = {name: d for name, (_, _, d) in rows.items()}
    for profile in ("good", "struggling", "hostile"):
        ds = [durations[s] for s, p in profiles.items() if p == profile and s in durations]
        if ds:
            line(f"  one grading, {profile} (grader's own duration)",
                 f"mean {statistics.mean(ds):.2f} s, max {max(ds):.2f} s (n={len(ds)})")
    for name, case in sorted(hostile.items()):
        if case in make_class.HANG_CASES and name in durations:
            line(f"  hang case {case} ({name})", f"{durations[name]:.2f} s")
    line("mean score", pct([(s, m) for s, m, _ in rows.values()]))
    results["class"] = {"students": n, "jobs": args.jobs, "wall": first.wall, "cpu": first.cpu,
                        "counts": first_counts, "mean_duration": statistics.mean(durations.values())}

    # 2. resume: nothing changed, nothing to grade
    again, again_counts = class_run(folder, book, args.jobs)
    print("\n2. the same command again (resume: the class is unchanged)", flush=True)
    line("wall time", f"{again.wall:.2f} s")
    line("graded / unchanged / could not grade", " / ".join(str(again_counts.get(k, "?"))
                                                            for k in ("graded", "unchanged", "failed")))
    line("ratio resume / first run", f"{again.wall / first.wall:.4f}")
    results["resume"] = {"wall": again.wall, "counts": again_counts}

    for jobs in args.extra_jobs:
        other, other_counts = class_run(folder, work / f"gradebook-jobs{jobs}.sqlite3", jobs)
        print(f"\n2b. the class again with --jobs {jobs}, into a fresh gradebook", flush=True)
        line("wall time", f"{other.wall:.1f} s ({other.wall / n:.2f} s per submission)")
        line("CPU time of the whole tree (user + sys)",
             f"{other.cpu:.1f} s = {other.cpu / other.wall:.2f} cores busy of {os.cpu_count()}")
        line(f"ratio --jobs {jobs} / --jobs {args.jobs}", f"{other.wall / first.wall:.2f}x")
        results.setdefault("extra_jobs", {})[jobs] = {"wall": other.wall, "cpu": other.cpu,
                                                      "counts": other_counts}

    # 3. the in-process baseline, serial, safe students only
    baseline: dict[str, tuple[float, int | None, float]] = {}
    todo = safe if args.baseline_students is None else safe[:args.baseline_students]
    if todo:
        print(f"\n3. baseline: a serial loop of `bench/_inprocess.py STUDENT` over "
              f"{len(todo)} students", flush=True)
        print(f"   skipped: the {len(hostile)} hostile students (their code would run unsandboxed "
              f"in the grader's own process: {', '.join(sorted(set(hostile.values())))})"
              + (f", and {len(safe) - len(todo)} more (--baseline-students)" if len(todo) < len(safe)
                 else ""), flush=True)
        started = time.perf_counter()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        baseline = baseline_loop(folder, todo)
        wall = time.perf_counter() - started
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        per_baseline = wall / len(todo)
        per_class = first.wall / n
        sandboxed_sum = sum(durations[s] for s in todo if s in durations)
        inprocess_sum = sum(d for _, _, d in baseline.values() if d == d)
        same = sum(1 for s in todo if baseline[s][1] is not None and s in rows
                   and baseline[s][1] == rows[s][0])
        line("wall time", f"{wall:.1f} s ({per_baseline:.2f} s per submission)")
        line("CPU time (user + sys)", f"{cpu:.1f} s = {cpu / wall:.2f} cores busy")
        line(f"ratio per submission: class --jobs {args.jobs} / serial in-process",
             f"{per_class / per_baseline:.2f}x")
        line("ratio, one grading alone, same students (sum of",
             f"{sandboxed_sum / inprocess_sum:.2f}x" if inprocess_sum else "-")
        line("  the grader's own durations): sandboxed / in-process", "")
        line("same score sandboxed and in-process", f"{same} of {len(todo)} students")
        differ = [(s, rows[s][0], baseline[s][1]) for s in todo
                  if s in rows and baseline[s][1] is not None and baseline[s][1] != rows[s][0]]
        for name, sandboxed, plain in differ[:8]:
            print(f"    {name} ({profiles[name]}): sandboxed {sandboxed}, in-process {plain}")
        results["baseline"] = {"students": len(todo), "wall": wall, "cpu": cpu,
                               "ratio_per_submission": per_class / per_baseline,
                               "ratio_durations": sandboxed_sum / inprocess_sum if inprocess_sum else None,
                               "same_score": same}

    # 4. nbgrader on a subset, beside aiograde on the same subset
    venv = args.nbgrader_venv
    want = args.nbgrader if args.nbgrader is not None else (venv / "bin" / "nbgrader").exists()
    if want:
        print(f"\n4. nbgrader autograde vs aiograde on the same {args.nbgrader_students} students "
              "(hostile ones left out: nbgrader runs student code with the grader's rights)",
              flush=True)
        why = nbgrader_status(venv)
        if why:
            print(f"   nbgrader could not run: {why}", flush=True)
            results["nbgrader"] = {"skipped": why}
        else:
            results["nbgrader"] = nbgrader_subset(args, work, folder, safe[:args.nbgrader_students],
                                                  baseline)
    elif args.nbgrader is False:
        print("\n4. nbgrader: skipped (--no-nbgrader)", flush=True)
    else:
        print(f"\n4. nbgrader: skipped (no venv at {venv}; give --nbgrader to insist)", flush=True)
    where_the_time_goes(results)
    print(f"\nprocesses left running after a measured command (killed): "
          f"{', '.join(f'{c}: {k}' for c, k in LEFTOVERS) or 'none'}", flush=True)
    results["leftovers"] = LEFTOVERS
    line("load average (1, 5, 15 min) at the end", load())
    line("the machine's speed now (a fixed loop, CPU s)", f"{machine_speed():.3f} s")
    if args.keep:
        (work / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


def machine_speed() -> float:
    """CPU seconds of a fixed pure-Python loop, best of 3. This workplace's VM ran the same
    loop in 0.15 s and in 0.30 s ten seconds apart: a run's figures are read against it."""
    best = float("inf")
    for _ in range(3):
        started, total = time.process_time(), 0
        for i in range(3_000_000):
            total += i * i
        best = min(best, time.process_time() - started)
    return best


def load() -> str:
    """The machine's load: other work on it slows every figure of the run down."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def one_submission(results: dict, runs: int = 3) -> None:
    """`aiograde grade` on the reference solutions, whole command: the median of ``runs``."""
    print(f"\n0. one submission: aiograde grade solutions (all 13 exercises, whole command, "
          f"median of {runs})", flush=True)
    measured = []
    for _ in range(runs):
        run = Run(grader("grade", ROOT / "solutions", "--format", "json", "--no-gradebook"),
                  timeout=300)
        if run.returncode != 0:
            print(f"   could not grade the solutions: {run.err[-500:]}", flush=True)
            return
        measured.append((run.wall, run.cpu))
    wall = statistics.median(w for w, _ in measured)
    cpu = statistics.median(c for _, c in measured)
    line("wall time", f"{wall:.2f} s")
    line("CPU time of the whole tree (user + sys)", f"{cpu:.2f} s")
    results["one_submission"] = {"wall": wall, "cpu": cpu, "runs": measured}


def where_the_time_goes(results: dict) -> None:
    """One grading's time by exercise: the reference solutions, one exercise at a time."""
    print("\n5. where one grading's time goes: the reference solutions, one exercise at a time "
          "(the grader's own duration, start-up excluded)", flush=True)
    seconds = {}
    for slug in make_class.slugs():
        run = Run(grader("grade", ROOT / "solutions", "--only", slug, "--format", "json",
                         "--no-gradebook"), timeout=300)
        if run.returncode == 0:
            seconds[slug] = json.loads(run.out)["duration"]
    total = sum(seconds.values())
    for slug, took in sorted(seconds.items(), key=lambda item: -item[1]):
        line(f"  {slug}", f"{took:5.2f} s ({100 * took / total:4.1f}%)")
    line("  all 13, one after another", f"{total:.2f} s")
    results["per_exercise"] = seconds


def nbgrader_subset(args: argparse.Namespace, work: Path, folder: Path, names: list[str],
                    baseline: dict[str, tuple[float, int | None, float]]) -> dict:
    slugs = make_class.slugs()
    subset = copy_students(folder, names, work / "subset")
    course = nbgrader_course.Course(work / "nbgrader", args.nbgrader_venv, slugs)
    started = time.perf_counter()
    try:
        course.set_up()
    except RuntimeError as exc:
        print(f"   nbgrader could not run: {exc}", flush=True)
        return {"skipped": str(exc)}
    setup = time.perf_counter() - started
    for name in names:
        course.submit(subset / name)
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = course.autograde()
    nb_wall = time.perf_counter() - started
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    left = leftovers()
    if left:
        LEFTOVERS.append(("nbgrader autograde", left))
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["?"])[-1]
        print(f"   nbgrader autograde exited {done.returncode}: {why}", flush=True)
        return {"skipped": f"autograde exited {done.returncode}: {why}"}
    nb_scores = course.scores()
    timeouts = done.stderr.count("Timeout waiting for execute reply")
    runs: dict[int, Run] = {}
    for jobs in sorted({args.jobs, 1}, reverse=True):
        runs[jobs], _ = class_run(subset, work / f"subset-jobs{jobs}.sqlite3", jobs)
    ours = gradebook_rows(work / f"subset-jobs{args.jobs}.sqlite3")
    top = float(sum(points for _, points, _ in nbgrader_course.CELLS))
    k = len(names)
    line("nbgrader generate_assignment (once per course)", f"{setup:.1f} s")
    line(f"nbgrader autograde, {k} students in one call", f"{nb_wall:.1f} s ({nb_wall / k:.2f} s each; "
         f"CPU {(cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime):.1f} s; "
         f"{timeouts} cell time-outs)")
    for jobs, run in runs.items():
        line(f"aiograde --class --jobs {jobs}, same {k} students", f"{run.wall:.1f} s "
             f"({run.wall / k:.2f} s each; CPU {run.cpu:.1f} s)")
    plain = [baseline[s][0] for s in names if s in baseline]
    if len(plain) == k:
        line("in-process baseline, same students, serial", f"{sum(plain):.1f} s (from step 3)")
    for jobs, run in runs.items():
        line(f"ratio aiograde --jobs {jobs} / nbgrader autograde", f"{run.wall / nb_wall:.2f}x")
    if len(plain) == k:
        line("ratio in-process baseline / nbgrader autograde", f"{sum(plain) / nb_wall:.2f}x")
    line("mean score: aiograde / nbgrader", f"{pct([(ours[s][0], ours[s][1]) for s in names])} / "
         f"{pct([(nb_scores.get(s, 0.0), top) for s in names])}")
    full = (sum(1 for s in names if ours[s][0] == ours[s][1]),
            sum(1 for s in names if nb_scores.get(s, 0.0) >= top))
    line("full marks: aiograde / nbgrader", f"{full[0]} / {full[1]} of {k}")
    return {"students": k, "setup": setup, "autograde_wall": nb_wall, "cell_timeouts": timeouts,
            "aiograde_wall": {str(j): r.wall for j, r in runs.items()},
            "ratios": {f"aiograde_jobs{j}/nbgrader": r.wall / nb_wall for j, r in runs.items()}}


if __name__ == "__main__":
    sys.exit(main())
