"""The class report as a person sees it: rendered by a real headless Chromium.

Without ``chromium`` this is skipped, except in CI (``CI`` set), where it must be installed.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader._classreport import HISTOGRAM_COLOUR, PASS_COLOUR, render_class_report
from grader._gradebook import Gradebook
from grader._report import ExerciseResult, Finding, Report
from grader._report import TestResult as Outcome

WIDTH, HEIGHT = 1200, 2000
T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
MAXIMA = {"coroutines": 5, "gathering": 10, "tasks": 5}
NAUGHTY_NAME = "<img src=x onerror=alert(1)>"
NAUGHTY_MESSAGE = "<script>document.title='pwned'</script> returned None"


def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists()
                                         else None)
    if found is None:
        reason = "chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must install it")
        pytest.skip(reason)
    return found


def student_report(failures: dict[str, list[str]], findings: list[Finding] = ()) -> Report:
    exercises = []
    for slug, points in MAXIMA.items():
        failed = failures.get(slug, [])
        tests = [Outcome(f"test_{slug}_{i}", 0, 1, "failed", m, False) for i, m in enumerate(failed)]
        if len(failed) < points:
            tests.insert(0, Outcome(f"test_{slug}_rest", points - len(failed), points - len(failed),
                                    "passed", "", False))
        score = points - len(failed)
        status = "passed" if score == points else "partial" if score else "failed"
        exercises.append(ExerciseResult(slug, slug.title(), score, points, status, tests,
                                        findings=list(findings) if slug == "gathering" else []))
    return Report("submission", sum(e.score for e in exercises), sum(MAXIMA.values()), exercises,
                  "0.1.0", 2.5, flagged=bool(findings))


def slow(seconds: float) -> str:
    return f"squares_concurrently([1..10], delay=1.0) took {seconds} s; expected about 1.0 s"


STUB = "raised NotImplementedError: this function is not implemented yet."
CLASS = {  # student: failing messages per exercise
    "ada": {},
    "bea": {},
    "cy": {},
    "dev": {"gathering": [slow(2.0), slow(2.5)]},
    "eli": {"gathering": [slow(3.1)] * 3, "tasks": ["the task was never awaited"]},
    "fay": {"coroutines": [STUB] * 5},
    "gus": {"coroutines": ["add(4, 5) returned None, expected 9", "add(1, 1) returned None, expected 2"]},
    "hal": {slug: [STUB] * points for slug, points in MAXIMA.items()},
    "ivy": {"tasks": [f"cancelled task {n} still running after 0.5 s" for n in range(5)]},
    NAUGHTY_NAME: {"coroutines": [NAUGHTY_MESSAGE]},
    "mallory": {},
    "zed": {"gathering": [slow(4.0)] * 5},
}
SCORES = {name: 20 - sum(len(m) for m in failing.values()) for name, failing in CLASS.items()}
FULL_MARKS = {slug: sum(1 for f in CLASS.values() if not f.get(slug)) / len(CLASS) for slug in MAXIMA}


class Dom(HTMLParser):
    """Start tags with their attributes and the ids of the elements around them; text per tag."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str], list[str]]] = []
        self.stack: list[tuple[str, str]] = []
        self.text_in: dict[str, list[str]] = {}
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.found.append((tag, values, [i for _, i in self.stack if i]))
        if tag not in ("meta", "br", "wbr", "img", "link", "input"):
            self.stack.append((tag, values.get("id", "")))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.text_in.setdefault(self.stack[-1][0], []).append(data)

    def all(self, tag: str, cls: str = "", inside: str = "") -> list[dict[str, str]]:
        return [a for t, a, ids in self.found if t == tag and (not inside or inside in ids)
                and (not cls or cls in a.get("class", "").split())]


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) bytes of an 8-bit, non-interlaced PNG, with zlib only."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 4 if colour == 6 else 3
    stride = width * bpp
    raw = zlib.decompress(b"".join(chunks))
    low = int.from_bytes(b"\x7f" * stride, "big")
    high = int.from_bytes(b"\x80" * stride, "big")
    previous, rows = bytes(stride), []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1:start + 1 + stride]
        if kind == 0:
            row = line
        elif kind == 2:  # "up": add the row above, bytewise, all at once
            a, b = int.from_bytes(line, "big"), int.from_bytes(previous, "big")
            row = (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride, "big")
        else:
            out = bytearray(line)
            for i in range(stride):
                left = out[i - bpp] if i >= bpp else 0
                if kind == 1:
                    out[i] = (out[i] + left) & 255
                elif kind == 3:
                    out[i] = (out[i] + ((left + previous[i]) >> 1)) & 255
                else:
                    up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
                    guess = left + up - corner
                    pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                    out[i] = (out[i] + (left if pa <= pb and pa <= pc else up if pb <= pc
                                        else corner)) & 255
            row = bytes(out)
        rows.append(row)
        previous = row
    return width, height, [bytes(b for i, b in enumerate(r) if i % bpp < 3) if bpp == 4 else r
                           for r in rows]


def near(pixel: bytes, colour: str, tolerance: int = 8) -> bool:
    want = bytes.fromhex(colour.lstrip("#"))
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, want, strict=True))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The class report of twelve students, as Chromium's DOM and as a screenshot."""
    browser = chromium()
    folder = tmp_path_factory.mktemp("class-report")
    with Gradebook(folder / "class.db") as book:
        for n, (name, failing) in enumerate(CLASS.items()):
            findings = ([Finding("patches-stdlib", "assigns asyncio.sleep <b>globally</b>",
                                 "gathering.py", 4, "static")] if name == "mallory" else [])
            book.record(name, student_report(failing, findings), f"hash-{n}", T0 + timedelta(minutes=n))
        page = folder / "report.html"
        page.write_text(render_class_report(book, title="Asyncio, spring term"), encoding="utf-8")
    screenshot = folder / "report.png"

    def run(*extra: str, profile: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             f"--user-data-dir={folder / profile}", *extra, page.as_uri()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    # Both at once: each Chromium start takes a second or two.
    dump = run("--dump-dom", profile="dom")
    shot = run(f"--screenshot={screenshot}", f"--window-size={WIDTH},{HEIGHT}", profile="shot")
    try:
        dom, dom_err = dump.communicate(timeout=60)
        _, shot_err = shot.communicate(timeout=60)
    finally:
        for process in (dump, shot):
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert dump.returncode == 0, dom_err[-2000:]
    assert shot.returncode == 0, shot_err[-2000:]
    return dom, screenshot


def test_the_browser_renders_both_charts_with_a_bar_per_datum(rendered: tuple[str, Path]) -> None:
    dom = Dom(rendered[0])
    assert [f["id"] for f in dom.all("figure")] == ["score-distribution", "pass-rates"]
    bars = dom.all("rect", "bar", inside="score-distribution")
    assert [b["data-label"] for b in bars] == [str(s) for s in range(21)]
    counts = Counter(SCORES.values())
    assert [float(b["data-value"]) for b in bars] == [counts[s] for s in range(21)]
    unit = float(bars[20]["height"]) / counts[20]
    assert [float(b["height"]) for b in bars] == pytest.approx([counts[s] * unit for s in range(21)],
                                                                abs=0.02)
    rates = dom.all("rect", "bar", inside="pass-rates")
    assert [b["data-label"] for b in rates] == list(MAXIMA)
    assert [float(b["data-value"]) for b in rates] == pytest.approx(list(FULL_MARKS.values()),
                                                                     abs=1e-5)


def test_the_browser_shows_a_row_per_student_with_content_escaped(rendered: tuple[str, Path]) -> None:
    dom = Dom(rendered[0])
    rows = dom.all("tr", "student-row")
    assert len(rows) == len(CLASS) == 12
    assert len(dom.all("tr", "flagged")) == 1
    assert not dom.all("script") and not dom.all("img") and not dom.all("b")
    assert NAUGHTY_NAME in dom.text_in["th"]  # the name is text in its row, as it was
    assert NAUGHTY_MESSAGE in dom.text_in["pre"]
    assert sorted(dom.text_in["th"][-12:]) == sorted(CLASS)
    failures = dom.all("table", "failures")
    assert [t["data-slug"] for t in failures] == list(MAXIMA)


def test_the_screenshot_shows_the_report(rendered: tuple[str, Path]) -> None:
    width, height, rows = png_pixels(rendered[1].read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    colours = Counter(row[i:i + 3] for row in rows for i in range(0, len(row), 3))
    assert len(colours) > 50, f"only {len(colours)} colours: a blank page?"
    assert colours.most_common(1)[0][1] < 0.8 * width * height

    # Each pixel once: blue ones counted per column (histogram), green ones per row (pass rates).
    blue = {c for c in colours if near(c, HISTOGRAM_COLOUR)}
    green = {c for c in colours if near(c, PASS_COLOUR)}
    blue_columns, green_rows = [0] * width, [0] * height
    for y, row in enumerate(rows):
        for x in range(width):
            pixel = row[3 * x:3 * x + 3]
            if pixel in blue:
                blue_columns[x] += 1
            elif pixel in green:
                green_rows[y] += 1

    # The histogram as drawn: each blue bar's height in pixels is proportional to its count.
    drawn, run = [], 0
    for column in [*blue_columns, 0]:
        if column:
            run = max(run, column)
        elif run:
            drawn.append(run)
            run = 0
    counts = Counter(SCORES.values())
    expected = [counts[s] for s in range(21) if counts[s]]
    assert len(drawn) == len(expected), (drawn, expected)
    unit = max(drawn) / max(expected)
    assert drawn == pytest.approx([c * unit for c in expected], abs=2.5)

    # The pass rates as drawn: each green bar's length is proportional to its share.
    lengths, run = [], 0
    for length in [*green_rows, 0]:
        if length:
            run = max(run, length)
        elif run:
            lengths.append(run)
            run = 0
    shares = list(FULL_MARKS.values())
    assert len(lengths) == len(shares), (lengths, shares)
    full = lengths[shares.index(max(shares))] / max(shares)
    assert lengths == pytest.approx([s * full for s in shares], abs=2.5)
