"""The class report: one self-contained HTML page about the latest grading of every student.

No network and no scripts: the charts are inline SVG drawn here, the style is inline CSS.
Everything that comes from a submission (student names, failure messages, ...) is escaped.
A partial grading (``--only``) is marked as such and never counted as a whole grade in the
summary or the score distribution; students who could not be graded are listed with why.
"""

from __future__ import annotations

import html
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from ._gradebook import Gradebook, Ungraded, exercise_order
from ._report import Report

DEFAULT_TITLE = "aiograde class report"
TOP_FAILURES = 5  # failure messages shown per exercise
EXAMPLE_CHARS = 600  # an example message longer than this is cut

HISTOGRAM_COLOUR = "#2563eb"
PASS_COLOUR = "#15803d"
TRACK_COLOUR = "#e5e7eb"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# -- failure messages --------------------------------------------------------------------------

_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_NUMBER = re.compile(r"(?<![A-Za-z_\d])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_SPACE = re.compile(r"\s+")


def normalise_message(message: str) -> str:
    """A failure message with its numbers taken out, so one mistake groups together whatever
    the arguments were: ``slow_square(7, 0.5) raised X`` and ``slow_square(3, 2.0) raised X``
    are both ``slow_square(N, N) raised X``. Numbers inside names (``task_1``) are kept."""
    text = _HEX.sub("\0", message.replace("\0", ""))  # addresses, kept apart from numbers
    text = _NUMBER.sub("N", text).replace("\0", "0x…")
    return _SPACE.sub(" ", text).strip() or "(no message)"


@dataclass
class FailureGroup:
    pattern: str
    students: set[str] = field(default_factory=set)
    occurrences: int = 0
    example: str = ""
    example_test: str = ""
    example_student: str = ""


def common_failures(latest: list[tuple[str, Report, datetime]]) -> dict[str, list[FailureGroup]]:
    """Per exercise slug, the most common failure messages (by how many students met them)."""
    groups: dict[str, dict[str, FailureGroup]] = defaultdict(dict)
    for student, report, _ in latest:
        for ex in report.exercises:
            failing = [(t.name, t.message) for t in ex.tests if t.status != "passed"]
            if not failing and ex.score < ex.max_score and ex.problem:
                failing = [("", ex.problem)]
            for test, message in failing:
                pattern = normalise_message(message)
                group = groups[ex.slug].setdefault(pattern, FailureGroup(pattern))
                if not group.example:
                    group.example, group.example_test, group.example_student = message, test, student
                group.students.add(student)
                group.occurrences += 1
    return {slug: sorted(found.values(), key=lambda g: (-len(g.students), -g.occurrences, g.pattern))
            [:TOP_FAILURES] for slug, found in groups.items()}


# -- charts ------------------------------------------------------------------------------------

@dataclass
class Bar:
    label: str
    value: float  # what the bar's size shows
    text: str  # the label drawn by the bar
    tooltip: str


def _ticks(top: int) -> list[int]:
    step = max(1, -(-top // 5))
    return list(range(0, top + 1, step))


def column_chart(chart_id: str, bars: list[Bar], *, x_title: str, y_title: str,
                 summary: str, colour: str = HISTOGRAM_COLOUR) -> str:
    """Vertical bars whose heights are proportional to their values (the tallest fills the plot)."""
    left, right, top, bottom = 56, 16, 24, 56
    plot_h = 220
    slot = max(28, min(72, 640 // max(1, len(bars))))
    width = left + right + slot * len(bars)
    height = top + plot_h + bottom
    biggest = max([b.value for b in bars] + [1])
    ymax = max(1, int(-(-biggest // 1)))
    scale = plot_h / ymax
    base = top + plot_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'class="chart">',
        f'<title id="{chart_id}-title">{_e(y_title)} by {_e(x_title)}</title>',
        f'<desc id="{chart_id}-desc">{_e(summary)}</desc>',
    ]
    for tick in _ticks(ymax):
        y = base - tick * scale
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.2f}" '
                     f'y2="{y:.2f}"/>')
        parts.append(f'<text class="tick" x="{left - 8}" y="{y + 4:.2f}" '
                     f'text-anchor="end">{tick}</text>')
    for i, bar in enumerate(bars):
        x = left + i * slot + slot * 0.12
        w = slot * 0.76
        h = bar.value * scale
        parts.append(
            f'<g class="bar-group"><rect class="bar" x="{x:.2f}" y="{base - h:.2f}" width="{w:.2f}" '
            f'height="{h:.2f}" fill="{colour}" data-label="{_e(bar.label)}" '
            f'data-value="{bar.value:g}"><title>{_e(bar.tooltip)}</title></rect>'
            f'<text class="value{"" if bar.value else " zero"}" x="{x + w / 2:.2f}" '
            f'y="{base - h - 6:.2f}" '
            f'text-anchor="middle">{_e(bar.text)}</text>'
            f'<text class="label" x="{x + w / 2:.2f}" y="{base + 18}" '
            f'text-anchor="middle">{_e(bar.label)}</text></g>')
    parts.append(f'<line class="axis" x1="{left}" x2="{width - right}" y1="{base}" y2="{base}"/>')
    parts.append(f'<text class="axis-title" x="{left + (width - left - right) / 2:.2f}" '
                 f'y="{height - 10}" text-anchor="middle">{_e(x_title)}</text>')
    parts.append(f'<text class="axis-title" transform="translate(16 {top + plot_h / 2:.2f}) '
                 f'rotate(-90)" text-anchor="middle">{_e(y_title)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(chart_id: str, bars: list[Bar], *, title: str, summary: str,
              colour: str = PASS_COLOUR) -> str:
    """Horizontal bars of shares (0 to 1): a bar's length is proportional to its share, and a
    grey track behind it stands for 100%."""
    label_w, right, top, row = 190, 130, 12, 30
    plot_w = 460
    width = label_w + plot_w + right
    height = top * 2 + row * len(bars) + 22
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'class="chart">',
        f'<title id="{chart_id}-title">{_e(title)}</title>',
        f'<desc id="{chart_id}-desc">{_e(summary)}</desc>',
    ]
    for pct in (0, 25, 50, 75, 100):
        x = label_w + plot_w * pct / 100
        parts.append(f'<line class="grid" x1="{x:.2f}" x2="{x:.2f}" y1="{top}" '
                     f'y2="{top + row * len(bars)}"/>')
        parts.append(f'<text class="tick" x="{x:.2f}" y="{top + row * len(bars) + 16}" '
                     f'text-anchor="middle">{pct}%</text>')
    for i, bar in enumerate(bars):
        y = top + i * row + 5
        h = row - 10
        w = plot_w * bar.value
        parts.append(
            f'<g class="bar-group"><text class="label" x="{label_w - 10}" y="{y + h / 2 + 5:.2f}" '
            f'text-anchor="end">{_e(bar.label)}</text>'
            f'<rect class="track" x="{label_w}" y="{y}" width="{plot_w}" height="{h}" '
            f'fill="{TRACK_COLOUR}"/>'
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w:.2f}" height="{h}" fill="{colour}" '
            f'data-label="{_e(bar.label)}" data-value="{bar.value:.6g}">'
            f'<title>{_e(bar.tooltip)}</title></rect>'
            f'<text class="value" x="{label_w + plot_w + 8}" y="{y + h / 2 + 5:.2f}">'
            f'{_e(bar.text)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


# -- the page ----------------------------------------------------------------------------------

def _percent(report: Report) -> float:
    return 100.0 * report.score / report.max_score if report.max_score else 0.0


def _flagged(report: Report) -> bool:
    return bool(report.flagged) or any(ex.findings for ex in report.exercises)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _histogram(latest: list[tuple[str, Report, datetime]]) -> str:
    maxima = {r.max_score for _, r, _ in latest}
    if len(maxima) == 1 and 0 < (top := maxima.pop()) <= 20:
        counts = Counter(r.score for _, r, _ in latest)
        bars = [Bar(str(s), counts[s], str(counts[s]),
                    f"{s}/{top}: {_plural(counts[s], 'student')}") for s in range(top + 1)]
        x_title = f"score (out of {top})"
    else:
        counts = Counter(min(int(_percent(r) // 10), 9) for _, r, _ in latest)
        bars = []
        for b in range(10):
            label = f"{b * 10}–{b * 10 + 9}%" if b < 9 else "90–100%"
            bars.append(Bar(label, counts[b], str(counts[b]),
                            f"{label}: {_plural(counts[b], 'student')}"))
        x_title = "score (percent of the maximum)"
    summary = "; ".join(b.tooltip for b in bars)
    return column_chart("score-distribution", bars, x_title=x_title, y_title="students",
                        summary=f"Number of students at each score. {summary}.")


def _pass_rates(latest: list[tuple[str, Report, datetime]], slugs: list[str],
                titles: dict[str, str]) -> str:
    bars = []
    for slug in slugs:
        results = [ex for _, r, _ in latest for ex in r.exercises if ex.slug == slug]
        full = sum(1 for ex in results if ex.max_score > 0 and ex.score == ex.max_score)
        share = full / len(results) if results else 0.0
        bars.append(Bar(slug, share, f"{share:.0%} ({full}/{len(results)})",
                        f"{slug} — {titles.get(slug, slug)}: {full} of "
                        f"{_plural(len(results), 'student')} with full marks ({share:.0%})"))
    summary = "; ".join(b.tooltip for b in bars)
    return bar_chart("pass-rates", bars, title="Share of students with full marks, per exercise",
                     summary=f"Share of students with full marks on each exercise. {summary}.")


_STYLE = """
:root { color-scheme: light; --ink: #111827; --muted: #4b5563; --line: #d1d5db; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans",
       sans-serif; color: var(--ink); background: #f9fafb; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 32px 0 10px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin: 18px 0 6px; }
h3 small { color: var(--muted); font-weight: normal; }
.lede { color: var(--muted); margin: 0 0 16px; }
.stats { display: flex; flex-wrap: wrap; gap: 12px; margin: 0; padding: 0; }
.stat { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px;
        min-width: 150px; }
.stat dt { color: var(--muted); font-size: .85rem; }
.stat dd { margin: 0; font-size: 1.5rem; font-weight: 600; }
.stat.alert dd { color: #b91c1c; }
figure { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 16px 0;
         padding: 12px 16px; overflow-x: auto; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg.chart { max-width: 100%; height: auto; font-family: inherit; }
svg .grid { stroke: #e5e7eb; stroke-width: 1; }
svg .axis { stroke: #6b7280; stroke-width: 1.5; }
svg .tick, svg .label { font-size: 12px; fill: #374151; }
svg .value { font-size: 12px; font-weight: 600; fill: #111827; }
svg .axis-title { font-size: 12px; fill: #4b5563; }
svg .value.zero { font-weight: normal; fill: #6b7280; }
table { border-collapse: collapse; background: #fff; width: 100%; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.failures td.count { width: 6em; }
.failures pre { margin: 0; white-space: pre-wrap; word-break: break-word; font-size: .85rem; }
.failures .seen { color: var(--muted); font-size: .8rem; }
.passed { background: #dcfce7; }
.partial { background: #fef9c3; }
.failed, .missing { background: #fee2e2; }
.error { background: #f3e8ff; }
.none { color: var(--muted); }
tr.flagged td:first-child { box-shadow: inset 4px 0 0 #b91c1c; }
.flag { color: #b91c1c; font-weight: 600; white-space: nowrap; }
.partial-mark { color: #92400e; font-weight: 600; }
.student { font-weight: 600; overflow-wrap: anywhere; min-width: 8em; }
#student-table { font-size: .9rem; }
#student-table th.ex { font-size: .8rem; min-width: 4.2em; }
#student-table td.when { white-space: nowrap; }
.scroll { overflow-x: auto; }
.empty { color: var(--muted); font-style: italic; }
"""


def render_class_report(book: Gradebook, title: str = DEFAULT_TITLE) -> str:
    """The class report of this gradebook's latest gradings, as one self-contained HTML page."""
    gradings = book.latest_gradings()
    ungraded = book.not_graded()
    latest = [(g.student, g.report, g.graded_at) for g in gradings]
    partial = {g.student: g.only or [] for g in gradings if g.partial}
    whole = [(student, r, at) for student, r, at in latest if student not in partial]
    slugs = exercise_order(r for _, r, _ in latest)
    titles: dict[str, str] = {}
    for _, report, _ in latest:
        for ex in report.exercises:
            titles.setdefault(ex.slug, ex.title)

    out = ['<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
           '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
           f'<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n'
           f'<header><h1>{_e(title)}</h1>\n']
    if not latest and not ungraded:
        out.append('<p class="empty">No gradings yet: grade the class first.</p></header>\n'
                   '</main>\n</body>\n</html>\n')
        return "".join(out)
    if not latest:
        out.append('<p class="lede">No student could be graded yet.</p></header>\n')
        out.append(_not_graded_section(ungraded))
        out.append("</main>\n</body>\n</html>\n")
        return "".join(out)

    first = min(at for _, _, at in latest)
    last = max(at for _, _, at in latest)
    versions = sorted({r.grader_version for _, r, _ in latest})
    first_text, last_text = f"{first:%Y-%m-%d %H:%M}", f"{last:%Y-%m-%d %H:%M}"
    when = (f"on {last_text} UTC" if first_text == last_text
            else f"from {first_text} to {last_text} UTC")
    out.append(f'<p class="lede">The latest grading of each of {_plural(len(latest), "student")}, '
               f'graded {when} by aiograde {_e(", ".join(versions))}.')
    if partial:
        out.append(f' {_plural(len(partial), "student")} had only some exercises graded '
                   '(<code>--only</code>): marked <em>partial</em> below, and left out of the '
                   'scores and the score distribution, which are of whole gradings only.')
    out.append('</p></header>\n')

    # Summary: of whole gradings only (a partial grading is not a grade).
    percents = [_percent(r) for _, r, _ in whole]
    maxima = {r.max_score for _, r, _ in whole}
    flagged = sum(1 for _, r, _ in latest if _flagged(r))
    full = sum(1 for _, r, _ in whole if r.max_score and r.score == r.max_score)
    if not whole:
        mean = median = "–"
    elif len(maxima) == 1:
        top = next(iter(maxima))
        scores = [r.score for _, r, _ in whole]
        mean = f"{statistics.fmean(scores):.1f} / {top}"
        median = f"{statistics.median(scores):g} / {top}"
    else:
        mean = f"{statistics.fmean(percents):.0f}%"
        median = f"{statistics.median(percents):.0f}%"
    stats = [("students", str(len(latest)), ""), ("mean score", mean, ""),
             ("median score", median, ""), ("full marks", str(full), ""),
             ("flagged for review", str(flagged), " alert" if flagged else ""),
             ("partial gradings", str(len(partial)), " alert" if partial else ""),
             ("could not be graded", str(len(ungraded)), " alert" if ungraded else "")]
    out.append('<section id="summary" aria-labelledby="summary-heading">\n'
               '<h2 id="summary-heading">Summary</h2>\n<dl class="stats">')
    for name, value, extra in stats:
        out.append(f'<div class="stat{extra}"><dt>{_e(name)}</dt><dd>{_e(value)}</dd></div>')
    out.append("</dl>\n</section>\n")

    # Charts.
    out.append('<section id="charts" aria-labelledby="charts-heading">\n'
               '<h2 id="charts-heading">Charts</h2>\n')
    out.append('<figure id="score-distribution" aria-labelledby="score-distribution-caption">'
               '<figcaption id="score-distribution-caption">Score distribution: how many students '
               'got each score (whole gradings)</figcaption>\n' + _histogram(whole)
               + "</figure>\n")
    out.append('<figure id="pass-rates" aria-labelledby="pass-rates-caption">'
               '<figcaption id="pass-rates-caption">Pass rate per exercise: the share of students '
               'with full marks</figcaption>\n' + _pass_rates(latest, slugs, titles) + "</figure>\n")
    out.append("</section>\n")

    # Most common failures.
    failures = common_failures(latest)
    out.append('<section id="common-failures" aria-labelledby="failures-heading">\n'
               '<h2 id="failures-heading">Most common failures</h2>\n'
               '<p class="lede">Per exercise, failure messages with their numbers taken out, so the '
               'same mistake groups together; the count is of students.</p>\n')
    if not failures:
        out.append('<p class="empty">No failures: every test passed.</p>\n')
    for slug in slugs:
        groups = failures.get(slug)
        if not groups:
            continue
        out.append(f'<h3 id="failures-{_e(slug)}">{_e(slug)} <small>{_e(titles.get(slug, ""))}'
                   f'</small></h3>\n<table class="failures" data-slug="{_e(slug)}">'
                   '<thead><tr><th class="num" scope="col">students</th>'
                   '<th scope="col">message (one example)</th></tr></thead><tbody>\n')
        for group in groups:
            example = group.example
            if len(example) > EXAMPLE_CHARS:
                example = example[:EXAMPLE_CHARS] + " …"
            seen = f"in {group.example_test}, " if group.example_test else ""
            times = "" if group.occurrences == len(group.students) else \
                f"; {group.occurrences} failing tests in all"
            out.append(f'<tr class="failure"><td class="num count">{len(group.students)}</td>'
                       f'<td><pre>{_e(example)}</pre><div class="seen">{_e(seen)}'
                       f'from {_e(group.example_student)}{_e(times)}</div></td></tr>\n')
        out.append("</tbody></table>\n")
    out.append("</section>\n")

    # Students.
    out.append('<section id="students" aria-labelledby="students-heading">\n'
               '<h2 id="students-heading">Students</h2>\n<div class="scroll"><table id="student-table">'
               '<thead><tr><th scope="col">student</th><th class="num" scope="col">score</th>'
               '<th scope="col">review</th>')
    for slug in slugs:
        # Break long slugs after their underscores, so thirteen columns fit the page.
        name = "_<wbr>".join(_e(part) for part in slug.split("_"))
        out.append(f'<th class="num ex" scope="col" title="{_e(titles.get(slug, slug))}">{name}</th>')
    out.append('<th scope="col">graded (UTC)</th></tr></thead><tbody>\n')
    for student, report, at in latest:
        flag = _flagged(report)
        only = partial.get(student)
        classes = ("student-row" + (" flagged" if flag else "")
                   + (" partial-grading" if only is not None else ""))
        out.append(f'<tr class="{classes}">'
                   f'<th scope="row" class="student">{_e(student)}</th>'
                   f'<td class="num">{report.score}/{report.max_score}</td>')
        marks = []
        if flag:
            marks.append('<span class="flag" role="img" aria-label="flagged for review">'
                         '⚑ flagged</span>')
        if only is not None:
            marks.append(f'<span class="partial-mark" title="graded with --only: '
                         f'{_e(", ".join(only))}">partial: only {_e(", ".join(only))}</span>')
        out.append(f"<td>{' '.join(marks)}</td>")
        by_slug = {ex.slug: ex for ex in report.exercises}
        for slug in slugs:
            result = by_slug.get(slug)
            if result is None:
                out.append('<td class="num none" title="not graded">–</td>')
            else:
                out.append(f'<td class="num {_e(result.status)}" '
                           f'title="{_e(slug)}: {_e(result.status)}">'
                           f'{result.score}/{result.max_score}</td>')
        out.append(f'<td class="when">{at:%Y-%m-%d %H:%M}</td></tr>\n')
    out.append("</tbody></table></div>\n</section>\n")
    if ungraded:
        out.append(_not_graded_section(ungraded))
    out.append("</main>\n</body>\n</html>\n")
    return "".join(out)


def _not_graded_section(ungraded: list[Ungraded]) -> str:
    out = ['<section id="not-graded" aria-labelledby="not-graded-heading">\n'
           '<h2 id="not-graded-heading">Could not be graded</h2>\n'
           '<p class="lede">Students whose latest attempt produced no grading, and why.</p>\n'
           '<div class="scroll"><table id="not-graded-table"><thead><tr>'
           '<th scope="col">student</th><th scope="col">why</th>'
           '<th scope="col">attempted (UTC)</th><th scope="col">earlier grading</th>'
           '</tr></thead><tbody>\n']
    for item in ungraded:
        earlier = "shown above" if item.graded_before else "none"
        out.append(f'<tr class="not-graded-row"><th scope="row" class="student">'
                   f'{_e(item.student)}</th><td>{_e(item.reason)}</td>'
                   f'<td class="when">{item.attempted_at:%Y-%m-%d %H:%M}</td>'
                   f'<td>{earlier}</td></tr>\n')
    out.append("</tbody></table></div>\n</section>\n")
    return "".join(out)
