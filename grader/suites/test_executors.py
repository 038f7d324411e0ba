"""Hidden suite: executors. Real threads, so the real clock: ``blocking_checksum`` is
replaced by an instrumented twin that really sleeps, and concurrency is proven by counts
(how many calls ran at once, on which threads), never by tight timings. The loop's
health is shown by blockbuster, the stall monitor, and a ticker task whose longest gap
between two turns stays far below the time the threads work."""

import os

from grader._plugin import Student
from grader.scenarios import executors as sc
from grader.testing import Reason, case, expect_equal, fail, show

SLUG = "executors"

# The loop's default pool on this machine (what asyncio.to_thread uses).
DEFAULT_POOL = min(32, (os.cpu_count() or 1) + 4)

OFFLOAD = ("Hand blocking_checksum to a thread and await the result: "
           "`await asyncio.to_thread(blocking_checksum, data)` or "
           "`await loop.run_in_executor(pool, blocking_checksum, chunk)`.")


def _finished(obs):
    """The scenario's record, once the call returned in time."""
    obs.expect_no_error()
    v = obs.value
    if v.hung:
        fail(f"{obs.call} had not finished after {sc.BOUND:g} s of real time (the work needs a "
             "fraction of a second) and was cancelled. Is it waiting for something that never "
             "comes?", Reason.HANG, obs=obs)
    return v


def _reordered(returned, expected) -> bool:
    """The right checksums, each once, in another order."""
    try:
        return isinstance(returned, list) and sorted(returned) == sorted(expected) and \
            returned != expected
    except TypeError:  # items that do not compare: not the right checksums
        return False


def _expect_checksums(obs, ordered=True):
    """``ordered=False`` where the calls all last as long, so that their threads' timing
    alone decides which finishes first: the order is judged where the calls' lengths decide
    it (a racy wrong order would otherwise pass or fail by chance, grade after grade)."""
    v = _finished(obs)
    if v.on_loop:
        fail(f"{obs.call} called blocking_checksum on the event loop's own thread, blocking "
             f"the loop. {OFFLOAD}", Reason.BLOCKING, obs=obs)
    if not ordered and _reordered(v.returned, v.expected):
        return v
    expect_equal(v.returned, v.expected, obs.call,
                 "Return one checksum per chunk, in the order of the chunks, each the value "
                 "blocking_checksum returned.")
    if v.calls != len(v.expected):
        fail(f"{obs.call} called blocking_checksum {v.calls} times; expected "
             f"{len(v.expected)}, once per chunk, through the module's global name "
             "`blocking_checksum`.")
    return v


def _run(student: Student, n, max_workers, **kw):
    return student.run(sc.checksums, n=n, max_workers=max_workers, **kw,
                       call=f"checksums(<{n} chunks>, max_workers={max_workers})")


# -- checksum_async ----------------------------------------------------------------------

def _checksum_async(student: Student, text):
    obs = student.run(sc.checksum_async, text=text, call=f"checksum_async({text.encode()!r})")
    v = _finished(obs)
    expect_equal(v.returned, v.expected, obs.call,
                 "It returns what blocking_checksum(data) returns.")
    if v.calls != 1:
        fail(f"{obs.call} called blocking_checksum {v.calls} times; expected once, "
             "through the module's global name `blocking_checksum` (the grader replaces it).")
    return obs, v


@case(points=1, hidden=False)
def test_checksum_async_returns_the_checksum(student: Student):
    _checksum_async(student, "hello")


@case(points=1)
def test_checksum_async_runs_in_another_thread(student: Student):
    obs, v = _checksum_async(student, "legacy library")
    if v.on_loop:
        fail(f"{obs.call} ran blocking_checksum on the event loop's thread: `async def` does "
             f"not make the code inside it non-blocking. {OFFLOAD}", Reason.BLOCKING, obs=obs)
    obs.expect_not_blocking()
    _expect_no_thread_left(obs, v)
    obs.expect_clean()


# -- checksums ---------------------------------------------------------------------------

@case(points=1)
def test_checksums_keeps_the_order_of_the_chunks(student: Student):
    # The first chunks take longest, so they finish last.
    obs = _run(student, 5, 5, hold=[0.02 * (5 - i) for i in range(5)])
    v = _finished(obs)
    if sorted(v.returned or []) == sorted(v.expected) and v.returned != v.expected:
        fail(f"{obs.call} returned the right checksums in the wrong order: "
             f"{show(v.returned)}; expected {show(v.expected)}. Results must follow "
             "the order of the chunks, not the order the calls finish in: `asyncio.gather` "
             "keeps its arguments' order (`as_completed` does not).")
    _expect_checksums(obs)


def _expect_most(obs, v, expected, hint):
    # No thread names or timings in messages: they vary from run to run, the verdict must not.
    most = v.most_at_once
    if most != expected:
        where = (" (on the loop's default pool, the threads named asyncio_N)"
                 if any(t.startswith("asyncio_") for t in v.threads) else "")
        serial = (" The calls ran one after another: is each one awaited before the next "
                  "one starts?" if most == 1 < expected else "")
        fail(f"{obs.call} ran at most {most} blocking_checksum calls at once{where}; "
             f"expected {expected}.{serial} {hint}", Reason.TIMING, obs=obs)


def _expect_no_thread_left(obs, v):
    if v.left_running:
        fail(f"When {obs.call} returned, {len(v.left_running)} thread(s) that had run "
             "blocking_checksum were still alive. Shut a "
             "private pool down before returning, without blocking the loop: "
             "`await asyncio.to_thread(pool.shutdown)` in a `finally` (and join threads of "
             "your own the same way).", Reason.LEAK)


@case(points=1, hidden=False)
def test_checksums_runs_max_workers_at_once(student: Student):
    obs = _run(student, 9, 3, together=3)
    v = _expect_checksums(obs, ordered=False)
    _expect_most(obs, v, 3, "With max_workers=3 and 9 chunks, 3 calls must run together "
                 "while there is work: start them all (e.g. a ThreadPoolExecutor(max_workers) "
                 "and run_in_executor for each chunk), then gather the results.")


@case(points=1)
def test_checksums_goes_beyond_the_default_pool(student: Student):
    workers = DEFAULT_POOL + 2
    obs = _run(student, workers + 2, workers, together=workers)
    v = _expect_checksums(obs, ordered=False)
    hint = ""
    if v.most_at_once == DEFAULT_POOL or any(t.startswith("asyncio_") for t in v.threads):
        hint = (f" The loop's default pool (used by asyncio.to_thread) has only {DEFAULT_POOL} "
                "threads here, so the other calls queue up: make a pool of your own, "
                "`ThreadPoolExecutor(max_workers=max_workers)`, and use "
                "`loop.run_in_executor(pool, ...)`.")
    _expect_most(obs, v, workers, f"Every one of the {workers} workers must be busy while "
                 f"there is work: start every call at once.{hint}")


@case(points=1)
def test_checksums_runs_no_more_than_max_workers(student: Student):
    for n, workers in ((8, 2), (4, 1)):
        obs = _run(student, n, workers, together=workers)
        v = _expect_checksums(obs, ordered=False)
        if v.most_at_once > workers:
            _expect_most(obs, v, workers, "At most max_workers calls may run at once: give "
                         "your pool exactly max_workers threads "
                         "(`ThreadPoolExecutor(max_workers=max_workers)`).")


@case(points=1)
def test_checksums_keeps_the_workers_busy(student: Student):
    # One long call and four short ones on two workers: while the long one runs, the other
    # worker goes through the short ones. Waiting for a whole batch to finish before
    # starting the next leaves a worker idle. The long call lasts 0.4 s at most: it ends as
    # soon as every short one has started.
    holds = [0.4, 0.03, 0.03, 0.03, 0.03]
    obs = _run(student, 5, 2, hold=holds, wait_for_others=0)
    v = _expect_checksums(obs)
    if v.most_at_once > 2:
        _expect_most(obs, v, 2, "At most max_workers calls may run at once.")
    records = v.records
    long_end = next(r.end for r in records if r.chunk == 0)
    late = [r.chunk for r in records if r.chunk != 0 and r.start >= long_end]
    if late:
        fail(f"{obs.call} with one call of 0.4 s and four of 0.03 s: chunks {late} started "
             "only after the long call had finished, although a worker was free. Start "
             "every call at once and let the pool hand them to free threads; don't wait for "
             "a batch of max_workers calls to finish before starting the next.", Reason.TIMING,
             obs=obs)


@case(points=1)
def test_checksums_does_not_block_the_loop(student: Student):
    # Each call lasts until the loop has turned a few times, at most 0.2 s: on a free loop
    # a few milliseconds; while the loop is blocked, the whole 0.2 s. So the threads work
    # 0.4 s in all (2 rounds of 0.2 s) only for a loop that waits for them, which goes
    # that long without a turn. A free loop turns every few milliseconds (at worst some
    # 0.07 s on a 2-core machine beside 3 busy processes).
    obs = _run(student, 8, 4, hold=0.2, until_turns=sc.TURNS)
    obs.expect_not_blocking()
    v = _expect_checksums(obs, ordered=False)
    if v.max_gap >= 0.2:
        fail(f"{obs.call}: the event loop went more than 0.2 s at a time without running "
             "anything while the threads worked (0.4 s in all): it was blocked, waiting for "
             "the results on its own thread. Await them instead (run_in_executor or "
             "asyncio.wrap_future, then asyncio.gather), and never call future.result(), "
             "pool.map() or pool.shutdown() on the loop.", Reason.BLOCKING, obs=obs)


@case(points=1)
def test_checksums_leaves_no_thread_behind(student: Student):
    obs = _run(student, 6, 3)
    _expect_checksums(obs, ordered=False)
    obs.expect_not_blocking()
    _expect_no_thread_left(obs, obs.value)
    obs.expect_clean("A private pool must be shut down before checksums returns, off the "
                     "loop: `await asyncio.to_thread(pool.shutdown)` in a `finally`.")


@case(points=1, hidden=False)
def test_checksums_rejects_max_workers_below_one(student: Student):
    for workers in (0, -2):
        obs = student.run(sc.checksums, n=3, max_workers=workers,
                          call=f"checksums(<3 chunks>, max_workers={workers})")
        if obs.error is None:
            _finished(obs)
        err = obs.expect_raises("ValueError", "A pool needs at least one worker: raise "
                                "ValueError (with a message) when max_workers < 1.")
        if not err.message.strip():
            fail(f"{obs.call} raised ValueError without a message; say what is wrong, e.g. "
                 "ValueError('max_workers must be at least 1').")


@case(points=1)
def test_checksums_of_no_or_one_chunk(student: Student):
    for n, workers in ((0, 2), (1, 1), (1, 4)):
        obs = _run(student, n, workers)
        _expect_checksums(obs)
        obs.expect_not_blocking()
        obs.expect_clean()
