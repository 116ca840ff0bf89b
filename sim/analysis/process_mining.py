"""A replication's event log for process-mining tools (docs/export.md): OCEL 2.0 JSON, with
objects task, conversation, agent and reservation, and XES with one case per task.

Both are written from the log's rows alone; times are the scenario's calendar, written in
UTC (as `ccsim export --timezone` says). pm4py reads both (tests/test_export.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import quoteattr

import pandas as pd

from sim.analysis import twilio_ids as ids
from sim.domain.lifecycle import Event
from sim.domain.scenario import Scenario

EVENT_ATTRIBUTES = [{"name": "reason", "type": "string"}]
OBJECT_ATTRIBUTES: dict[str, list[dict[str, str]]] = {
    "task": [{"name": "skill", "type": "string"}, {"name": "priority", "type": "integer"}],
    "conversation": [{"name": "skill", "type": "string"}],
    "agent": [{"name": "group", "type": "string"}],
    "reservation": [],
}


@dataclass(frozen=True)
class Row:
    number: int
    time: str  # ISO 8601 in UTC
    event: Event
    task: int | None
    conversation: int | None
    agent: str | None
    skill: str | None
    priority: int | None
    reason: str | None
    reservation: str | None  # `<task>.<n>`: the n-th offer of the task, for its events


def rows_of(frame: pd.DataFrame, scenario: Scenario, zone: dt.tzinfo) -> Iterator[Row]:
    """The rows of one replication, with times in UTC and reservations numbered."""
    offers: dict[int, int] = {}
    columns = zip(frame["time"].tolist(), frame["event"].astype(str).tolist(),
                  _ints(frame["task"]), _ints(frame["conversation"]), _texts(frame["agent"]),
                  _texts(frame["skill"]), _ints(frame["priority"]), _texts(frame["reason"]),
                  strict=True)
    for number, (time, name, task, conversation, agent, skill, priority, reason) in enumerate(
            columns):
        event = Event(name)
        ms = ids.utc_ms(scenario.start + dt.timedelta(seconds=time), zone)
        yield Row(number, ids.iso_utc(ms), event, task, conversation, agent, skill, priority,
                  reason, _reservation(event, task, offers))


def _reservation(event: Event, task: int | None, offers: dict[int, int]) -> str | None:
    if task is None or not event.value.startswith("reservation."):
        return None
    if event is Event.RESERVATION_CREATED:
        offers[task] = offers.get(task, 0) + 1
    return f"{task}.{offers.get(task, 0)}"


def _ints(column: pd.Series) -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in column.astype("Int64").tolist()]


def _texts(column: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else str(v) for v in column.astype(object).tolist()]


# OCEL 2.0 ------------------------------------------------------------------------------------

@dataclass
class _Objects:
    """Objects seen so far, with their attributes and their links to other objects."""

    found: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, kind: str, key: object, time: str, attributes: dict[str, Any],
            links: tuple[tuple[str, str], ...] = ()) -> str:
        oid = f"{kind}:{key}"
        if oid not in self.found:
            self.found[oid] = {
                "id": oid, "type": kind,
                "attributes": [{"name": name, "time": time, "value": value}
                               for name, value in attributes.items() if value is not None],
                "relationships": [{"objectId": other, "qualifier": qualifier}
                                  for other, qualifier in links],
            }
        return oid


def _related(row: Row, objects: _Objects, groups: dict[str, str]) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    conversation = None
    if row.conversation is not None:
        conversation = objects.add("conversation", row.conversation, row.time,
                                   {"skill": row.skill})
        links.append({"objectId": conversation, "qualifier": "conversation"})
    task = None
    if row.task is not None:
        task = objects.add("task", row.task, row.time,
                           {"skill": row.skill, "priority": row.priority},
                           ((conversation, "part of"),) if conversation else ())
        links.append({"objectId": task, "qualifier": "task"})
    agent = None
    if row.agent is not None:
        agent = objects.add("agent", row.agent, row.time, {"group": groups.get(row.agent)})
        links.append({"objectId": agent, "qualifier": "agent"})
    if row.reservation is not None and task is not None and agent is not None:
        offer = objects.add("reservation", row.reservation, row.time, {},
                            ((task, "offers"), (agent, "offered to")))
        links.append({"objectId": offer, "qualifier": "reservation"})
    return links


def ocel_document(rows: Iterator[Row], groups: dict[str, str]) -> dict[str, Any]:
    """The OCEL 2.0 JSON document of the rows: every row an event, of its event's type."""
    objects = _Objects()
    events: list[dict[str, Any]] = []
    types: dict[str, None] = {}
    for row in rows:
        types[row.event.value] = None
        events.append({
            "id": f"e{row.number}", "type": row.event.value, "time": row.time,
            "attributes": [] if row.reason is None else [{"name": "reason",
                                                          "value": row.reason}],
            "relationships": _related(row, objects, groups),
        })
    return {
        "objectTypes": [{"name": kind, "attributes": attributes}
                        for kind, attributes in OBJECT_ATTRIBUTES.items()],
        "eventTypes": [{"name": name, "attributes": EVENT_ATTRIBUTES} for name in types],
        "objects": list(objects.found.values()),
        "events": events,
    }


# XES -------------------------------------------------------------------------------------------

XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <global scope="trace"><string key="concept:name" value="UNKNOWN"/></global>
  <global scope="event">
    <string key="concept:name" value="UNKNOWN"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="concept:name" value={name}/>
"""


def _string(key: str, value: object) -> str:
    return f'<string key="{key}" value={quoteattr(str(value))}/>'


def _xes_event(row: Row) -> str:
    parts = [_string("concept:name", row.event.value),
             f'<date key="time:timestamp" value="{row.time[:-1]}+00:00"/>']
    if row.agent is not None:
        parts.append(_string("org:resource", row.agent))
    if row.reason is not None:
        parts.append(_string("reason", row.reason))
    return "      <event>" + "".join(parts) + "</event>\n"


def xes_text(rows: Iterator[Row], name: str) -> str:
    """XES with one trace per task: its task, reservation and message events and the
    conversation events it carries; rows without a task (worker activity, a conversation's
    first email) belong to no case."""
    cases: dict[int, list[Row]] = {}
    for row in rows:
        if row.task is not None:
            cases.setdefault(row.task, []).append(row)
    out = [XES_HEAD.format(name=quoteattr(name))]
    for task, case in cases.items():
        first = case[0]
        out.append(f"  <trace>{_string('concept:name', f'task-{task}')}"
                   f"{_string('skill', first.skill)}{_string('priority', first.priority)}"
                   f"{_string('conversation', f'conversation-{first.conversation}')}\n")
        out.extend(_xes_event(row) for row in case)
        out.append("  </trace>\n")
    out.append("</log>\n")
    return "".join(out)
