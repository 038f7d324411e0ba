"""The manifest loader refuses a bad entry with a message that says what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader._manifest import ManifestError, load

GOOD = '''
format_version = 1

[[exercise]]
slug = "gathering"
title = "Running coroutines concurrently"
points = 10
docs = "https://docs.python.org/3/library/asyncio-task.html"
hints = ["first", "second"]
'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "curriculum.toml"
    path.write_text(text)
    return path


def test_the_shipped_manifest_is_the_curriculum_in_order() -> None:
    assert [e.slug for e in load()] == [
        "coroutines", "gathering", "delayed_calls", "timeouts", "futures", "tasks", "executors",
        "thread_bridge", "synchronization", "queues", "streams", "subprocesses", "async_iterators"]


def test_a_good_entry_loads(tmp_path: Path) -> None:
    (exercise,) = load(write(tmp_path, GOOD))
    assert (exercise.slug, exercise.points, exercise.hints) == ("gathering", 10, ("first", "second"))
    assert exercise.time_limit > 0


@pytest.mark.parametrize(("change", "message"), [
    (('points = 10', 'points = 0'), "points must be a positive whole number"),
    (('points = 10', 'points = "ten"'), "'points' must be int"),
    (('hints = ["first", "second"]', 'hints = ["only one"]'), "at least two hints"),
    (('slug = "gathering"', 'slug = "Gathering-2"'), "lower-case Python module name"),
    (('docs = "https://', 'docs = "http://'), "https:// link"),
    (('title = "Running coroutines concurrently"\n', ''), "missing field 'title'"),
    (('points = 10', 'points = 10\npoint = 3'), "unknown field(s) ['point']"),
    (('points = 10', 'points = 10\ntime_limit = -1'), "time_limit must be seconds"),
])
def test_a_bad_entry_is_refused_with_what_to_fix(tmp_path: Path, change: tuple[str, str],
                                                   message: str) -> None:
    with pytest.raises(ManifestError, match="exercise #1") as info:
        load(write(tmp_path, GOOD.replace(*change)))
    assert message in str(info.value)


def test_duplicate_slugs_and_bad_toml_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="'gathering' appears twice"):
        load(write(tmp_path, GOOD + GOOD.replace("format_version = 1", "")))
    with pytest.raises(ManifestError, match="not valid TOML"):
        load(write(tmp_path, "[[exercise]\nslug="))
    with pytest.raises(ManifestError, match="no \\[\\[exercise\\]\\] entries"):
        load(write(tmp_path, "format_version = 1\n"))


def test_a_manifest_of_another_format_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="format_version is 2; this grader reads format_version = 1"):
        load(write(tmp_path, GOOD.replace("format_version = 1", "format_version = 2")))
    with pytest.raises(ManifestError, match="format_version is None"):
        load(write(tmp_path, GOOD.replace("format_version = 1", "")))
    with pytest.raises(ManifestError, match=r"unknown top-level key\(s\) \['title'\]"):
        load(write(tmp_path, "title = 'x'\n" + GOOD))
