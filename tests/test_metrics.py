"""KPIs of sim/analysis/metrics.py on hand-built event logs, with every expected number worked
out by hand from docs/kpis.md (the contract), never copied from the code's output.

Each log is a plausible replication log (DESIGN.md section 1 lifecycle, section 3 columns):
every task goes task.created -> reservation.created -> an outcome ..., capacities are
respected, and rows are in time order. Row tuples are
`(time, event, task, conversation, agent, detail)`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis.audit import audit
from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.context import Context
from sim.analysis.metrics import kpis, kpis_by_group, kpis_by_skill
from sim.engine.eventlog import EVENT_NAMES

Row = tuple[float, str, int | None, int | None, str | None, str]

DAY = 86_400.0


# Building logs -----------------------------------------------------------------------------

def log(*blocks: list[Row]) -> pd.DataFrame:
    """One replication's event frame, shaped like `EventLog.to_frame()`.

    Each block (e.g. one task's story) must already be in time order; the blocks are merged
    by a stable sort on time, so rows at the same time keep the order they are written in.
    """
    for block in blocks:
        times = [row[0] for row in block]
        assert times == sorted(times), f"block not in time order: {block}"
    rows = [row for block in blocks for row in with_hands(block)]
    order = np.argsort(np.array([row[0] for row in rows], dtype=np.float64), kind="stable")
    rows = [rows[i] for i in order]
    agents = sorted({row[4] for row in rows if row[4] is not None})
    frame = pd.DataFrame({
        "replication": np.zeros(len(rows), dtype=np.int32),
        "time": np.array([row[0] for row in rows], dtype=np.float64),
        "event": pd.Categorical([row[1] for row in rows], categories=EVENT_NAMES),
        "task": pd.array([row[2] for row in rows], dtype="Int64"),
        "conversation": pd.array([row[3] for row in rows], dtype="Int64"),
        "agent": pd.Categorical([row[4] for row in rows], categories=agents),
        "detail": pd.Categorical([row[5] for row in rows]),
    })
    assert frame["time"].is_monotonic_increasing
    assert not frame["event"].isna().any(), "unknown event name"
    return frame


def with_hands(block: list[Row]) -> list[Row]:
    """The block with a zero-length `worker.work.started` (A2) before each reply and each
    completion that the block does not start explicitly, so the log stays plausible."""
    out: list[Row] = []
    for row in block:
        kind = {"message.outbound": "compose", "task.completed": "wrapup"}.get(row[1])
        started = any(r[1] == "worker.work.started" and r[2] == row[2] and r[5] == kind
                      for r in out[-1:])
        if kind is not None and not started:
            out.append((row[0], "worker.work.started", row[2], row[3], row[4], kind))
        out.append(row)
    return out


def ev(time: float, event: str, task: int | None = None, conv: int | None = None,
       agent: str | None = None, detail: str = "") -> Row:
    return (float(time), event, task, conv, agent, detail)


def activity(time: float, agent: str, name: str) -> Row:
    """worker.activity.update: "Available", "Unavailable" (timeout activity) or "Offline"."""
    return ev(time, "worker.activity.update", agent=agent, detail=name)


def arrive(time: float, task: int, conv: int, kind: str = "new",
           queue: str = "email:0") -> list[Row]:
    """An email that starts a conversation ("new" or "follow-up") and its task (R1, R15)."""
    return [ev(time, "conversation.created", None, conv, None, kind),
            ev(time, "message.inbound", None, conv, None, kind),
            ev(time, "task.created", task, conv, None, queue)]


def reactivate(time: float, old: int, new: int, conv: int) -> list[Row]:
    """A reply to an inactive conversation: reactivated, and a new task (R12)."""
    return [ev(time, "conversation.reactivated", old, conv),
            ev(time, "message.inbound", None, conv, None, "reactivation"),
            ev(time, "task.created", new, conv, None, "email:0")]


def offer(time: float, task: int, conv: int, agent: str) -> Row:
    return ev(time, "reservation.created", task, conv, agent)


def accept(time: float, task: int, conv: int, agent: str) -> Row:
    return ev(time, "reservation.accepted", task, conv, agent)


def reject(time: float, task: int, conv: int, agent: str, why: str = "declined") -> Row:
    return ev(time, "reservation.rejected", task, conv, agent, why)


def timeout(time: float, task: int, conv: int, agent: str) -> Row:
    return ev(time, "reservation.timeout", task, conv, agent)


def reply(time: float, task: int, conv: int, agent: str) -> Row:
    return ev(time, "message.outbound", task, conv, agent)


def pause(time: float, task: int, conv: int, agent: str) -> Row:
    return ev(time, "task.paused", task, conv, agent, "research")


def resume(time: float, task: int, conv: int, agent: str) -> Row:
    return ev(time, "task.resumed", task, conv, agent)


def expire(time: float, task: int, conv: int, agent: str, why: str = "researching") -> Row:
    return ev(time, "task.pause-expired", task, conv, agent, why)


def end(time: float, task: int, conv: int, agent: str, done: float) -> list[Row]:
    """End at `time` (R14), complete at `done`; the conversation closes resolved."""
    return [ev(time, "task.wrapup", task, conv, agent, "end"),
            ev(done, "task.completed", task, conv, agent),
            ev(done, "conversation.closed", task, conv, None, "resolved")]


def leave(time: float, task: int, conv: int, agent: str, done: float) -> list[Row]:
    """Leave at `time` (R11), complete at `done`; the conversation goes inactive."""
    return [ev(time, "task.wrapup", task, conv, agent, "leave"),
            ev(time, "conversation.inactive", task, conv, agent),
            ev(done, "task.completed", task, conv, agent)]


def ttl_cancel(time: float, task: int, conv: int, agent: str | None) -> list[Row]:
    """R6: the task's TTL ran out; a pending offer (if `agent`) is canceled with it."""
    rows = [] if agent is None else [ev(time, "reservation.canceled", task, conv, agent, "ttl")]
    return [*rows, ev(time, "task.canceled", task, conv, agent, "ttl"),
            ev(time, "conversation.closed", task, conv, None, "unanswered")]


def context(warmup: float, horizon: float, threshold: float = 3600.0,
            capacity: dict[str, int] | None = None, **more: object) -> Context:
    """Response KPIs follow tasks created before horizon - threshold (follow_up is 0)."""
    return Context(warmup=warmup, horizon=horizon, service_level_threshold=threshold,
                   capacity=capacity or {}, **more)  # type: ignore[arg-type]


# Names -------------------------------------------------------------------------------------

def test_every_kpi_name_is_in_the_result_in_kpi_names_order() -> None:
    frame = log([activity(0, "a-1", "Available"), *arrive(10, 1, 1), offer(10, 1, 1, "a-1"),
                 accept(20, 1, 1, "a-1"), reply(50, 1, 1, "a-1"),
                 *end(50, 1, 1, "a-1", done=60)])
    result = kpis(frame, context(0, 100, capacity={"a-1": 1}))
    assert list(result) == list(KPI_NAMES)
    assert all(isinstance(value, float) for value in result.values())


# Counts ------------------------------------------------------------------------------------

def counts_log() -> pd.DataFrame:
    # warmup 100, horizon 1000. Agents a-1, a-2 (capacity 1 each).
    return log(
        [activity(0, "a-1", "Available"), activity(0, "a-2", "Available")],
        # c1 / task 1, all before warm-up except the window close at exactly 100.
        [*arrive(10, 1, 1), offer(10, 1, 1, "a-1"), accept(20, 1, 1, "a-1"),
         pause(30, 1, 1, "a-1"), resume(40, 1, 1, "a-1"), reply(50, 1, 1, "a-1"),
         *leave(50, 1, 1, "a-1", done=60),
         ev(100, "conversation.closed", 1, 1, None, "window")],
        # c2 / task 2, before warm-up: End, then a stranded reply at 80.
        [*arrive(20, 2, 2), offer(20, 2, 2, "a-2"), accept(25, 2, 2, "a-2"),
         reply(70, 2, 2, "a-2"), ev(70, "task.wrapup", 2, 2, "a-2", "end"),
         ev(80, "message.inbound", 2, 2, "a-2", "stranded"),
         ev(90, "task.completed", 2, 2, "a-2"), ev(90, "conversation.closed", 2, 2, None,
                                                    "resolved")],
        # c3 / task 3 at exactly warm-up: a pause, End, a stranded reply at 150.
        [*arrive(100, 3, 3), offer(100, 3, 3, "a-1"), accept(110, 3, 3, "a-1"),
         pause(120, 3, 3, "a-1"), resume(130, 3, 3, "a-1"), reply(140, 3, 3, "a-1"),
         ev(140, "task.wrapup", 3, 3, "a-1", "end"),
         ev(150, "message.inbound", 3, 3, "a-1", "stranded"),
         ev(160, "task.completed", 3, 3, "a-1"),
         ev(160, "conversation.closed", 3, 3, None, "resolved")],
        # c4 / task 4: Leave at 220; the customer replies at 300 -> task 5 (reactivation).
        [*arrive(200, 4, 4), offer(200, 4, 4, "a-2"), accept(210, 4, 4, "a-2"),
         reply(220, 4, 4, "a-2"), *leave(220, 4, 4, "a-2", done=230),
         *reactivate(300, 4, 5, 4), offer(300, 5, 4, "a-1"), accept(310, 5, 4, "a-1")],
        # A reply to closed c3 at 400 starts c5 (a follow-up) with task 6.
        [*arrive(400, 6, 5, kind="follow-up"), offer(400, 6, 5, "a-2"),
         accept(410, 6, 5, "a-2")],
    )


def test_counts_include_events_at_warmup_and_exclude_earlier_ones() -> None:
    result = kpis(counts_log(), context(100, 1000, capacity={"a-1": 1, "a-2": 1}))
    # conversation.created at t >= 100: c3 (100), c4 (200), c5 (400) = 3; c1 (10), c2 (20) not.
    assert result["conversations_created"] == 3
    # task.created at t >= 100: 3 (100), 4 (200), 5 (300, reactivation), 6 (400) = 4.
    assert result["tasks_created"] == 4
    # reservation.created at t >= 100: 100, 200, 300, 400 = 4 (10 and 20 are before).
    assert result["reservations"] == 4
    # task.paused at t >= 100: 120 = 1 (30 is before).
    assert result["pauses"] == 1
    # task.wrapup "leave" at t >= 100: 220 = 1 (50 is before).
    assert result["leaves"] == 1
    # conversation.closed "window" at t >= 100: c1 at exactly 100 = 1; the "resolved"
    # closes (90, 160) are not window closes.
    assert result["conversations_closed_inactive"] == 1
    # message.inbound "stranded" at t >= 100: 150 = 1 (80 is before).
    assert result["stranded_replies"] == 1
    assert result["tasks_canceled_ttl"] == 0
    # conversation.created "follow-up" at t >= 100: c5 at 400 = 1.
    assert result["follow_up_conversations"] == 1


def ttl_log() -> pd.DataFrame:
    # warmup 1000, horizon 100000; one agent a-1 (capacity 1); reservation timeout 2 h,
    # task TTL 1 h (3600).
    return log(
        [activity(0, "a-1", "Available")],
        # task 1 (created 500, before warm-up) reserved to a-1, which never answers; its TTL
        # runs out at 500 + 3600 = 4100 while reserved: canceled after warm-up, but the task
        # was created before it -> not counted.
        [*arrive(500, 1, 1), offer(500, 1, 1, "a-1"), *ttl_cancel(4100, 1, 1, "a-1")],
        # task 2 (2000) waits for a-1, offered at 4100, accepted at 4200 -> not canceled.
        [*arrive(2000, 2, 2), offer(4100, 2, 2, "a-1"), accept(4200, 2, 2, "a-1"),
         reply(8000, 2, 2, "a-1"), *end(8000, 2, 2, "a-1", done=8060)],
        # task 3 (3000) never offered (a-1 busy): canceled pending at 3000 + 3600 = 6600.
        [*arrive(3000, 3, 3), *ttl_cancel(6600, 3, 3, None)],
        # task 4 (4500) offered when a-1 frees at 8060, canceled reserved at 4500 + 3600 = 8100.
        [*arrive(4500, 4, 4), offer(8060, 4, 4, "a-1"), *ttl_cancel(8100, 4, 4, "a-1")],
        # task 5 (98000) pending at the horizon; its TTL would run out at 101600 -> not counted.
        [*arrive(98000, 5, 5), offer(98000, 5, 5, "a-1")],
    )


def test_tasks_canceled_ttl_counts_tasks_created_after_warmup_canceled_by_horizon() -> None:
    result = kpis(ttl_log(), context(1000, 100_000, capacity={"a-1": 1}))
    # Created at t >= 1000 and canceled by 100000: tasks 3 and 4 = 2.
    assert result["tasks_canceled_ttl"] == 2


# Reservations ------------------------------------------------------------------------------

def reservation_log() -> pd.DataFrame:
    # warmup 1000, horizon 20000. Reservation timeout 600, timeout recovery 300, TTL 3000.
    # Agents a-1, a-3 capacity 1, a-2 capacity 2; all Available at 0.
    return log(
        [activity(0, "a-1", "Available"), activity(0, "a-2", "Available"),
         activity(0, "a-3", "Available")],
        # task 1 (created 500): offer A to a-1 at 500 (BEFORE warm-up) times out at 1100;
        # offer B to a-2 at 1100 accepted at 1150.
        [*arrive(500, 1, 1), offer(500, 1, 1, "a-1"), timeout(1100, 1, 1, "a-1"),
         activity(1100, "a-1", "Unavailable"), offer(1100, 1, 1, "a-2"),
         accept(1150, 1, 1, "a-2"), activity(1400, "a-1", "Available")],
        # task 2 (created 2000): offer C to a-3 rejected (declined) at 2010; offer D to a-1
        # times out at 2610; offer E to a-2 rejected at a-2's shift end 2620; offer F to a-3
        # accepted at 2630.
        [*arrive(2000, 2, 2), offer(2000, 2, 2, "a-3"), reject(2010, 2, 2, "a-3"),
         offer(2010, 2, 2, "a-1"), timeout(2610, 2, 2, "a-1"),
         activity(2610, "a-1", "Unavailable"), offer(2610, 2, 2, "a-2"),
         activity(2620, "a-2", "Offline"), reject(2620, 2, 2, "a-2", "shift-end"),
         offer(2620, 2, 2, "a-3"), accept(2630, 2, 2, "a-3"),
         activity(2910, "a-1", "Available"), activity(4000, "a-1", "Offline"),
         reply(7000, 2, 2, "a-3"), *end(7000, 2, 2, "a-3", done=7600)],
        # task 3 (created 5000) waits (nobody free on duty); offer G to a-3 at 7600 is still
        # pending when the TTL runs out at 5000 + 3000 = 8000: reservation.canceled.
        [*arrive(5000, 3, 3), offer(7600, 3, 3, "a-3"), *ttl_cancel(8000, 3, 3, "a-3")],
        # task 4 (created 19700): offer H to a-3 at 19700, still pending at the horizon
        # (it would time out at 20300).
        [*arrive(19700, 4, 4), offer(19700, 4, 4, "a-3")],
    )


def test_reservation_timeout_rate_excludes_pre_warmup_and_pending_offers() -> None:
    result = kpis(reservation_log(), context(1000, 20_000))
    # Offers made at t >= 1000 with an outcome by 20000: B (accepted), C (rejected),
    # D (timeout), E (rejected, shift-end), F (accepted), G (canceled) = 6.
    # A (made at 500) and H (pending) are in neither part. Timeouts: D = 1 -> 1/6.
    assert result["reservation_timeout_rate"] == pytest.approx(1 / 6)


def test_reservation_reject_rate_counts_declines_and_shift_end_rejects() -> None:
    result = kpis(reservation_log(), context(1000, 20_000))
    # Same 6 offers; rejected: C (declined) and E (shift-end) = 2 -> 2/6 = 1/3.
    assert result["reservation_reject_rate"] == pytest.approx(1 / 3)


def test_reservations_count_includes_pending_offer() -> None:
    result = kpis(reservation_log(), context(1000, 20_000))
    # reservation.created at t >= 1000: B, C, D, E, F, G, H = 7 (A at 500 is before).
    assert result["reservations"] == 7


def test_declined_task_rate_counts_a_task_whose_only_offer_outcome_is_a_ttl_cancel() -> None:
    result = kpis(reservation_log(), context(1000, 20_000))
    # The cohort: tasks created in [1000, 20000 - 3600) with an offer outcome by the horizon:
    # task 2 (C rejected, D timeout, E rejected, F accepted) and task 3 (G canceled: an
    # outcome, not a decline). Task 1 is created before warm-up, task 4 after the cohort.
    # With a rejected/timed-out offer: task 2 -> 1/2; declines (3 + 0) / 2 = 1.5.
    assert result["declined_task_rate"] == pytest.approx(1 / 2)
    assert result["declines_per_task"] == pytest.approx(1.5)
    # Task 2 was finally accepted by a-3, who had declined it first (C): not reassigned to
    # another agent. Task 3 was never declined. 0 / 2.
    assert result["reassigned_to_other_agent_rate"] == 0.0


def reassignment_log() -> pd.DataFrame:
    # warmup 100, horizon 1000. Reservation timeout 120, timeout recovery 300.
    # Agents a-1 .. a-4, capacity 1 each, all Available at 0.
    return log(
        [activity(0, f"a-{i}", "Available") for i in range(1, 5)],
        # task 1 (created 10, before warm-up): rejected twice, then accepted -> excluded.
        [*arrive(10, 1, 1), offer(10, 1, 1, "a-4"), reject(20, 1, 1, "a-4"),
         offer(20, 1, 1, "a-3"), reject(30, 1, 1, "a-3"), offer(30, 1, 1, "a-2"),
         accept(40, 1, 1, "a-2"), reply(50, 1, 1, "a-2"), *end(50, 1, 1, "a-2", done=60)],
        # task 2 (created at exactly warm-up): accepted on its first offer -> 0 declined.
        [*arrive(100, 2, 2), offer(100, 2, 2, "a-1"), accept(110, 2, 2, "a-1")],
        # task 3 (200): rejected once, then accepted -> 1 declined.
        [*arrive(200, 3, 3), offer(200, 3, 3, "a-2"), reject(210, 3, 3, "a-2"),
         offer(210, 3, 3, "a-3"), accept(220, 3, 3, "a-3")],
        # task 4 (300): timed out twice, then accepted -> 2 declined.
        [*arrive(300, 4, 4), offer(300, 4, 4, "a-4"), timeout(420, 4, 4, "a-4"),
         activity(420, "a-4", "Unavailable"), offer(420, 4, 4, "a-2"),
         timeout(540, 4, 4, "a-2"), activity(540, "a-2", "Unavailable"),
         activity(720, "a-4", "Available"), offer(720, 4, 4, "a-4"), accept(730, 4, 4, "a-4"),
         activity(840, "a-2", "Available")],
        # task 5 (950): its only offer is pending at the horizon -> no outcome, excluded.
        [*arrive(950, 5, 5), offer(950, 5, 5, "a-2")],
    )


def test_declined_task_rate_declines_per_task_and_reassignment_to_another_agent() -> None:
    result = kpis(reassignment_log(), context(100, 1000, threshold=60))
    # Cohort: tasks created in [100, 940) with an offer outcome by 1000: 2, 3, 4 (task 5 is
    # created at 950, task 1 before warm-up). With a rejected/timed-out offer: 3, 4 -> 2/3.
    assert result["declined_task_rate"] == pytest.approx(2 / 3)
    # Rejected + timed-out offers of those tasks: 0 + 1 + 2 = 3, over 3 tasks -> 1.0.
    assert result["declines_per_task"] == pytest.approx(1.0)
    # Task 3: declined by a-2, accepted by a-3 -> reassigned to another agent. Task 4: missed
    # by a-4 and a-2, then accepted by a-4 -> back to a decliner. 1 of 3.
    assert result["reassigned_to_other_agent_rate"] == pytest.approx(1 / 3)


# Pause -------------------------------------------------------------------------------------

def pause_log() -> pd.DataFrame:
    # warmup 1 day, horizon 10 days, pause expiry 2 days (172800).
    # Agents a-1 .. a-4 capacity 1, all Available at 0.
    return log(
        [activity(0, f"a-{i}", "Available") for i in range(1, 5)],
        # task 1: paused at 7200 (BEFORE warm-up), expires at 7200 + 172800 = 180000
        # (after warm-up) -> excluded: the pause began before warm-up.
        [*arrive(3600, 1, 1), offer(3600, 1, 1, "a-1"), accept(3610, 1, 1, "a-1"),
         pause(7200, 1, 1, "a-1"), expire(180_000, 1, 1, "a-1"), offer(180_000, 1, 1, "a-1"),
         accept(180_010, 1, 1, "a-1")],
        # task 2: pause P1 at 86500 resumed at 90000; pause P2 at 95000 expires at
        # 95000 + 172800 = 267800.
        [*arrive(DAY, 2, 2), offer(DAY, 2, 2, "a-2"), accept(DAY + 10, 2, 2, "a-2"),
         pause(86_500, 2, 2, "a-2"), resume(90_000, 2, 2, "a-2"), pause(95_000, 2, 2, "a-2"),
         expire(267_800, 2, 2, "a-2", "no-slot"), offer(267_800, 2, 2, "a-2"),
         accept(267_810, 2, 2, "a-2")],
        # task 3: pause P3 at 100100 resumed at 110000.
        [*arrive(100_000, 3, 3), offer(100_000, 3, 3, "a-3"), accept(100_010, 3, 3, "a-3"),
         pause(100_100, 3, 3, "a-3"), resume(110_000, 3, 3, "a-3")],
        # task 4: pause P4 at 800000 still running at the horizon 864000 (it would expire
        # at 972800) -> censored.
        [*arrive(200_000, 4, 4), offer(200_000, 4, 4, "a-4"), accept(200_010, 4, 4, "a-4"),
         pause(800_000, 4, 4, "a-4")],
    )


def test_pause_expiry_rate_counts_ended_pauses_begun_after_warmup() -> None:
    result = kpis(pause_log(), context(DAY, 10 * DAY))
    # Pauses begun at t >= 86400: P1, P2, P3, P4 = 4.
    assert result["pauses"] == 4
    # Ended by the horizon: P1 (resumed), P2 (expired), P3 (resumed) = 3; expired: P2 -> 1/3.
    assert result["pause_expiry_rate"] == pytest.approx(1 / 3)
    # By cause (same denominator): P2 expired with no slot to resume into.
    assert result["pause_expiry_no_slot_rate"] == pytest.approx(1 / 3)
    assert result["pause_expiry_researching_rate"] == 0.0
    assert result["pause_expiry_off_duty_rate"] == 0.0


def test_pause_expiry_rate_is_nan_when_the_only_pause_is_still_running() -> None:
    frame = log([activity(0, "a-1", "Available"), *arrive(100, 1, 1),
                 offer(100, 1, 1, "a-1"), accept(110, 1, 1, "a-1"), pause(120, 1, 1, "a-1")])
    result = kpis(frame, context(0, 1000))
    # One pause begun, none ended by the horizon: empty denominator.
    assert result["pauses"] == 1
    assert math.isnan(result["pause_expiry_rate"])


# Leave and reactivation --------------------------------------------------------------------

def reactivation_log() -> pd.DataFrame:
    # warmup 1000, horizon 100000, leave window 60000. Agents a-1, a-2 (capacity 3 each),
    # Available from 0. Tasks are numbered in creation order.
    return log(
        [activity(0, "a-1", "Available"), activity(0, "a-2", "Available")],
        # c1: a-1 leaves at 400 (BEFORE warm-up); reactivated at 1500, new task 3 accepted
        # by a-2 -> excluded from both rates.
        [*arrive(100, 1, 1), offer(100, 1, 1, "a-1"), accept(110, 1, 1, "a-1"),
         reply(400, 1, 1, "a-1"), *leave(400, 1, 1, "a-1", done=460),
         *reactivate(1500, 1, 3, 1), offer(1500, 3, 1, "a-2"), accept(1510, 3, 1, "a-2"),
         reply(1700, 3, 1, "a-2"), *end(1700, 3, 1, "a-2", done=1760)],
        # c2: a-1 leaves at 1200 (Leave L2); reactivated at 5000, new task 6 first accepted
        # by a-1 (the same agent); then End, and c2 closes "resolved" at 5360, which is not
        # an outcome of L2.
        [*arrive(1000, 2, 2), offer(1000, 2, 2, "a-1"), accept(1010, 2, 2, "a-1"),
         reply(1200, 2, 2, "a-1"), *leave(1200, 2, 2, "a-1", done=1260),
         *reactivate(5000, 2, 6, 2), offer(5000, 6, 2, "a-1"), accept(5010, 6, 2, "a-1"),
         reply(5300, 6, 2, "a-1"), *end(5300, 6, 2, "a-1", done=5360)],
        # c3: a-2 leaves at 2200 (L3); reactivated at 6000, new task 7 is offered to a-2
        # (declined) and first accepted by a-1 (another agent); closes "resolved" at 6360.
        [*arrive(2000, 4, 3), offer(2000, 4, 3, "a-2"), accept(2010, 4, 3, "a-2"),
         reply(2200, 4, 3, "a-2"), *leave(2200, 4, 3, "a-2", done=2260),
         *reactivate(6000, 4, 7, 3), offer(6000, 7, 3, "a-2"), reject(6010, 7, 3, "a-2"),
         offer(6010, 7, 3, "a-1"), accept(6020, 7, 3, "a-1"), reply(6300, 7, 3, "a-1"),
         *end(6300, 7, 3, "a-1", done=6360)],
        # c4: a-1 leaves at 3200 (L4); no reply: the window closes at 3200 + 60000 = 63200.
        [*arrive(3000, 5, 4), offer(3000, 5, 4, "a-1"), accept(3010, 5, 4, "a-1"),
         reply(3200, 5, 4, "a-1"), *leave(3200, 5, 4, "a-1", done=3260),
         ev(63_200, "conversation.closed", 5, 4, None, "window")],
        # c5: a-1 leaves at 50000 (L5); reactivated at 99950, new task 10 offered to a-2 and
        # still pending (not accepted) at the horizon.
        [*arrive(40_000, 8, 5), offer(40_000, 8, 5, "a-1"), accept(40_010, 8, 5, "a-1"),
         reply(50_000, 8, 5, "a-1"), *leave(50_000, 8, 5, "a-1", done=50_060),
         *reactivate(99_950, 8, 10, 5), offer(99_950, 10, 5, "a-2")],
        # c6: a-2 leaves at 90000 (L6); still inactive at the horizon (window ends 150000).
        [*arrive(80_000, 9, 6), offer(80_000, 9, 6, "a-2"), accept(80_010, 9, 6, "a-2"),
         reply(90_000, 9, 6, "a-2"), *leave(90_000, 9, 6, "a-2", done=90_060)],
    )


def test_reactivation_rate_counts_each_leave_once_and_censors_inactive() -> None:
    result = kpis(reactivation_log(), context(1000, 100_000))
    # Leaves at t >= 1000 with an outcome by the horizon: L2 (reactivated), L3 (reactivated),
    # L4 (window close), L5 (reactivated) = 4; L6 is censored, c1's Leave is before warm-up,
    # and the "resolved" closes of c2 and c3 are not second outcomes. Reactivated: 3 -> 3/4.
    assert result["reactivation_rate"] == pytest.approx(3 / 4)


def test_reactivation_same_agent_rate_uses_first_accepting_agent() -> None:
    result = kpis(reactivation_log(), context(1000, 100_000))
    # Reactivations counted above whose new task has a reservation.accepted by the horizon:
    # L2 (task 6, accepted by a-1 = the leaver a-1: same) and L3 (task 7, first accepted by
    # a-1, leaver a-2: not same; the declined offer to a-2 is not an acceptance). L5's
    # task 10 is not accepted -> excluded. Same agent: 1 of 2 -> 0.5.
    assert result["reactivation_same_agent_rate"] == pytest.approx(0.5)


def test_leave_counts_on_the_reactivation_log() -> None:
    result = kpis(reactivation_log(), context(1000, 100_000))
    # task.wrapup "leave" at t >= 1000: 1200, 2200, 3200, 50000, 90000 = 5 (400 is before).
    assert result["leaves"] == 5
    # conversation.closed "window" at t >= 1000: c4 at 63200 = 1.
    assert result["conversations_closed_inactive"] == 1
    # task.created at t >= 1000: tasks 2 .. 10 = 9 (task 1 at 100 is before).
    assert result["tasks_created"] == 9


def test_reactivation_delay_mean_is_over_the_reactivations_counted() -> None:
    result = kpis(reactivation_log(), context(1000, 100_000))
    # L2: 5000 - 1200 = 3800; L3: 6000 - 2200 = 3800; L5: 99950 - 50000 = 49950.
    assert result["reactivation_delay_mean"] == pytest.approx((3800 + 3800 + 49_950) / 3)


# First response, wait to accept, service level ---------------------------------------------

def response_log() -> pd.DataFrame:
    # warmup 1000, horizon 100000. Reservation timeout 120, recovery 300, pause expiry 1 day.
    # Agents a-1, a-2, a-3 capacity 1, Available from 0. Per task: created / first accepted /
    # first message.outbound.
    return log(
        [activity(0, "a-1", "Available"), activity(0, "a-2", "Available"),
         activity(0, "a-3", "Available"), activity(2420, "a-2", "Available")],
        # task 1 (BEFORE warm-up): created 500, accepted 600, answered 1500 -> excluded.
        [*arrive(500, 1, 1), offer(500, 1, 1, "a-3"), accept(600, 1, 1, "a-3"),
         reply(1500, 1, 1, "a-3"), *end(1500, 1, 1, "a-3", done=1560)],
        # task 2: created 1000, accepted 1030, first reply 1100 (a second reply at 2300 after
        # the customer's appended reply does not count); then Leave.
        [*arrive(1000, 2, 2), offer(1000, 2, 2, "a-1"), accept(1030, 2, 2, "a-1"),
         reply(1100, 2, 2, "a-1"), ev(2000, "message.inbound", 2, 2, "a-1", "appended"),
         reply(2300, 2, 2, "a-1"), *leave(2300, 2, 2, "a-1", done=2360)],
        # task 3: created 2000; a-2 misses it (timeout 2120, a-2 Unavailable until 2420);
        # a-3 accepts at 2150; reply 2400.
        [*arrive(2000, 3, 3), offer(2000, 3, 3, "a-2"), timeout(2120, 3, 3, "a-2"),
         activity(2120, "a-2", "Unavailable"), offer(2120, 3, 3, "a-3"),
         accept(2150, 3, 3, "a-3"), reply(2400, 3, 3, "a-3"),
         *end(2400, 3, 3, "a-3", done=2460)],
        # task 4: created 3000, accepted 3020, paused for research until 3600, reply 4000.
        [*arrive(3000, 4, 4), offer(3000, 4, 4, "a-1"), accept(3020, 4, 4, "a-1"),
         pause(3020, 4, 4, "a-1"), resume(3600, 4, 4, "a-1"), reply(4000, 4, 4, "a-1"),
         *end(4000, 4, 4, "a-1", done=4060)],
        # task 5: the reactivation of c2 (task 2 left it) at 5000: accepted 5040, reply 5250.
        # Timed from its own creation (5000), not from the conversation's start (1000).
        [*reactivate(5000, 2, 5, 2), offer(5000, 5, 2, "a-1"), accept(5040, 5, 2, "a-1"),
         reply(5250, 5, 2, "a-1"), *end(5250, 5, 2, "a-1", done=5310)],
        # task 6: created 6000, accepted 6010, reply 6050.
        [*arrive(6000, 6, 5), offer(6000, 6, 5, "a-2"), accept(6010, 6, 5, "a-2"),
         reply(6050, 6, 5, "a-2"), *end(6050, 6, 5, "a-2", done=6110)],
        # task 7: created 7000, accepted 7100, paused; the pause expires at 7100 + 86400 =
        # 93500, accepted again at 93600; never answered by the horizon.
        [*arrive(7000, 7, 6), offer(7000, 7, 6, "a-3"), accept(7100, 7, 6, "a-3"),
         pause(7100, 7, 6, "a-3"), expire(93_500, 7, 6, "a-3"), offer(93_500, 7, 6, "a-1"),
         accept(93_600, 7, 6, "a-1")],
        # task 8: created 99950, offer still pending at the horizon.
        [*arrive(99_950, 8, 7), offer(99_950, 8, 7, "a-2")],
    )


def test_first_response_times_count_unanswered_tasks_as_never_answered() -> None:
    result = kpis(response_log(), context(1000, 100_000))
    # Cohort: tasks created in [1000, 100000 - 3600): 2 .. 7 (task 8 at 99950 is too young,
    # task 1 before warm-up). First outbound - created, per task from its own creation:
    #   task 2: 100; task 3: 400; task 4: 1000; task 5: 5250 - 5000 = 250; task 6: 50;
    #   task 7: never (accepted, paused, expired, accepted again, no reply by the horizon).
    assert result["unanswered_rate"] == pytest.approx(1 / 6)
    # Inverted CDF: the smallest time with at least q of the 6 at or below it.
    # Sorted 50, 100, 250, 400, 1000, never: the median is the 3rd (250); the 90th
    # percentile is the 6th (ceil(5.4)), never: more than 10% were never answered.
    assert result["first_response_time_p50"] == 250.0
    assert result["first_response_time_p90"] == math.inf
    # The mean over answered tasks only: (100 + 400 + 1000 + 250 + 50) / 5 = 360.
    assert result["first_response_time_mean_answered"] == pytest.approx(360.0)
    # All five answered within the 3600 s threshold, task 7 never: 5 / 6.
    assert result["service_level"] == pytest.approx(5 / 6)


def test_wait_to_accept_uses_first_acceptance() -> None:
    result = kpis(response_log(), context(1000, 100_000))
    # First accepted - created for tasks 2 .. 7: 30, 150, 20, 40, 10, and 7100 - 7000 = 100
    # (not the re-acceptance at 93600). Mean = 350 / 6; sorted 10, 20, 30, 40, 100, 150: the
    # 90th percentile is the 6th, 150.
    assert result["wait_to_accept_mean_accepted"] == pytest.approx(350 / 6)
    assert result["wait_to_accept_p90"] == 150.0


def service_level_log() -> pd.DataFrame:
    # threshold 3600, warmup 1000, horizon 100000, TTL 7200, pause expiry 14 days.
    # Agents a-1, a-2 (skill email, capacity 3) and a-3 (skill billing, capacity 1).
    return log(
        [activity(0, "a-1", "Available"), activity(0, "a-2", "Available"),
         activity(0, "a-3", "Available")],
        # task 1 (created 500, before warm-up), answered after 100 -> excluded.
        [*arrive(500, 1, 1), offer(500, 1, 1, "a-1"), accept(510, 1, 1, "a-1"),
         reply(600, 1, 1, "a-1"), *end(600, 1, 1, "a-1", done=660)],
        # task 2: created 1000, answered 2000: waited 1000 <= 3600 -> met.
        [*arrive(1000, 2, 2), offer(1000, 2, 2, "a-1"), accept(1010, 2, 2, "a-1"),
         reply(2000, 2, 2, "a-1"), *end(2000, 2, 2, "a-1", done=2060)],
        # task 3: created 2000, answered 7000: waited 5000 > 3600 -> missed.
        [*arrive(2000, 3, 3), offer(2000, 3, 3, "a-2"), accept(2010, 3, 3, "a-2"),
         reply(7000, 3, 3, "a-2"), *end(7000, 3, 3, "a-2", done=7060)],
        # task 4 (billing): a-3's shift ends with the offer pending (rejected, shift-end);
        # nobody else has the skill; TTL cancels it at 3000 + 7200 = 10200 -> missed.
        [*arrive(3000, 4, 4, queue="billing:0"), offer(3000, 4, 4, "a-3"),
         activity(3010, "a-3", "Offline"), reject(3010, 4, 4, "a-3", "shift-end"),
         *ttl_cancel(10_200, 4, 4, None)],
        # task 5: created 4000, accepted, paused for research past the horizon, never
        # answered; at the horizon it is 100000 - 4000 = 96000 > 3600 old -> missed.
        [*arrive(4000, 5, 5), offer(4000, 5, 5, "a-1"), accept(4100, 5, 5, "a-1"),
         pause(4100, 5, 5, "a-1")],
        # task 6: created 5000, answered 8000: waited 3000 <= 3600 -> met.
        [*arrive(5000, 6, 6), offer(5000, 6, 6, "a-2"), accept(5100, 6, 6, "a-2"),
         reply(8000, 6, 6, "a-2"), *end(8000, 6, 6, "a-2", done=8060)],
        # task 7: created 98000, accepted, unanswered at the horizon but only
        # 100000 - 98000 = 2000 < 3600 old -> censored.
        [*arrive(98_000, 7, 7), offer(98_000, 7, 7, "a-1"), accept(98_010, 7, 7, "a-1")],
    )


def test_service_level_counts_canceled_and_unanswered_tasks_as_missed() -> None:
    result = kpis(service_level_log(), context(1000, 100_000, threshold=3600))
    # Cohort: created in [1000, 96400): tasks 2 .. 6 (task 7 at 98000 is too young to know).
    # Met: tasks 2, 6; missed: 3 (late), 4 (canceled), 5 (never answered). 2 / 5 = 0.4.
    assert result["service_level"] == pytest.approx(0.4)
    assert result["unanswered_rate"] == pytest.approx(2 / 5)
    # tasks_canceled_ttl on the same log: task 4 = 1.
    assert result["tasks_canceled_ttl"] == 1


# Time averages -----------------------------------------------------------------------------

def backlog_log() -> pd.DataFrame:
    # warmup 100000, horizon 400000 (300000 s). Reservation timeout 7200, recovery 300,
    # TTL 110000, pause expiry 1 day. Agents a-1 .. a-3 (capacity 1) come on at 150000.
    return log(
        [activity(150_000, f"a-{i}", "Available") for i in range(1, 4)],
        # task 1: created 50000 (before warm-up), pending; reserved at 150000, accepted at
        # 155000 -> waiting over [100000, 155000] within the window = 55000.
        [*arrive(50_000, 1, 1), offer(150_000, 1, 1, "a-1"), accept(155_000, 1, 1, "a-1"),
         reply(170_000, 1, 1, "a-1"), *end(170_000, 1, 1, "a-1", done=170_060)],
        # task 2: created 120000; reserved at 150000; timeout 157200 (back to pending, still
        # waiting); reserved again at 157200, accepted 160000 -> waiting 40000.
        [*arrive(120_000, 2, 2), offer(150_000, 2, 2, "a-2"), timeout(157_200, 2, 2, "a-2"),
         activity(157_200, "a-2", "Unavailable"), offer(157_200, 2, 2, "a-3"),
         activity(157_500, "a-2", "Available"), accept(160_000, 2, 2, "a-3"),
         reply(180_000, 2, 2, "a-3"), *end(180_000, 2, 2, "a-3", done=180_060)],
        # task 3: created 200000, accepted 201000 (waiting 1000), paused 202000 (not waiting),
        # expires at 202000 + 86400 = 288400 back to pending, reserved at once, accepted
        # 290000 (waiting 1600) -> 2600.
        [*arrive(200_000, 3, 3), offer(200_000, 3, 3, "a-1"), accept(201_000, 3, 3, "a-1"),
         pause(202_000, 3, 3, "a-1"), expire(288_400, 3, 3, "a-1"),
         offer(288_400, 3, 3, "a-2"), accept(290_000, 3, 3, "a-2")],
        # task 4: created 395000, reserved, still pending at the horizon -> waiting 5000.
        [*arrive(395_000, 4, 4), offer(395_000, 4, 4, "a-1")],
    )


def test_queued_tasks_mean_integrates_pending_and_reserved_over_the_window() -> None:
    result = kpis(backlog_log(), context(100_000, 400_000))
    # Step function over the window:
    #   [100000, 120000) 1 -> 20000;  [120000, 155000) 2 -> 70000;  [155000, 160000) 1 -> 5000
    #   [160000, 200000) 0;           [200000, 201000) 1 -> 1000;   [201000, 288400) 0
    #   [288400, 290000) 1 -> 1600;   [290000, 395000) 0;           [395000, 400000] 1 -> 5000
    # Integral = 20000 + 70000 + 5000 + 1000 + 1600 + 5000 = 102600 (= 55000 + 40000 + 2600
    # + 5000 per task); mean = 102600 / 300000 = 0.342.
    assert result["queued_tasks_mean"] == pytest.approx(0.342)


def test_unanswered_conversations_mean_counts_accepted_but_unanswered_email() -> None:
    result = kpis(backlog_log(), context(100_000, 400_000))
    # A conversation awaits an agent from a customer email until a reply (or its close):
    #   c1 [100000, 170000) = 70000; c2 [120000, 180000) = 60000;
    #   c3 from 200000 to the horizon (accepted, paused, expired, accepted: never answered)
    #   = 200000; c4 [395000, 400000] = 5000. (335000) / 300000.
    # More than the queue (0.342): task 3 is accepted but its customer still waits.
    assert result["unanswered_conversations_mean"] == pytest.approx(335_000 / 300_000)


def occupancy_log() -> pd.DataFrame:
    # warmup 100, horizon 1000. Reservation timeout 120, timeout recovery 300.
    # a-1 capacity 1, a-2 capacity 2, a-3 capacity 1 (never on duty: adds nothing).
    return log(
        # a-1: Available 0, Unavailable (timeout activity, on duty) 370, Available 670,
        # Offline 800. a-2: Available 300, Offline 500, Available 700.
        [activity(0, "a-1", "Available"), activity(300, "a-2", "Available"),
         activity(500, "a-2", "Offline"), activity(670, "a-1", "Available"),
         activity(700, "a-2", "Available"), activity(800, "a-1", "Offline")],
        # task 1 (a-1): reserved 50, accepted 60, wrap-up 150, completed 200.
        [*arrive(50, 1, 1), offer(50, 1, 1, "a-1"), accept(60, 1, 1, "a-1"),
         reply(150, 1, 1, "a-1"), *end(150, 1, 1, "a-1", done=200)],
        # task 2: reserved to a-1 at 250, times out at 370 (a-1 -> Unavailable); reserved to
        # a-2 at 370, accepted 380, wrap-up 420, completed 480.
        [*arrive(250, 2, 2), offer(250, 2, 2, "a-1"), timeout(370, 2, 2, "a-1"),
         activity(370, "a-1", "Unavailable"), offer(370, 2, 2, "a-2"),
         accept(380, 2, 2, "a-2"), reply(420, 2, 2, "a-2"), *end(420, 2, 2, "a-2", done=480)],
        # task 3 (a-2): reserved 400, accepted 410, paused 430, resumed 460; a-2 is off duty
        # over [500, 700) still holding it; reply and wrap-up 730, completed 790.
        [*arrive(400, 3, 3), offer(400, 3, 3, "a-2"), accept(410, 3, 3, "a-2"),
         pause(430, 3, 3, "a-2"), resume(460, 3, 3, "a-2"), reply(730, 3, 3, "a-2"),
         *end(730, 3, 3, "a-2", done=790)],
        # task 4: reserved to a-1 at 700, rejected at 710; reserved to a-2 at 710, accepted
        # 720, wrap-up 900, completed 960.
        [*arrive(700, 4, 4), offer(700, 4, 4, "a-1"), reject(710, 4, 4, "a-1"),
         offer(710, 4, 4, "a-2"), accept(720, 4, 4, "a-2"), reply(900, 4, 4, "a-2"),
         *end(900, 4, 4, "a-2", done=960)],
        # task 5 (a-1): reserved 750, accepted 760, paused 780, resumed 790; still assigned
        # when a-1 goes Offline at 800 (held off duty until the horizon).
        [*arrive(750, 5, 5), offer(750, 5, 5, "a-1"), accept(760, 5, 5, "a-1"),
         pause(780, 5, 5, "a-1"), resume(790, 5, 5, "a-1")],
    )


def test_slot_occupancy_integrates_slots_on_duty() -> None:
    result = kpis(occupancy_log(), context(100, 1000, capacity={"a-1": 1, "a-2": 2, "a-3": 1}))
    # a-1 on duty within [100, 1000]: [100, 800) = 700 (the Unavailable stretch 370-670
    # counts); available = 1 * 700 = 700.
    # a-1 slots used while on duty:
    #   [100, 200) 1 (task 1 assigned/wrapping)   -> 100
    #   [250, 370) 1 (task 2 reserved)            -> 120
    #   [700, 710) 1 (task 4 reserved)            ->  10
    #   [750, 780) 1 (task 5 reserved/assigned)   ->  30
    #   [790, 800) 1 (task 5 resumed)             ->  10   (after 800: off duty)
    #   total 270.
    # a-2 on duty: [300, 500) + [700, 1000] = 200 + 300 = 500; available = 2 * 500 = 1000.
    # a-2 slots used while on duty:
    #   [370, 400) 1 (task 2)                     ->  30
    #   [400, 430) 2 (tasks 2, 3)                 ->  60
    #   [430, 460) 1 (task 3 paused)              ->  30
    #   [460, 480) 2 (task 3 resumed, task 2)     ->  40
    #   [480, 500) 1 (task 2 completed)           ->  20   ([500, 700) off duty)
    #   [700, 710) 1 (task 3)                     ->  10
    #   [710, 790) 2 (tasks 3, 4)                 -> 160
    #   [790, 960) 1 (task 4)                     -> 170
    #   total 520.
    # Occupancy = (270 + 520) / (700 + 1000) = 790 / 1700.
    assert result["slot_occupancy"] == pytest.approx(790 / 1700)


def test_slot_occupancy_and_utilization_per_agent_group() -> None:
    groups = {"a-1": "x", "a-2": "y", "a-3": "y"}
    result = kpis_by_group(occupancy_log(), context(
        100, 1000, capacity={"a-1": 1, "a-2": 2, "a-3": 1}, groups=groups))
    # From the worked numbers above: x = a-1 alone, y = a-2 (a-3 is never on duty).
    assert result["x"]["slot_occupancy"] == pytest.approx(270 / 700)
    assert result["y"]["slot_occupancy"] == pytest.approx(520 / 1000)


def hands_log() -> pd.DataFrame:
    # warmup 0, horizon 1000; a-1 (capacity 2) on duty [0, 600) and [800, 1000].
    work = "worker.work.started"
    return log(
        [activity(0, "a-1", "Available"), activity(600, "a-1", "Offline"),
         activity(800, "a-1", "Available")],
        # task 1: compose 10-110, wrap-up 110-130.
        [*arrive(0, 1, 1), offer(0, 1, 1, "a-1"), accept(10, 1, 1, "a-1"),
         ev(10, work, 1, 1, "a-1", "compose"), reply(110, 1, 1, "a-1"),
         ev(110, "task.wrapup", 1, 1, "a-1", "end"), ev(110, work, 1, 1, "a-1", "wrapup"),
         ev(130, "task.completed", 1, 1, "a-1"),
         ev(130, "conversation.closed", 1, 1, None, "resolved")],
        # task 2: its compose waits for the hands until 130 and spans the off-duty stretch
        # (work only progresses on duty): sent at 900; wrap-up 900-960.
        [*arrive(50, 2, 2), offer(50, 2, 2, "a-1"), accept(60, 2, 2, "a-1"),
         ev(130, work, 2, 2, "a-1", "compose"), reply(900, 2, 2, "a-1"),
         ev(900, "task.wrapup", 2, 2, "a-1", "end"), ev(900, work, 2, 2, "a-1", "wrapup"),
         ev(960, "task.completed", 2, 2, "a-1"),
         ev(960, "conversation.closed", 2, 2, None, "resolved")],
    )


def test_agent_utilization_is_hands_time_on_duty_not_slots_held() -> None:
    result = kpis(hands_log(), context(0, 1000, capacity={"a-1": 2}))
    # On duty: 600 + 200 = 800. Hands busy on duty: [10, 130) = 120, [130, 600) = 470,
    # [800, 900) = 100, [900, 960) = 60 -> 750 (the hands are idle off duty, 600-800).
    assert result["agent_utilization"] == pytest.approx(750 / 800)
    # Slots held on duty: task 1 [0, 130) = 130; task 2 [50, 600) + [800, 960) = 710;
    # capacity 2 x 800 on duty: 840 / 1600.
    assert result["slot_occupancy"] == pytest.approx(840 / 1600)


def test_slot_occupancy_is_nan_when_no_agent_is_on_duty() -> None:
    frame = log([*arrive(100, 1, 1)])
    result = kpis(frame, context(0, 1000, capacity={"a-1": 1}))
    # No worker.activity.update: no slot-time available -> empty denominator.
    assert math.isnan(result["slot_occupancy"])
    assert math.isnan(result["agent_utilization"])
    # The lone task is pending over [100, 1000]: 900 / 1000.
    assert result["queued_tasks_mean"] == pytest.approx(0.9)


# Undefined ---------------------------------------------------------------------------------

def test_rates_and_means_are_nan_with_empty_denominators() -> None:
    # warmup 100, horizon 1000, threshold 3600. One task created at 900, offered at once,
    # the offer still pending at the horizon.
    frame = log([activity(0, "a-1", "Available"), *arrive(900, 1, 1),
                 offer(900, 1, 1, "a-1")])
    result = kpis(frame, context(100, 1000, threshold=3600, capacity={"a-1": 1}))
    undefined = [
        "reservation_timeout_rate", "reservation_reject_rate",  # the one offer is pending
        "declined_task_rate", "declines_per_task", "reassigned_to_other_agent_rate",
        "pause_expiry_rate", "pause_expiry_researching_rate", "pause_expiry_off_duty_rate",
        "pause_expiry_no_slot_rate",  # no pauses
        "reactivation_rate", "reactivation_same_agent_rate", "reactivation_delay_mean",
        # the task is 100 s old at the horizon, younger than the 3600 s follow-up: the
        # response cohort is empty
        "unanswered_rate", "first_response_time_p50", "first_response_time_p90",
        "first_response_time_mean_answered", "service_level", "wait_to_accept_p90",
        "wait_to_accept_mean_accepted",
    ]
    for name in undefined:
        assert math.isnan(result[name]), name
    assert result["conversations_created"] == 1
    assert result["tasks_created"] == 1
    assert result["reservations"] == 1
    for name in ("pauses", "leaves", "conversations_closed_inactive", "tasks_canceled_ttl",
                 "stranded_replies", "follow_up_conversations"):
        assert result[name] == 0, name
    # Queue: task 1 waiting over [900, 1000] -> 100 / 900; its customer awaits a reply too.
    assert result["queued_tasks_mean"] == pytest.approx(100 / 900)
    assert result["unanswered_conversations_mean"] == pytest.approx(100 / 900)
    # a-1 on duty over [100, 1000] = 900, holding the reservation over [900, 1000] = 100.
    assert result["slot_occupancy"] == pytest.approx(100 / 900)
    assert result["agent_utilization"] == 0.0


def test_per_skill_kpis_split_the_tasks_by_their_queue() -> None:
    result = kpis_by_skill(service_level_log(), context(1000, 100_000, threshold=3600))
    # email: tasks 2, 3, 5, 6 in the cohort, met 2 and 6; billing: task 4, canceled.
    assert result["email"]["service_level"] == pytest.approx(2 / 4)
    assert result["billing"]["service_level"] == 0.0
    assert result["billing"]["tasks_canceled_ttl"] == 1
    assert result["email"]["tasks_created"] + result["billing"]["tasks_created"] == 6


# The logs themselves -----------------------------------------------------------------------

PLAUSIBLE = {
    "counts": (counts_log, {"a-1": 1, "a-2": 1}),
    "ttl": (ttl_log, {"a-1": 1}),
    "reservation": (reservation_log, {"a-1": 1, "a-2": 2, "a-3": 1}),
    "reassignment": (reassignment_log, {f"a-{i}": 1 for i in range(1, 5)}),
    "pause": (pause_log, {f"a-{i}": 1 for i in range(1, 5)}),
    "reactivation": (reactivation_log, {"a-1": 3, "a-2": 3}),
    "response": (response_log, {f"a-{i}": 1 for i in range(1, 4)}),
    "service_level": (service_level_log, {"a-1": 3, "a-2": 3, "a-3": 1}),
    "backlog": (backlog_log, {f"a-{i}": 1 for i in range(1, 4)}),
    "hands": (hands_log, {"a-1": 2}),
    "occupancy": (occupancy_log, {"a-1": 1, "a-2": 2, "a-3": 1}),
}


@pytest.mark.parametrize("name", PLAUSIBLE)
def test_hand_built_log_is_plausible(name: str) -> None:
    """Guards the test data, not the KPIs: each log replays through the lifecycle tables with
    legal transitions, offers only to Available agents and no agent over capacity."""
    build, capacity = PLAUSIBLE[name]
    result = audit(build(), capacity)
    assert result.ok, result.violations


# The measured cohort: starts whose outcome is certain by the horizon --------------------------

def cohort_context(**limits: float) -> Context:
    return Context(warmup=0.0, horizon=10_000.0, service_level_threshold=3600.0,
                   capacity={"a-1": 5}, **limits)


def paused_task(task: int, accepted: float, end: float, outcome: str) -> list[Row]:
    return [*arrive(accepted - 10, task, task),
            ev(accepted - 10, "reservation.created", task, task, "a-1"),
            ev(accepted, "reservation.accepted", task, task, "a-1"),
            ev(accepted, "task.paused", task, task, "a-1", "research"),
            ev(end, outcome, task, task, "a-1")]


def test_pause_expiry_rate_counts_only_pauses_begun_more_than_the_expiry_before_the_horizon(
) -> None:
    # Expiry 3000 s, horizon 10000 s: the cohort is pauses begun before 7000.
    frame = log([activity(0, "a-1", "Available")],
                paused_task(1, 1000, 4000, "task.pause-expired"),  # in the cohort: expired
                paused_task(2, 2000, 2500, "task.resumed"),  # in the cohort: resumed
                paused_task(3, 8000, 8100, "task.resumed"))  # begun at 8000: not in it
    # Without the cohort rule task 3's quick resume would count (1/3); an expiry begun at 8000
    # could only be seen after the horizon, so counting it would bias the rate low.
    assert kpis(frame, cohort_context(pause_expiry=3000.0))["pause_expiry_rate"] == 1 / 2
    assert kpis(frame, cohort_context())["pause_expiry_rate"] == 1 / 3


def left_conversation(conv: int, left: float, outcome: str, at: float) -> list[Row]:
    task = conv
    return [*arrive(left - 320, task, conv),
            ev(left - 320, "reservation.created", task, conv, "a-1"),
            ev(left - 310, "reservation.accepted", task, conv, "a-1"),
            ev(left, "message.outbound", task, conv, "a-1"),
            ev(left, "task.wrapup", task, conv, "a-1", "leave"),
            ev(left, "conversation.inactive", task, conv, "a-1"),
            ev(left + 60, "task.completed", task, conv, "a-1"),
            ev(at, outcome, task, conv, None, "window" if outcome.endswith("closed") else "")]


def test_reactivation_rate_counts_only_leaves_more_than_the_window_before_the_horizon() -> None:
    # Window 4000 s: the cohort is Leaves before 6000.
    frame = log([activity(0, "a-1", "Available")],
                left_conversation(1, 1000, "conversation.closed", 5000),
                left_conversation(2, 2000, "conversation.closed", 6000),
                left_conversation(3, 7000, "conversation.reactivated", 7500))
    assert kpis(frame, cohort_context(leave_window=4000.0))["reactivation_rate"] == 0.0
    assert kpis(frame, cohort_context())["reactivation_rate"] == 1 / 3


def test_offers_made_within_the_timeout_of_the_horizon_are_not_counted() -> None:
    # Timeout 120 s: the offer at 9950 is outside the cohort even though it was accepted.
    frame = log([activity(0, "a-1", "Available")],
                [*arrive(100, 1, 1), ev(100, "reservation.created", 1, 1, "a-1"),
                 ev(220, "reservation.timeout", 1, 1, "a-1"),
                 ev(220, "reservation.created", 1, 1, "a-1"),
                 ev(230, "reservation.accepted", 1, 1, "a-1")],
                [*arrive(9950, 2, 2), ev(9950, "reservation.created", 2, 2, "a-1"),
                 ev(9960, "reservation.accepted", 2, 2, "a-1")])
    values = kpis(frame, cohort_context(reservation_timeout=120.0))
    assert values["reservation_timeout_rate"] == 1 / 2
    assert kpis(frame, cohort_context())["reservation_timeout_rate"] == 1 / 3
