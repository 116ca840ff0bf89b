"""`ccsim calibrate` and `ccsim backtest`: a simulated center with known settings, exported
as TaskRouter events, is calibrated back to those settings; a hand-written export is parsed
exactly; malformed exports are refused or skipped with the file and record named."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter

from sim.analysis import twilio_ids as ids
from sim.analysis.calibrate.calibration import Calibration, calibrate
from sim.analysis.calibrate.reading import read_exports
from sim.analysis.calibrate.rebuild import observe
from sim.analysis.taskrouter_export import export_events, list_page
from sim.domain.distributions import Distribution
from sim.domain.durations import DAY, HOUR
from sim.domain.scenario_file import parse_scenario
from sim.engine.model import run_replication
from tests.invoke import ccsim, no_crash

KNOWN = """\
name: known
seed: 7
horizon: 14d
flex:
  reservation_timeout: 90s
  timeout_recovery: 4m
  task_ttl: 3d
  pause: {enabled: true, expiry: 2d}
  leave: {enabled: true, window: 5d}
arrivals:
  per_day: 450
  weekday_weights: [1.2, 1.1, 1.0, 1.0, 0.9, 0.8, 0.7]
  hour_weights: [1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1]
  skills: {billing: 0.7, tech: 0.3}
  priorities: {0: 0.8, 10: 0.2}
customers:
  reply_probability: {awaiting: 0.6, resolved: 0.05}
  reply_delay: {dist: lognormal, median: 2h, sigma: 1.0}
agents:
  - name: day
    count: 11
    capacity: 6
    skills: [billing]
    shift: {days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00"}
    reservation: {response_time: {dist: exponential, mean: 40s}, reject_probability: 0.2}
    handling:
      compose: {dist: lognormal, median: 8m, sigma: 0.5}
      research: {probability: 0.2, duration: {dist: exponential, mean: 2h}}
      resolve_probability: 0.5
      leave_probability: 0.7
      hold_for_reply: 3h
      wrapup: {dist: constant, value: 1m}
  - name: allday
    count: 6
    capacity: 6
    skills: [billing, tech]
    reservation: {response_time: {dist: exponential, mean: 60s}, reject_probability: 0.15}
    handling:
      compose: {dist: gamma, mean: 12m, cv: 0.6}
      resolve_probability: 0.4
      leave_probability: 0.5
      hold_for_reply: 3h
      wrapup: {dist: constant, value: 2m}
"""
UTC = dt.UTC
TOLERANCE = 0.10  # relative; at these volumes 10% is at least 3.5 standard errors


def within(found: float, true: float, tolerance: float = TOLERANCE) -> bool:
    return abs(found - true) <= tolerance * abs(true)


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Calibration]:
    """The known scenario simulated, exported to a TaskRouter list page, and calibrated."""
    scenario = parse_scenario(KNOWN)
    frame = run_replication(scenario, 0).to_frame()
    page = list_page(export_events(frame, scenario, 0, UTC), scenario, UTC)
    path = tmp_path_factory.mktemp("known") / "events.json"
    path.write_text(json.dumps(page))
    reading = read_exports([path])
    assert reading.problems == []
    observed = observe(reading.records, UTC, None, reading.window[1])
    return scenario, calibrate(observed, "fitted", [path.name])


def mean_of(spec: dict[str, Any]) -> float:
    return float(TypeAdapter(Distribution).validate_python(spec).expected())


def median_of(spec: dict[str, Any]) -> float:
    samples = TypeAdapter(Distribution).validate_python(spec).block(
        np.random.default_rng(0), 200_000)
    return float(np.median(samples))


def test_round_trip_recovers_the_arrivals(known: tuple[Any, Calibration]) -> None:
    """Daily volume within 10%; each weekday's and hour's expected count within 4 Poisson
    standard errors (99.99% each, computed from the counts the fit used)."""
    scenario, found = known
    fitted, true = found.scenario.arrivals, scenario.arrivals
    weeks = scenario.horizon / (7 * DAY)
    true_days = [true.per_day * w for w in true.weekday_weights]
    fitted_days = [fitted.per_day * w for w in fitted.weekday_weights]
    assert within(sum(fitted_days), sum(true_days))
    for fitted_day, true_day in zip(fitted_days, true_days, strict=True):
        error = math.sqrt(true_day * weeks) / weeks
        assert abs(fitted_day - true_day) <= 4 * error, (fitted_days, true_days)
    total = sum(true_days) * weeks
    true_share = np.array(true.hour_weights) / sum(true.hour_weights)
    fitted_share = np.array(fitted.hour_weights) / sum(fitted.hour_weights)
    error = np.sqrt(true_share * total) / total
    assert np.all(np.abs(fitted_share - true_share) <= 4 * error), fitted_share
    for name, share in true.skills.items():
        assert abs(fitted.skills[name] - share) <= 0.02
    for priority, share in true.priorities.items():
        assert abs(fitted.priorities[priority] - share) <= 0.02


def test_round_trip_recovers_the_groups_and_their_behaviour(
        known: tuple[Any, Calibration]) -> None:
    scenario, found = known
    for true in scenario.agents:
        fitted = found.scenario.group(true.name)
        assert fitted.count == true.count and sorted(fitted.skills) == sorted(true.skills)
        assert 1 <= fitted.capacity <= true.capacity
        assert fitted.shift == true.shift
        assert within(mean_of(fitted.reservation.response_time.model_dump()),
                      true.reservation.response_time.expected())
        assert within(fitted.reservation.reject_probability,
                      true.reservation.reject_probability)
        handling, expected = fitted.handling, true.handling
        assert within(median_of(handling.compose.model_dump()),
                      median_of(expected.compose.model_dump()))
        assert handling.wrapup == expected.wrapup
        assert within(handling.resolve_probability, expected.resolve_probability)
        assert within(handling.leave_probability, expected.leave_probability)
        assert handling.hold_for_reply == expected.hold_for_reply
    assert within(found.scenario.group("day").handling.research.probability, 0.2)


def test_round_trip_recovers_flex_and_customers(known: tuple[Any, Calibration]) -> None:
    scenario, found = known
    flex, true = found.scenario.flex, scenario.flex
    assert flex.reservation_timeout == true.reservation_timeout
    assert flex.timeout_activity == true.timeout_activity
    assert flex.timeout_recovery == true.timeout_recovery
    assert flex.pause.enabled and flex.leave.enabled
    assert flex.pause.expiry == true.pause.expiry
    customers = found.scenario.customers
    assert within(customers.reply_probability.awaiting, 0.6)
    # Resolving replies are answered only by unlinked follow-ups: within 0.015 (30%).
    assert abs(customers.reply_probability.resolved - 0.05) <= 0.015
    assert within(median_of(customers.reply_delay.model_dump()), 2 * HOUR)


def test_calibrated_file_says_what_each_setting_came_from(
        known: tuple[Any, Calibration]) -> None:
    _, found = known
    text = found.text
    assert parse_scenario(text) == found.scenario
    assert "flex.leave.window" in text.split("\n\n")[0]  # listed as not inferred
    assert "not inferred: no task was canceled" in text  # the TTL: nothing was canceled
    assert "KS distance" in text and "by likelihood" in text
    assert text.count("# ") > 40


HAND = {
    "events": [
        {"event_type": "worker.activity.update", "event_date": "2026-03-02T08:00:00Z",
         "sid": "EV" + "1" * 32, "resource_sid": "WK" + "a" * 32,
         "event_data": {"worker_sid": "WK" + "a" * 32, "worker_name": "alice",
                        "worker_activity_name": "Available",
                        "worker_attributes": "{\"team_name\": \"email\"}"}},
        {"event_type": "task.created", "event_date": "2026-03-02T08:00:05.250Z",
         "sid": "EV" + "2" * 32,
         "event_data": {"task_sid": "WT" + "1" * 32, "task_queue_name": "Billing EU",
                        "task_priority": "5",
                        "task_attributes": "{\"channelType\": \"email\", \"conversationSid\":"
                                           " \"CH" + "c" * 32 + "\"}"}},
        {"event_type": "task-queue.entered", "event_date": "2026-03-02T08:00:05.250Z",
         "event_data": {"task_sid": "WT" + "1" * 32}},
        {"event_type": "reservation.created", "event_date": "2026-03-02T08:00:06Z",
         "sid": "EV" + "3" * 32,
         "event_data": {"task_sid": "WT" + "1" * 32, "reservation_sid": "WR" + "1" * 32,
                        "worker_sid": "WK" + "a" * 32, "worker_name": "alice"}},
        {"event_type": "reservation.accepted", "event_date_ms": 1772438436000,
         "event_date": "ignored when event_date_ms is there", "sid": "EV" + "4" * 32,
         "event_data": {"task_sid": "WT" + "1" * 32, "reservation_sid": "WR" + "1" * 32,
                        "worker_sid": "WK" + "a" * 32, "worker_name": "alice"}},
        {"event_type": "task.wrapup", "event_date": "2026-03-02T08:30:00Z",
         "sid": "EV" + "5" * 32, "event_data": {"task_sid": "WT" + "1" * 32}},
        {"event_type": "reservation.wrapup", "event_date": "2026-03-02T08:30:00Z",
         "sid": "EV" + "6" * 32,
         "event_data": {"task_sid": "WT" + "1" * 32, "reservation_sid": "WR" + "1" * 32,
                        "worker_sid": "WK" + "a" * 32}},
        {"event_type": "task.completed", "event_date": "2026-03-02T08:32:00Z",
         "sid": "EV" + "7" * 32, "event_data": {"task_sid": "WT" + "1" * 32}},
        {"event_type": "task.created", "event_date": "2026-03-02T09:00:00Z",
         "sid": "EV" + "8" * 32,
         "event_data": {"task_sid": "WT" + "2" * 32, "task_queue_name": "Billing EU"}},
        {"event_type": "task.canceled", "event_date": "2026-03-03T09:00:00Z",
         "sid": "EV" + "9" * 32,
         "event_data": {"task_sid": "WT" + "2" * 32, "task_canceled_reason": "Task TTL "
                                                                               "Exceeded"}},
    ],
    "meta": {"key": "events", "page": 0, "page_size": 50,
             "url": "https://taskrouter.twilio.com/v1/Workspaces/WS" + "0" * 32 + "/Events?"
                    "StartDate=2026-03-02T00:00:00Z&EndDate=2026-03-04T00:00:00Z"},
}


def test_hand_written_export_is_parsed_exactly(tmp_path: Path) -> None:
    path = tmp_path / "hand.json"
    path.write_text(json.dumps(HAND))
    reading = read_exports([path])
    assert reading.problems == [] and dict(reading.skipped) == {"task-queue.entered": 1}
    assert reading.redundant == 1
    assert reading.window == (ids.parse_iso("2026-03-02T00:00:00Z"),
                              ids.parse_iso("2026-03-04T00:00:00Z"))
    first = reading.records[1]
    assert (first.event_type, first.task, first.queue, first.priority) == (
        "task.created", "WT" + "1" * 32, "Billing EU", 5)
    observed = observe(reading.records, UTC, None, reading.window[1])
    assert observed.start == dt.datetime(2026, 3, 2) and observed.horizon == 2 * DAY
    rows = list(observed.frame[["time", "event", "task", "conversation", "agent", "skill",
                                "priority", "reason"]].astype(object).where(
        observed.frame.notna(), None).itertuples(index=False, name=None))
    hour = 8 * HOUR
    assert rows == [
        (hour, "worker.activity.update", None, None, "alice", None, None, "Available"),
        (hour + 5.25, "conversation.created", None, 1, None, "Billing-EU", 5, "new"),
        (hour + 5.25, "message.inbound", None, 1, None, "Billing-EU", 5, "new"),
        (hour + 5.25, "task.created", 1, 1, None, "Billing-EU", 5, None),
        (hour + 6, "reservation.created", 1, 1, "alice", "Billing-EU", 5, None),
        (hour + 36, "reservation.accepted", 1, 1, "alice", "Billing-EU", 5, None),
        (hour + 1800, "task.wrapup", 1, 1, "alice", "Billing-EU", 5, "end"),
        (hour + 1920, "task.completed", 1, 1, "alice", "Billing-EU", 5, None),
        (hour + 1920, "conversation.closed", 1, 1, None, "Billing-EU", 5, "resolved"),
        (9 * HOUR, "conversation.created", None, 2, None, "Billing-EU", 0, "new"),
        (9 * HOUR, "message.inbound", None, 2, None, "Billing-EU", 0, "new"),
        (9 * HOUR, "task.created", 2, 2, None, "Billing-EU", 0, None),
        (DAY + 9 * HOUR, "task.canceled", 2, 2, None, "Billing-EU", 0, "ttl"),
        (DAY + 9 * HOUR, "conversation.closed", 2, 2, None, "Billing-EU", 0, "unanswered"),
    ]
    assert observed.queues == {"Billing-EU": "Billing EU"}
    assert observed.workers["alice"].attributes == {"team_name": "email"}


MALFORMED = [
    {"event_date": "2026-03-02T08:00:00Z", "event_data": {}},
    {"event_type": "task.created", "event_date": "yesterday",
     "event_data": {"task_sid": "WT" + "1" * 32, "task_queue_name": "q"}},
    {"event_type": "task.created", "event_date": "2026-03-02T08:00:00Z",
     "event_data": {"task_sid": "WT123", "task_queue_name": "q"}},
    {"event_type": "reservation.created", "event_date": "2026-03-02T08:00:00Z",
     "event_data": {"task_sid": "WT" + "1" * 32, "reservation_sid": "WR" + "1" * 32}},
    "not an event",
    {"event_type": "task.created", "event_date": "2026-03-02T08:00:00Z",
     "event_data": {"task_sid": "WT" + "3" * 32}},
]


def test_malformed_records_are_skipped_with_file_and_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"events": [*MALFORMED, *HAND["events"]]}))
    result = ccsim("calibrate", path)
    no_crash(result)
    assert result.exit_code == 0, result.output
    for place, message in ((0, "event_type: missing"),
                           (1, "event_date: 'yesterday' is not an ISO 8601 time"),
                           (2, "event_data.task_sid: 'WT123' is not a Twilio SID"),
                           (3, "event_data.worker_sid: missing"),
                           (4, "record: expected an object, got str"),
                           (5, "event_data.task_queue_name: missing")):
        assert f"{path}: events[{place}]: {message}" in result.output, result.output
    assert "6 malformed records skipped" in result.output
    assert "task-queue.entered (1)" in result.output
    strict = ccsim("calibrate", path, "--strict")
    assert strict.exit_code == 2 and "--strict: 6 malformed records" in strict.output


def test_unreadable_exports_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"events": [')
    lines = tmp_path / "lines.ndjson"
    good = [json.dumps(event) for event in HAND["events"]]
    lines.write_text("\n".join([good[0], "{not json", *good[1:]]) + "\n")
    shapeless = tmp_path / "shapeless.json"
    shapeless.write_text('{"hello": 1}')
    empty = tmp_path / "empty.json"
    empty.write_text('{"events": [], "meta": {}}')
    nobody = tmp_path / "nobody.json"
    nobody.write_text(json.dumps([HAND["events"][1]]))
    for path, message in ((broken, f"{broken}:1:13: not JSON"),
                          (nobody, "no worker in the export"),
                          (shapeless, "not a TaskRouter export"),
                          (empty, "no TaskRouter event the model can use"),
                          (tmp_path / "missing.json", "cannot read")):
        result = ccsim("calibrate", path)
        no_crash(result)
        assert result.exit_code == 2 and message in result.output, result.output
    result = ccsim("calibrate", lines)
    assert result.exit_code == 0, result.output
    assert f"{lines}:2: not JSON" in result.output


def test_calibrate_writes_a_valid_scenario_and_backtests_it(tmp_path: Path) -> None:
    scenario = parse_scenario(KNOWN, overrides=["horizon=3d"])
    frame = run_replication(scenario, 0).to_frame()
    events = tmp_path / "events.ndjson"
    from sim.analysis.taskrouter_export import cloudevents_text

    events.write_text(cloudevents_text(export_events(frame, scenario, 0, UTC)))
    out = tmp_path / "fitted.yaml"
    figures = tmp_path / "check"
    result = ccsim("calibrate", events, "--out", out, "--check", "-r", "2", "-w", "1",
                   "--figures", figures)
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert ccsim("validate", out).exit_code == 0
    assert "observed vs simulated" in result.output and "prediction interval" in result.output
    table = pd.read_csv(figures / "backtest.csv")
    assert set(table["kpi"]) >= {"service_level", "tasks_created", "slot_occupancy"}
    assert (figures / "arrivals_by_hour.png").stat().st_size > 0
    assert (figures / "handling_times.png").stat().st_size > 0
    again = ccsim("backtest", out, events, "-r", "2", "-w", "1", "--figures", tmp_path / "b")
    no_crash(again)
    assert again.exit_code == 0, again.output
    observed = table.set_index("kpi")["observed"]
    assert observed["tasks_created"] == (frame["event"] == "task.created").sum()
