"""The typed messages between the grader (parent) and its sandboxed child.

Three hops carry data across the trust boundary, and each message is declared here
once, as a ``msgspec.Struct``:

- parent -> fork server: :class:`Spawn`, :class:`Kill`, :class:`Shutdown`; replies
  :class:`Spawned`, :class:`Killed`;
- parent -> worker: :class:`Request`; worker -> parent: :class:`Hello` (first line),
  then one :class:`Answer` per request, holding an :class:`Observation`;
- grader process -> grader process (a submission's exercises graded side by side):
  see ``grader._suiterun``.

Decoding is strict: an unknown or missing field, a wrong type or an oversized line is
refused with :class:`WireError`, a grader-side error, so a typo in a field name fails
the project's own tests, never a student. msgspec was chosen over pydantic and
hand-written dataclasses for being strict by default, small, and fast enough to decode
every answer without showing in a profile.

Student values (what a student function returned) travel inside ``Observation.value``
as plain, tagged JSON (``grader._child.plain``) and are decoded into inert Python values
by ``grader._values`` before a scenario's typed result is built from them.
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec

# One answer may carry a student's large return value, but never more than this.
MAX_LINE_BYTES = 4 * 1024 * 1024
# What the worker wrote to its own stdout/stderr, kept for the crash message.
LOG_TAIL_BYTES = 2000


class WireError(Exception):
    """A message that does not match its declared type: a bug in the grader, or forgery."""


class Message(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Base of every message: unknown fields are refused; a message, once made, is final."""


# -- where and what ----------------------------------------------------------------------


class Location(Message, frozen=True):
    """A line of the submission."""

    file: str
    line: int | None
    function: str
    code: str = ""

    def __str__(self) -> str:
        code = f" ({self.code})" if self.code else ""
        return f" at {self.file}:{self.line} in {self.function}{code}"


class ClassInfo(Message, frozen=True):
    """One class of an exception's MRO. ``real`` is true only for the very class object of
    the standard library (builtins, asyncio, concurrent.futures, ...), checked by identity
    in the child against classes captured before any student code ran."""

    module: str
    qualname: str
    real: bool


class ExceptionInfo(Message, frozen=True):
    """An exception seen in the child, described, never re-created."""

    type: str
    qualname: str
    mro: list[ClassInfo]
    message: str
    where: Location | None = None
    id: int = 0
    exceptions: list[ExceptionInfo] = []

    def is_a(self, qualname: str) -> bool:
        """An instance of the real standard class of that name (or a subclass of it); a
        look-alike class a submission made with the same name is not."""
        return any(c.real and c.qualname == qualname for c in self.mro)

    @property
    def location(self) -> str:
        if self.where is None:
            return ""
        code = f": {self.where.code}" if self.where.code else ""
        return f" at {self.where.file}:{self.where.line} in {self.where.function}{code}"

    def __str__(self) -> str:
        text = f"{self.type}: {self.message}" if self.message else self.type
        return text + self.location

    def __repr__(self) -> str:  # as the exception's own repr would read, for feedback
        return f"{self.type}({self.message!r})"


# -- the fork server ---------------------------------------------------------------------


class Limits(Message, frozen=True):
    """Resource limits of one worker process."""

    memory_mb: int = 2048
    file_size_mb: int = 16
    open_files: int = 512
    cpu_seconds: int = 120
    max_pids: int = 256
    scratch_mb: int = 64  # the worker's scratch folder: a tmpfs of this size (as root)


class Spawn(Message, tag="spawn", frozen=True):
    slug: str
    path: str
    scratch: str
    limits: Limits
    confine: bool
    hide: list[str]
    allow: list[str]
    # module names of the submission's other files, refused by name at import
    submitted: list[str]


class Kill(Message, tag="kill", frozen=True):
    pid: int


class Shutdown(Message, tag="shutdown", frozen=True):
    pass


Order = Spawn | Kill | Shutdown


class Spawned(Message, tag="spawned", frozen=True):
    pid: int


class Killed(Message, tag="killed", frozen=True):
    pid: int


Reply = Spawned | Killed


# -- the worker --------------------------------------------------------------------------


class SandboxReport(Message, frozen=True):
    applied: list[str]
    missing: list[str]


class RuntimeFinding(Message, frozen=True):
    """Something the child's audit hook saw (the tamper report)."""

    kind: str
    message: str
    file: str
    line: int | None = None


class Hello(Message, tag="hello", frozen=True):
    """The worker's first line: whether the student module imported."""

    import_error: ExceptionInfo | None
    confinement: SandboxReport | None
    findings: list[RuntimeFinding]


class Request(Message, frozen=True):
    id: str
    scenario: str  # a key of grader._child.kit.REGISTRY: "<slug>.<function>"
    args: dict[str, Any]


class BlockingCall(Message, frozen=True):
    call: str
    where: Location | None
    thread: str
    at: float | None = None  # loop time since the scenario started


class Stall(Message, frozen=True):
    # "cpu": the step computed; "wait": it sat in a call without the CPU; "blocked": its
    # thread slept in the kernel (see ``slept``)
    kind: str
    cpu: float
    wall: float
    where: Location | None
    step: str
    at: float | None = None
    # "blocked": the seconds its thread slept in the kernel (not waiting for the CPU or the
    # GIL) while the step ran: a blocking call nobody patched
    slept: float | None = None


class LoopError(Message, frozen=True):
    message: str
    exception: ExceptionInfo | None
    source: str


class EventKind(enum.StrEnum):
    TASK = "task"  # a task on the loop, from creation to done
    CALL = "call"  # an instrumented call (e.g. the given slow_square), from start to end
    BLOCKED = "blocked"  # a blocking call on the loop's thread
    STALL = "stall"  # one loop step that kept the CPU too long (a busy loop)


class TimelineEvent(Message, frozen=True):
    """What ran when, on the loop's clock (seconds since the scenario started)."""

    kind: EventKind
    name: str
    start: float
    end: float | None  # None: still running when the scenario ended
    where: Location | None = None


class Observation(Message, frozen=True):
    """Everything the child saw while one scenario ran."""

    scenario: str
    value: Any  # the scenario's result, as tagged plain data (grader._child.plain)
    error: ExceptionInfo | None
    elapsed: float | None
    wall: float
    leaks: dict[str, list[str]]
    never_awaited: list[str]
    warnings: list[str]
    loop_errors: list[LoopError]
    blocking: list[BlockingCall]
    stalls: list[Stall]
    timeline: list[TimelineEvent]
    stdout: str
    stderr: str


class Answer(Message, tag="answer", frozen=True):
    id: str
    observation: Observation
    findings: list[RuntimeFinding]


WorkerLine = Hello | Answer

_worker_lines = msgspec.json.Decoder(WorkerLine)
_replies = msgspec.json.Decoder(Reply)
_orders = msgspec.json.Decoder(Order)
_requests = msgspec.json.Decoder(Request)
_encoder = msgspec.json.Encoder()


def encode(message: Message) -> bytes:
    """One message as one line."""
    return _encoder.encode(message) + b"\n"


def _decode(decoder: msgspec.json.Decoder[Any], line: bytes) -> Any:
    if len(line) > MAX_LINE_BYTES:
        raise WireError(f"a message of {len(line)} bytes (at most {MAX_LINE_BYTES})")
    try:
        return decoder.decode(line)
    except msgspec.DecodeError as exc:
        raise WireError(str(exc)) from None


def decode_worker_line(line: bytes) -> Hello | Answer:
    result: Hello | Answer = _decode(_worker_lines, line)
    return result


def decode_reply(line: bytes) -> Spawned | Killed:
    result: Spawned | Killed = _decode(_replies, line)
    return result


def decode_order(line: bytes) -> Spawn | Kill | Shutdown:
    result: Spawn | Kill | Shutdown = _decode(_orders, line)
    return result


def decode_request(line: bytes) -> Request:
    result: Request = _decode(_requests, line)
    return result
