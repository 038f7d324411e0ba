"""For every wrong sample, ``aiograde check`` and the public checks fail where the grader's
visible tests fail: a student who sees them pass locally is not surprised by the grader's
visible tests.

Per sample: the grader's full grading (its visible tests are the reference; the same
grading the samples test reads),
``aiograde check`` (must fail exactly the same visible tests, and exit 1), and
``pytest checks/test_<slug>.py`` against the sample (must fail too, with the course's
one-line messages rather than tracebacks).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SAMPLES, graded_sample

WRONG = sorted(SAMPLES.glob("*/wrong_*.py"))


def _judge(sample: Path) -> dict[str, Any]:
    slug = sample.parent.name
    graded = graded_sample(sample)  # the samples test reads the same grading
    with tempfile.TemporaryDirectory(prefix="agree-") as tmp:
        package = Path(tmp) / "submission"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / f"{slug}.py").write_text(sample.read_text())

        def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                                  text=True, timeout=600, env={**os.environ, **(env or {})})

        checked = run("grader", "check", slug, "--path", str(package), "--format", "json")
        public = run("pytest", f"checks/test_{slug}.py", "-q", "-p", "no:cacheprovider",
                     env={"PYTHONPATH": tmp, "AIOGRADE_TARGET": "submission"})

    def failing(report: dict[str, Any], visible_only: bool) -> set[str]:
        (exercise,) = report["exercises"]
        return {t["name"] for t in exercise["tests"]
                if t["status"] != "passed" and not (visible_only and t["hidden"])}

    return {"grader": failing(graded, True),
            "check": failing(json.loads(checked.stdout), False) if checked.stdout else None,
            "check_code": checked.returncode, "check_err": checked.stderr[-2000:],
            "public_code": public.returncode, "public_out": public.stdout[-3000:]}


@pytest.fixture(scope="module")
def judged() -> dict[Path, dict[str, Any]]:
    # Side by side: most of the time goes to starting processes and waiting on real clocks.
    with ThreadPoolExecutor(max(2, min(4, os.cpu_count() or 2))) as pool:
        return dict(zip(WRONG, pool.map(_judge, WRONG), strict=True))


@pytest.mark.timeout(1800)  # the first one waits for the whole class of samples to be judged
@pytest.mark.parametrize("sample", WRONG, ids=[f"{p.parent.name}/{p.stem}" for p in WRONG])
def test_check_and_public_checks_fail_where_the_visible_tests_fail(
        sample: Path, judged: dict[Path, dict[str, Any]]) -> None:
    seen = judged[sample]
    assert seen["check"] == seen["grader"], (
        f"aiograde check failed {seen['check']}; the grader's visible tests {seen['grader']}\n"
        f"{seen['check_err']}")
    if seen["grader"]:
        assert seen["check_code"] == 1
        assert seen["public_code"] == 1, (
            f"the public checks pass where the grader's visible tests {sorted(seen['grader'])} "
            f"fail:\n{seen['public_out']}")
        assert "Traceback" not in seen["public_out"] and "\nE   " not in seen["public_out"], \
            seen["public_out"]


def test_some_sample_is_caught_only_by_what_the_plugin_adds() -> None:
    """The plugin matters: without it (``--noconftest``) a blocking call passes the checks."""
    sample = SAMPLES / "executors" / "wrong_with_block_shuts_down_on_loop.py"
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "submission"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "executors.py").write_text(sample.read_text())
        env = {**os.environ, "PYTHONPATH": tmp, "AIOGRADE_TARGET": "submission"}
        args = [sys.executable, "-m", "pytest", "checks/test_executors.py", "-q",
                "-p", "no:cacheprovider"]
        bare = subprocess.run([*args, "--noconftest"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        with_plugin = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,
                                     timeout=300)
    assert bare.returncode == 0, bare.stdout[-2000:]
    assert with_plugin.returncode == 1
    line = _line_of(sample, "with ThreadPoolExecutor(")
    assert f"blocked the event loop with a call to lock.acquire at executors.py:{line}" in \
        with_plugin.stdout, with_plugin.stdout[-2000:]


def _line_of(sample: Path, code: str) -> int:
    """The line of the sample's code (not its docstring) that starts with ``code``."""
    lines = sample.read_text().splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.strip().startswith(code))
