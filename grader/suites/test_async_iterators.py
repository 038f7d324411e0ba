"""Hidden suite: async_iterators. Sources are async generators made by the scenarios: they
record, on the virtual clock, each item they yield and whether their ``finally`` block ran
(and finished), and the scenarios note which tasks were still running at the moments the
contract names (``take`` returning, ``merge`` closed, an error reaching the consumer)."""

from grader._cancelled import expect_ends_cancelled
from grader._plugin import Student
from grader.scenarios import async_iterators as sc
from grader.testing import TOLERANCE, Raised, Reason, case, expect_equal, fail, show

SLUG = "async_iterators"


def _src(name, interval, count, **extra):
    return {"name": name, "interval": interval, "count": count, **extra}


def _describe(spec):
    count = "forever" if spec["count"] is None else f"{spec['count']} items"
    text = f"<{spec['name']}: {count}, one every {spec['interval']:g} s"
    if "raise_after" in spec:
        text += f", then ValueError at {spec['raise_after']:g} s"
    if spec.get("cleanup"):
        text += f", {spec['cleanup']:g} s of cleanup in its finally"
    return text + ">"


def _times(times):
    return "[" + ", ".join(f"{t:g}" for t in times) + "]"


def _not_hung(obs, hint):
    obs.expect_no_error()
    if obs.value.hung:
        fail(f"{obs.call} never finished (the scenario gave up after {sc.PATIENCE:g} s of loop "
             f"time). {hint}", Reason.HANG, obs=obs)


# -- ticks -------------------------------------------------------------------------------

def _expect_ticks(obs, count, interval):
    _not_hung(obs, "ticks must end after `count` items.")
    expect_equal(obs.returned(), list(range(count)), obs.call,
                 f"ticks(interval, {count}) yields 0, 1, ..., {count - 1}.")
    expected = [round((i + 1) * interval, 6) for i in range(count)]
    times = obs.value.times
    if any(abs(a - b) > TOLERANCE for a, b in zip(times, expected, strict=True)):
        hint = ""
        if times and times[0] < TOLERANCE:
            hint = (" The first item came at once: sleep before the first `yield`, not after "
                    "it.")
        fail(f"{obs.call} yielded its items at {_times(times)} s after iteration started; "
             f"expected {_times(expected)} s: each item `interval` seconds after the one "
             f"before, the first `interval` seconds after iteration starts.{hint}",
             Reason.TIMING, obs=obs)


@case(points=1, hidden=False)
def test_ticks_yields_each_item_one_interval_after_the_last(student: Student):
    obs = student.run(sc.ticks, interval=0.5, count=3)
    _expect_ticks(obs, 3, 0.5)


@case(points=1)
def test_ticks_start_when_iteration_starts_and_count_zero_is_empty(student: Student):
    obs = student.run(sc.ticks, interval=1.0, count=2, wait_first=5.0,
                      call="ticks(1.0, 2), iterated 5 s after it was called")
    _expect_ticks(obs, 2, 1.0)
    if not obs.value.is_async_gen:
        fail(f"{obs.call}: ticks(...) did not return an async generator: write it as an "
             "`async def` with `yield`.")
    obs = student.run(sc.ticks, interval=2.0, count=0)
    expect_equal(obs.returned(), [], obs.call, "count=0 yields nothing.")
    if obs.value.ended_at != 0:
        fail(f"{obs.call} took {obs.value.ended_at:g} s to end; expected it to end at once: "
             "with no item to yield there is nothing to wait for.", Reason.TIMING, obs=obs)


@case(points=1)
def test_ticks_does_not_block_and_leaves_nothing(student: Student):
    obs = student.run(sc.ticks, interval=0.25, count=4)
    obs.expect_not_blocking()
    _expect_ticks(obs, 4, 0.25)
    obs.expect_clean()
    obs = student.run(sc.ticks, interval=1.0, count=100, stop_after=2,
                      call="ticks(1.0, 100), closed with aclose() after 2 items")
    obs.expect_not_blocking()
    expect_equal(obs.returned(), [0, 1], obs.call)
    obs.expect_clean("Closing the generator early must leave no task or timer behind.")


# -- take --------------------------------------------------------------------------------

CLOSE_HINT = ("Breaking out of `async for` leaves the generator suspended at its `yield`: "
              "its `finally` runs only when someone closes it. `await source.aclose()` before "
              "returning (awaited: `source.aclose()` alone does nothing), or use `async with "
              "contextlib.aclosing(source):`.")


def _run_take(student: Student, source, n, pull_first=0):
    call = f"take({_describe(source)}, {n})"
    if pull_first:
        call = f"take(<{source['name']}, after {pull_first} item(s) were read from it>, {n})"
    return student.run(sc.take, source=source, n=n, pull_first=pull_first, call=call)


def _expect_closed(obs, when=""):
    src = obs.value.source
    if not obs.value.closed_when_returned or src.closed is None:
        if obs.never_awaited:  # e.g. `source.aclose()` without `await`: say that
            obs.expect_clean()
        started = src.cleanup_started is not None
        if started:
            fail(f"{obs.call} returned while the source was still running its `finally` "
                 "block: await its closing (`await source.aclose()`), do not just start it.",
                 Reason.LEAK)
        fail(f"{obs.call} returned without closing the source{when}: its `finally` block had "
             f"not run. {CLOSE_HINT}", Reason.LEAK)


@case(points=1, hidden=False)
def test_take_returns_the_first_items_and_closes_the_source(student: Student):
    obs = _run_take(student, _src("a", 1.0, 5, cleanup=0.5), 2)
    _not_hung(obs, "take must stop reading after n items.")
    expect_equal(obs.returned(), ["a0", "a1"], obs.call, "The first n items, in order.")
    _expect_closed(obs)
    obs.expect_clean()


@case(points=1)
def test_take_returns_fewer_when_the_source_ends_first(student: Student):
    obs = _run_take(student, _src("b", 1.0, 2), 5)
    _not_hung(obs, "A source that ends has no more items: stop there.")
    expect_equal(obs.returned(), ["b0", "b1"], obs.call,
                 "When the source ends before n items, return what it gave. (`anext()` raises "
                 "StopAsyncIteration at the end; `async for` stops there for you.)")
    if obs.value.took != 2.0:
        fail(f"{obs.call} took {obs.value.took:g} s of loop time; expected 2 s, the time "
             "the source takes to give its two items and end.", Reason.TIMING, obs=obs)
    _expect_closed(obs)
    obs.expect_clean()


@case(points=1)
def test_take_zero_or_negative_reads_nothing_and_still_closes(student: Student):
    fresh = _src("c", 1.0, 5)
    obs = _run_take(student, fresh, 0)
    expect_equal(obs.returned(), [], obs.call, "take(source, 0) is [].")
    if obs.value.read_by_take or obs.value.took:
        fail(f"{obs.call} read {obs.value.read_by_take} item(s) and took "
             f"{obs.value.took:g} s; expected it to read nothing and return at once.")
    if not obs.value.closed_when_returned:
        if obs.never_awaited:
            obs.expect_clean()
        fail(f"{obs.call} returned without closing the source: with n <= 0 it must still be "
             f"closed. {CLOSE_HINT}", Reason.LEAK)
    for n in (0, -2):
        obs = _run_take(student, _src("d", 1.0, 5, cleanup=0.5), n, pull_first=1)
        expect_equal(obs.returned(), [], obs.call, "With n <= 0, take returns [].")
        if obs.value.read_by_take:
            fail(f"{obs.call} read {obs.value.read_by_take} item(s); expected none.")
        _expect_closed(obs, " (n <= 0 too must close it)")
        obs.expect_clean()


# -- merge -------------------------------------------------------------------------------

def _merge_call(sources):
    return "merge(" + ", ".join(_describe(s) for s in sources) + ")"


READ_TOGETHER = ("Read them all at once (a task per source, or one pending `anext()` per "
                 "source and `asyncio.wait(..., return_when=FIRST_COMPLETED)`), and yield each "
                 "item as it arrives.")
CHAINED = "Are the sources read one after another? " + READ_TOGETHER


def _expect_merged(obs, expected, times, ended):
    _not_hung(obs, "merge must end once every source has ended. " + CHAINED)
    got = obs.returned()
    if type(got) is list and sorted(map(str, got)) == sorted(expected) and got != expected:
        fail(f"{obs.call} yielded {show(got)}; expected {show(expected)}: the items in the "
             f"order they arrive, whichever source they come from. {CHAINED}",
             Reason.TIMING, obs=obs)
    expect_equal(got, expected, obs.call, "Every item of every source, in arrival order.")
    if obs.value.times != times:
        fail(f"{obs.call} yielded its items at {_times(obs.value.times)} s; the sources "
             f"gave them at {_times(times)} s. Yield each item as soon as it arrives. "
             + CHAINED, Reason.TIMING, obs=obs)
    if obs.value.ended_at != ended:
        fail(f"{obs.call} ended after {obs.value.ended_at:g} s of loop time; expected "
             f"{ended:g} s, when the last source ends. {CHAINED}", Reason.TIMING, obs=obs)


@case(points=1, hidden=False)
def test_merge_yields_items_as_they_arrive(student: Student):
    sources = [_src("a", 1.0, 3), _src("b", 1.4, 3)]
    obs = student.run(sc.merge, sources=sources, call=_merge_call(sources))
    _expect_merged(obs, ["a0", "b0", "a1", "b1", "a2", "b2"], [1.0, 1.4, 2.0, 2.8, 3.0, 4.2],
                   4.2)


@case(points=1)
def test_merge_runs_sources_together_and_ends_when_all_have_ended(student: Student):
    sources = [_src("a", 0.7, 4), _src("b", 2.0, 1), _src("c", 1.0, 0)]
    obs = student.run(sc.merge, sources=sources, call=_merge_call(sources))
    obs.expect_not_blocking()
    _expect_merged(obs, ["a0", "a1", "b0", "a2", "a3"], [0.7, 1.4, 2.0, 2.1, 2.8], 2.8)
    for src in obs.value.sources:
        if src.ending != "exhausted":
            fail(f"{obs.call}: source {src.name} was {src.ending} instead of read to "
                 "its end.")
    if obs.value.others_running:
        fail(f"When {obs.call} ended, a task it started was still running "
             f"({obs.value.others_running[0]}). Wait for the tasks you start.", Reason.LEAK)
    obs.expect_clean()


def _expect_nothing_running(obs, moment, running):
    if running:
        fail(f"{moment}, a task merge started was still running ({running[0]}). "
             "`task.cancel()` only asks: await the cancelled tasks (e.g. `await "
             "asyncio.gather(*tasks, return_exceptions=True)`) before closing the sources.",
             Reason.LEAK)


@case(points=1)
def test_merge_closes_every_source_when_the_consumer_stops(student: Student):
    sources = [_src("a", 1.0, None), _src("b", 1.5, None, cleanup=0.5)]
    obs = student.run(sc.merge_close_early, sources=sources, n=3, call=_merge_call(sources))
    obs.call = f"{obs.call}, closed with aclose() after 3 items"
    _not_hung(obs, "Closing the merge must not wait for sources that never end.")
    expect_equal(obs.returned(), ["a0", "b0", "a1"], obs.call,
                 "The first three items in arrival order. " + CHAINED)
    at_close = obs.value.at_close
    if at_close is None:
        fail(f"{obs.call}: aclose() never returned. Closing the merge must not wait for "
             "sources that never end.", Reason.HANG, obs=obs)
    for src, closed, began in zip(obs.value.sources, at_close.closed,
                                  at_close.cleanup_started, strict=True):
        if not closed:
            fail(f"When aclose() of {obs.call} returned, source {src.name} had "
                 + ("not finished its `finally` block yet: wait for it to close."
                    if began else "not been closed: its `finally` block had not run.")
                 + " On early close, cancel and await what is reading the sources, then "
                 "`await source.aclose()` for every source (in a `finally` around your "
                 "`yield`s).", Reason.LEAK)
    _expect_nothing_running(obs, f"When aclose() of {obs.call} returned",
                            at_close.others_running)
    obs.expect_clean()


def _lost_error(obs):
    """Why source x's error never reached the consumer, read off how x ran."""
    obs.expect_no_error()
    x = next((s for s in obs.value.sources if s.name == "x"), None)
    if x is not None and x.ending == "not started":
        return ("Source x was never read, so its error could not come: the sources are read "
                "one after another, and the first one never ends. " + READ_TOGETHER)
    if x is not None and x.ending == "raised":
        return ("Source x raised ValueError at 2.5 s, and the error was lost on its way to "
                "the consumer: swallowed (an `except Exception` in a reading task that only "
                "marks the source as ended), or left in a task nobody awaits. Hand the "
                "exception over and raise it from merge.")
    return "Source x raises ValueError at 2.5 s: that error must reach the consumer."


@case(points=1)
def test_merge_raises_a_source_error_after_closing_the_others(student: Student):
    sources = [_src("a", 1.0, None, cleanup=0.5), _src("x", 1.0, 0, raise_after=2.5)]
    obs = student.run(sc.merge_error, sources=sources, call=_merge_call(sources))
    _not_hung(obs, _lost_error(obs))
    received, caught = obs.returned(), obs.value.raised
    if caught is None:
        fail(f"{obs.call} ended normally after yielding {show(received)}; expected the "
             "source's ValueError to reach the consumer. Never swallow a source's exception: "
             "hand it over and raise it from merge.")
    if not isinstance(caught, Raised) or caught.type != "ValueError":
        hint = ""
        if isinstance(caught, Raised) and caught.is_a("BaseExceptionGroup"):
            hint = (" A TaskGroup wraps errors in an ExceptionGroup: catch the source's "
                    "exception and raise it as it is (or use tasks you manage yourself).")
        fail(f"{obs.call} raised {caught}; expected the source's own ValueError('source x "
             f"broke'), as it is.{hint}")
    if not obs.value.same_exception:
        fail(f"{obs.call} raised a ValueError, but not the one the source raised: re-raise "
             "the source's exception object itself.")
    expect_equal(received, ["a0", "a1"], obs.call,
                 "The items that arrived before the error still reach the consumer.")
    at_raise = obs.value.at_raise
    if at_raise is None:
        fail(f"{obs.call}: the source's ValueError never reached the consumer.", Reason.HANG,
             obs=obs)
    if not all(at_raise.closed):
        fail(f"When the ValueError of {obs.call} reached the consumer, source a was not "
             "closed yet (its `finally` had not finished). Close every other source (`await "
             "source.aclose()`) before the error leaves merge.", Reason.LEAK)
    _expect_nothing_running(obs, f"When the ValueError of {obs.call} reached the consumer",
                            at_raise.others_running)
    obs.expect_clean()


# -- cancelled by the caller (the convention) ----------------------------------------------

@case(points=1)
def test_merge_closes_every_source_when_the_consumers_task_is_cancelled(student: Student):
    sources = [_src("a", 1.0, None, cleanup=0.5), _src("b", 3.0, None, cleanup=0.25)]
    obs = student.run(sc.merge_cancelled, sources=sources, cancel_at=2.5,
                      call=f"`async for` over {_merge_call(sources)} in a task cancelled "
                           "after 2.5 s")
    v = expect_ends_cancelled(obs)
    expect_equal(v.received, ["a0", "a1"], obs.call, "The items that arrived before the "
                 "cancellation reach the consumer.")
    at_end = v.caller.at_end
    if at_end is None:  # the task ended: expect_ends_cancelled checked it
        fail(f"{obs.call}: the consumer's task never ended.", Reason.HANG, obs=obs)
    for src, closed in zip(v.sources, at_end.closed, strict=True):
        if not closed:
            fail(f"When the consumer's task ended (cancelled) in {obs.call}, source "
                 f"{src.name} was not closed (its `finally` had not finished). A "
                 "cancellation reaches merge at its `await`: in a `finally` around it, "
                 "cancel and await the pending reads, then `await source.aclose()` for every "
                 "source.", Reason.LEAK)
    _expect_nothing_running(obs, f"When the consumer's task ended (cancelled) in {obs.call}",
                            at_end.others_running)
    obs.expect_clean()


@case(points=1)
def test_take_one_stops_at_once_without_reading_further(student: Student):
    for source, n, expected in ((_src("e", 1.0, 1, raise_after=5.0), 1, ["e0"]),
                                (_src("f", 0.5, 3, raise_after=5.0), 3, ["f0", "f1", "f2"])):
        obs = _run_take(student, source, n)
        obs.expect_no_error(f"take must not ask for item {n + 1}: after {n} item(s) the "
                            "source waits, then fails. Stop as soon as you have n items.")
        _not_hung(obs, "take must stop reading after n items.")
        expect_equal(obs.returned(), expected, obs.call, f"The first {n} item(s).")
        if obs.value.read_by_take != n or obs.value.took != source["interval"] * n:
            fail(f"{obs.call} read {obs.value.read_by_take} item(s) and returned after "
                 f"{obs.value.took:g} s; expected {n} item(s), returned at "
                 f"{source['interval'] * n:g} s, when item {n} arrived: check the count "
                 "right after appending, before asking for another item.")
        _expect_closed(obs)
        obs.expect_clean()


@case(points=1)
def test_merge_closes_at_once_even_between_items(student: Student):
    slow = [_src("a", 1.0, None), _src("s", 500.0, None, cleanup=0.5)]
    obs = student.run(sc.merge_close_early, sources=slow, n=2,
                      call=f"{_merge_call(slow)}, closed with aclose() after 2 items")
    _not_hung(obs, "Closing the merge must not wait for a source's next item: cancel the "
              "reads still in flight, then close the sources.")
    expect_equal(obs.returned(), ["a0", "a1"], obs.call)
    at_close = obs.value.at_close
    if at_close is None:
        fail(f"{obs.call}: aclose() never returned. Closing the merge must not wait for "
             "sources that never end.", Reason.HANG, obs=obs)
    took = at_close.close_took
    if took > 0.5 + TOLERANCE:
        fail(f"{obs.call}: aclose() took {took:g} s; expected 0.5 s, the cleanup of source s. "
             "Cancel the reads still in flight (`future.cancel()`) before waiting for them: "
             "waiting without cancelling waits for the sources' next items.",
             Reason.TIMING, obs=obs)
    together = [_src("a", 1.0, None, cleanup=0.5), _src("b", 1.0, None, cleanup=0.25)]
    obs = student.run(sc.merge_close_early, sources=together, n=1,
                      call=f"{_merge_call(together)}, closed with aclose() after the first "
                           "item")
    _not_hung(obs, "Closing the merge must not wait for sources that never end.")
    got = obs.returned()
    if got not in (["a0"], ["b0"]):
        fail(f"{obs.call} yielded {show(got)}; expected one item, a0 or b0 (both arrive at "
             "1 s).")
    at_close = obs.value.at_close
    if at_close is None:
        fail(f"{obs.call}: aclose() never returned. Closing the merge must not wait for "
             "sources that never end.", Reason.HANG, obs=obs)
    for src, closed in zip(obs.value.sources, at_close.closed, strict=True):
        if not closed:
            fail(f"When aclose() of {obs.call} returned, source {src.name} was not closed: "
                 "both sources had an item ready at 1 s, one of them not yet handed over, so "
                 "no read of it was left to cancel. Close every source itself (`await "
                 "source.aclose()`), not only the reads in flight.", Reason.LEAK)
    obs.expect_clean()


@case(points=1)
def test_merge_raises_a_source_error_at_once(student: Student):
    sources = [_src("s", 500.0, None, cleanup=0.5), _src("x", 1.0, 0, raise_after=2.5)]
    obs = student.run(sc.merge_error, sources=sources, call=_merge_call(sources))
    _not_hung(obs, _lost_error(obs))
    caught = obs.value.raised
    if not isinstance(caught, Raised) or caught.type != "ValueError":
        fail(f"{obs.call} raised {caught}; expected the source's own ValueError('source x "
             "broke').")
    at_raise = obs.value.at_raise
    if at_raise is None:
        fail(f"{obs.call}: the source's ValueError never reached the consumer.", Reason.HANG,
             obs=obs)
    at = at_raise.at
    if at > 3.0 + TOLERANCE:
        fail(f"The ValueError of {obs.call} reached the consumer at {at:g} s; expected at 3 s: "
             "the error at 2.5 s, then the 0.5 s source s needs to close. Cancel the reads "
             "still in flight before waiting for them, on an error as on a close: waiting "
             "without cancelling waits for source s's next item, 500 s away.",
             Reason.TIMING, obs=obs)
    obs.expect_clean()


@case(points=1)
def test_merge_of_no_or_one_source(student: Student):
    obs = student.run(sc.merge, sources=[], call="merge()")
    _not_hung(obs, "With no sources, merge ends at once.")
    expect_equal(obs.returned(), [], obs.call, "No sources, no items.")
    if obs.value.ended_at != 0:
        fail(f"{obs.call} ended after {obs.value.ended_at:g} s; expected at once.",
             Reason.TIMING, obs=obs)
    one = [_src("a", 0.5, 3)]
    obs = student.run(sc.merge, sources=one, call=_merge_call(one))
    _expect_merged(obs, ["a0", "a1", "a2"], [0.5, 1.0, 1.5], 1.5)
    obs.expect_clean()
