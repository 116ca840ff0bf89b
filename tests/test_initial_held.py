"""Work agents hold at time 0 (`initial.assigned`, `.paused`, `.inactive_conversations`):
the exact trace of a scripted start, validation with file, line and field, capacity held
from the start, the audit on a generated start, and no other stream drawn differently."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.analysis.audit import audit
from sim.domain.scenario_file import load_scenario, parse_scenario
from sim.engine.model import Replication
from tests.invoke import ccsim, refused_at
from tests.scripted import group, rows, scenario

ROOT = Path(__file__).resolve().parent.parent


def held(awaiting: float = 1, **initial: object) -> Replication:
    """One agent around the clock with 2 slots: replies take 5 min, wrap-ups 1 min, every
    reply resolves; research (for paused tasks) takes 2 h; customers answer a left
    conversation 40 min after time 0."""
    return Replication(scenario(
        horizon="1d",
        flex={"pause": {"enabled": True, "expiry": "1d"},
              "leave": {"enabled": True, "window": "6h"}},
        customers={"reply_probability": {"awaiting": awaiting, "resolved": 0},
                   "reply_delay": "40m"},
        agents=[group(name="a", count=1, capacity=2, handling={
            "compose": "5m", "resolve_probability": 1,
            "research": {"probability": 0, "duration": "2h"}})],
        initial=initial), remember=True)


def test_held_work_starts_with_its_history_and_goes_on_from_time_zero() -> None:
    rep = held(assigned={"email": 1, "age": "10m"}, paused={"email": 1, "age": "1h"},
               inactive_conversations={"email": 1, "age": "1h"})
    trace = rows(rep.run().to_frame())
    opened = [("conversation.created", None, None), ("message.inbound", None, None)]

    def began(at: float, task: int) -> list[tuple[float, str, int | None, str | None]]:
        return [(at, e, t, a) for e, t, a in [*opened, ("task.created", task, None),
                                              ("reservation.created", task, "a-1"),
                                              ("reservation.accepted", task, "a-1")]]

    def answered(at: float, task: int) -> list[tuple[float, str, int | None, str | None]]:
        return [(at, "worker.work.started", task, "a-1"), (at, "message.outbound", task, "a-1"),
                (at, "task.wrapup", task, "a-1"), (at, "worker.work.started", task, "a-1")]

    assert trace == [
        (-3600.0, "worker.activity.update", None, "a-1"),  # Available, before any offer
        *began(-3600.0, 2), (-3600.0, "task.paused", 2, "a-1"),  # paused 1 h ago
        *began(-3600.0, 3), *answered(-3600.0, 3)[:3],  # answered and left 1 h ago
        (-3600.0, "conversation.inactive", 3, "a-1"), answered(-3600.0, 3)[3],
        (-3600.0, "task.completed", 3, "a-1"),
        *began(-600.0, 1),  # assigned 10 min ago: its reply is written from 0
        (0.0, "worker.work.started", 1, "a-1"), *answered(300.0, 1)[1:],
        (360.0, "task.completed", 1, "a-1"), (360.0, "conversation.closed", 1, None),
        # the customer of the left conversation answers at 40 min: reactivation (R12)
        (2400.0, "conversation.reactivated", 3, None), (2400.0, "message.inbound", None, None),
        (2400.0, "task.created", 4, None), (2400.0, "reservation.created", 4, "a-1"),
        (2410.0, "reservation.accepted", 4, "a-1"), *answered(2410.0, 4)[:1],
        *answered(2710.0, 4)[1:], (2770.0, "task.completed", 4, "a-1"),
        (2770.0, "conversation.closed", 4, None),
        # the paused task's research (2 h, from 0) is done: it resumes (R9)
        (7200.0, "task.resumed", 2, "a-1"), (7200.0, "worker.work.started", 2, "a-1"),
        *answered(7500.0, 2)[1:], (7560.0, "task.completed", 2, "a-1"),
        (7560.0, "conversation.closed", 2, None),
    ]
    assert audit(rep.log, {"a-1": 2}).ok


def test_assigned_tasks_hold_their_slots_from_the_start() -> None:
    # Two assigned tasks fill both slots: the new email at 1 min waits for a slot. The hands
    # write reply 1 (0-5 min), reply 2 (5-10, queued first, A2), then wrap up task 1 (10-11).
    rep = held(assigned={"email": 2})
    rep.send_new(60.0, "email")
    offers = [r for r in rows(rep.run().to_frame(), "reservation.created") if r[2] == 3]
    assert offers == [(660.0, "reservation.created", 3, "a-1")]


def test_a_pause_expiry_and_a_leave_window_count_from_the_age() -> None:
    # Research of 2 h outlasts a 1 d pause paused 23 h ago: it expires at 1 h. No reply:
    # the window of 6 h left 5 h ago closes at 1 h.
    rep = held(awaiting=0, paused={"email": 1, "age": "23h"},
               inactive_conversations={"email": 1, "age": "5h"})
    frame = rep.run().to_frame()
    expired = rows(frame, "task.pause-expired")
    assert expired == [(3600.0, "task.pause-expired", 1, "a-1")]
    closed = frame[(frame["event"] == "conversation.closed") & (frame["conversation"] == 2)]
    assert closed["time"].tolist() == [3600.0] and closed["reason"].tolist() == ["window"]


def baseline_with(initial: str) -> str:
    return (ROOT / "scenarios" / "baseline.yaml").read_text() + initial


OVERRIDES = ["flex.pause.enabled=true", "flex.pause.expiry=2d", "flex.leave.enabled=true",
             "flex.leave.window=3d"]
EVERYTHING = """
initial:
  pending: {billing: 30, age: {dist: uniform, low: 0s, high: 20h}}
  assigned: {billing: 20, technical: 5, age: {dist: uniform, low: 0s, high: 2h}}
  paused: {billing: 4, age: {dist: uniform, low: 1h, high: 1d}}
  inactive_conversations: {billing: 10, age: {dist: uniform, low: 0s, high: 2d}}
"""


def test_a_start_with_every_kind_of_held_work_passes_the_audit() -> None:
    chosen = parse_scenario(baseline_with(EVERYTHING), "<baseline>", OVERRIDES)
    for replication in range(3):
        rep = Replication(chosen, replication)
        log = rep.run()
        result = audit(log, {a.name: a.capacity for a in rep.agents})
        assert result.ok, result.violations
        frame = log.to_frame()
        before = frame[frame["time"] < 0]
        assert (before["event"] == "task.created").sum() == 69
        assert frame["time"].is_monotonic_increasing


def test_held_work_changes_no_other_draw() -> None:
    plain = parse_scenario(baseline_with(""), "<baseline>", OVERRIDES)
    chosen = parse_scenario(baseline_with(EVERYTHING.replace("  pending:", "  #")),
                            "<baseline>", OVERRIDES)

    def arrivals(s: object) -> list[float]:
        frame = Replication(s, 0).run(until=86_400.0).to_frame()  # type: ignore[arg-type]
        new = frame[(frame["event"] == "conversation.created") & (frame["reason"] == "new")
                    & (frame["time"] >= 0)]
        return new["time"].tolist()

    assert arrivals(plain) == arrivals(chosen) and len(arrivals(plain)) > 100


@pytest.mark.parametrize(("section", "field", "message"), [
    ("assigned: {emial: 5}", "initial.assigned.emial", "'emial' is not a skill"),
    ("paused: {billing: 2}", "initial.paused", "paused needs flex.pause.enabled: true"),
    ("inactive_conversations: {billing: 2}", "initial.inactive_conversations",
     "needs flex.leave.enabled: true"),
    ("assigned: {billing: 500}", "initial.assigned",
     "500 billing tasks do not fit: the agents serving billing have"),
])
def test_held_work_that_cannot_be_is_reported_with_file_line_and_field(
        tmp_path: Path, section: str, field: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(baseline_with(f"initial:\n  {section}\n"))
    refused_at(path, len(path.read_text().splitlines()), field, message)


def test_an_age_past_the_pause_expiry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nflex: {pause: {enabled: true, expiry: 2d}}\n"
                    "arrivals: {per_day: 10, skills: {email: 1.0}}\n"
                    "agents: [{name: t, count: 1, skills: [email]}]\n"
                    "initial:\n  paused: {email: 2, age: 3d}\n")
    result = ccsim("validate", path)
    assert result.exit_code == 2
    assert "bad.yaml:6:22: initial.paused.age: every age it draws is at least " \
        "flex.pause.expiry (2d)" in result.output, result.output


def test_the_bundled_scenarios_still_load() -> None:
    for path in (ROOT / "scenarios").glob("*.yaml"):
        assert not load_scenario(path).initial.held


def test_held_work_is_written_in_the_resolved_scenario() -> None:
    from sim.analysis.results import scenario_text

    chosen = parse_scenario(baseline_with(EVERYTHING), "<baseline>", OVERRIDES)
    again = parse_scenario(scenario_text(chosen))
    assert again == chosen and again.initial.assigned.counts == {"billing": 20,
                                                                  "technical": 5}
