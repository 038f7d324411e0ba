"""The gradebook (SQLite) and the HTML class report drawn from it."""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import re
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader import _gradebook, _manifest
from grader._classreport import normalise_message, render_class_report
from grader._gradebook import USER_VERSION, Gradebook, GradebookError, content_hash
from grader._report import ExerciseResult, Finding, Report
from grader._report import TestResult as Outcome

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
TITLES = {"coroutines": "Coroutines", "gathering": "Running coroutines concurrently",
          "tasks": "Tasks"}


def exercise(slug: str, max_score: int, failures: list[str] = (), *, status: str | None = None,
             findings: list[Finding] = ()) -> ExerciseResult:
    """An exercise result: one failing 1-point test per message, one passing test for the rest."""
    tests = [Outcome(f"test_{slug}_{i}", 0, 1, "failed", message, i % 2 == 1)
             for i, message in enumerate(failures)]
    passed = max_score - len(failures)
    if passed:
        tests.insert(0, Outcome(f"test_{slug}_ok", passed, passed, "passed", "", False))
    score = passed
    status = status or ("passed" if score == max_score else "partial" if score else "failed")
    return ExerciseResult(slug, TITLES.get(slug, slug), score, max_score, status, tests,
                          hints=["a hint", "another"], findings=list(findings))


def report(*exercises: ExerciseResult, version: str = "0.1.0") -> Report:
    flagged = any(ex.findings for ex in exercises)
    return Report("submission", sum(e.score for e in exercises), sum(e.max_score for e in exercises),
                  list(exercises), version, 1.25, flagged=flagged)


def full_marks() -> Report:
    return report(exercise("coroutines", 5), exercise("gathering", 10))


@pytest.fixture
def book(tmp_path: Path):
    with Gradebook(tmp_path / "class.db") as gradebook:
        yield gradebook


# -- schema ------------------------------------------------------------------------------------

def test_schema_is_created_in_wal_mode_with_a_version(tmp_path: Path) -> None:
    Gradebook(tmp_path / "class.db").close()
    db = sqlite3.connect(tmp_path / "class.db")
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == USER_VERSION == 2
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = {table: [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
                   for table in ("gradings", "exercises", "tests", "findings", "ungraded")}
        assert columns == {
            "gradings": ["id", "student", "content_hash", "grader_version", "graded_at", "score",
                         "max_score", "flagged", "duration", "report_json", "only_slugs"],
            "ungraded": ["id", "student", "reason", "grader_version", "attempted_at"],
            "exercises": ["grading_id", "slug", "title", "score", "max_score", "status"],
            "tests": ["grading_id", "slug", "name", "score", "max_score", "status", "message",
                      "hidden"],
            "findings": ["grading_id", "slug", "kind", "message", "file", "line", "origin"],
        }
        indexed = [[row[2] for row in db.execute(f"PRAGMA index_info({index[1]})")]
                   for index in db.execute("PRAGMA index_list(gradings)")]
        assert any(cols[:3] == ["student", "content_hash", "grader_version"] for cols in indexed)
        plan = " ".join(str(row) for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM gradings WHERE student = 'a' AND content_hash = 'b' "
            "AND grader_version = 'c' ORDER BY graded_at DESC"))
        assert "gradings_resume" in plan
    finally:
        db.close()


def test_reopening_keeps_the_gradings(tmp_path: Path) -> None:
    with Gradebook(tmp_path / "class.db") as first:
        first.record("ada", full_marks(), "h")
    with Gradebook(tmp_path / "class.db") as again:
        assert [student for student, _, _ in again.latest()] == ["ada"]


def test_a_gradebook_from_a_newer_aiograde_is_refused(tmp_path: Path) -> None:
    Gradebook(tmp_path / "class.db").close()
    db = sqlite3.connect(tmp_path / "class.db")
    db.execute("PRAGMA user_version = 7")
    db.close()
    with pytest.raises(GradebookError, match="newer"):
        Gradebook(tmp_path / "class.db")


def test_a_closed_gradebook_says_so(tmp_path: Path) -> None:
    book = Gradebook(tmp_path / "class.db")
    book.close()
    book.close()  # twice is harmless
    with pytest.raises(GradebookError, match="closed"):
        book.latest()


# -- record, find, latest ----------------------------------------------------------------------

def test_find_gives_back_the_same_report_for_the_same_content_and_version(book: Gradebook) -> None:
    graded = full_marks()
    grading = book.record("ada", graded, "hash-1", T0)
    assert isinstance(grading, int)
    assert book.find("ada", "hash-1", "0.1.0") == graded


def test_changed_content_version_or_student_is_not_found(book: Gradebook) -> None:
    book.record("ada", full_marks(), "hash-1", T0)
    assert book.find("ada", "hash-2", "0.1.0") is None  # the student changed a module
    assert book.find("ada", "hash-1", "0.2.0") is None  # a new grader must grade again
    assert book.find("grace", "hash-1", "0.1.0") is None


def test_find_gives_the_latest_grading_of_that_content(book: Gradebook) -> None:
    newer = report(exercise("gathering", 10, ["flaky"]))
    book.record("ada", newer, "h", T0 + timedelta(minutes=5))
    book.record("ada", full_marks(), "h", T0)  # recorded later, graded earlier
    assert book.find("ada", "h", "0.1.0") == newer


def test_latest_is_the_newest_grading_per_student_by_name(book: Gradebook) -> None:
    first = report(exercise("gathering", 10, ["wrong"]))
    book.record("grace", full_marks(), "g1", T0)
    book.record("ada", first, "a1", T0)
    book.record("ada", full_marks(), "a2", T0 + timedelta(hours=1))
    book.record("ada", first, "a0", T0 - timedelta(days=1))
    latest = book.latest()
    assert [(student, r.score, at) for student, r, at in latest] == [
        ("ada", 15, T0 + timedelta(hours=1)), ("grace", 15, T0)]
    assert all(at.tzinfo is not None for _, _, at in latest)


def test_times_are_kept_in_utc(book: Gradebook) -> None:
    paris = timezone(timedelta(hours=1))
    book.record("ada", full_marks(), "h", datetime(2025, 3, 1, 10, 30, tzinfo=paris))
    book.record("grace", full_marks(), "h", datetime(2025, 3, 1, 9, 30))  # naive: taken as UTC
    assert [at for _, _, at in book.latest()] == [T0, T0]
    before = datetime.now(UTC)
    book.record("linus", full_marks(), "h")
    assert before <= book.latest()[-1][2] <= datetime.now(UTC)


def test_every_part_of_a_grading_is_stored(book: Gradebook) -> None:
    finding = Finding("patches-stdlib", "assigns asyncio.sleep", "gathering.py", 12, "static")
    graded = report(exercise("coroutines", 5, ["returned None, expected 3"]),
                    exercise("gathering", 10, findings=[finding]))
    grading = book.record("ada", graded, "h", T0)
    db = book.db
    assert db.execute("SELECT student, content_hash, grader_version, graded_at, score, max_score, "
                      "flagged, duration FROM gradings WHERE id = ?", (grading,)).fetchall() == [
        ("ada", "h", "0.1.0", "2025-03-01T09:30:00.000000Z", 14, 15, 1, 1.25)]
    assert db.execute("SELECT slug, title, score, max_score, status FROM exercises "
                      "WHERE grading_id = ? ORDER BY slug", (grading,)).fetchall() == [
        ("coroutines", "Coroutines", 4, 5, "partial"),
        ("gathering", "Running coroutines concurrently", 10, 10, "passed")]
    assert db.execute("SELECT slug, name, score, max_score, status, message, hidden FROM tests "
                      "WHERE grading_id = ? AND status != 'passed'", (grading,)).fetchall() == [
        ("coroutines", "test_coroutines_0", 0, 1, "failed", "returned None, expected 3", 0)]
    assert db.execute("SELECT count(*) FROM tests WHERE grading_id = ?", (grading,)).fetchone() == (3,)
    assert db.execute("SELECT slug, kind, message, file, line, origin FROM findings "
                      "WHERE grading_id = ?", (grading,)).fetchall() == [
        ("gathering", "patches-stdlib", "assigns asyncio.sleep", "gathering.py", 12, "static")]
    assert book.find("ada", "h", "0.1.0").exercises[1].findings == [finding]


def test_a_failed_write_leaves_nothing_behind(book: Gradebook) -> None:
    broken = full_marks()
    broken.exercises[1].tests[0].score = None  # type: ignore[assignment]  # NOT NULL fails mid-way
    with pytest.raises(sqlite3.IntegrityError):
        book.record("ada", broken, "h", T0)
    for table in ("gradings", "exercises", "tests", "findings"):
        assert book.db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    book.record("ada", full_marks(), "h", T0)  # and the gradebook goes on working
    assert len(book.latest()) == 1


def test_a_student_name_is_data_never_sql(book: Gradebook) -> None:
    name = "Robert'); DROP TABLE gradings;--"
    book.record(name, full_marks(), "h'; DELETE FROM tests;--", T0)
    book.record("ada", full_marks(), "h", T0)
    assert book.find(name, "h'; DELETE FROM tests;--", "0.1.0") == full_marks()
    assert [student for student, _, _ in book.latest()] == [name, "ada"]
    assert book.db.execute("SELECT count(*) FROM tests").fetchone() == (4,)
    out = io.StringIO()
    book.export_csv(out)
    assert [row[0] for row in csv.reader(io.StringIO(out.getvalue()))][1:] == [name, "ada"]


def test_names_and_messages_that_are_not_utf8_are_kept(book: Gradebook) -> None:
    name = os.fsdecode(b"caf\xe9")  # a folder name in Latin-1: a lone surrogate in Python
    graded = report(exercise("gathering", 10, ["printed \udcff then failed"]))
    book.record(name, graded, "h", T0)
    found = book.find(name, "h", "0.1.0")
    assert found is not None
    assert found.exercises[0].tests[1].message == "printed \ufffd then failed"
    assert [student for student, _, _ in book.latest()] == ["caf\ufffd"]
    render_class_report(book).encode("utf-8")


def test_a_student_must_have_a_name(book: Gradebook) -> None:
    with pytest.raises(ValueError, match="student"):
        book.record("", full_marks(), "h")


# -- many writers ------------------------------------------------------------------------------

WRITERS = 4
GRADINGS_EACH = 15


def _write_gradings(path: str, writer: int, start: object) -> None:
    start.wait(30)  # type: ignore[attr-defined]
    with Gradebook(path) as book:
        for i in range(GRADINGS_EACH):
            book.record(f"student-{writer}-{i}", full_marks(), f"hash-{writer}-{i}")


def test_concurrent_writers_all_land(tmp_path: Path) -> None:
    path = str(tmp_path / "class.db")
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_write_gradings, args=(path, n, start)) for n in range(WRITERS)]
    for worker in workers:
        worker.start()
    start.set()  # all at once, on a gradebook none of them has created yet
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0] * WRITERS
    with Gradebook(path) as book:
        students = [student for student, _, _ in book.latest()]
        assert len(students) == WRITERS * GRADINGS_EACH
        assert set(students) == {f"student-{w}-{i}" for w in range(WRITERS)
                                 for i in range(GRADINGS_EACH)}
        assert book.db.execute("SELECT count(*) FROM exercises").fetchone() == (
            2 * WRITERS * GRADINGS_EACH,)
        assert book.find("student-3-7", "hash-3-7", "0.1.0") == full_marks()


# -- CSV ---------------------------------------------------------------------------------------

def test_csv_has_one_row_per_student_with_exercises_in_manifest_order(book: Gradebook) -> None:
    # Reports list exercises out of order and not all the same ones; columns follow the manifest.
    book.record("grace", report(exercise("tasks", 8, ["a", "b", "c"]), exercise("coroutines", 5)),
                "g", T0)
    book.record("ada", report(exercise("gathering", 10, ["x"])), "a-old", T0)
    finding = Finding("os-exit", "calls os._exit", "gathering.py", 3, "runtime")
    book.record("ada", report(exercise("gathering", 10, findings=[finding]), version="0.2.0"),
                "a-new", T0 + timedelta(seconds=90))
    out = io.StringIO()
    book.export_csv(out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [
        ["student", "score", "max_score", "coroutines", "gathering", "tasks", "flagged", "graded_at",
         "content_hash", "grader_version", "graded_exercises", "not_graded"],
        ["ada", "10", "10", "", "10", "", "1", "2025-03-01T09:31:30Z", "a-new", "0.2.0", "all", ""],
        ["grace", "10", "13", "5", "", "5", "0", "2025-03-01T09:30:00Z", "g", "0.1.0", "all", ""],
    ]


def test_csv_cells_are_never_spreadsheet_formulas(book: Gradebook) -> None:
    book.record('=HYPERLINK("http://x","y")', full_marks(), "h", T0)
    out = io.StringIO()
    book.export_csv(out)
    assert list(csv.reader(io.StringIO(out.getvalue())))[1][0] == "'=HYPERLINK(\"http://x\",\"y\")"


def test_an_empty_gradebook_exports_a_header(book: Gradebook) -> None:
    out = io.StringIO()
    book.export_csv(out)
    assert out.getvalue() == ("student,score,max_score,flagged,graded_at,content_hash,"
                              "grader_version,graded_exercises,not_graded\n")


# -- content hash ------------------------------------------------------------------------------

SLUGS = ["coroutines", "gathering"]


def test_an_unchanged_submission_hashes_the_same(tmp_path: Path) -> None:
    (tmp_path / "gathering.py").write_text("x = 1\n")
    first = content_hash(tmp_path, SLUGS)
    assert len(first) == 64 and first == content_hash(tmp_path, list(reversed(SLUGS)))
    os.utime(tmp_path / "gathering.py", (0, 0))
    (tmp_path / "notes.txt").write_text("not a module")  # the grader never reads it
    (tmp_path / "tasks.py").write_text("not asked for")
    assert content_hash(tmp_path, SLUGS) == first


def test_any_change_to_a_module_changes_the_hash(tmp_path: Path) -> None:
    (tmp_path / "gathering.py").write_text("x = 1\n")
    hashes = {content_hash(tmp_path, SLUGS)}
    (tmp_path / "gathering.py").write_text("x = 2\n")
    hashes.add(content_hash(tmp_path, SLUGS))
    (tmp_path / "coroutines.py").write_text("")  # a new, empty module counts too
    hashes.add(content_hash(tmp_path, SLUGS))
    (tmp_path / "gathering.py").unlink()
    hashes.add(content_hash(tmp_path, SLUGS))
    assert len(hashes) == 4
    assert content_hash(tmp_path, ["coroutines"]) != content_hash(tmp_path, SLUGS)


def test_module_names_and_contents_cannot_be_swapped(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "coroutines.py").write_text("a")
    (one / "gathering.py").write_text("b")
    (two / "coroutines.py").write_text("b")
    (two / "gathering.py").write_text("a")
    assert content_hash(one, SLUGS) != content_hash(two, SLUGS)


def test_a_symlink_is_hashed_by_its_target_text_and_never_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.py"
    target.write_text("secret = 1\n")
    (tmp_path / "sub").mkdir()
    link = tmp_path / "sub" / "gathering.py"
    link.symlink_to(target)
    linked = content_hash(tmp_path / "sub", SLUGS)
    target.write_text("secret = 2\n")  # the target's content is never read
    assert content_hash(tmp_path / "sub", SLUGS) == linked
    link.unlink()
    link.write_text("secret = 2\n")  # a real file with that content is something else
    assert content_hash(tmp_path / "sub", SLUGS) != linked
    link.unlink()
    link.symlink_to("/nowhere/at/all.py")  # dangling: fine, and different
    assert content_hash(tmp_path / "sub", SLUGS) not in (linked,)


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "gathering.py")  # opening it to read would block forever
    assert len(content_hash(tmp_path, SLUGS)) == 64


def test_a_checkout_is_hashed_from_its_exercises_folder(tmp_path: Path) -> None:
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "gathering.py").write_text("x = 1\n")
    before = content_hash(tmp_path, SLUGS)
    (tmp_path / "exercises" / "gathering.py").write_text("x = 2\n")
    assert content_hash(tmp_path, SLUGS) != before
    assert content_hash(tmp_path, SLUGS) == content_hash(tmp_path / "exercises", SLUGS)


# -- the HTML class report ---------------------------------------------------------------------

class Elements(HTMLParser):
    """Every start tag as (tag, attrs, ids of the enclosing elements), and all the text."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str], list[str]]] = []
        self.stack: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.found.append((tag, values, [i for _, i in self.stack if i]))
        if tag not in ("meta", "line", "br", "wbr", "input", "img", "link"):
            self.stack.append((tag, values.get("id", "")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}, [i for _, i in self.stack if i]))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str, cls: str = "", inside: str = "") -> list[dict[str, str]]:
        return [attrs for t, attrs, ids in self.found
                if t == tag and (not cls or cls in attrs.get("class", "").split())
                and (not inside or inside in ids)]


def class_of_five(book: Gradebook) -> None:
    book.record("ada", full_marks(), "a", T0)
    book.record("grace", report(exercise("coroutines", 5), exercise("gathering", 10, ["took 2.01 s"])),
                "g", T0)
    book.record("linus", report(exercise("coroutines", 5, ["returned None, expected 3"]),
                                exercise("gathering", 10, ["took 3.5 s", "x"])), "l", T0)
    book.record("<script>alert('name')</script>",
                report(exercise("coroutines", 5, ["<script>alert('message')</script>"] * 5),
                       exercise("gathering", 10, ["took 2.2 s"])), "s", T0)
    finding = Finding("imports-grader", "imports grader <b>internals</b>", "gathering.py", 1, "static")
    book.record("mallory", report(exercise("coroutines", 5),
                                  exercise("gathering", 10, findings=[finding])), "m", T0)


def test_the_report_escapes_names_and_messages(book: Gradebook) -> None:
    class_of_five(book)
    page = render_class_report(book, title="Class <i>A</i>")
    assert "<script" not in page and "<i>A</i>" not in page
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#x27;message&#x27;)&lt;/script&gt;" in page
    parsed = Elements(page)
    assert not parsed.all("script")
    assert "<script>alert('name')</script>" in parsed.text  # shown as text, as it is


def test_the_report_is_self_contained(book: Gradebook) -> None:
    class_of_five(book)
    page = render_class_report(book)
    parsed = Elements(page)
    assert not [a for _, a, _ in parsed.found if "src" in a or "href" in a]
    assert "url(" not in page and "@import" not in page
    assert page.count("http") == page.count('xmlns="http://www.w3.org/2000/svg"')


def test_the_charts_match_the_data(book: Gradebook) -> None:
    class_of_five(book)  # totals: 15, 14, 12, 9, 15 out of 15
    parsed = Elements(render_class_report(book))
    assert len(parsed.all("figure")) == 2

    bars = parsed.all("rect", "bar", inside="score-distribution")
    assert [bar["data-label"] for bar in bars] == [str(s) for s in range(16)]
    counts = {int(bar["data-label"]): float(bar["data-value"]) for bar in bars}
    assert counts == {s: {15: 2, 14: 1, 12: 1, 9: 1}.get(s, 0) for s in range(16)}
    heights = {s: float(bar["height"]) for s, bar in zip(counts, bars, strict=True)}
    per_student = heights[15] / 2
    assert per_student > 50
    for score, count in counts.items():
        assert heights[score] == pytest.approx(count * per_student, abs=0.02), score
    baselines = {round(float(b["y"]) + float(b["height"]), 1) for b in bars}
    assert len(baselines) == 1  # all bars stand on the axis

    rates = parsed.all("rect", "bar", inside="pass-rates")
    tracks = parsed.all("rect", "track", inside="pass-rates")
    assert [bar["data-label"] for bar in rates] == ["coroutines", "gathering"]
    # coroutines: full marks for ada, grace, mallory (3/5); gathering: ada, mallory (2/5).
    assert [float(bar["data-value"]) for bar in rates] == pytest.approx([0.6, 0.4])
    for bar, track, share in zip(rates, tracks, [0.6, 0.4], strict=True):
        assert float(bar["width"]) == pytest.approx(share * float(track["width"]), abs=0.02)


def test_bars_have_tooltips_labels_and_accessible_names(book: Gradebook) -> None:
    class_of_five(book)
    page = render_class_report(book)
    parsed = Elements(page)
    for figure in ("score-distribution", "pass-rates"):
        svg = parsed.all("svg", inside=figure)
        assert len(svg) == 1 and svg[0]["role"] == "img" and svg[0]["aria-labelledby"]
        bars = parsed.all("rect", "bar", inside=figure)
        assert len(parsed.all("title", inside=figure)) == len(bars) + 1  # one per bar + the chart's
        assert len(parsed.all("text", "value", inside=figure)) == len(bars)
    assert "15/15: 2 students" in page
    assert "coroutines — Coroutines: 3 of 5 students with full marks (60%)" in page


def test_the_report_summarises_and_lists_every_student(book: Gradebook) -> None:
    class_of_five(book)
    page = render_class_report(book)
    parsed = Elements(page)
    rows = parsed.all("tr", "student-row")
    assert len(rows) == 5
    assert len(parsed.all("tr", "flagged")) == 1
    text = " ".join(" ".join(parsed.text).split())
    assert "students 5 mean score 13.0 / 15 median score 14 / 15 full marks 2 flagged for review 1" \
        in text
    assert "mallory 15/15 ⚑ flagged 5/5 10/10" in text


def test_common_failures_group_the_same_mistake(book: Gradebook) -> None:
    class_of_five(book)
    parsed = Elements(render_class_report(book))
    tables = parsed.all("table", "failures")
    assert [t["data-slug"] for t in tables] == ["coroutines", "gathering"]
    text = " ".join(" ".join(parsed.text).split())
    # "took 2.2 s", "took 2.01 s", "took 3.5 s": one mistake, three students, one example shown
    # (from the first student by name).
    assert "3 took 2.2 s in test_gathering_0, from <script>alert('name')</script>" in text
    assert "took 2.01 s" not in text and "took 3.5 s" not in text
    # The same message five times for one student counts one student.
    assert "1 <script>alert('message')</script> in test_coroutines_0, from <script>" in text
    assert "5 failing tests in all" in text


@pytest.mark.parametrize(("message", "pattern"), [
    ("slow_square(7, 0.5) raised NotImplementedError", "slow_square(N, N) raised NotImplementedError"),
    ("took 1e-3 s, expected -2", "took N s, expected N"),
    ("task_1 at 0x7f3a2b never awaited", "task_1 at 0x… never awaited"),
    ("  spread\n over lines ", "spread over lines"),
    ("", "(no message)"),
])
def test_normalise_message(message: str, pattern: str) -> None:
    assert normalise_message(message) == pattern


def test_an_empty_gradebook_renders(book: Gradebook) -> None:
    page = render_class_report(book)
    assert "No gradings yet" in page and page.rstrip().endswith("</html>")


def test_a_class_graded_out_of_different_maxima_is_binned_by_percent(book: Gradebook) -> None:
    book.record("ada", report(exercise("gathering", 10, ["x"])), "a", T0)  # 90%
    book.record("grace", full_marks(), "g", T0)  # 100%
    book.record("linus", report(exercise("tasks", 8, ["a"] * 8)), "l", T0)  # 0%
    parsed = Elements(render_class_report(book))
    bars = parsed.all("rect", "bar", inside="score-distribution")
    assert len(bars) == 10
    assert [float(b["data-value"]) for b in bars] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    assert float(bars[0]["height"]) * 2 == pytest.approx(float(bars[9]["height"]), abs=0.02)


# -- partial gradings, students not graded, files that are not gradebooks ------------------------

COURSE = [ex.slug for ex in _manifest.load()]


def whole_report() -> Report:
    return report(*(exercise(slug, 5) for slug in COURSE))


def test_a_partial_grading_never_stands_in_for_a_whole_one(book: Gradebook) -> None:
    book.record("ada", report(exercise("tasks", 15)), "h", T0, only=["tasks"])
    assert book.find("ada", "h", "0.1.0") is None  # a whole grading must grade everything
    assert book.find("ada", "h", "0.1.0", ["tasks"]) == report(exercise("tasks", 15))
    book.record("ada", whole_report(), "h", T0 + timedelta(minutes=1))
    assert book.find("ada", "h", "0.1.0") == whole_report()
    assert book.find("ada", "h", "0.1.0", ["queues"]) is None
    assert [g.only for g in book.latest_gradings()] == [None]


def test_a_version_1_gradebook_learns_which_gradings_were_partial(tmp_path: Path) -> None:
    # Version 1 recorded an --only grading like a whole one, under the same content hash.
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    for statement in _gradebook._V1.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.close()
    with Gradebook(path) as book:  # written with the current code, then made to look old
        book.record("ada", report(exercise("tasks", 15)), "same", T0)
        book.record("bob", whole_report(), "same", T0)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("UPDATE gradings SET only_slugs = NULL")
    db.execute("DROP TABLE ungraded")
    db.execute("ALTER TABLE gradings DROP COLUMN only_slugs")
    db.execute("PRAGMA user_version = 1")
    db.close()
    with Gradebook(path) as book:
        assert book.find("ada", "same", "0.1.0") is None  # no longer taken for a whole grading
        assert book.find("ada", "same", "0.1.0", ["tasks"]) is not None
        assert book.find("bob", "same", "0.1.0") == whole_report()
        assert {g.student: g.only for g in book.latest_gradings()} == {"ada": ["tasks"],
                                                                      "bob": None}


def test_students_not_graded_are_kept_with_why(book: Gradebook) -> None:
    book.record_ungraded("cyd", "no exercise module found", "0.1.0", T0)
    book.record("dee", full_marks(), "d", T0)
    book.record_ungraded("dee", "grading took longer than 900 s", "0.1.0", T0 + timedelta(hours=1))
    book.record_ungraded("eve", "old failure", "0.1.0", T0)
    book.record("eve", full_marks(), "e", T0 + timedelta(hours=1))  # graded since: not listed
    assert [(u.student, u.reason, u.graded_before) for u in book.not_graded()] == [
        ("cyd", "no exercise module found", False),
        ("dee", "grading took longer than 900 s", True)]


def test_csv_lists_partial_gradings_and_students_not_graded(book: Gradebook) -> None:
    book.record("ada", report(exercise("tasks", 15)), "a", T0, only=["tasks"])
    book.record("bob", full_marks(), "b", T0)
    book.record_ungraded("cyd", "a symbolic link, not a folder", "0.1.0", T0)
    out = io.StringIO()
    book.export_csv(out)
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert set(rows) == {"ada", "bob", "cyd"}
    assert (rows["ada"]["score"], rows["ada"]["graded_exercises"]) == ("15", "tasks")
    assert rows["bob"]["graded_exercises"] == "all" and rows["bob"]["not_graded"] == ""
    assert rows["cyd"]["score"] == "" and rows["cyd"]["not_graded"] == \
        "a symbolic link, not a folder"


def test_the_report_never_counts_a_partial_grading_as_a_grade(book: Gradebook) -> None:
    book.record("ada", full_marks(), "a", T0)  # 15/15
    book.record("bob", report(exercise("coroutines", 5), exercise("gathering", 10, ["x"] * 10)),
                "b", T0)  # 5/15
    book.record("cyd", report(exercise("tasks", 15)), "c", T0, only=["tasks"])  # 15/15 of tasks
    book.record_ungraded("dee", "no exercise module found <b>here</b>", "0.1.0", T0)
    parsed = Elements(render_class_report(book))
    text = " ".join(" ".join(parsed.text).split())
    assert "mean score 10.0 / 15 median score 10 / 15 full marks 1" in text
    assert "partial gradings 1 could not be graded 1" in text
    assert len(parsed.all("tr", "partial-grading")) == 1
    assert "cyd 15/15 partial: only tasks" in text
    bars = parsed.all("rect", "bar", inside="score-distribution")
    assert sum(float(b["data-value"]) for b in bars) == 2  # ada and bob, not cyd
    rows = parsed.all("tr", "not-graded-row", inside="not-graded")
    assert len(rows) == 1
    assert "dee no exercise module found <b>here</b>" in text  # escaped, shown as text


def test_a_class_nobody_could_grade_still_renders(book: Gradebook) -> None:
    book.record_ungraded("cyd", "no exercise module found", "0.1.0", T0)
    page = render_class_report(book)
    assert "No gradings yet" not in page and "no exercise module found" in page


@pytest.mark.parametrize(("make", "says"), [
    (lambda p: p.write_text("student,score\n"), "is not a gradebook (not an SQLite file)"),
    (lambda p: p.mkdir(), "is a folder, not a gradebook"),
    (lambda p: sqlite3.connect(p).execute("CREATE TABLE songs (title TEXT)").connection.commit(),
     "not an aiograde gradebook (it has tables songs)"),
])
def test_a_file_that_is_not_a_gradebook_is_refused(tmp_path: Path, make, says: str) -> None:
    path = tmp_path / "grades"
    make(path)
    with pytest.raises(GradebookError, match=re.escape(says)):
        Gradebook(path)
    with pytest.raises(GradebookError, match=re.escape(says)):
        Gradebook.check(path)


def test_a_gradebook_in_a_missing_folder_is_refused_and_not_created(tmp_path: Path) -> None:
    for attempt in (Gradebook, Gradebook.check):
        with pytest.raises(GradebookError, match="does not exist"):
            attempt(tmp_path / "nowhere" / "book.db")
    Gradebook.check(tmp_path / "new.db")
    assert not (tmp_path / "new.db").exists()  # checking creates nothing


def test_a_gradebook_that_cannot_be_written_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(_gradebook, "BUSY_TIMEOUT", 0.2)
    with Gradebook(tmp_path / "class.db") as book:
        other = sqlite3.connect(tmp_path / "class.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer that never lets go
        try:
            with pytest.raises(GradebookError, match=r"could not write the gradebook .*locked"):
                book.record("ada", full_marks(), "h", T0)
        finally:
            other.execute("ROLLBACK")
            other.close()
        book.record("ada", full_marks(), "h", T0)  # and it goes on working
        assert len(book.latest()) == 1
