"""The gradebook: every grading of a class, kept in one SQLite file.

One row per grading in ``gradings`` (with the whole report as JSON, so a report can be given
back exactly), and its exercises, tests and findings in their own tables for queries. A grading
restricted with ``--only`` records the exercises it covered (``only_slugs``), so it never stands
in for a whole grading; a student whose submission could not be graded gets a row in
``ungraded`` with the reason. Many
grading processes may write to the same file at once: the database runs in WAL mode with a busy
timeout, and each grading is written in one short ``BEGIN IMMEDIATE`` transaction.

Student names are folder names, so they are data from outside: they only ever reach SQL as
bound parameters.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from ._errors import GradebookError
from ._report import Report

USER_VERSION = 2
BUSY_TIMEOUT = 60.0  # seconds a writer waits for another one before giving up
_OUR_TABLES = {"gradings", "exercises", "tests", "findings", "ungraded"}

_V1 = """
    CREATE TABLE gradings (
        id             INTEGER PRIMARY KEY,
        student        TEXT    NOT NULL,
        content_hash   TEXT    NOT NULL,
        grader_version TEXT    NOT NULL,
        graded_at      TEXT    NOT NULL,  -- ISO 8601 UTC, fixed width, so text order is time order
        score          INTEGER NOT NULL,
        max_score      INTEGER NOT NULL,
        flagged        INTEGER NOT NULL,
        duration       REAL    NOT NULL,
        report_json    TEXT    NOT NULL
    );
    CREATE INDEX gradings_resume ON gradings (student, content_hash, grader_version, graded_at);
    CREATE INDEX gradings_student ON gradings (student, graded_at);
    CREATE TABLE exercises (
        grading_id INTEGER NOT NULL REFERENCES gradings (id) ON DELETE CASCADE,
        slug       TEXT    NOT NULL,
        title      TEXT    NOT NULL,
        score      INTEGER NOT NULL,
        max_score  INTEGER NOT NULL,
        status     TEXT    NOT NULL,
        PRIMARY KEY (grading_id, slug)
    );
    CREATE TABLE tests (
        grading_id INTEGER NOT NULL REFERENCES gradings (id) ON DELETE CASCADE,
        slug       TEXT    NOT NULL,
        name       TEXT    NOT NULL,
        score      INTEGER NOT NULL,
        max_score  INTEGER NOT NULL,
        status     TEXT    NOT NULL,
        message    TEXT    NOT NULL,
        hidden     INTEGER NOT NULL
    );
    CREATE INDEX tests_grading ON tests (grading_id, slug);
    CREATE TABLE findings (
        grading_id INTEGER NOT NULL REFERENCES gradings (id) ON DELETE CASCADE,
        slug       TEXT    NOT NULL,
        kind       TEXT    NOT NULL,
        message    TEXT    NOT NULL,
        file       TEXT    NOT NULL,
        line       INTEGER,
        origin     TEXT    NOT NULL
    );
    CREATE INDEX findings_grading ON findings (grading_id, slug);
    """


def _v2_partial_gradings_and_the_ungraded(db: sqlite3.Connection) -> None:
    """Version 2: which exercises an ``--only`` grading covered, and who could not be graded.

    Version 1 recorded an ``--only`` grading as if it were whole: such a grading (one that
    lacks some of the manifest's exercises) gets its exercises recorded now.
    """
    _run_script(db, """
    ALTER TABLE gradings ADD COLUMN only_slugs TEXT;  -- NULL: every exercise was graded
    CREATE TABLE ungraded (
        id           INTEGER PRIMARY KEY,
        student      TEXT NOT NULL,
        reason       TEXT NOT NULL,
        grader_version TEXT NOT NULL,
        attempted_at TEXT NOT NULL  -- as gradings.graded_at
    );
    CREATE INDEX ungraded_student ON ungraded (student, attempted_at);
    """)
    try:
        from . import _manifest

        course = {ex.slug for ex in _manifest.load()}
    except Exception:  # without a manifest, nothing can be inferred; the rows stay as they were
        return
    graded: dict[int, set[str]] = {}
    for grading, slug in db.execute("SELECT grading_id, slug FROM exercises"):
        graded.setdefault(grading, set()).add(slug)
    db.executemany("UPDATE gradings SET only_slugs = ? WHERE id = ?",
                   [(_only_text(slugs), grading) for grading, slugs in graded.items()
                    if not course <= slugs])


def _run_script(db: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


# Each step takes the schema from version i to i + 1 (so _MIGRATIONS[0] makes version 1).
_MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    lambda db: _run_script(db, _V1),
    _v2_partial_gradings_and_the_ungraded,
]
assert len(_MIGRATIONS) == USER_VERSION


def _only_text(slugs: Iterable[str] | None) -> str | None:
    """How ``only_slugs`` keeps the exercises of an ``--only`` grading (None: all of them)."""
    return None if slugs is None else ",".join(sorted(set(slugs)))


@dataclass(frozen=True)
class Grading:
    """One student's grading as the gradebook keeps it."""

    student: str
    report: Report
    graded_at: datetime
    content_hash: str
    grader_version: str
    only: list[str] | None  # the exercises an --only grading covered; None for a whole grading

    @property
    def partial(self) -> bool:
        return self.only is not None


@dataclass(frozen=True)
class Ungraded:
    """A student whose newest attempt could not be graded."""

    student: str
    reason: str
    attempted_at: datetime
    graded_before: bool  # an earlier grading of theirs is in the gradebook


def _utc(moment: datetime | None) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if moment is None:
        return datetime.now(UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _stored_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _text(value: str) -> str:
    """Text SQLite can store: a lone surrogate (from a folder name that is not UTF-8, or odd
    output in a message) becomes U+FFFD instead of failing the whole grading."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def _is_flagged(report: Report) -> bool:
    return bool(report.flagged) or any(ex.findings for ex in report.exercises)


class Gradebook:
    """The gradings of one class in an SQLite file (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise GradebookError(f"{self.path} is a folder, not a gradebook: name a file with "
                                 "--gradebook (it is created if missing)")
        if not self.path.parent.is_dir():
            raise GradebookError(f"cannot create the gradebook {self.path}: the folder "
                                 f"{self.path.parent} does not exist")
        self._db: sqlite3.Connection | None = None
        try:
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
            self._setup()
        except sqlite3.DatabaseError as exc:
            self.close()
            if "not a database" in str(exc):  # sqlite3 says so for any file that is not SQLite
                raise GradebookError(f"{self.path} is not a gradebook (not an SQLite file): name "
                                     "another file with --gradebook") from None
            raise GradebookError(f"cannot use the gradebook {self.path}: {exc}") from None
        except BaseException:
            self.close()
            raise

    @classmethod
    def check(cls, path: str | Path) -> None:
        """Refuse (GradebookError) a path that could not be used as a gradebook, without
        creating one: an existing file is opened and read, a new one needs its folder."""
        path = Path(path)
        if path.exists():
            cls(path).close()
        elif not path.parent.is_dir():
            raise GradebookError(f"cannot create the gradebook {path}: the folder {path.parent} "
                                 "does not exist")
        elif not os.access(path.parent, os.W_OK):
            raise GradebookError(f"cannot create the gradebook {path}: the folder {path.parent} "
                                 "is not writable")

    # -- connection and schema -------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise GradebookError(f"the gradebook {self.path} is closed")
        return self._db

    def _setup(self) -> None:
        db = self.db
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        db.execute("PRAGMA foreign_keys = ON")
        # Switching to WAL needs the file to itself for a moment: retry while others hold it.
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            try:
                mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        if str(mode).lower() != "wal":
            raise GradebookError(f"could not put {self.path} in WAL mode (it is in {mode} mode)")
        db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a crash loses no committed grading
        with self._transaction():
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > USER_VERSION:
                raise GradebookError(
                    f"{self.path} is a gradebook of schema version {version}, newer than this "
                    f"aiograde knows ({USER_VERSION}); upgrade aiograde to use it, or name "
                    "another file with --gradebook.")
            tables = {row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if (version == 0 and tables) or not tables <= _OUR_TABLES:
                raise GradebookError(
                    f"{self.path} is an SQLite database but not an aiograde gradebook (it has "
                    f"tables {', '.join(sorted(tables - _OUR_TABLES) or sorted(tables))}); name "
                    "another file with --gradebook.")
            for step in range(version, USER_VERSION):
                _MIGRATIONS[step](db)
            if version != USER_VERSION:
                db.execute(f"PRAGMA user_version = {USER_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: IMMEDIATE takes the write lock up front (waiting its turn)."""
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.OperationalError as exc:  # locked too long, disk full, read-only, ...
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise GradebookError(f"could not write the gradebook {self.path}: {exc}") from None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def record(self, student: str, report: Report, content_hash: str,
               graded_at: datetime | None = None, *, only: Iterable[str] | None = None) -> int:
        """Keep one grading (in one transaction) and return its id.

        ``only``: the exercises a grading restricted with ``--only`` covered (None: all).
        """
        if not isinstance(student, str) or not student:
            raise ValueError(f"student must be a non-empty string, got {student!r}")
        moment = _stored_time(_utc(graded_at))
        student, content_hash = _text(student), _text(content_hash)
        report_json = _text(json.dumps(report.to_dict(), ensure_ascii=False))
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO gradings (student, content_hash, grader_version, graded_at, score, "
                "max_score, flagged, duration, report_json, only_slugs) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (student, content_hash, _text(report.grader_version), moment, report.score,
                 report.max_score, int(_is_flagged(report)), float(report.duration), report_json,
                 _only_text(only)))
            grading = cursor.lastrowid
            assert grading is not None
            db.executemany(
                "INSERT INTO exercises (grading_id, slug, title, score, max_score, status) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(grading, ex.slug, _text(ex.title), ex.score, ex.max_score, ex.status)
                 for ex in report.exercises])
            db.executemany(
                "INSERT INTO tests (grading_id, slug, name, score, max_score, status, message, "
                "hidden) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(grading, ex.slug, _text(t.name), t.score, t.max_score, t.status, _text(t.message),
                  int(t.hidden))
                 for ex in report.exercises for t in ex.tests])
            db.executemany(
                "INSERT INTO findings (grading_id, slug, kind, message, file, line, origin) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(grading, ex.slug, f.kind, _text(f.message), _text(f.file), f.line, f.origin)
                 for ex in report.exercises for f in ex.findings])
        return grading

    def record_ungraded(self, student: str, reason: str, grader_version: str,
                        attempted_at: datetime | None = None) -> None:
        """Keep that this student's submission could not be graded, and why."""
        if not isinstance(student, str) or not student:
            raise ValueError(f"student must be a non-empty string, got {student!r}")
        with self._transaction() as db:
            db.execute("INSERT INTO ungraded (student, reason, grader_version, attempted_at) "
                       "VALUES (?, ?, ?, ?)", (_text(student), _text(reason),
                                               _text(grader_version),
                                               _stored_time(_utc(attempted_at))))

    # -- reading ---------------------------------------------------------------------------

    def find(self, student: str, content_hash: str, grader_version: str,
             only: Iterable[str] | None = None) -> Report | None:
        """The latest grading of exactly this content by this grader version, if any, that
        covered exactly these exercises (``only``; None: a whole grading)."""
        row = self.db.execute(
            "SELECT report_json FROM gradings WHERE student = ? AND content_hash = ? "
            "AND grader_version = ? AND only_slugs IS ? ORDER BY graded_at DESC, id DESC LIMIT 1",
            (_text(student), _text(content_hash), _text(grader_version),
             _only_text(only))).fetchone()
        return None if row is None else Report.from_dict(json.loads(row[0]))

    def latest_gradings(self) -> list[Grading]:
        """The newest grading of each student, ordered by student name."""
        rows = self.db.execute(
            "SELECT student, report_json, graded_at, content_hash, grader_version, only_slugs "
            "FROM ("
            "  SELECT *, ROW_NUMBER() OVER ("
            "    PARTITION BY student ORDER BY graded_at DESC, id DESC) AS newest"
            "  FROM gradings"
            ") WHERE newest = 1 ORDER BY student").fetchall()
        return [Grading(student, Report.from_dict(json.loads(report)), _parse_time(at), digest,
                        version, None if only is None else only.split(","))
                for student, report, at, digest, version, only in rows]

    def latest(self) -> list[tuple[str, Report, datetime]]:
        """The newest grading of each student, ordered by student name."""
        return [(g.student, g.report, g.graded_at) for g in self.latest_gradings()]

    def not_graded(self) -> list[Ungraded]:
        """The students whose newest attempt could not be graded (newer than any grading of
        theirs), ordered by name."""
        rows = self.db.execute(
            "SELECT u.student, u.reason, u.attempted_at, "
            "  (SELECT max(graded_at) FROM gradings g WHERE g.student = u.student) FROM ("
            "  SELECT *, ROW_NUMBER() OVER ("
            "    PARTITION BY student ORDER BY attempted_at DESC, id DESC) AS newest"
            "  FROM ungraded"
            ") u WHERE newest = 1 ORDER BY u.student").fetchall()
        return [Ungraded(student, reason, _parse_time(at), graded is not None)
                for student, reason, at, graded in rows if graded is None or graded <= at]

    def export_csv(self, out: TextIO) -> None:
        """One row per student (their latest grading), exercise columns in manifest order.

        ``graded_exercises`` is ``all``, or the exercises an ``--only`` grading covered (its
        score is out of those only); ``not_graded`` says why the student's newest attempt could
        not be graded (a student never graded has only that).
        """
        gradings = {g.student: g for g in self.latest_gradings()}
        failed = {u.student: u for u in self.not_graded()}
        slugs = exercise_order(g.report for g in gradings.values())
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["student", "score", "max_score", *slugs, "flagged", "graded_at",
                         "content_hash", "grader_version", "graded_exercises", "not_graded"])
        for student in sorted(gradings.keys() | failed.keys()):
            why = failed[student].reason if student in failed else ""
            grading = gradings.get(student)
            if grading is None:
                writer.writerow([_cell(student), "", "", *("" for _ in slugs), "", "", "", "",
                                 "", _cell(why)])
                continue
            report = grading.report
            scores = {ex.slug: ex.score for ex in report.exercises}
            writer.writerow([_cell(student), report.score, report.max_score,
                             *(scores.get(slug, "") for slug in slugs),
                             int(_is_flagged(report)),
                             grading.graded_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                             grading.content_hash, _cell(grading.grader_version),
                             "all" if grading.only is None else " ".join(grading.only),
                             _cell(why)])


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (a name like ``=HYPERLINK(...)``)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def exercise_order(reports: Any) -> list[str]:
    """Every exercise slug in these reports, in manifest order (unknown slugs after, as met)."""
    seen: list[str] = []
    for report in reports:
        for ex in report.exercises:
            if ex.slug not in seen:
                seen.append(ex.slug)
    try:
        from . import _manifest

        rank = {ex.slug: i for i, ex in enumerate(_manifest.load())}
    except Exception:  # a broken manifest must not stop an export: keep the reports' order
        rank = {}
    return sorted(seen, key=lambda slug: (rank.get(slug, len(rank)), seen.index(slug)))


def _submission_folder(folder: Path, slugs: list[str]) -> Path:
    # As the grader does: a checkout with the modules in exercises/ is graded from there.
    if not any((folder / f"{s}.py").exists() for s in slugs) and (folder / "exercises").is_dir():
        return folder / "exercises"
    return folder


def content_hash(folder: Path, slugs: list[str]) -> str:
    """A sha256 of the exercise modules a grading would read, so an unchanged submission hashes
    the same. Modules that are missing are left out; a symbolic link is hashed by its target
    text (never followed); anything else that is not a regular file by its kind only. The slugs
    asked for are part of the hash, so a grading of fewer exercises is never taken for a full one.
    """
    folder = _submission_folder(Path(folder), slugs)
    digest = hashlib.sha256()

    def put(*parts: bytes) -> None:
        for part in parts:
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)

    put(b"aiograde-content-v1", ",".join(sorted(set(slugs))).encode())
    for slug in sorted(set(slugs)):
        name = f"{slug}.py"
        path = folder / name
        try:
            info = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            continue
        if stat.S_ISLNK(info.st_mode):
            put(name.encode(), b"link", os.fsencode(os.readlink(path)))
        elif stat.S_ISREG(info.st_mode):
            module = hashlib.sha256()
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as f:
                while chunk := f.read(1 << 16):
                    module.update(chunk)
            put(name.encode(), b"file", module.digest())
        else:
            put(name.encode(), b"other", stat.filemode(info.st_mode).encode())
    return digest.hexdigest()
