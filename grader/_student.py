"""The students' loop: ``aiograde list | check | hint | watch`` (rustlings' loop, exercism's
one failure at a time).

``check`` runs the *visible* tests of the hidden suites through the same sandboxed
harness as the grader, so blocking calls, timing and leftovers are caught locally exactly
as the grader will catch them. Progress (what passed, which hints were shown) is kept in
a small state file in the student's checkout, ``.aiograde/progress.json``; deleting it
loses nothing but the hint counter.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _manifest
from ._errors import SubmissionError
from ._report import ExerciseResult, Report, TestResult

STATE_FOLDER = ".aiograde"
STATE_FILE = "progress.json"
STATE_VERSION = 1
DONE, FAILING, NOT_STARTED, MISSING = "done", "failing", "not started", "missing"
WATCH_TICK_MS = 500  # how often watch also compares the files itself (a save it missed)
_WHERE = re.compile(r"\b([A-Za-z_]\w*\.py):(\d+)\b")


@dataclass
class Checkout:
    """A student's checkout: the folder of exercise modules and where progress is kept."""

    root: Path
    exercises: Path
    exercise_list: list[_manifest.Exercise] = field(default_factory=_manifest.load)

    @property
    def state_path(self) -> Path:
        return self.root / STATE_FOLDER / STATE_FILE

    def module(self, slug: str) -> Path:
        return self.exercises / f"{slug}.py"

    def module_hash(self, slug: str) -> str:
        try:
            return hashlib.sha256(self.module(slug).read_bytes()).hexdigest()
        except OSError:
            return ""

    def slugs(self) -> list[str]:
        return [e.slug for e in self.exercise_list]

    def exercise(self, slug: str) -> _manifest.Exercise:
        for ex in self.exercise_list:
            if ex.slug == slug:
                return ex
        raise SubmissionError(f"no exercise named {slug!r}; the exercises are: "
                              f"{', '.join(self.slugs())}. `aiograde list` shows them in order.")


def find_checkout(path: str | os.PathLike[str] = ".") -> Checkout:
    """The checkout at ``path``: a folder with ``exercises/``, or the exercises folder itself."""
    root = Path(path).resolve()
    checkout = Checkout(root, root)
    if (root / "exercises").is_dir():
        checkout.exercises = root / "exercises"
    elif not any(checkout.module(s).is_file() for s in checkout.slugs()):
        raise SubmissionError(f"no exercises found in {root}: run this in your copy of the "
                              "course (the folder that holds exercises/), or give it with --path.")
    return checkout


# -- progress ------------------------------------------------------------------------------

class Progress:
    """The state file: per exercise, the last check's outcome and the hints already shown."""

    def __init__(self, checkout: Checkout) -> None:
        self.checkout = checkout
        self.data: dict[str, Any] = {"version": STATE_VERSION, "exercises": {}, "hints": {}}
        try:
            loaded = json.loads(checkout.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # none yet, or damaged: start afresh (it holds nothing that can't be redone)
        if isinstance(loaded, dict) and loaded.get("version") == STATE_VERSION:
            self.data.update({k: loaded[k] for k in ("exercises", "hints")
                              if isinstance(loaded.get(k), dict)})

    def save(self) -> None:
        path = self.checkout.state_path
        try:
            path.parent.mkdir(exist_ok=True)
            (path.parent / ".gitignore").write_text("*\n", encoding="utf-8")
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, indent=1), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:  # a read-only checkout: the loop still works, without memory
            print(f"aiograde: note: could not save progress in {path}: {exc}", file=sys.stderr)

    def record(self, result: ExerciseResult) -> None:
        failing = [t for t in result.tests if t.status != "passed"]
        self.data["exercises"][result.slug] = {
            "hash": self.checkout.module_hash(result.slug),
            "state": state_of(result),
            "passed": len(result.tests) - len(failing),
            "total": len(result.tests),
            "failing": [t.name for t in failing],
            "hints": _test_hints(failing[0]) if failing else [],
        }

    def entry(self, slug: str) -> dict[str, Any] | None:
        """The last check of ``slug``, if the module has not changed since."""
        entry = self.data["exercises"].get(slug)
        if isinstance(entry, dict) and entry.get("hash") == self.checkout.module_hash(slug):
            return entry
        return None

    def state(self, slug: str) -> str | None:
        entry = self.entry(slug)
        return str(entry["state"]) if entry else None

    def current(self) -> str | None:
        """The first exercise not known to pass (the one to work on), or None: all done."""
        for slug in self.checkout.slugs():
            if self.state(slug) != DONE:
                return slug
        return None

    def after(self, slug: str) -> str | None:
        slugs = self.checkout.slugs()
        for later in slugs[slugs.index(slug) + 1:]:
            if self.state(later) != DONE:
                return later
        return None


def state_of(result: ExerciseResult) -> str:
    if result.status == "missing":
        return MISSING
    failing = [t for t in result.tests if t.status != "passed"]
    if not failing and result.tests:
        return DONE
    if failing and len(failing) == len(result.tests) and all(_not_implemented(t) for t in failing):
        return NOT_STARTED
    return FAILING


def _not_implemented(test: TestResult) -> bool:
    return getattr(test, "reason", "") == "not-implemented" or "not implemented" in test.message


def _test_hints(test: TestResult) -> list[str]:
    hints = getattr(test, "hints", None)
    return [str(h) for h in hints] if isinstance(hints, list) else []


# -- checking ------------------------------------------------------------------------------

_sandbox_said = False


def run_check(checkout: Checkout, slugs: list[str], progress: Progress) -> Report:
    """The visible tests of ``slugs`` through the sandboxed harness; progress recorded."""
    from ._grading import grade

    report = grade(checkout.exercises, only=slugs, visible_only=True)
    _say_sandbox_once(report)
    for result in report.exercises:
        progress.record(result)
    progress.save()
    return report


def _say_sandbox_once(report: Report) -> None:
    global _sandbox_said
    missing = report.sandbox.get("missing") if report.sandbox else None
    if missing and not _sandbox_said and not os.environ.get("AIOGRADE_SANDBOX_SAID"):
        _sandbox_said = True
        print("aiograde: note: this machine lacks part of the grader's sandbox ("
              + "; ".join(missing) + "); your checks run all the same.", file=sys.stderr)


def humane(test_name: str) -> str:
    """``test_squares_in_the_order_of_xs`` -> ``squares in the order of xs``."""
    return test_name.removeprefix("test_").replace("_", " ")


def where_of(test: TestResult, checkout: Checkout, slug: str) -> tuple[Path, int] | None:
    """The student's line a failure points at: the report's ``where``, else the message's."""
    where = getattr(test, "where", None)
    if isinstance(where, dict) and isinstance(where.get("line"), int):
        name, line = str(where.get("file") or f"{slug}.py"), int(where["line"])
    else:
        found = [m for m in _WHERE.finditer(test.message) if m.group(1) == f"{slug}.py"]
        if not found:
            return None
        name, line = found[-1].group(1), int(found[-1].group(2))
    path = checkout.exercises / Path(name).name
    return (path, line) if path.is_file() else None


def _source_line(path: Path, line: int) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return lines[line - 1].rstrip() if 0 < line <= len(lines) else ""


def _relative(path: Path, checkout: Checkout) -> str:
    try:
        return str(path.relative_to(checkout.root))
    except ValueError:
        return str(path)


def show_result(result: ExerciseResult, checkout: Checkout, progress: Progress,
                console: Any, *, every_failure: bool = False) -> None:
    """One exercise's visible tests; the first failure in full (or every one, ``--all``)."""
    failing = [t for t in result.tests if t.status != "passed"]
    passed = len(result.tests) - len(failing)
    module = _relative(checkout.module(result.slug), checkout)
    console.print(f"[bold]{result.slug}[/bold] · {result.title}  [dim]{module}[/dim]",
                  highlight=False)
    if result.status == "missing":
        console.print(f"  [red]✗[/red] {result.problem}", highlight=False)
        return
    first_failure = failing[0] if failing else None
    for test in result.tests:
        if test.status == "passed":
            console.print(f"  [green]✓[/green] {humane(test.name)}", highlight=False)
        elif every_failure or test is first_failure:
            console.print(f"  [red]✗[/red] {humane(test.name)}", highlight=False)
    hidden_failures = len(failing) - 1 if failing and not every_failure else 0
    if hidden_failures:
        console.print(f"  [dim]… {hidden_failures} more failing: fix this one first, or see "
                      f"them all with `aiograde check {result.slug} --all`[/dim]", highlight=False)
    if not failing:
        console.print(f"\n[green]✓ {result.slug}: all {passed} visible tests pass.[/green] "
                      "The grader also runs hidden tests (more cases, blocking calls, timing, "
                      "leftovers): keep the contract in the docstrings.", highlight=False)
        return
    if state_of(result) == NOT_STARTED:
        console.print(f"\n[bold]Not started yet.[/bold] Open {module}: the lesson is at its top, "
                      "each function's docstring is its contract; replace "
                      "`raise NotImplementedError` with your code.", highlight=False)
    for test in failing if every_failure else failing[:1]:
        console.print(f"\n[red bold]✗ {humane(test.name)}[/red bold]", highlight=False)
        console.print(f"  {test.message}", markup=False, highlight=False)
        place = where_of(test, checkout, result.slug)
        if place:
            path, line = place
            console.print(f"  at {_relative(path, checkout)}:{line}", markup=False,
                          highlight=False)
            code = _source_line(path, line)
            if code:
                console.print(f"  {line:>5} │ {code}", markup=False, highlight=False)
        timeline = getattr(test, "timeline", None)
        if timeline:
            from ._timeline import render_terminal

            console.print("\n  What the event loop did:", highlight=False)
            for row in render_terminal(timeline).splitlines():
                console.print(f"  {row}", markup=False, highlight=False)
    pool = hint_pool(result.slug, checkout, progress)
    shown = len(progress.data["hints"].get(result.slug, {}).get("shown", []))
    console.print(f"\n[dim]{passed} of {len(result.tests)} visible tests pass. Stuck? "
                  f"`aiograde hint` ({min(shown, len(pool))} of {len(pool)} hints seen).[/dim]",
                  highlight=False)


def check(checkout: Checkout, slug: str | None, console: Any, *,
          every_exercise: bool = False, every_failure: bool = False) -> Report | None:
    """``aiograde check``: None when every exercise is already done."""
    progress = Progress(checkout)
    if every_exercise:
        slugs = checkout.slugs() if slug is None else [checkout.exercise(slug).slug]
    else:
        target = checkout.exercise(slug).slug if slug else progress.current()
        if target is None:
            return None
        slugs = [target]
    report = run_check(checkout, slugs, progress)
    for n, result in enumerate(report.exercises):
        if n:
            console.print()
        if every_exercise and not [t for t in result.tests if t.status != "passed"]:
            console.print(f"[green]✓[/green] [bold]{result.slug}[/bold] · {result.title}",
                          highlight=False)
            continue
        show_result(result, checkout, progress, console, every_failure=every_failure)
    if not every_exercise:
        done = report.exercises[0]
        if state_of(done) == DONE:
            following = progress.after(done.slug)
            console.print(f"Next: [bold]{following}[/bold] (`aiograde check`)." if following
                          else "That was the last exercise: every one passes its visible tests.",
                          highlight=False)
    return report


# -- list ----------------------------------------------------------------------------------

def list_exercises(checkout: Checkout, console: Any) -> None:
    """``aiograde list``: every exercise in order, its state and points, and the next one."""
    from rich.table import Table

    progress = Progress(checkout)
    stale = [s for s in checkout.slugs() if progress.entry(s) is None]
    if stale:  # never checked, or changed since: check them now (visible tests only)
        run_check(checkout, stale, progress)
    current = progress.current()
    colours = {DONE: "green", FAILING: "yellow", NOT_STARTED: "dim", MISSING: "red"}
    table = Table(title="aiograde: your exercises", title_justify="left")
    table.add_column("")
    table.add_column("#", justify="right", style="dim")
    table.add_column("exercise")
    table.add_column("points", justify="right")
    table.add_column("state")
    table.add_column("visible tests", justify="right")
    for number, ex in enumerate(checkout.exercise_list, 1):
        entry = progress.entry(ex.slug) or {}
        state = str(entry.get("state", NOT_STARTED))
        colour = colours.get(state, "white")
        table.add_row("→" if ex.slug == current else "", str(number),
                      ex.slug, str(ex.points), f"[{colour}]{state}[/{colour}]",
                      f"{entry.get('passed', 0)}/{entry.get('total', '?')}")
    console.print(table)
    done = [s for s in checkout.slugs() if progress.state(s) == DONE]
    points = sum(e.points for e in checkout.exercise_list if e.slug in done)
    total = sum(e.points for e in checkout.exercise_list)
    console.print(f"{len(done)} of {len(checkout.slugs())} done ({points} of {total} points "
                  "if the hidden tests agree).", highlight=False)
    if current:
        console.print(f"Next: [bold]{current}[/bold], in "
                      f"{_relative(checkout.module(current), checkout)}. Run `aiograde check` "
                      "(or `aiograde watch`).", highlight=False)
    else:
        console.print("[green]Every exercise passes its visible tests.[/green]")


# -- hints ---------------------------------------------------------------------------------

def hint_pool(slug: str, checkout: Checkout, progress: Progress) -> list[str]:
    """The hints for what fails now: the failing test's own first, then the exercise's."""
    entry = progress.entry(slug) or {}
    pool: list[str] = []
    for hint in [*entry.get("hints", []), *checkout.exercise(slug).hints]:
        if hint not in pool:
            pool.append(hint)
    return pool


def hint(checkout: Checkout, slug: str | None, console: Any) -> None:
    """``aiograde hint``: the next hint not seen yet, for what fails now."""
    progress = Progress(checkout)
    target = checkout.exercise(slug).slug if slug else progress.current()
    if target is None:
        console.print("Every exercise passes its visible tests: no hint needed.")
        return
    if progress.entry(target) is None:  # changed since the last check: learn what fails now
        run_check(checkout, [target], progress)
    entry = progress.entry(target) or {}
    pool = hint_pool(target, checkout, progress)
    shown: list[str] = progress.data["hints"].setdefault(target, {}).setdefault("shown", [])
    fresh = [h for h in pool if h not in shown]
    about = f" (for: {humane(entry['failing'][0])})" if entry.get("failing") else ""
    if entry.get("state") == DONE:
        console.print(f"{target} passes its visible tests. Its hints, if you want them:",
                      highlight=False)
        fresh = []
    if fresh:
        shown.append(fresh[0])
        progress.save()
        number = len([h for h in pool if h in shown])
        console.print(f"[bold]Hint {number} of {len(pool)}[/bold] for {target}{about}:",
                      highlight=False)
        console.print(f"  {fresh[0]}", markup=False, highlight=False)
        if len(fresh) > 1:
            console.print("[dim]Still stuck? `aiograde hint` again gives the next one.[/dim]")
        return
    if entry.get("state") != DONE:
        console.print(f"That was every hint for {target}{about}; here they all are:",
                      highlight=False)
    for number, text in enumerate(pool, 1):
        console.print(f"  {number}. {text}", markup=False, highlight=False)
    console.print(f"[dim]The lesson: {checkout.exercise(target).docs}[/dim]", highlight=False)


# -- watch ---------------------------------------------------------------------------------

def watch(checkout: Checkout, console: Any, *, poll: bool = False) -> int:
    """``aiograde watch``: check the current exercise on every save; move on when it passes.

    Each check runs in a fresh ``aiograde check`` process, so nothing one check leaves
    behind (or a crash of the grader itself) can stop the loop: it never needs a restart.
    """
    env = {**os.environ, "AIOGRADE_SANDBOX_SAID": ""}
    fresh_screen = False  # cleared on a save, not after a pass (so its message stays)
    try:
        while True:
            current = Progress(checkout).current()
            if fresh_screen and console.is_terminal:
                console.clear()
            if current is None:
                console.print("[green]🎉 Every exercise passes its visible tests. Well done![/green]")
                return 0
            before = _snapshot(checkout)
            done = subprocess.run([sys.executable, "-m", "grader", "check", current,
                                   "--path", str(checkout.root)], env=env, check=False)
            env["AIOGRADE_SANDBOX_SAID"] = "1"  # said once is enough
            if done.returncode == 0:
                console.print(f"\n[green bold]✓ {current} passes: moving on.[/green bold]\n",
                              highlight=False)
                fresh_screen = False
                continue
            if done.returncode != 1:
                console.print(f"[red]the check stopped (exit {done.returncode}); it runs again "
                              "on the next save[/red]")
            fresh_screen = True
            if _snapshot(checkout) != before:
                continue  # saved while the check ran: check again now
            console.print(f"\n[dim]Watching {_relative(checkout.exercises, checkout)}/: save "
                          f"{current}.py to check again. `aiograde hint` in another terminal "
                          "for a hint; Ctrl-C to stop.[/dim]", highlight=False)
            if not _wait_for_a_save(checkout, poll, before):
                return 0
    except KeyboardInterrupt:
        return 0


def _snapshot(checkout: Checkout) -> dict[str, str]:
    return {slug: checkout.module_hash(slug) for slug in checkout.slugs()}


def _wait_for_a_save(checkout: Checkout, poll: bool, since: dict[str, str]) -> bool:
    """True when a module was saved (since the snapshot ``since``: a save made before the
    watcher was ready counts too); False when interrupted (Ctrl-C)."""
    import watchfiles

    for changes in watchfiles.watch(checkout.exercises, watch_filter=_is_module,
                                    force_polling=poll or None, raise_interrupt=False,
                                    yield_on_timeout=True, rust_timeout=WATCH_TICK_MS):
        if changes or _snapshot(checkout) != since:
            return True
    return False


def _is_module(change: Any, path: str) -> bool:
    return path.endswith(".py")
