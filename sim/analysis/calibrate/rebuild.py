"""TaskRouter records back into ccsim's event log (the columns of events.parquet), so that
observed KPIs come from the same code as simulated ones (docs/calibration.md).

Each record moves its task through the lifecycle table (sim.domain.lifecycle); one that the
table does not allow (an export that starts after the task was created, a missing event) is
skipped and reported. Conversation facts come from `task_attributes` (`conversationSid`, and
what ccsim's own export adds under `ccsim`); without them each task is its own conversation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.calibrate.reading import Record
from sim.domain.lifecycle import (
    TASK,
    ConversationStatus,
    Event,
    IllegalTransition,
    TaskStatus,
)
from sim.engine.eventlog import EVENT_NAMES

_E, _T, _C = Event, TaskStatus, ConversationStatus
TTL_REASONS = ("ttl", "Task TTL Exceeded")
Row = tuple[float, Event, int | None, int | None, str | None, str | None]


@dataclass
class _Task:
    number: int
    conversation: int
    skill: str
    priority: int
    status: TaskStatus = _T.PENDING
    owner: str | None = None
    reservation: str | None = None
    wrap: str | None = None


@dataclass
class _Conversation:
    number: int
    status: ConversationStatus = _C.ACTIVE
    task: int | None = None
    left_at: float | None = None


@dataclass
class Worker:
    sid: str
    name: str
    attributes: dict[str, Any]


@dataclass
class Observed:
    """The rebuilt log and what it needs to be measured."""

    frame: pd.DataFrame
    start: dt.datetime  # local time of time 0
    horizon: float  # seconds observed
    workers: dict[str, Worker]  # by agent name
    queues: dict[str, str]  # skill name -> queue name in the export
    problems: list[str] = field(default_factory=list)
    not_in_window: int = 0  # events of tasks created before the export's window
    updates_without_facts: int = 0


def name_of(text: str, taken: set[str], kind: str) -> str:
    """A scenario name (letters, digits, - and _) for a queue or team name."""
    name = re.sub(r"[^A-Za-z0-9_-]", "-", text.strip())[:60] or kind
    if not name[0].isalpha():
        name = f"{kind}-{name}"[:60]
    base, n = name, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


class Rebuild:
    def __init__(self, start_ms: int) -> None:
        self.start_ms = start_ms
        self.rows: list[Row] = []
        self.tasks: dict[str, _Task] = {}  # by SID
        self.numbered: dict[int, _Task] = {}
        self.conversations: dict[str, _Conversation] = {}  # by conversationSid
        self.conversation_number: dict[int, _Conversation] = {}
        self.workers: dict[str, Worker] = {}  # by SID
        self.queues: dict[str, str] = {}  # queue name in the export -> skill
        self.problems: list[str] = []
        self.unknown: Counter[str] = Counter()
        self.updates_without_facts = 0

    def seconds(self, record: Record) -> float:
        return (record.ms - self.start_ms) / 1000

    def emit(self, record: Record, event: Event, task: _Task | None, conversation: int | None,
             agent: str | None = None, reason: str | None = None) -> None:
        self.rows.append((self.seconds(record), event, None if task is None else task.number,
                          conversation, agent, reason))

    def agent(self, record: Record) -> str | None:
        if record.worker is None:
            return None
        if record.worker not in self.workers:
            taken = {w.name for w in self.workers.values()}
            name = record.worker_name or record.worker
            self.workers[record.worker] = Worker(
                record.worker, name if name not in taken else f"{name}-{record.worker[-6:]}",
                record.worker_attributes)
        elif record.worker_attributes:
            self.workers[record.worker].attributes = record.worker_attributes
        return self.workers[record.worker].name

    # records ---------------------------------------------------------------------------------

    def take(self, record: Record) -> None:
        if record.event_type == "worker.activity.update":
            self.emit(record, _E.WORKER_ACTIVITY_UPDATE, None, None, self.agent(record),
                      record.activity)
            return
        if record.event_type == "task.created":
            self.created(record)
            return
        task = self.tasks.get(record.task or "")
        if task is None:
            self.unknown[record.task or ""] += 1
            return
        try:
            self.dispatch(record, task)
        except IllegalTransition as error:
            self.problems.append(f"{record.where}: {record.event_type} for task "
                                 f"{record.task}: {error}; skipped")

    def dispatch(self, record: Record, task: _Task) -> None:
        kind = record.event_type
        if kind.startswith("reservation."):
            self.reservation(record, task, kind)
        elif kind == "task.updated":
            self.updated(record, task)
        elif kind == "task.wrapup":
            self.wrapup(record, task)
        elif kind == "task.completed":
            self.completed(record, task)
        elif kind == "task.canceled":
            self.canceled(record, task)

    def move(self, record: Record, task: _Task, event: Event, reason: str | None = None
             ) -> None:
        """A task event through the lifecycle table, logged with the task's owner."""
        new = TASK.next(task.status, event)
        self.emit(record, event, task, task.conversation, task.owner, reason)
        task.status = new
        if new in (_T.PENDING, _T.CANCELED):
            task.owner = None

    # tasks and conversations -----------------------------------------------------------------

    def created(self, record: Record) -> None:
        assert record.task is not None and record.queue is not None
        if record.task in self.tasks:
            self.problems.append(f"{record.where}: task {record.task} created twice; skipped")
            return
        facts = _facts(record)
        key = str(record.attributes.get("conversationSid") or record.task)
        known = self.conversations.get(key)
        reactivated = known is not None and known.status is _C.INACTIVE and (
            facts.get("conversation", "reactivated") == "reactivated")
        if known is not None and known.status is _C.ACTIVE and known.task is not None:
            self.problems.append(f"{record.where}: task {record.task} created for conversation "
                                 f"{key}, whose task is still open; counted as a new "
                                 "conversation")
        if not reactivated:
            known = self.conversations[key] = _Conversation(len(self.conversation_number) + 1)
            self.conversation_number[known.number] = known
        assert known is not None
        skill = self.skill(record.queue)
        task = self.tasks[record.task] = _Task(len(self.tasks) + 1, known.number, skill,
                                               record.priority)
        self.numbered[task.number] = task
        if reactivated:
            known.status = _C.ACTIVE
            self.emit(record, _E.CONVERSATION_REACTIVATED, self.latest(known), known.number)
            self.emit(record, _E.MESSAGE_INBOUND, None, known.number, None, "reactivation")
        else:
            kind = "follow-up" if facts.get("conversation") == "follow-up" else "new"
            self.emit(record, _E.CONVERSATION_CREATED, None, known.number, None, kind)
            self.emit(record, _E.MESSAGE_INBOUND, None, known.number, None, kind)
        known.task = task.number
        self.emit(record, _E.TASK_CREATED, task, known.number)

    def latest(self, conversation: _Conversation) -> _Task | None:
        return None if conversation.task is None else self.numbered[conversation.task]

    def skill(self, queue: str) -> str:
        if queue not in self.queues:
            self.queues[queue] = name_of(queue, set(self.queues.values()), "skill")
        return self.queues[queue]

    def conversation_of(self, task: _Task) -> _Conversation:
        return self.conversation_number[task.conversation]

    def reservation(self, record: Record, task: _Task, kind: str) -> None:
        event = Event(kind)
        if event is _E.RESERVATION_CREATED:
            TASK.next(task.status, event)  # raises when the task is not pending
            task.owner, task.reservation = self.agent(record), record.reservation
            self.move(record, task, event)
            return
        if record.reservation != task.reservation:
            raise IllegalTransition(f"reservation {record.reservation} is not the task's "
                                    "pending one")
        if event is _E.RESERVATION_CANCELED:
            if task.status is not _T.RESERVED:
                raise IllegalTransition(f"no pending reservation ({task.status.value})")
            self.emit(record, event, task, task.conversation, task.owner, "ttl")
            return
        reason = (record.reason if record.reason in ("declined", "shift-end") else "declined"
                  ) if event is _E.RESERVATION_REJECTED else None
        self.move(record, task, event, reason)

    def updated(self, record: Record, task: _Task) -> None:
        facts = _facts(record)
        message, work, pause = facts.get("message"), facts.get("work"), facts.get("pause")
        if isinstance(message, str):
            direction, _, kind = message.partition(":")
            event = _E.MESSAGE_OUTBOUND if direction == "outbound" else _E.MESSAGE_INBOUND
            self.emit(record, event, task, task.conversation, task.owner, kind or None)
        elif isinstance(work, str):
            self.emit(record, _E.WORKER_WORK_STARTED, task, task.conversation, task.owner, work)
        elif isinstance(pause, str):
            self.pause(record, task, pause)
        else:
            self.updates_without_facts += 1

    def pause(self, record: Record, task: _Task, pause: str) -> None:
        what, _, cause = pause.partition(":")
        if what == "paused":
            self.move(record, task, _E.TASK_PAUSED, "research")
        elif what == "resumed":
            self.move(record, task, _E.TASK_RESUMED)
        else:
            self.move(record, task, _E.TASK_PAUSE_EXPIRED, cause or None)

    def wrapup(self, record: Record, task: _Task) -> None:
        status = _facts(record).get("conversationStatus")
        reason = record.reason if record.reason in ("end", "leave") else (
            "leave" if status == "inactive" else "end")
        owner = task.owner
        self.move(record, task, _E.TASK_WRAPUP, reason)
        task.wrap = reason
        if reason == "leave":
            conversation = self.conversation_of(task)
            conversation.status, conversation.left_at = _C.INACTIVE, self.seconds(record)
            self.emit(record, _E.CONVERSATION_INACTIVE, task, task.conversation, owner)

    def completed(self, record: Record, task: _Task) -> None:
        self.move(record, task, _E.TASK_COMPLETED)
        if task.wrap != "leave":
            self.close(record, self.conversation_of(task), "resolved")

    def canceled(self, record: Record, task: _Task) -> None:
        self.move(record, task, _E.TASK_CANCELED, "ttl")
        self.close(record, self.conversation_of(task), "unanswered")

    def close(self, record: Record, conversation: _Conversation, reason: str) -> None:
        conversation.status = _C.CLOSED
        self.emit(record, _E.CONVERSATION_CLOSED, self.latest(conversation),
                  conversation.number, None, reason)


def _facts(record: Record) -> dict[str, Any]:
    facts = record.attributes.get("ccsim")
    return facts if isinstance(facts, dict) else {}


# the frame ------------------------------------------------------------------------------------

def frame_of(rows: list[Row], tasks: dict[str, Any], start: dt.datetime) -> pd.DataFrame:
    """Rows as the columns of events.parquet (one replication, numbered 0)."""
    queue = {t.number: (t.skill, t.priority) for t in tasks.values()}
    by_conversation = {t.conversation: (t.skill, t.priority) for t in tasks.values()}
    times = np.array([row[0] for row in rows], dtype=float)
    skills, priorities = [], []
    for _, _, task, conversation, _, _ in rows:
        found = queue.get(task or 0) or by_conversation.get(conversation or 0)
        skills.append(None if found is None else found[0])
        priorities.append(None if found is None else found[1])
    return pd.DataFrame({
        "replication": np.zeros(len(rows), dtype=np.int32),
        "time": times,
        "timestamp": (np.datetime64(start, "ms")
                      + (times * 1000).round().astype("timedelta64[ms]")),
        "event": pd.Categorical([row[1].value for row in rows], categories=EVENT_NAMES),
        "task": pd.array([row[2] for row in rows], dtype="Int32"),
        "conversation": pd.array([row[3] for row in rows], dtype="Int32"),
        "agent": pd.Categorical([row[4] for row in rows]),
        "skill": pd.Categorical(skills),
        "priority": pd.array(priorities, dtype="Int32"),
        "reason": pd.Categorical([row[5] for row in rows]),
    })


def observe(records: list[Record], zone: dt.tzinfo, start: dt.datetime | None = None,
            end_ms: int | None = None, window: float | None = None) -> Observed:
    """The log of the records (in time order) from `start` (default: local midnight of the
    first record's day) to `end_ms` (default: the last record, rounded up to the hour);
    with a Leave `window`, conversations whose window ran out are closed (R13)."""
    from sim.analysis import twilio_ids as ids

    if start is None:
        first = ids.local_of(records[0].ms, zone) if records else dt.datetime(2026, 1, 5)
        start = dt.datetime.combine(first.date(), dt.time())
    start_ms = ids.utc_ms(start, zone)
    if end_ms is None:
        last = records[-1].ms if records else start_ms + 3_600_000
        end_ms = start_ms + -(-(last - start_ms + 1) // 3_600_000) * 3_600_000
    rebuild = Rebuild(start_ms)
    for record in records:
        if start_ms <= record.ms <= end_ms:
            rebuild.take(record)
    horizon = (end_ms - start_ms) / 1000
    frame = frame_of(rebuild.rows, rebuild.tasks, start)
    if window is not None:
        frame = close_windows(frame, window, horizon)
    return Observed(frame, start, horizon,
                    {w.name: w for w in rebuild.workers.values()},
                    {skill: queue for queue, skill in rebuild.queues.items()},
                    rebuild.problems, sum(rebuild.unknown.values()),
                    rebuild.updates_without_facts)


# windows (R13): no TaskRouter event says a Leave window ran out ------------------------------

def close_windows(frame: pd.DataFrame, window: float, horizon: float) -> pd.DataFrame:
    """The log with a conversation.closed (window) where a Leave's window ran out by the
    horizon without a reactivation."""
    states = frame[frame["event"].isin(["conversation.inactive", "conversation.reactivated",
                                        "conversation.closed"])]
    last = states.groupby("conversation", observed=True).tail(1)
    ran_out = last[(last["event"] == "conversation.inactive")
                   & (last["time"] + window <= horizon)]
    if ran_out.empty:
        return frame
    closed = ran_out.assign(time=ran_out["time"] + window, agent=None, reason="window")
    closed["event"] = "conversation.closed"
    start = frame["timestamp"].iloc[0] - pd.to_timedelta(frame["time"].iloc[0], unit="s")
    closed["timestamp"] = start + pd.to_timedelta((closed["time"] * 1000).round(), unit="ms")
    both = pd.concat([frame.astype(object), closed.astype(object)], ignore_index=True)
    both = both.sort_values("time", kind="stable").reset_index(drop=True)
    return _typed(both, frame)


def _typed(both: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    out: dict[str, object] = {}
    for column in like.columns:
        if isinstance(like[column].dtype, pd.CategoricalDtype):
            categories = list(like[column].cat.categories)
            extra = [v for v in pd.unique(both[column].dropna()) if v not in categories]
            out[column] = pd.Categorical(both[column], categories=categories + extra)
        else:
            out[column] = both[column].astype(like[column].dtype)
    return pd.DataFrame(out)


def observed_with_window(observed: Observed, window: float) -> Observed:
    from dataclasses import replace

    return replace(observed, frame=close_windows(observed.frame, window, observed.horizon))
