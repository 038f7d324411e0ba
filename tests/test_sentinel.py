"""The sentinel's comparison (grader/_child/sentinel.py), in this process: a namespace
watched by its dict's version tag, and one compared name by name, both name what changed."""

from __future__ import annotations

import types

import pytest

from grader._child import sentinel


def _module() -> types.ModuleType:
    module = types.ModuleType("watched_for_test")
    exec("LIMIT = 0.1\nRULES = ['sleep']\n\nclass Probe:\n    most = 0\n\n"
         "def make():\n    seen = []\n    def add(x):\n        seen.append(x)\n    return add\n"
         "added = make()\n", vars(module))
    return module


def test_version_tags_are_read_on_this_interpreter() -> None:
    # CPython 3.11 to 3.13 all keep the tag where sentinel reads it; without it the grader
    # still works (name by name), but slower: this says which one CI measured.
    assert sentinel.VERSION_TAGS


@pytest.mark.parametrize("change, named", [
    (lambda m: setattr(m, "LIMIT", float("inf")), "watched_for_test.LIMIT"),
    (lambda m: delattr(m, "RULES"), "watched_for_test.RULES"),
    (lambda m: m.RULES.append("open"), "watched_for_test.RULES (contents)"),
    (lambda m: setattr(m.Probe, "most", 5), "watched_for_test.Probe.most"),
    (lambda m: setattr(m.added.__closure__[0], "cell_contents", []),
     "watched_for_test.add closure[0]"),
])
def test_a_change_is_found_and_named(change: object, named: str) -> None:
    module = _module()
    watched = sentinel.renew(sentinel.bundle(sentinel.snapshot([module], [], [])))
    assert sentinel._changes(watched)[0] == []
    change(module)  # type: ignore[operator]
    assert named in [what for what, _ in sentinel._changes(watched)[0]]


def test_names_added_to_a_namespace_are_no_change() -> None:
    # A submodule imported, or a lazy module __getattr__ binding a global (as
    # concurrent.futures does for ProcessPoolExecutor): the namespace gains a name, its
    # version moves on, and no name the snapshot knew changed. After that, the new
    # version is the one expected: the next comparison is the fast one again.
    module = _module()
    watched = sentinel.renew(sentinel.bundle(sentinel.snapshot([module], [], [])))
    module.ProcessPoolExecutor = object  # type: ignore[attr-defined]
    found, after = sentinel._changes(watched)
    assert found == [] and after[6] != watched[6]
    assert sentinel._changes(after)[1][6] == after[6]
    module.LIMIT = 0  # type: ignore[attr-defined]
    assert [what for what, _ in sentinel._changes(after)[0]] == ["watched_for_test.LIMIT"]


@pytest.mark.parametrize("change, named", [
    (lambda m: setattr(m, "len", lambda x: 0), "watched_for_test.len"),
    (lambda m: setattr(m.Probe, "__eq__", lambda a, b: True), "watched_for_test.Probe.__eq__"),
])
def test_a_name_added_that_shadows_another_is_a_change(change: object, named: str) -> None:
    # A builtin's name in a module's globals, or an override in a class: what the code
    # already there finds changes, although no name the snapshot knew did.
    module = _module()
    watched = sentinel.renew(sentinel.bundle(sentinel.snapshot([module], [], [])))
    change(module)  # type: ignore[operator]
    assert [what for what, _ in sentinel._changes(watched)[0]] == [named]


def test_an_honest_namespace_is_read_by_its_tag_alone() -> None:
    module = _module()
    entries = sentinel.snapshot([module], [], [])
    tagged = [entry[0] for entry in entries if entry[5] is not None]
    assert "watched_for_test" in tagged and "watched_for_test.Probe" in tagged
