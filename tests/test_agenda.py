"""The agenda (sim.engine.clock) and its timeline (sim.engine.timeline): calls run in
exactly the order SimPy would run them as its own events, ties included; the timeline gives
entries in the order heapq would."""

from __future__ import annotations

import heapq
import math

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.clock import Agenda, _Call
from sim.engine.timeline import Timeline

DELAYS = st.lists(st.tuples(st.integers(0, 4).map(float), st.booleans()), min_size=1,
                  max_size=40)


def _order_of(delays: list[tuple[float, bool]], through_agenda: bool) -> list[int]:
    """Labels in the order they run: each is scheduled at time 0 with its delay, through the
    agenda where the flag says so (if `through_agenda`), else as a plain SimPy timeout."""
    env = simpy.Environment()
    agenda = Agenda(env)
    ran: list[int] = []
    for label, (delay, on_agenda) in enumerate(delays):
        if through_agenda and on_agenda:
            agenda.after(delay, ran.append, label)
        else:
            env.timeout(delay).callbacks.append(lambda _, label=label: ran.append(label))
    env.run()
    return ran


@settings(max_examples=200)
@given(DELAYS)
def test_agenda_calls_run_where_simpy_would_run_them(delays: list[tuple[float, bool]]
                                                     ) -> None:
    assert _order_of(delays, through_agenda=True) == _order_of(delays, through_agenda=False)


def test_pending_lists_the_calls_earliest_first_then_simpys_own_events() -> None:
    env = simpy.Environment()
    agenda = Agenda(env)
    for delay in (3.0, 1.0, 2.0, 1.0):
        agenda.after(delay, print, delay)
    stop = env.timeout(10.0)
    pending = agenda.pending()
    assert [time for time, _ in pending] == [1.0, 1.0, 2.0, 3.0, 10.0]
    assert [getattr(call, "arg", None) for _, call in pending][:4] == [1.0, 1.0, 2.0, 3.0]
    assert pending[-1][1] is stop


def _call(at: float, order: int) -> _Call:
    return _Call((lambda _: None,), print, None, at, order)


# Times spread from ties to far-apart, so the timeline's days are measured again and its
# buckets resized while calls come and go; inf is a call that never falls due.
TIMES = st.one_of(st.integers(0, 3).map(float), st.floats(0, 1e6, allow_nan=False),
                  st.just(math.inf))


@settings(max_examples=300)
@given(st.lists(st.tuples(TIMES, st.integers(0, 2)), max_size=300))
def test_the_timeline_gives_the_earliest_call_as_a_heap_would(
        steps: list[tuple[float, int]]) -> None:
    """Calls are added at or after the last taken (as time only moves on), some taken in
    between; each taken call is the one heapq would pop."""
    timeline = Timeline()
    reference: list[tuple[float, int]] = []
    now = 0.0
    for order, (delay, takes) in enumerate(steps):
        at = now + delay
        timeline.add(_call(at, order))
        heapq.heappush(reference, (at, order))
        for _ in range(takes):
            if reference:
                expected = heapq.heappop(reference)
                call = timeline.take()
                assert (call.at, call.order) == expected
                now = expected[0] if expected[0] != math.inf else now
        first = timeline.first
        assert (None if first is None else (first.at, first.order)) == (
            reference[0] if reference else None)
    assert len(timeline) == len(reference)
    assert sorted((c.at, c.order) for c in timeline.calls()) == sorted(reference)
