"""Hidden suite: streams. The student's servers run on the scenario's loop (127.0.0.1, a
free port) and are talked to by trusted clients that send lines in awkward pieces,
half-close, and read until the server closes; ``ask`` is tried against a server made by
the scenario, which records exactly what it received and whether the client hung up."""

from grader._plugin import Student
from grader.scenarios import streams as sc
from grader.testing import Reason, case, expect_equal, fail, show

SLUG = "streams"

KINDS = {"streams": "the start_reverse_server() server",
         "protocol": "the ReverseProtocol server"}

# Lines, an empty one, multi-byte characters, and a last piece with no newline.
AWKWARD = "first line\nsecond ✓ line\nthird\n\nfourth 日本語 é\nlast piece, no newline"


def _cuts(text):
    """Byte offsets that split a line, a multi-byte character (twice), and put several
    lines in one piece and a newline in a piece of its own."""
    data = text.encode()
    cuts = [3, data.index("✓".encode()) + 1, data.index("✓".encode()) + 2,
            data.index(b"third") + 3, data.index("本".encode()) + 1,
            data.index(" é".encode()) + 2, data.index("é\n".encode()) + 2,
            data.index(b"last") + 4]
    return sorted(set(cuts))


def answers_for(text):
    *complete, _last = text.split("\n")
    return "".join(line[::-1] + "\n" for line in complete)


def _split_character(kind):
    """The cause named for a server that decodes each piece on its own (testing.fail)."""
    return f"{KINDS[kind]} decodes each piece on its own, though a piece may end inside a character"


SPLIT_FIX = ("TCP may deliver a multi-byte UTF-8 character split across two pieces (a piece "
             "ending inside a character), and half a character cannot be decoded: keep bytes "
             "until a line is complete and decode the whole line, or decode through an "
             "incremental decoder.")


def _ascii(text):
    return "".join(c for c in text if c.isascii())


def _garbled(got, expected):
    """``got`` is ``expected`` with only its multi-byte characters garbled (replaced, lost or
    doubled): characters split between two pieces and decoded in halves, not missing
    lines nor another connection's text."""
    return got != expected and _ascii(got) == _ascii(expected)


def _student_crash(obs, hint="", kind="streams"):
    """An exception the student's code raised in a callback the loop ran (a protocol's
    methods): the loop reports it instead of propagating it."""
    for error in obs.loop_errors:
        exc = error.exception
        if exc is None:
            continue
        if exc.is_a("NotImplementedError"):
            fail(f"{obs.call}: ReverseProtocol raised NotImplementedError: it is not "
                 "implemented yet.", Reason.NOT_IMPLEMENTED, where=exc.where)
        where = exc.where
        if exc.is_a("UnicodeDecodeError"):
            # With one client, half a character; with several, maybe bytes of two clients
            # mixed: the cause names the first, which an earlier test of one client finds.
            fail(f"{obs.call}: {exc.type}: {exc.message}{exc.location}. "
                 + (hint or f"Half a character was decoded. {SPLIT_FIX}"),
                 where=where, cause=_split_character(kind))
        if where:
            fail(f"{obs.call}: the event loop reported that {exc.type}: "
                 f"{exc.message} was raised at {where.file}:{where.line} "
                 f"in {where.function} ({where.code}). The exception closed the "
                 "connection." + (f" {hint}" if hint else ""), where=where)


def _started(obs, kind="streams", hint=""):
    obs.expect_no_error()
    _student_crash(obs, hint, kind)
    problem = obs.value.start_problem
    if problem is None:
        return
    if problem == "hung":
        prefix = "" if obs.call.startswith("start_reverse_server") else f"{obs.call}: "
        fail(f"{prefix}start_reverse_server('127.0.0.1', 0) did not return within "
             f"{sc.PATIENCE:g} s of loop time. Return the server once it listens: it serves in "
             "the background (do not await serve_forever() in it).", Reason.HANG, obs=obs)
    if problem == "not serving":
        fail(f"{obs.call}: start_reverse_server returned a server that is not serving "
             "(is_serving() is False). Return it serving: `await asyncio.start_server(...)`.")
    fail(f"{obs.call}: start_reverse_server('127.0.0.1', 0) {problem}; expected the "
         "asyncio.Server that asyncio.start_server returns, listening.")


def _diagnose(got, expected, text):
    """A hint for a server that answered ``got`` instead of ``expected``."""
    last = text.rsplit("\n", 1)[-1]
    if any(_ascii(line[::-1]) not in _ascii(text) for line in got.split("\n")):
        return ("An answer holds text this client never sent: what an earlier connection "
                "left behind. Each connection needs its own buffer (made in "
                "connection_made, or local to the handler), never one on the class or in a "
                "global, which every connection shares.")
    if last and last[::-1] in got:
        return ("The last piece has no newline and must not be answered: check that the line "
                "ends in b'\\n' before answering it (readline() returns the unterminated rest "
                "at the end of the stream).")
    if got and expected.startswith(got):
        return ("Some complete lines were never answered: keep the bytes of an unfinished "
                "line until its newline arrives, answer every complete line of a piece, and "
                "after the client's EOF still answer what is complete.")
    return ("TCP delivers a stream of bytes, not messages: a piece may hold half a line or "
            "several lines. Buffer the bytes, split on b'\\n', answer each complete line "
            "reversed with its newline, and decode only complete lines.")


def _run_pieces(student: Student, kind, text):
    cuts = _cuts(text) if text == AWKWARD else []
    where = "cut in awkward pieces" if cuts else "in one write"
    return student.run(sc.pieces, kind=kind, text=text, cuts=cuts,
                       call=f"{KINDS[kind]}, sent {text!r} {where} then EOF")


def _expect_answers(obs, kind, text):
    _started(obs, kind)
    expected = answers_for(text)
    got = obs.returned()
    if _garbled(got, expected):
        fail(f"{obs.call}: the client received {got!r}; expected {expected!r}: every line "
             "came back, but its multi-byte characters came out garbled. " + SPLIT_FIX,
             cause=_split_character(kind))
    if got != expected:
        fail(f"{obs.call}: the client received {got!r}; expected {expected!r}. "
             + _diagnose(got, expected, text))


def _expect_closed(obs, kind):
    if obs.value.closed:
        return
    if kind == "protocol":
        fail(f"{obs.call}: after the client's EOF the server answered but never closed the "
             "connection. eof_received() must return a false value (the transport then "
             "closes itself once its buffer is sent), or close the transport itself.",
             Reason.LEAK)
    fail(f"{obs.call}: after the client's EOF the server never closed the connection. When "
         "readline() returns a piece without newline (b'' at the end), close the writer: "
         "`writer.close(); await writer.wait_closed()`.", Reason.LEAK)


# -- line by line ------------------------------------------------------------------------

def _interactive(student: Student, kind):
    lines = ["hello", "héllo wörld ✓", "a man a plan"]
    obs = student.run(sc.interactive, kind=kind, lines=lines,
                      call=f"{KINDS[kind]}, sent {lines!r} one at a time")
    _started(obs, kind)
    answers = obs.returned()
    for line, answer in zip(lines, answers, strict=True):
        if answer is None:
            fail(f"{obs.call}: no answer to {line!r} while the client stayed connected. Answer "
                 "each line as soon as its newline arrives, not when the client closes.")
        if answer != line[::-1] + "\n":
            fail(f"{obs.call}: the answer to {line!r} was {answer!r}; expected "
                 f"{line[::-1] + chr(10)!r}: the line reversed (by character), then a newline.")


@case(points=1, hidden=False)
def test_streams_server_answers_each_line_before_the_next(student: Student):
    _interactive(student, "streams")


@case(points=1, hidden=False)
def test_protocol_server_answers_each_line_before_the_next(student: Student):
    _interactive(student, "protocol")


# -- pieces, EOF and closing -------------------------------------------------------------

@case(points=1, hidden=False)
def test_streams_server_answers_complete_lines_then_closes(student: Student):
    text = "abc\nsecond\nno newline"
    obs = _run_pieces(student, "streams", text)
    _expect_answers(obs, "streams", text)
    _expect_closed(obs, "streams")


@case(points=1)
def test_start_returns_a_serving_server(student: Student):
    obs = student.run(sc.start, call="start_reverse_server('127.0.0.1', 0)")
    _started(obs)
    returned = obs.returned()
    if returned.host != "127.0.0.1" or not returned.port_chosen:
        fail(f"{obs.call} listens on {returned.host}; expected 127.0.0.1 on a free port "
             "(port 0): pass host and port on to asyncio.start_server.")
    if obs.value.received != "gnip\n":
        fail(f"{obs.call}: a client sent 'ping' and received {obs.value.received!r}; "
             "expected 'gnip\\n'.")
    if obs.value.took > 0:
        fail(f"{obs.call} took {obs.value.took:g} s of loop time to return; expected it to "
             "return as soon as the server listens.", Reason.TIMING, obs=obs)


@case(points=1)
def test_streams_server_handles_awkward_pieces(student: Student):
    obs = _run_pieces(student, "streams", AWKWARD)
    _expect_answers(obs, "streams", AWKWARD)


@case(points=2)
def test_protocol_server_handles_awkward_pieces(student: Student):
    obs = _run_pieces(student, "protocol", AWKWARD)
    _expect_answers(obs, "protocol", AWKWARD)
    if obs.value.before_eof != answers_for(AWKWARD):
        fail(f"{obs.call}: before the client's EOF it had received only "
             f"{obs.value.before_eof!r}: answer each line in data_received as soon as its "
             "newline arrives.", Reason.TIMING, obs=obs)


@case(points=1)
def test_protocol_server_answers_then_closes_after_eof(student: Student):
    text = "abc\nsecond\nno newline"
    obs = _run_pieces(student, "protocol", text)
    _expect_answers(obs, "protocol", text)
    _expect_closed(obs, "protocol")


@case(points=1)
def test_servers_do_not_block_and_leave_nothing(student: Student):
    for kind in KINDS:
        obs = _run_pieces(student, kind, AWKWARD)
        obs.expect_not_blocking()
        _expect_answers(obs, kind, AWKWARD)
        _expect_closed(obs, kind)
        if obs.value.handlers_left:
            fail(f"{obs.call}: after the client had gone and the server was closed, "
                 f"{obs.value.handlers_left[0]} was still running. A connection's handler "
                 "must end when its client closes (readline() returns b'').", Reason.LEAK)
        obs.expect_clean("Close each connection when its client has closed its side.")


# -- many clients ------------------------------------------------------------------------

SCRIPTS = [["alpha one", "alpha ✓ two"], ["bêta", "gamma", "δέλτα 3"],
           ["x" * 40, "日本語のテキスト"], ["", "last client"]]


def _many(student: Student, kind):
    obs = student.run(sc.many_clients, kind=kind, scripts=SCRIPTS,
                      call=f"{KINDS[kind]}, with {len(SCRIPTS)} clients sending lines in "
                      "interleaved pieces while another client, connected first, sits on "
                      "half a line")
    _started(obs, kind, "With one client it works? Then connections share state: keep each "
             "connection's buffer on `self`, made in connection_made, never on the class or "
             "in a global.")
    final = obs.returned()
    expected = ["".join(line[::-1] + "\n" for line in lines) for lines in SCRIPTS]
    early = obs.value.answered_while_slow_waited
    for i, (got, want) in enumerate(zip(final, expected, strict=True)):
        if _garbled(got, want):
            fail(f"{obs.call}: client {i} received {got!r}; expected {want!r}: its lines, "
                 "but with their multi-byte characters garbled (not another client's "
                 f"text). {SPLIT_FIX}", cause=_split_character(kind))
        if got != want and not want.startswith(got):
            hint = ("Each connection needs its own buffer: state kept on the class (or in a "
                    "global) is shared by every client." if kind == "protocol" else
                    "Each connection must be read and answered on its own.")
            fail(f"{obs.call}: client {i} received {got!r}; expected {want!r}. Its answers "
                 f"were mixed up with another client's. {hint}")
    for i, (got, want) in enumerate(zip(early, expected, strict=True)):
        if got != want and final[i] == want:
            fail(f"{obs.call}: client {i} received its answers only after it had closed its "
                 f"side (before that: {got!r}). Answer each line as soon as its newline "
                 "arrives: read line by line (readline()), not everything up to EOF.",
                 Reason.TIMING, obs=obs)
        if got != want:
            fail(f"{obs.call}: while the first client sat silent, client {i} received "
                 f"{got!r}; expected {want!r}. One client must not hold up another: serve "
                 "each connection on its own (start_server runs one handler task per "
                 "client; never hold a lock or wait on one client while serving it).",
                 Reason.TIMING, obs=obs)
    closed = obs.value.closed_while_slow_waited
    if not all(closed):
        hint = ("After a client's EOF, the protocol must close that connection: "
                "eof_received() returns a false value, or closes the transport."
                if kind == "protocol" else
                "Serve each connection on its own, and close it once its client has sent "
                "EOF.")
        fail(f"{obs.call}: client {closed.index(False)} sent EOF and was not disconnected "
             f"(while the first client still sat silent). {hint}")
    if obs.value.slow != "wols\n" or not obs.value.slow_closed:
        fail(f"{obs.call}: the first client, which sent 'sl', then much later 'ow\\n' and EOF, "
             f"received {obs.value.slow!r}"
             + ("" if obs.value.slow_closed else " and was never disconnected")
             + "; expected 'wols\\n' and then the end of the connection.")
    obs.expect_clean()


@case(points=1)
def test_streams_server_serves_clients_independently(student: Student):
    _many(student, "streams")


@case(points=1)
def test_protocol_server_serves_clients_independently(student: Student):
    _many(student, "protocol")


# -- ask ---------------------------------------------------------------------------------

def _ask(student: Student, line):
    obs = student.run(sc.ask, line=line, call=f"ask('127.0.0.1', <port>, {line!r})")
    obs.expect_no_error()
    if obs.value.hung:
        fail(f"{obs.call} did not return within {sc.PATIENCE:g} s of loop time. The server "
             "answers one line and then waits for the client to close: read one line "
             "(readline()), not until the end of the stream.", Reason.HANG, obs=obs)
    return obs


def _expect_asked(obs, line):
    received = obs.value.received
    wanted = line.encode() + b"\n"
    if received != wanted:
        fail(f"{obs.call}: the server received {show(received)}; expected exactly "
             f"{show(wanted)}: the line, encoded as UTF-8, and one newline.")
    expect_equal(obs.returned(), line[::-1], obs.call,
                 "Return the answer line decoded, without its newline (and nothing else "
                 "removed).")


@case(points=1, hidden=False)
def test_ask_sends_one_line_and_returns_the_answer(student: Student):
    obs = _ask(student, "stressed")
    _expect_asked(obs, "stressed")


@case(points=1)
def test_ask_keeps_the_line_as_it_is(student: Student):
    for line in ["  héllo, wörld ✓  ", ""]:
        obs = _ask(student, line)
        _expect_asked(obs, line)


@case(points=1)
def test_ask_closes_its_connection_and_waits(student: Student):
    obs = _ask(student, "drawer")
    _expect_asked(obs, "drawer")
    unclosed = [w for w in obs.warnings if "unclosed" in w and "ResourceWarning" in w]
    if not obs.value.server_saw_close or unclosed:
        fail(f"{obs.call} returned without closing its connection"
             + (" (Python closed it later, when the writer was garbage-collected: "
                f"{unclosed[0][:120]})" if unclosed else "")
             + ". Close it before returning: `writer.close()` then `await "
             "writer.wait_closed()`, in a `finally`.", Reason.LEAK)
    if obs.value.open_at_return:
        fail(f"When {obs.call} returned, its socket was not closed yet: `writer.close()` only "
             "starts closing. `await writer.wait_closed()` before returning.", Reason.LEAK)
    obs.expect_clean()


@case(points=1)
def test_ask_does_not_block(student: Student):
    obs = _ask(student, "live on")
    obs.expect_not_blocking()
    _expect_asked(obs, "live on")
