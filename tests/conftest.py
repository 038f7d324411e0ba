"""Shared helpers: the grader is always exercised as users run it, through its command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).parent / "samples"


def run_grader(*args: str | Path, timeout: float = 600,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def grade_json(path: str | Path, *only: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    args: list[str | Path] = ["grade", path, "--format", "json", "--no-gradebook"]
    for slug in only:
        args += ["--only", slug]
    done = run_grader(*args, env=env)
    assert done.returncode == 0, f"grader exited {done.returncode}: {done.stderr[-3000:]}"
    return json.loads(done.stdout)


_graded_samples: dict[Path, dict[str, Any]] = {}
_graded_lock = threading.Lock()


def graded_sample(sample: Path) -> dict[str, Any]:
    """The grader's JSON report of one sample module graded alone (its exercise only), as a
    student's would be. Graded once per session: the samples test and the checks-agree test
    read the same grading (thread-safe: checks-agree grades samples side by side)."""
    with _graded_lock:
        if sample in _graded_samples:
            return _graded_samples[sample]
    slug = sample.parent.name
    with tempfile.TemporaryDirectory(prefix="sample-") as tmp:
        folder = Path(tmp) / "submission"
        folder.mkdir()
        (folder / "__init__.py").write_text("")
        (folder / f"{slug}.py").write_text(sample.read_text())
        report = grade_json(folder, slug)
    with _graded_lock:
        return _graded_samples.setdefault(sample, report)


def failures(exercise: dict[str, Any]) -> str:
    return "\n".join(f"  {t['name']}: {t['message']}" for t in exercise["tests"]
                     if t["status"] != "passed")


@pytest.fixture
def submission(tmp_path: Path):
    """A fresh submission folder; call it with {slug: source or Path}."""

    def make(modules: dict[str, str | Path]) -> Path:
        for slug, source in modules.items():
            text = source.read_text() if isinstance(source, Path) else source
            (tmp_path / f"{slug}.py").write_text(text)
        return tmp_path

    return make
