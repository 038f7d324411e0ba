"""Hidden suite: subprocesses. Real programs on the real clock: ``/bin/sh`` one-liners,
``sleep``, ``cat``, and this Python (``python -c ...``) where large writes must alternate.
Processes are watched from the loop (was each one reaped by the time ``run`` returned?)
and from the system (any child left, alive or zombie?); ``run_all``'s concurrency is read
off start and end marks its commands write, with held commands released one at a time by
the scenario. No wall-clock bound decides a test, except that ``run`` must not give up
before its timeout."""

import re

from grader._cancelled import expect_ends_cancelled
from grader._plugin import Student
from grader.scenarios import subprocesses as sc
from grader.testing import Observation, Raised, Reason, case, expect_equal, fail, show

SLUG = "subprocesses"

PYTHON = "python -c"
SH = "sh -c"
DESCRIBE = {
    "out_err_exit": f"{SH} <print 'to out', 'to err' to stderr, exit 3>",
    "argv": f"{SH} <print each of its arguments followed by a NUL byte>",
    "stdin_len": f"{SH} <read stdin to the end, print how many bytes>",
    "big_both": f"{PYTHON} <write 1 MiB to stdout and 1 MiB to stderr, in turns>",
    "sleep": "'sleep' '30'",
    "nap": f"{SH} <wait until the event loop has run a task {sc.NAP_BEATS} times (at most "
           f"{sc.NAP_LONGEST:g} s), print 'rested'>",
    "cat": "'cat'",
}


def _run(student: Student, program, args=(), timeout=3.0, input_text=None, input_size=None,
         pass_input=True, summarize=False, stdin_trap=False):
    parts = [DESCRIBE[program], *(repr(a) for a in args)]
    if input_text is not None:
        parts.append(f"input={input_text.encode()!r}")
    elif input_size is not None:
        parts.append(f"input=<{input_size // 1024} KiB>")
    elif pass_input:
        parts.append("input=None")
    parts.append(f"timeout={timeout:g}")
    call = f"run({', '.join(parts)})"
    return student.run(sc.run, program=program, args=list(args), timeout=timeout,
                       input_text=input_text, input_size=input_size, pass_input=pass_input,
                       summarize=summarize, stdin_trap=stdin_trap, call=call)


def _returned(obs, hint=""):
    """What run returned, failing on errors, hangs and timeouts first."""
    obs.expect_no_error()
    if obs.value.hung:
        fail(f"{obs.call} was still running {sc.GRACE:g} s after its timeout had passed: bound "
             "the wait (`async with asyncio.timeout(timeout):`), and note that `process.wait()` "
             "returns only once the pipes have been read to their end."
             + (f" {hint}" if hint else ""), Reason.HANG, obs=obs)
    raised = obs.value.raised
    if raised is not None:
        fail(f"{obs.call} raised {raised} after {obs.value.took:g} s; the program should "
             "have ended well within its timeout." + (f" {hint}" if hint else ""))
    return obs.returned()


def _summarised(obs, hint):
    """What run returned, as the scenario summarised it (a large result of the right shape)."""
    returned = _returned(obs, hint)
    return returned if obs.value.summary is None else obs.value.summary


def _expect_nothing_left(obs, moment="returned"):
    left = obs.value.left_at_return
    codes = obs.value.codes_at_return
    if any(code is None for code in codes):
        if obs.value.cleanup.killed_here:
            fail(f"When {obs.call} {moment}, the program was still running. Kill it "
                 "(`process.kill()`) and wait for it (`await process.wait()`).", Reason.LEAK)
        fail(f"When {obs.call} {moment}, the program had not been reaped: its exit status "
             "was never collected. After `process.kill()`, `await process.wait()`: a killed "
             "process that nobody waits for stays a zombie.", Reason.LEAK)
    if left:
        fail(f"When {obs.call} {moment}, a child process was left behind: pid {left[0].pid} "
             f"({left[0].status}). Wait for every process you start, also after killing "
             "it.", Reason.LEAK)


def _expect_no_shell(obs, got):
    """A shell's own error in what came back: the argv was joined into a command line."""
    err = got[2] if isinstance(got, tuple) and len(got) == 3 else None
    # A POSIX shell's own errors read "NAME: LINE: message" (dash) or "sh: ..." (others):
    # the test programs are themselves sh one-liners, so a joined argv runs `sh -c` with
    # the script split into words, and the shell complains about what it got.
    if isinstance(err, bytes) and (err.startswith((b"/bin/sh:", b"sh:"))
                                   or re.search(rb"(?m)^[^\n]*: \d+: ", err)):
        fail(f"{obs.call} returned {show(got)}: a shell ran the command and could not parse "
             "it. The arguments were joined into one shell command line: pass them as they "
             "are, each one whole, with `asyncio.create_subprocess_exec(*argv, ...)`.")


# -- run: results ------------------------------------------------------------------------

@case(points=1, hidden=False)
def test_run_returns_the_code_and_both_outputs(student: Student):
    obs = _run(student, "out_err_exit")
    got = _returned(obs)
    _expect_no_shell(obs, got)
    expect_equal(got, (3, b"to out\n", b"to err\n"), obs.call,
                 "Return (returncode, stdout, stderr) as a tuple: each pipe captured on its "
                 "own (stdout=PIPE, stderr=PIPE), the bytes as they are.")


@case(points=1, hidden=False)
def test_run_sends_the_input_and_closes_stdin(student: Student):
    text = "line one\nline two ✓\n"
    obs = _run(student, "cat", input_text=text)
    got = _returned(obs, "Write the input, then close stdin: `cat` ends only when its "
                    "input ends (`communicate(input)` does both).")
    expect_equal(got, (0, text.encode(), b""), obs.call,
                 "`cat` echoes its input: write all of it to stdin, then close stdin.")


@case(points=1)
def test_run_without_input_gives_an_empty_stdin(student: Student):
    hint = ("With input=None the program must see its standard input empty or closed from "
            "the start (stdin=DEVNULL, or a pipe closed at once), not inherit the caller's "
            "(a terminal, say): a program that reads it must not wait for ever.")
    obs = _run(student, "cat", pass_input=False, timeout=2.0, stdin_trap=True)
    expect_equal(_returned(obs, hint), (0, b"", b""), obs.call, hint)
    obs = _run(student, "stdin_len", timeout=2.0, stdin_trap=True)
    expect_equal(_returned(obs, hint), (0, b"0", b""), obs.call, hint)
    obs.expect_clean()


ARGS = ["a b", "'single'", '"double"', "$HOME", "x;y", "*", "", "tab\there", "ünï ✓",
        "--opt=1 2", "\\n"]


@case(points=1)
def test_run_passes_arguments_as_they_are(student: Student):
    obs = _run(student, "argv", args=ARGS)
    got = _returned(obs)
    if not (isinstance(got, tuple) and len(got) == 3):
        fail(f"{obs.call} returned {show(got)}; expected a tuple (returncode, stdout, stderr).")
    code, out, err = got
    seen = out
    if isinstance(out, bytes) and out.endswith(b"\0"):
        seen = out.decode(errors="replace").split("\0")[:-1]
    if seen != ARGS:
        fail(f"{obs.call}: the program received the arguments {show(seen)}; expected "
             f"{show(ARGS)}, each exactly as given. No shell may split, expand or glob them: "
             "`asyncio.create_subprocess_exec(*argv, ...)`, not create_subprocess_shell.")
    expect_equal((code, err), (0, b""), obs.call + " (returncode, stderr)")


@case(points=1)
def test_run_never_lets_a_pipe_fill_up(student: Student):
    obs = _run(student, "big_both", summarize=True, timeout=2.0)
    deadlock = ("A pipe holds 64 KiB: a program that writes more waits until someone reads. "
                "Read stdout and stderr at the same time, while the program runs, and write "
                "the input meanwhile: `await process.communicate(input)` does all three.")
    got = _summarised(obs, deadlock)
    want = sc.Summary(returncode=0, out_len=sc.BIG, err_len=sc.BIG, out_ok=True, err_ok=True)
    if got != want:
        fail(f"{obs.call} returned {show(got)} (summarised); expected returncode 0 and both "
             "outputs complete.")
    size = 1024 * 1024
    obs = _run(student, "cat", input_size=size, summarize=True, timeout=2.0)
    got = _summarised(obs, deadlock)
    want = sc.Summary(returncode=0, out_len=size, err_len=0, out_ok=True, err_ok=True)
    if got != want:
        fail(f"{obs.call} returned {show(got)} (summarised); expected `cat` to echo all "
             f"{size} bytes. " + deadlock)
    obs = student.run(sc.run_all_codes, specs=[[0, 5, 1024 * 1024], [0, 6, 0]], limit=2,
                      call="run_all([<write 1 MiB to stdout and stderr, exit 5>, "
                      "<exit 6>], limit=2)")
    obs.expect_no_error()
    if obs.value.hung:
        fail(f"{obs.call} never returned. A command whose output is captured must have its "
             "pipes read (and the output dropped), e.g. `await process.communicate()`; "
             "`stdout=PIPE` that nobody reads stops the program once the pipe is full.",
             Reason.HANG, obs=obs)
    expect_equal(obs.returned(), [5, 6], obs.call)


# -- run: timeout, blocking --------------------------------------------------------------

@case(points=1)
def test_run_kills_and_reaps_a_program_that_runs_too_long(student: Student):
    obs = _run(student, "sleep", timeout=0.1)
    obs.expect_no_error()
    if obs.value.hung:
        fail(f"{obs.call} did not return at all. After `timeout` seconds, kill the program "
             "and wait for it: `async with asyncio.timeout(timeout):` around the waiting, then "
             "`process.kill()` and `await process.wait()`.", Reason.HANG, obs=obs)
    raised = obs.value.raised
    if raised is None:
        fail(f"{obs.call} returned {show(obs.value.returned)}; expected it to raise "
             "TimeoutError after 0.1 s, the program being killed.")
    if not isinstance(raised, Raised) or not raised.is_a("TimeoutError"):
        fail(f"{obs.call} raised {raised}; expected TimeoutError.")
    if obs.value.took < 0.09:
        fail(f"{obs.call} gave up after {obs.value.took:g} s; expected to wait the whole "
             "timeout (0.1 s, wall-clock) first.")
    _expect_nothing_left(obs, "raised TimeoutError")
    codes = obs.value.codes_at_return
    if codes and codes[0] != -9:
        fail(f"{obs.call}: the program ended with return code {codes[0]}; expected -9: kill "
             "it with SIGKILL (`process.kill()`), which a program cannot ignore.")
    obs.expect_clean()


@case(points=1)
def test_run_does_not_block_the_loop(student: Student):
    obs = _run(student, "nap")
    obs.expect_not_blocking()
    expect_equal(_returned(obs), (0, b"rested", b""), obs.call)
    if obs.value.beats < sc.NAP_BEATS:
        fail(f"{obs.call}: while the program ran, a task that wakes up every "
             f"{sc.HEARTBEAT * 1000:g} ms ran only {obs.value.beats} times: run held the event "
             "loop. Start the program with `asyncio.create_subprocess_exec` and await "
             "`communicate()`; never `subprocess.run` on the loop's thread.", Reason.BLOCKING,
             obs=obs)
    _expect_nothing_left(obs)
    obs.expect_clean()


# -- run_all -----------------------------------------------------------------------------

@case(points=1, hidden=False)
def test_run_all_returns_the_codes_in_order(student: Student):
    specs = [[0.1, 4], [0, 0], [0, 1], [0.03, 7], [0, 0]]
    obs = student.run(sc.run_all_codes, specs=specs, limit=2,
                      call="run_all([<exit 4 after 0.1 s>, <exit 0>, <exit 1>, <exit 7 after "
                      "0.03 s>, <exit 0>], limit=2)")
    obs.expect_no_error()
    if obs.value.hung:
        fail(f"{obs.call} never returned. Does every command get started, and its pipes "
             "read?", Reason.HANG, obs=obs)
    expect_equal(obs.returned(), [4, 0, 1, 7, 0], obs.call,
                 "The return codes come in the order of the commands, not in the order "
                 "they end.")
    if obs.value.started not in (0, len(specs)):
        fail(f"{obs.call} started {obs.value.started} processes; expected {len(specs)}, "
             "one per command.")


def _held(student: Student, count, limit, settle_first=False):
    return student.run(sc.run_all_held, count=count, limit=limit, settle_first=settle_first,
                       call=f"run_all(<{count} commands that run until released>, "
                       f"limit={limit})")


def _expect_held_codes(obs, count):
    obs.expect_no_error()
    if obs.value.hung:
        fail(f"{obs.call} never returned after every command had been released and had "
             "ended.", Reason.HANG, obs=obs)
    expect_equal(obs.returned(), [10 + i for i in range(count)], obs.call)


@case(points=1)
def test_run_all_never_runs_more_than_limit(student: Student):
    obs = _held(student, 5, 2, settle_first=True)
    _expect_held_codes(obs, 5)
    if obs.value.most > 2:
        fail(f"{obs.call} ran {obs.value.most} commands at once; expected at most 2. "
             "Hold back the others until a slot is free (an `asyncio.Semaphore(limit)` "
             "around each command, or `limit` worker tasks).", Reason.TIMING, obs=obs)
    obs.expect_clean()
    for bad in (0, -1):
        obs = student.run(sc.run_all_refused, limit=bad,
                          call=f"run_all([<exit 0>], limit={bad})")
        err = obs.expect_raises("ValueError", "A limit below 1 could never run anything.")
        if not err.message:
            fail(f"{obs.call} raised ValueError without a message; say what is wrong (e.g. "
                 "'limit must be at least 1').")
        obs.expect_clean("Check the limit before starting anything.")


@case(points=1)
def test_run_all_keeps_limit_commands_running_while_there_is_work(student: Student):
    for count, limit in ((4, 2), (3, 5)):
        obs = _held(student, count, limit)
        _expect_held_codes(obs, count)
        short = obs.value.shortfalls
        if short:
            s = short[0]
            fail(f"{obs.call}: with {s.ended} command(s) ended and "
                 f"{count - s.ended - s.running} still waiting to start, only "
                 f"{s.running} ran; expected {s.want}. Start the next command as soon as "
                 "any running one ends: not one by one, not batch by batch (a Semaphore, "
                 "`limit` workers taking commands from a shared iterator, or "
                 "`asyncio.wait(..., return_when=FIRST_COMPLETED)`).", Reason.TIMING, obs=obs)
        if obs.value.most > limit:
            fail(f"{obs.call} ran {obs.value.most} commands at once; expected at most "
                 f"{limit}.", Reason.TIMING, obs=obs)
        obs.expect_clean()


@case(points=1)
def test_run_all_gives_its_programs_an_empty_stdin(student: Student):
    obs = student.run(sc.run_all_stdin, count=2, limit=2,
                      call="run_all([['cat'], ['cat']], limit=2), our standard input being a "
                           "pipe that stays open")
    obs.expect_no_error()
    if obs.value.hung:
        fail(f"{obs.call} never returned: each `cat` read the standard input it inherited "
             "from us, which never ends. Commands run as `run` does with no input: give them "
             "`stdin=DEVNULL` (an empty, closed standard input).", Reason.HANG, obs=obs)
    expect_equal(obs.returned(), [0, 0], obs.call)
    obs.expect_clean()


@case(points=1)
def test_run_all_with_a_limit_of_one(student: Student):
    obs = _held(student, 3, 1, settle_first=True)
    obs.expect_no_error("limit=1 is valid (one command at a time): only a limit below 1 is "
                        "refused.")
    _expect_held_codes(obs, 3)
    if obs.value.most != 1 or obs.value.shortfalls:
        fail(f"{obs.call} ran at most {obs.value.most} command(s) at once; expected "
             "exactly one at a time, the next as soon as one ends. limit=1 is valid: only a "
             "limit below 1 is refused.", Reason.TIMING, obs=obs)
    obs.expect_clean()


def _expect_reaped_when_cancelled(obs: Observation[sc.RanCancelled], what: str) -> None:
    v = expect_ends_cancelled(obs)
    codes = v.caller.at_end or []
    if v.started == 0:
        fail(f"{obs.call}: no program had started when its task was cancelled; expected "
             f"{what} to start at once.")
    if any(code is None for code in codes):
        fail(f"{obs.call}: when its task ended (cancelled), {codes.count(None)} of the "
             f"programs it started had not been killed and reaped (return codes {codes}). "
             "When cancelled, kill every program still running (`process.kill()`) and wait "
             "for it (`await process.wait()`) before letting the CancelledError go on, e.g. "
             "in a `finally:`.", Reason.LEAK)
    if v.left:
        fail(f"{obs.call}: after its task ended, a child process was left behind: pid "
             f"{v.left[0].pid} ({v.left[0].status}).", Reason.LEAK)
    obs.expect_clean()


@case(points=1)
def test_run_cancelled_by_its_caller_kills_and_reaps(student: Student):
    obs = student.run(sc.run_cancelled, cancel_at=0.5,
                      call=f"run({DESCRIBE['sleep']}, input=None, timeout=60), its task "
                           "cancelled once the program had started")
    _expect_reaped_when_cancelled(obs, "the program")


@case(points=1)
def test_run_all_cancelled_by_its_caller_kills_and_reaps(student: Student):
    obs = student.run(sc.run_all_cancelled, count=3, limit=2, cancel_at=0.5,
                      call=f"run_all(<3 x {DESCRIBE['sleep']}>, limit=2), its task cancelled "
                           "once two programs had started")
    _expect_reaped_when_cancelled(obs, "two programs")


@case(points=1)
def test_run_all_with_no_or_one_command(student: Student):
    obs = student.run(sc.run_all_codes, specs=[], limit=2, call="run_all([], limit=2)")
    obs.expect_no_error()
    if obs.value.hung:
        fail(f"{obs.call} never returned: with no commands there is nothing to wait for.",
             Reason.HANG, obs=obs)
    expect_equal(obs.returned(), [], obs.call, "No commands, no return codes.")
    obs = student.run(sc.run_all_codes, specs=[[0.03, 3]], limit=4,
                      call="run_all([<exit 3 after 0.03 s>], limit=4)")
    obs.expect_no_error()
    if obs.value.hung:
        fail(f"{obs.call} never returned.", Reason.HANG, obs=obs)
    expect_equal(obs.returned(), [3], obs.call)
    obs.expect_clean()
