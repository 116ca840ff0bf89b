"""A replication's event log as TaskRouter Event resources (docs/export.md).

The shape is the Events API's (Twilio's TaskRouter v1 OpenAPI spec): a list page
`{"events": [...], "meta": {...}}` of Event resources with `event_type`, `event_date` (ISO
8601, UTC), `event_date_ms`, `resource_type`, `resource_sid`, `actor_*`, `description` and
`event_data`; or newline-delimited Event Streams CloudEvents (`type:
com.twilio.taskrouter.<event_type>`, the Event resource as `data`).

TaskRouter has no events for a conversation or its messages: a Flex email task carries its
conversation in `task_attributes` (`conversationSid`, `channelType`, `direction`, `from`),
and ccsim adds what happened to it under `task_attributes.ccsim`, on the `task.created`,
`task.updated`, `task.wrapup`, `task.completed` and `task.canceled` events that carry it.
A conversation that closes when its Leave window runs out (R13) has no task event and is
not exported.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.analysis import twilio_ids as ids
from sim.domain.lifecycle import Event
from sim.domain.scenario import Scenario

API = "https://taskrouter.twilio.com/v1"
CHANNEL_NAME = "email"
WORKFLOW_NAME = "ccsim"
CLOUDEVENT_TYPE = "com.twilio.taskrouter."
# ccsim's task statuses as TaskRouter's assignment_status (paused has none: still assigned).
ASSIGNMENT = {Event.TASK_CREATED: "pending", Event.RESERVATION_CREATED: "reserved",
              Event.RESERVATION_ACCEPTED: "assigned", Event.RESERVATION_REJECTED: "pending",
              Event.RESERVATION_TIMEOUT: "pending", Event.TASK_PAUSE_EXPIRED: "pending",
              Event.TASK_WRAPUP: "wrapping", Event.TASK_COMPLETED: "completed",
              Event.TASK_CANCELED: "canceled"}
TTL_REASON = "Task TTL Exceeded"


@dataclass
class _Task:
    number: int
    conversation: int
    skill: str
    priority: int
    created_ms: int
    kind: str  # how its conversation came to have it: new, follow-up or reactivated
    status: str = "pending"
    reservations: int = 0
    reservation: str | None = None  # the SID of the task's pending or accepted reservation
    facts: dict[str, Any] = field(default_factory=dict)  # task_attributes.ccsim
    static: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Worker:
    name: str
    group: str
    skills: list[str]
    activity: str = "Offline"
    since_ms: int | None = None
    attributes: str = ""


class Exporter:
    """Turns one replication's rows, in order, into Event resources."""

    def __init__(self, scenario: Scenario, replication: int, zone: dt.tzinfo) -> None:
        self.scenario = scenario
        self.replication = replication
        self.zone = zone
        self.workspace = ids.sid(ids.WORKSPACE, scenario.name)
        self.account = ids.sid(ids.ACCOUNT, scenario.name)
        self.tasks: dict[int, _Task] = {}
        self.workers = {f"{g.name}-{i + 1}": _Worker(f"{g.name}-{i + 1}", g.name, g.skills)
                        for g in scenario.agents for i in range(g.count)}
        self.pending_kind: dict[int, str] = {}  # conversation -> kind of the next task
        self.count = 0

    # resources -----------------------------------------------------------------------------

    def url(self, kind: str, resource: str) -> str:
        return f"{API}/Workspaces/{self.workspace}/{kind}/{resource}"

    def event(self, event_type: str, ms: int, resource: tuple[str, str, str],
              actor: tuple[str, str, str], description: str, data: dict[str, Any]
              ) -> dict[str, Any]:
        """One Event resource; `resource` and `actor` are (type, sid, collection)."""
        self.count += 1
        sid = ids.sid(ids.EVENT, self.workspace, self.replication, self.count)
        return {
            "account_sid": self.account, "actor_sid": actor[1], "actor_type": actor[0],
            "actor_url": self._resource_url(actor), "description": description,
            "event_data": {"workspace_sid": self.workspace, "workspace_name": self.scenario.name,
                           **data},
            "event_date": ids.iso_utc(ms), "event_date_ms": ms, "event_type": event_type,
            "resource_sid": resource[1], "resource_type": resource[0],
            "resource_url": self._resource_url(resource), "sid": sid, "source": "ccsim",
            "source_ip_address": None, "url": self.url("Events", sid),
            "workspace_sid": self.workspace,
        }

    def _resource_url(self, resource: tuple[str, str, str]) -> str:
        if resource[0] == "workspace":
            return f"{API}/Workspaces/{self.workspace}"
        return self.url(resource[2], resource[1])

    def workspace_actor(self) -> tuple[str, str, str]:
        return ("workspace", self.workspace, "")

    def worker_actor(self, agent: str) -> tuple[str, str, str]:
        return ("worker", ids.sid(ids.WORKER, self.workspace, agent), "Workers")

    # event_data ----------------------------------------------------------------------------

    def attributes(self, task: _Task) -> dict[str, Any]:
        conversation = ids.sid(ids.CONVERSATION, self.workspace, task.conversation)
        customer = f"customer-{task.conversation}@example.com"
        return {"channelType": CHANNEL_NAME, "direction": "inbound", "from": customer,
                "customerAddress": customer, "conversationSid": conversation,
                "ccsim": {"conversation": task.kind, "skill": task.skill, **task.facts}}

    def task_data(self, task: _Task, ms: int) -> dict[str, Any]:
        if not task.static:  # what does not change, made once per task
            task.static = {
                "task_sid": self.task_sid(task.number),
                "task_date_created": ids.iso_utc(task.created_ms),
                "task_queue_sid": ids.sid(ids.QUEUE, self.workspace, task.skill),
                "task_queue_name": task.skill,
                "task_channel_sid": ids.sid(ids.CHANNEL, self.workspace, CHANNEL_NAME),
                "task_channel_unique_name": CHANNEL_NAME,
                "workflow_sid": ids.sid(ids.WORKFLOW, self.workspace, WORKFLOW_NAME),
                "workflow_name": WORKFLOW_NAME,
            }
        return {**task.static,
                "task_attributes": json.dumps(self.attributes(task), sort_keys=True),
                "task_age": (ms - task.created_ms) // 1000,
                "task_priority": task.priority,
                "task_assignment_status": task.status}

    def worker_data(self, agent: str) -> dict[str, Any]:
        worker = self.workers[agent]
        if not worker.attributes:
            worker.attributes = json.dumps({"full_name": agent, "team_name": worker.group,
                                            "routing": {"skills": worker.skills}})
        return {
            "worker_sid": ids.sid(ids.WORKER, self.workspace, agent),
            "worker_name": agent,
            "worker_attributes": worker.attributes,
            "worker_activity_sid": ids.sid(ids.ACTIVITY, self.workspace, worker.activity),
            "worker_activity_name": worker.activity,
        }

    def task_sid(self, number: int) -> str:
        return ids.sid(ids.TASK, self.workspace, self.replication, number)

    def task_resource(self, task: _Task) -> tuple[str, str, str]:
        return ("task", self.task_sid(task.number), "Tasks")

    # rows ----------------------------------------------------------------------------------

    def rows(self, frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
        start = self.scenario.start
        columns = zip(frame["time"].tolist(), frame["event"].astype(str).tolist(),
                      _ints(frame["task"]), _ints(frame["conversation"]),
                      _texts(frame["agent"]), _texts(frame["skill"]),
                      _ints(frame["priority"]), _texts(frame["reason"]), strict=True)
        for time, name, task, conversation, agent, skill, priority, reason in columns:
            ms = ids.utc_ms(start + dt.timedelta(seconds=time), self.zone)
            yield from self.row(Event(name), ms, task, conversation, agent, skill, priority,
                                reason)

    def row(self, event: Event, ms: int, task: int | None, conversation: int | None,
            agent: str | None, skill: str | None, priority: int | None, reason: str | None
            ) -> Iterator[dict[str, Any]]:
        if event is Event.CONVERSATION_CREATED:
            assert conversation is not None
            self.pending_kind[conversation] = "follow-up" if reason == "follow-up" else "new"
        elif event is Event.CONVERSATION_REACTIVATED:
            assert conversation is not None
            self.pending_kind[conversation] = "reactivated"
        elif event is Event.TASK_CREATED:
            assert task is not None and conversation is not None and skill is not None
            yield self.created(task, conversation, skill, priority or 0, ms)
        elif event is Event.WORKER_ACTIVITY_UPDATE:
            assert agent is not None and reason is not None
            yield self.activity(agent, reason, ms)
        elif task is not None and task in self.tasks:
            yield from self.task_row(event, self.tasks[task], agent, reason, ms)

    def task_row(self, event: Event, task: _Task, agent: str | None, reason: str | None,
                 ms: int) -> Iterator[dict[str, Any]]:
        if event.value.startswith("reservation."):
            assert agent is not None
            yield self.reservation(event, task, agent, reason, ms)
        elif event in UPDATES:
            yield self.updated(task, agent, UPDATES[event](reason), ms)
        elif event is Event.TASK_WRAPUP:
            yield from self.wrapup(task, agent, reason or "end", ms)
        elif event is Event.TASK_COMPLETED:
            yield from self.completed(task, agent, ms)
        elif event is Event.TASK_CANCELED:
            task.status = "canceled"
            task.facts["conversationStatus"] = "closed"
            yield self.task_event("task.canceled", task, ms, f"Task {task.number} canceled",
                                  {"task_canceled_reason": TTL_REASON, "reason": TTL_REASON})

    # task events ---------------------------------------------------------------------------

    def created(self, number: int, conversation: int, skill: str, priority: int, ms: int
                ) -> dict[str, Any]:
        kind = self.pending_kind.pop(conversation, "new")
        task = self.tasks[number] = _Task(number, conversation, skill, priority, ms, kind)
        return self.task_event("task.created", task, ms, f"Task {number} created", {})

    def task_event(self, event_type: str, task: _Task, ms: int, description: str,
                   extra: dict[str, Any], agent: str | None = None) -> dict[str, Any]:
        actor = self.workspace_actor() if agent is None else self.worker_actor(agent)
        data = {**self.task_data(task, ms), **extra}
        return self.event(event_type, ms, self.task_resource(task), actor, description, data)

    def updated(self, task: _Task, agent: str | None, facts: dict[str, Any], ms: int
                ) -> dict[str, Any]:
        """A conversation fact, or a pause, on the task's attributes (task.updated)."""
        for key in ("message", "work", "pause"):
            task.facts.pop(key, None)
        task.facts.update(facts)
        if facts.get("pause", "").startswith("expired"):
            task.status, task.reservation = "pending", None
        what = ", ".join(f"{key} {value}" for key, value in facts.items())
        return self.task_event("task.updated", task, ms, f"Task {task.number} updated: {what}",
                               {} if agent is None else self.worker_data(agent), agent)

    def wrapup(self, task: _Task, agent: str | None, reason: str, ms: int
               ) -> Iterator[dict[str, Any]]:
        task.status = "wrapping"
        for key in ("message", "work", "pause"):
            task.facts.pop(key, None)
        if reason == "leave":
            task.facts["conversationStatus"] = "inactive"
        extra = {"reason": reason, **({} if agent is None else self.worker_data(agent))}
        yield self.task_event("task.wrapup", task, ms, f"Task {task.number} wrapping up",
                              extra, agent)
        if agent is not None and task.reservation is not None:
            yield self.reservation_event("reservation.wrapup", task, agent, ms, None)

    def completed(self, task: _Task, agent: str | None, ms: int) -> Iterator[dict[str, Any]]:
        task.status = "completed"
        if task.facts.get("conversationStatus") != "inactive":
            task.facts["conversationStatus"] = "closed"
        extra = {"task_completed_reason": "completed",
                 **({} if agent is None else self.worker_data(agent))}
        yield self.task_event("task.completed", task, ms, f"Task {task.number} completed",
                              extra, agent)
        if agent is not None and task.reservation is not None:
            yield self.reservation_event("reservation.completed", task, agent, ms, None)

    # reservations and workers --------------------------------------------------------------

    def reservation(self, event: Event, task: _Task, agent: str, reason: str | None, ms: int
                    ) -> dict[str, Any]:
        if event is Event.RESERVATION_CREATED:
            task.reservations += 1
            task.reservation = ids.sid(ids.RESERVATION, self.task_sid(task.number),
                                       task.reservations)
        if event in ASSIGNMENT:
            task.status = ASSIGNMENT[event]
        found = self.reservation_event(event.value, task, agent, ms, reason)
        if event in (Event.RESERVATION_REJECTED, Event.RESERVATION_TIMEOUT,
                     Event.RESERVATION_CANCELED):
            task.reservation = None
        return found

    def reservation_event(self, event_type: str, task: _Task, agent: str, ms: int,
                          reason: str | None) -> dict[str, Any]:
        assert task.reservation is not None
        data = {**self.task_data(task, ms), **self.worker_data(agent),
                "reservation_sid": task.reservation}
        if reason is not None:
            data["reason"] = TTL_REASON if reason == "ttl" else reason
        by_worker = event_type in ("reservation.accepted", "reservation.rejected")
        actor = self.worker_actor(agent) if by_worker else self.workspace_actor()
        resource = ("reservation", task.reservation, f"Tasks/{self.task_sid(task.number)}"
                    "/Reservations")
        what = event_type.split(".")[1]
        return self.event(event_type, ms, resource, actor,
                          f"Reservation for task {task.number} {what} ({agent})", data)

    def activity(self, agent: str, name: str, ms: int) -> dict[str, Any]:
        worker = self.workers[agent]
        previous, since = worker.activity, worker.since_ms
        worker.activity, worker.since_ms = name, ms
        elapsed = 0 if since is None else ms - since
        data = {**self.worker_data(agent),
                "worker_previous_activity_sid": ids.sid(ids.ACTIVITY, self.workspace, previous),
                "worker_previous_activity_name": previous,
                "worker_time_in_previous_activity": str(elapsed // 1000),
                "worker_time_in_previous_activity_ms": str(elapsed)}
        resource = ("worker", ids.sid(ids.WORKER, self.workspace, agent), "Workers")
        return self.event("worker.activity.update", ms, resource, self.workspace_actor(),
                          f"Worker {agent} updated to {name} Activity", data)


def _message(direction: str) -> Any:
    return lambda reason: {"message": direction if reason is None else f"{direction}:{reason}"}


UPDATES = {
    Event.MESSAGE_INBOUND: _message("inbound"),
    Event.MESSAGE_OUTBOUND: _message("outbound"),
    Event.WORKER_WORK_STARTED: lambda reason: {"work": reason},
    Event.TASK_PAUSED: lambda reason: {"pause": "paused"},
    Event.TASK_RESUMED: lambda reason: {"pause": "resumed"},
    Event.TASK_PAUSE_EXPIRED: lambda reason: {"pause": f"expired:{reason}"},
}


def _ints(column: pd.Series) -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in column.astype("Int64").tolist()]


def _texts(column: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else str(v) for v in column.astype(object).tolist()]


# files ---------------------------------------------------------------------------------------

def export_events(frame: pd.DataFrame, scenario: Scenario, replication: int,
                  zone: dt.tzinfo) -> list[dict[str, Any]]:
    """One replication's rows (in log order) as Event resources, in time order."""
    return list(Exporter(scenario, replication, zone).rows(frame))


def list_page(events: list[dict[str, Any]], scenario: Scenario, zone: dt.tzinfo
              ) -> dict[str, Any]:
    """The Events API's list page; its URLs carry the window as StartDate and EndDate, as
    a query for exactly these events would."""
    start_ms = ids.utc_ms(scenario.start, zone)
    end_ms = start_ms + round(scenario.horizon * 1000)
    workspace = ids.sid(ids.WORKSPACE, scenario.name)
    query = (f"StartDate={ids.iso_utc(start_ms)}&EndDate={ids.iso_utc(end_ms)}"
             f"&PageSize={max(len(events), 1)}&Page=0")
    url = f"{API}/Workspaces/{workspace}/Events?{query}"
    return {"events": events, "meta": {
        "first_page_url": url, "key": "events", "next_page_url": None, "page": 0,
        "page_size": max(len(events), 1), "previous_page_url": None, "url": url}}


def cloudevent(event: dict[str, Any]) -> dict[str, Any]:
    """An Event resource as an Event Streams CloudEvent (CloudEvents 1.0)."""
    return {"specversion": "1.0", "type": CLOUDEVENT_TYPE + event["event_type"],
            "source": f"{API}/Workspaces/{event['workspace_sid']}/Events",
            "id": event["sid"], "time": event["event_date"],
            "datacontenttype": "application/json", "subject": event["resource_sid"],
            "data": event}


def cloudevents_text(events: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(cloudevent(event), sort_keys=True) + "\n" for event in events)
