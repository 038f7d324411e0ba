"""The typed contract between the grader and its child: strict decoding, exceptions by
identity, statuses set by events (never read back out of a message's wording)."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from grader._grading import grade
from grader._wire import (
    MAX_LINE_BYTES,
    Answer,
    Hello,
    WireError,
    decode_order,
    decode_request,
    decode_worker_line,
    encode,
)

HELLO = {"type": "hello", "import_error": None, "confinement": None, "findings": []}


def line(message: dict[str, object]) -> bytes:
    return json.dumps(message).encode()


def test_a_well_formed_line_decodes_to_its_type() -> None:
    hello = decode_worker_line(line(HELLO))
    assert isinstance(hello, Hello) and hello.import_error is None
    assert decode_worker_line(encode(hello)) == hello


@pytest.mark.parametrize(("change", "says"), [
    ({"confinment": None}, "unknown field `confinment`"),  # a typo in a field name
    ({"findings": "none"}, "Expected `array`"),  # a wrong type
    ({"type": "hullo"}, "Invalid value 'hullo'"),  # an unknown kind of message
])
def test_a_line_of_the_wrong_shape_is_refused(change: dict[str, object], says: str) -> None:
    with pytest.raises(WireError, match=says):
        decode_worker_line(line({**HELLO, **change}))


def test_a_missing_field_is_refused() -> None:
    with pytest.raises(WireError, match="missing required field `findings`"):
        decode_worker_line(line({k: v for k, v in HELLO.items() if k != "findings"}))


def test_an_oversized_line_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(WireError, match="bytes"):
        decode_worker_line(b" " * (MAX_LINE_BYTES + 1))


def test_orders_and_requests_are_strict_too() -> None:
    with pytest.raises(WireError, match="unknown field `pids`"):
        decode_order(line({"type": "kill", "pid": 3, "pids": [4]}))
    with pytest.raises(WireError, match="missing required field `args`"):
        decode_request(line({"id": "x", "scenario": "gathering.slow_square"}))


def test_an_answer_carries_a_typed_observation() -> None:
    with pytest.raises(WireError, match="observation"):
        decode_worker_line(line({"type": "answer", "id": "1", "observation": {}, "findings": []}))
    assert Answer.__struct_fields__ == ("id", "observation", "findings")


def submission(tmp_path: Path, source: str) -> Path:
    (tmp_path / "gathering.py").write_text(source)
    return tmp_path


def test_a_status_is_never_read_from_a_message(tmp_path: Path) -> None:
    # It imports fine; its function raises with the wording the old grader looked for.
    report = grade(submission(tmp_path, (
        "async def slow_square(x, delay):\n"
        "    raise ValueError('gathering.py could not be imported; it was not found')\n"
        "async def squares_concurrently(xs, delay):\n    return []\n"
        "async def gather_settled(factories):\n    return []\n")), only=["gathering"])
    exercise = report.exercises[0]
    assert exercise.status in ("failed", "partial")
    reasons = {t.name: t.reason for t in exercise.tests if t.status != "passed"}
    assert reasons["test_slow_square_returns_the_square"] == "wrong"
    assert all(t.status != "error" for t in exercise.tests)


def test_an_import_error_is_an_error_told_once(tmp_path: Path) -> None:
    report = grade(submission(tmp_path, "import nothing_by_this_name\n"), only=["gathering"])
    exercise = report.exercises[0]
    assert exercise.status == "error"
    first, *rest = exercise.tests
    assert first.reason == "import" and "could not be imported" in first.message
    assert {t.reason for t in rest} == {"caused-by"}  # said once, not once per test
    assert {t.caused_by for t in rest} == {first.name}


def test_a_look_alike_exception_is_not_the_real_one(tmp_path: Path) -> None:
    # The forged class has the real name, the expected wording and even a ValueError-named base.
    forged = (
        "Fake = type('ValueError', (Exception,), {})\n"
        "async def slow_square(x, delay):\n    return x * x\n"
        "async def squares_concurrently(xs, delay):\n    return [x * x for x in xs]\n"
        "async def gather_settled(factories):\n"
        "    out = []\n"
        "    for f in factories:\n"
        "        try:\n            out.append(('ok', await f()))\n"
        "        except Exception:\n            out.append(('error', Fake('bad input')))\n"
        "    return out\n")
    report = grade(submission(tmp_path, forged), only=["gathering"])
    settled = next(t for t in report.exercises[0].tests if t.name == "test_settled_results_in_order")
    assert settled.status == "failed", settled.message


def test_the_exception_info_says_which_classes_are_real() -> None:
    from grader._child.plain import describe_exception

    class Mine(ValueError):
        pass

    info = describe_exception(Mine("x"))
    assert info.is_a("ValueError") and info.is_a("Exception") and not info.is_a("Mine")
    forged = describe_exception(type("ValueError", (Exception,), {})("x"))
    assert forged.type == "ValueError" and not forged.is_a("ValueError")
    assert msgspec.json.decode(msgspec.json.encode(info), type=type(info)) == info
