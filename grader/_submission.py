"""Read a submission: find its modules and copy them aside, read nothing else.

The submission folder is read for exactly the expected ``<slug>.py`` files, which
are copied into a private folder; nothing else in it (``conftest.py``,
``pytest.ini``, ``.pth`` files, symbolic links) is ever read or run.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ._errors import SubmissionError
from ._report import Finding
from ._status import Reason
from ._tamper import scan

MAX_MODULE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Problem:
    """Why an exercise's module cannot be graded at all."""

    reason: Reason  # MISSING or UNREADABLE
    message: str


@dataclass
class Submission:
    """The modules of one submission, copied into ``private`` (readable, not listable)."""

    folder: Path
    modules: dict[str, Path] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    # module names of the submission's other .py files: refused by name at import
    others: list[str] = field(default_factory=list)


def exercise_folder(path: Path, slugs: list[str]) -> Path:
    """The folder holding the modules: ``path`` itself, or its ``exercises/``."""
    if not path.exists():
        raise SubmissionError(f"{path} does not exist. Give the folder that holds the exercise "
                              "modules (coroutines.py, gathering.py, ...) or a checkout with an "
                              "exercises/ folder.")
    if not path.is_dir():
        raise SubmissionError(f"{path} is not a folder. Give the folder that holds the exercise "
                              "modules, not a single file.")
    if not any((path / f"{s}.py").exists() for s in slugs) and (path / "exercises").is_dir():
        return path / "exercises"
    return path


def _read_module(source: Path) -> bytes | Problem:
    """The module's bytes, or why it can't be graded. Never follows a link."""
    try:
        info = os.lstat(source)
    except FileNotFoundError:
        return Problem(Reason.MISSING, f"{source.name} was not found in the submission "
                       f"({source.parent}). Start from exercises/{source.name}.")
    if stat.S_ISLNK(info.st_mode):
        return Problem(Reason.UNREADABLE, f"{source.name} is a symbolic link; the grader "
                       "refuses links. Submit the file itself.")
    if not stat.S_ISREG(info.st_mode):
        return Problem(Reason.UNREADABLE, f"{source.name} is not a regular file.")
    if info.st_size > MAX_MODULE_BYTES:
        return Problem(Reason.UNREADABLE, f"{source.name} is {info.st_size} bytes; the grader "
                       f"accepts modules up to {MAX_MODULE_BYTES} bytes.")
    fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        return f.read(MAX_MODULE_BYTES + 1)


def read(path: Path, slugs: list[str], private: Path) -> Submission:
    """Copy the exercise modules at ``path`` into ``private``; scan each one's source.

    Raises :class:`SubmissionError` when none of the modules is there."""
    folder = exercise_folder(path, slugs)
    found = Submission(folder)
    for slug in slugs:
        content = _read_module(folder / f"{slug}.py")
        if isinstance(content, Problem):
            found.problems[slug] = content
            continue
        copy = private / f"{slug}.py"
        copy.write_bytes(content)
        found.findings[slug] = scan(copy.name, content)
        copy.chmod(0o444)  # readable by the unprivileged worker, writable by nobody
        found.modules[slug] = copy
    os.chmod(private, 0o711)  # workers may open the files they are told of, not list them
    if not found.modules and all(p.reason is Reason.MISSING for p in found.problems.values()):
        raise SubmissionError(f"no exercise module found in {folder}: expected files named "
                              f"like {slugs[0]}.py (or a checkout with an exercises/ folder).")
    found.others = [p.stem for p in folder.glob("*.py") if p.stem.isidentifier()]
    return found
