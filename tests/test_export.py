"""`ccsim export`: TaskRouter events and CloudEvents that read back to the same log, and OCEL
2.0 and XES files that pm4py loads (pm4py is a dev-only dependency)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis import twilio_ids as ids
from sim.analysis.calibrate.reading import read_exports
from sim.analysis.calibrate.rebuild import observe
from tests.invoke import ccsim, no_crash

SMALL = """\
name: small
seed: 3
horizon: 3d
replications: 2
flex: {leave: {enabled: true, window: 1d}, pause: {enabled: true, expiry: 1d}, task_ttl: 6h}
arrivals: {per_day: 120, skills: {a: 0.6, b: 0.4}, priorities: {0: 0.8, 5: 0.2}}
agents:
  - name: g1
    count: 3
    capacity: 4
    skills: [a, b]
    shift: {days: [mon, tue, wed, thu, fri], start: "08:00", end: "17:00"}
    reservation: {response_time: {dist: exponential, mean: 50s}, reject_probability: 0.1}
    handling:
      research: {probability: 0.2, duration: {dist: exponential, mean: 3h}}
      leave_probability: 0.5
"""
# The Event resource's fields (Twilio's TaskRouter v1 OpenAPI spec).
EVENT_FIELDS = {"account_sid", "actor_sid", "actor_type", "actor_url", "description",
                "event_data", "event_date", "event_date_ms", "event_type", "resource_sid",
                "resource_type", "resource_url", "sid", "source", "source_ip_address", "url",
                "workspace_sid"}
COLUMNS = ["event", "task", "conversation", "agent", "skill", "priority", "reason"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    source = folder / "small.yaml"
    source.write_text(SMALL)
    result = ccsim("run", source, "--out", folder / "run", "-w", "1", "--no-figures", "-q")
    assert result.exit_code == 0, result.output
    return folder / "run"


def export(run: Path, form: str, *more: str) -> Path:
    result = ccsim("export", run, "--format", form, *more)
    no_crash(result)
    assert result.exit_code == 0, result.output
    found = re.search(r"^(\S+): ", result.output, re.M)
    assert found is not None
    return Path(found[1])


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a fixed order within each millisecond (the order of rows at one instant is
    the engine's, and TaskRouter events carry milliseconds)."""
    out = frame[COLUMNS].astype(object).where(frame[COLUMNS].notna(), "").astype(str)
    out["ms"] = (frame["time"] * 1000).round().astype("int64").to_numpy()
    return out.sort_values(["ms", *COLUMNS]).reset_index(drop=True)


def original(run: Path, replication: int) -> pd.DataFrame:
    frame = pd.read_parquet(run / "events.parquet")
    return frame[frame["replication"] == replication].reset_index(drop=True)


@pytest.mark.parametrize("form", ["taskrouter", "cloudevents"])
def test_taskrouter_export_reads_back_to_the_same_log(run: Path, form: str) -> None:
    path = export(run, form, "-r", "1")
    reading = read_exports([path])
    assert reading.problems == [] and not reading.skipped and reading.duplicates == 0
    end = reading.window[1] if form == "taskrouter" else ids.utc_ms(
        pd.Timestamp("2026-01-08").to_pydatetime(), ids.parse_zone("UTC"))
    rebuilt = observe(reading.records, ids.parse_zone("UTC"), None, end, window=86400.0)
    assert rebuilt.problems == [] and rebuilt.not_in_window == 0
    assert rebuilt.horizon == 3 * 86400
    before, after = canonical(original(run, 1)), canonical(rebuilt.frame)
    assert len(before) == len(after)
    pd.testing.assert_frame_equal(before, after)


def test_list_page_has_the_documented_shape_and_sids(run: Path) -> None:
    page = json.loads(export(run, "taskrouter").read_text())
    assert set(page) == {"events", "meta"}
    assert page["meta"]["key"] == "events" and "StartDate=2026-01-05T00:00:00.000Z" in (
        page["meta"]["url"])
    prefixes = {"task_sid": "WT", "reservation_sid": "WR", "worker_sid": "WK",
                "task_queue_sid": "WQ", "workspace_sid": "WS", "task_channel_sid": "TC",
                "worker_activity_sid": "WA", "workflow_sid": "WW"}
    types = set()
    for event in page["events"]:
        assert set(event) == EVENT_FIELDS
        assert ids.is_sid(event["sid"], "EV") and ids.is_sid(event["account_sid"], "AC")
        assert event["event_date"].endswith("Z")
        assert ids.parse_iso(event["event_date"]) == event["event_date_ms"]
        for key, prefix in prefixes.items():
            if key in event["event_data"]:
                assert ids.is_sid(event["event_data"][key], prefix), (key, event)
        types.add(event["event_type"])
    assert {"task.created", "task.updated", "task.wrapup", "task.completed",
            "reservation.created", "reservation.accepted", "reservation.rejected",
            "reservation.timeout", "reservation.wrapup", "reservation.completed",
            "worker.activity.update"} <= types
    created = next(e for e in page["events"] if e["event_type"] == "task.created")
    attributes = json.loads(created["event_data"]["task_attributes"])
    assert attributes["channelType"] == "email" and attributes["direction"] == "inbound"
    assert ids.is_sid(attributes["conversationSid"], "CH")


def test_cloudevents_name_taskrouter_types(run: Path) -> None:
    lines = export(run, "cloudevents").read_text().splitlines()
    first = json.loads(lines[0])
    assert first["specversion"] == "1.0"
    assert first["type"] == "com.twilio.taskrouter." + first["data"]["event_type"]
    assert first["id"] == first["data"]["sid"]


def test_export_times_follow_the_timezone(run: Path, tmp_path: Path) -> None:
    utc = json.loads(export(run, "taskrouter").read_text())["events"][0]
    berlin = json.loads(export(run, "taskrouter", "--timezone", "+01:00", "--out",
                               str(tmp_path / "b.json")).read_text())["events"][0]
    assert utc["event_date_ms"] - berlin["event_date_ms"] == 3_600_000


def test_export_refuses_what_it_cannot_export(run: Path, tmp_path: Path) -> None:
    for args, message in (((tmp_path,), "not a run folder"),
                          ((run, "-r", "9"), "no replication 9"),
                          ((run, "--timezone", "Mars/Olympus"), "not a time zone")):
        result = ccsim("export", *args)
        no_crash(result)
        assert result.exit_code == 2 and message in result.output, result.output


def test_ocel_loads_in_pm4py(run: Path) -> None:
    import pm4py  # a dev dependency, imported here: it is slow to load
    path = export(run, "ocel")
    log = pm4py.read_ocel2_json(str(path))
    rows = original(run, 0)
    assert len(log.events) == len(rows)
    assert set(log.objects["ocel:type"]) == {"task", "conversation", "agent", "reservation"}
    tasks = log.objects[log.objects["ocel:type"] == "task"]
    assert len(tasks) == rows["task"].nunique()
    offers = log.relations[log.relations["ocel:activity"] == "reservation.created"]
    assert (offers["ocel:type"] == "reservation").sum() == (
        rows["event"] == "reservation.created").sum()


def test_xes_loads_in_pm4py_with_a_case_per_task(run: Path) -> None:
    import pm4py  # a dev dependency, imported here: it is slow to load
    log = pm4py.read_xes(str(export(run, "xes")))
    rows = original(run, 0)
    with_task = rows[rows["task"].notna()]
    assert log["case:concept:name"].nunique() == with_task["task"].nunique()
    assert len(log) == len(with_task)
    first = log[log["case:concept:name"] == "task-1"]
    assert first["concept:name"].iloc[0] == "task.created"
