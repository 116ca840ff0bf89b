"""The per-task, per-offer, per-pause and per-Leave views of one replication's log that the
KPIs and figures share, computed once and with numpy only.

A `Scope` narrows any view to one skill (tasks and conversations of that skill) or one agent
group (rows whose agent is in the group).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import numpy as np

from sim.analysis.context import Context
from sim.analysis.eventarrays import (
    NONE,
    EventArrays,
    Floats,
    Ints,
    Mask,
    code_table,
    first_index_per,
    first_per,
    grouped_order,
    positions,
)
from sim.domain.lifecycle import Event
from sim.engine.eventlog import EVENT_CODE

_E = Event
T = TypeVar("T")
OFFER_OUTCOMES = (_E.RESERVATION_ACCEPTED, _E.RESERVATION_REJECTED, _E.RESERVATION_TIMEOUT,
                  _E.RESERVATION_CANCELED)
DECLINES = (_E.RESERVATION_REJECTED, _E.RESERVATION_TIMEOUT)
PAUSE_OUTCOMES = (_E.TASK_RESUMED, _E.TASK_PAUSE_EXPIRED)
LEAVE_OUTCOMES = (_E.CONVERSATION_REACTIVATED, _E.CONVERSATION_CLOSED)


@dataclass(frozen=True)
class Scope:
    """Which tasks, conversations and agents a KPI covers (None: all)."""

    tasks: Mask | None = None  # indexed by task id
    conversations: Mask | None = None  # indexed by conversation id
    agents: Mask | None = None  # indexed by agent code
    skill: int | None = None  # the skill index the masks above stand for, if one
    group: int | None = None  # the agent group index the agent mask stands for, if one

    def rows(self, task: Ints, agent: Ints, conversation: Ints | None = None) -> Mask:
        """Which rows (given their task, agent and conversation) are in scope."""
        keep = np.ones(len(task), dtype=bool)
        if self.tasks is not None:
            keep &= _lookup(self.tasks, task)
        if self.agents is not None:
            keep &= _lookup(self.agents, agent)
        if self.conversations is not None and conversation is not None:
            keep &= _lookup(self.conversations, conversation)
        return keep

    def task_ids(self, size: int) -> Mask:
        return np.ones(size, dtype=bool) if self.tasks is None else self.tasks


ALL = Scope()


def _lookup(table: Mask, ids: Ints) -> Mask:
    if len(ids) and int(ids.min()) >= 0 and int(ids.max()) < len(table):
        found: Mask = table[ids]  # every id has an entry: one gather
        return found
    inside = (ids >= 0) & (ids < len(table))
    found = np.zeros(len(ids), dtype=bool)
    found[inside] = table[ids[inside]]
    return found


@dataclass(frozen=True)
class Episodes:
    """Things that start and end with a known outcome: offers, pauses, Leaves. One entry per
    start in the measured cohort (starts at or after warm-up, and early enough that the
    outcome is certain by the horizon); `outcome` is the ending event's code."""

    began: Floats
    ended: Floats
    outcome: Ints
    detail: Ints
    task: Ints
    conversation: Ints
    agent: Ints  # who the start row names (the offered, pausing or leaving agent)
    # The last scope asked for and which entries are in it (a scope's KPIs come in a row).
    _last: list[tuple[Scope, Mask]] = field(default_factory=list, repr=False, compare=False)

    def share(self, *events: Event, detail: int | None = None, scope: Scope = ALL) -> float:
        keep = self.kept(scope)
        hit = keep & np.logical_or.reduce([self.outcome == _code(e) for e in events])
        if detail is not None:
            hit &= self.detail == detail
        total = np.count_nonzero(keep)
        return np.count_nonzero(hit) / total if total else float("nan")

    def kept(self, scope: Scope) -> Mask:
        """Which entries are in `scope`."""
        if not self._last or self._last[0][0] is not scope:
            self._last[:] = [(scope, scope.rows(self.task, self.agent, self.conversation))]
        return self._last[0][1]


def _with_a_start(keys: Ints, is_start: Mask) -> Mask | None:
    """Which rows (given their keys) have a start among their key's rows (None: all of
    them): the others cannot pair, and leaving them out makes the sort by key shorter (most
    conversations never Leave)."""
    started = np.zeros(int(keys.max()) + 2 if len(keys) else 1, dtype=bool)
    started[keys[is_start]] = True
    keep: Mask = started[keys]
    return None if keep.all() else keep


def _code(event: Event) -> int:
    return EVENT_CODE[event]


# Events whose rows are asked for together and also a few at a time (the offer outcomes, and
# the declines and acceptances among them): a few are picked from the family's rows.
_FAMILIES = (OFFER_OUTCOMES,)


class Measures:
    def __init__(self, log: EventArrays, context: Context) -> None:
        self.log = log
        self.context = context
        # Rows are in time order: the measured window's rows are those from this one on.
        # A binary search by bisect, as np.searchsorted would first copy a strided column.
        self.first_measured = bisect.bisect_left(log.time, context.warmup)
        self._memo: dict[str, Any] = {}
        self._scoped: dict[str, tuple[Scope, Any]] = {}

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()`, once per Measures: what the overall, per-skill and per-group KPIs
        share (a whole-log pass is then made once, not once per skill or group)."""
        if key not in self._memo:
            self._memo[key] = compute()
        found: T = self._memo[key]
        return found

    def scoped(self, key: str, scope: Scope, compute: Callable[[], T]) -> T:
        """`compute()`, once per key for the last scope asked for (a skill's or a group's
        KPIs are asked one after another); the scope is kept, so it is that very one."""
        held = self._scoped.get(key)
        if held is None or held[0] is not scope:
            held = self._scoped[key] = (scope, compute())
        found: T = held[1]
        return found

    def rows_of(self, *events: Event) -> Ints:
        """Positions of the rows of any of these events, in time order: found once per
        Measures (several measures look for the acceptances, the declines and so on)."""
        def compute() -> Ints:
            family = next((f for f in _FAMILIES if set(events) < set(f)), None)
            if family is not None:  # picked from the family's rows: no whole-log pass
                rows = self.rows_of(*family)
                return rows[code_table(*events)[self.log.event[rows]]]
            return positions(self.log.where(*events))  # 32-bit: half the memory held
        return self.memo("rows " + " ".join(event.value for event in events), compute)

    def skill_of_rows(self, rows: Ints) -> Ints:
        """The skill of the given rows' task, or of their conversation (-1: neither)."""
        log = self.log
        by_task, by_conversation = self._skill_tables
        skill = by_task[log.task[rows] + 1]
        without = np.flatnonzero(skill < 0)
        skill[without] = by_conversation[log.conversation[rows[without]] + 1]
        return skill

    @cached_property
    def _skill_tables(self) -> tuple[Ints, Ints]:
        """Skill per task id + 1 and per conversation id + 1 (id -1 takes the first, NONE)."""
        return (np.append(NONE, self.task_skill).astype(np.int16),
                np.append(NONE, self.conversation_skill).astype(np.int16))

    def group_of_rows(self, rows: Ints) -> Ints:
        """The group of the given rows' agent (-1: no agent)."""
        return self._group_table[self.log.agent[rows]]  # code -1 takes the appended NONE

    @cached_property
    def _group_table(self) -> Ints:
        return np.append(self.agent_group, NONE).astype(np.int16)

    # tasks ---------------------------------------------------------------------------------

    @cached_property
    def _created_rows(self) -> Ints:
        return self.rows_of(_E.TASK_CREATED)

    @cached_property
    def _created_task(self) -> Ints:
        """The task of each task.created row."""
        return self.log.task[self._created_rows]

    @cached_property
    def _created_conversation(self) -> Ints:
        """The conversation of each task.created row (gathered once from the log's column)."""
        return self.log.conversation[self._created_rows]

    @cached_property
    def created(self) -> Floats:
        """Per task id: when it was created (NaN: no such task)."""
        rows = self._created_rows
        return first_per(self._created_task, self.log.time[rows], self.log.task_count)

    @cached_property
    def skill_names(self) -> tuple[str, ...]:
        seen = dict.fromkeys(self._queue_skill(text) for text in self._queue_texts)
        known = [skill for skill in self.context.skills if skill in seen]
        return tuple(known + [skill for skill in seen if skill not in known])

    @cached_property
    def _queue_texts(self) -> list[str]:
        present = np.bincount(self.log.detail[self._created_rows], minlength=1)
        return [self.log.details[code] for code in np.flatnonzero(present)]

    @staticmethod
    def _queue_skill(text: str) -> str:
        return text.rsplit(":", 1)[0]

    @cached_property
    def task_skill(self) -> Ints:
        """Per task id: index into skill_names (-1: no such task)."""
        lookup = np.full(len(self.log.details) + 1, NONE, dtype=np.int16)
        for text in self._queue_texts:
            lookup[self.log.details.index(text)] = self.skill_names.index(
                self._queue_skill(text))
        out = np.full(self.log.task_count, NONE, dtype=np.int16)
        rows = self._created_rows
        out[self._created_task] = lookup[self.log.detail[rows]]
        return out

    @cached_property
    def task_conversation(self) -> Ints:
        out = np.full(self.log.task_count, NONE, dtype=np.int32)
        out[self._created_task] = self._created_conversation
        return out

    @cached_property
    def conversation_skill(self) -> Ints:
        out = np.full(self.log.conversation_count, NONE, dtype=np.int16)
        out[self._created_conversation] = self.task_skill[self._created_task]
        return out

    @cached_property
    def cohort(self) -> Mask:
        """Per task id: in the response cohort, created in [warmup, horizon - follow-up)."""
        created = np.nan_to_num(self.created, nan=-np.inf)
        return (created >= self.context.warmup) & (created < self.context.cohort_end)

    @cached_property
    def created_measured(self) -> Mask:
        """Per task id: created at or after warm-up."""
        return np.nan_to_num(self.created, nan=-np.inf) >= self.context.warmup

    def first(self, event: Event) -> Floats:
        """Per task id: the time of its first `event` row (NaN: none)."""
        def compute() -> Floats:
            rows = self.rows_of(event)
            return first_per(self.log.task[rows], self.log.time[rows], self.log.task_count)
        return self.memo(f"first {event.value}", compute)

    @cached_property
    def answered(self) -> Floats:
        return self.first(_E.MESSAGE_OUTBOUND)

    @cached_property
    def accepted(self) -> Floats:
        return self.first(_E.RESERVATION_ACCEPTED)

    # agents --------------------------------------------------------------------------------

    @cached_property
    def group_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.context.group_of(a) for a in self.context.capacity))

    @cached_property
    def agent_group(self) -> Ints:
        """Per agent code of the log: index into group_names (-1: unknown agent)."""
        return np.array([self.group_names.index(self.context.group_of(name))
                         if self.context.group_of(name) in self.group_names else NONE
                         for name in self.log.agents], dtype=np.int64)

    @cached_property
    def agent_capacity(self) -> Ints:
        return np.array([self.context.capacity.get(name, 0) for name in self.log.agents],
                        dtype=np.int64)

    # episodes ------------------------------------------------------------------------------

    def episodes(self, start: Event, ends: tuple[Event, ...], key: Ints,
                 longest: float) -> Episodes:
        """Each `start` in the cohort paired with the next of `ends` for the same key. Each
        column is gathered from the log once: the rows' event codes and keys are carried
        through the sort (the outcome is the code after a start; the key is the start's
        task or conversation), which saves a third of the gathers."""
        log = self.log
        rows = positions(log.where(start, *ends))
        keys, event = key[rows], log.event[rows]
        keep = _with_a_start(keys, event == _code(start))
        if keep is not None:
            rows, keys, event = rows[keep], keys[keep], event[keep]
        order = grouped_order(keys)
        rows, keys, event = rows[order], keys[order], event[order]
        is_start = event == _code(start)
        paired = np.flatnonzero(is_start[:-1] & ~is_start[1:] & (keys[:-1] == keys[1:]))
        began = log.time[rows[paired]]
        cohort = (began >= self.context.warmup) & (began < self.context.horizon - longest)
        first = paired[cohort]
        begin, end = rows[first], rows[first + 1]
        task = keys[first] if key is log.task else log.task[begin]
        conversation = keys[first] if key is log.conversation else log.conversation[begin]
        return Episodes(began[cohort], log.time[end], event[first + 1], log.detail[end],
                        task, conversation, log.agent[begin])

    @cached_property
    def offers(self) -> Episodes:
        return self.episodes(_E.RESERVATION_CREATED, OFFER_OUTCOMES, self.log.task,
                             self.context.reservation_timeout)

    @cached_property
    def pauses(self) -> Episodes:
        return self.episodes(_E.TASK_PAUSED, PAUSE_OUTCOMES, self.log.task,
                             self.context.pause_expiry)

    @cached_property
    def leaves(self) -> Episodes:
        return self.episodes(_E.CONVERSATION_INACTIVE, LEAVE_OUTCOMES, self.log.conversation,
                             self.context.leave_window)

    # routing per task ----------------------------------------------------------------------

    @cached_property
    def offer_outcomes_per_task(self) -> tuple[Ints, Ints]:
        """Per task id: offer outcomes by the horizon, and how many were declines."""
        log = self.log
        decided = self.rows_of(*OFFER_OUTCOMES)  # positions: the mask is not scanned twice
        task, outcome = log.task[decided], log.event[decided]
        declined = np.isin(outcome, [_code(event) for event in DECLINES])  # among those rows
        size = log.task_count
        # counts per task fit 32 bits: half the memory held
        return (np.bincount(task, minlength=size).astype(np.int32),
                np.bincount(task[declined], minlength=size).astype(np.int32))

    @cached_property
    def reassigned_to_other(self) -> Mask:
        """Per task id: declined at least once, then first accepted (after that decline) by
        an agent that had not declined it before."""
        log, size = self.log, self.log.task_count
        declines = self.rows_of(*DECLINES)
        first_decline = first_index_per(log.task[declines], size)
        first_decline[first_decline >= 0] = declines[first_decline[first_decline >= 0]]
        accepts = self.rows_of(_E.RESERVATION_ACCEPTED)
        after = first_decline[log.task[accepts]]
        accepts = accepts[(after >= 0) & (accepts > after)]
        which = first_index_per(log.task[accepts], size)
        accept_row = np.full(size, NONE, dtype=np.int64)
        accept_row[which >= 0] = accepts[which[which >= 0]]
        accept_agent = np.where(accept_row >= 0, log.agent[np.maximum(accept_row, 0)], NONE)
        tasks = log.task[declines]
        by_acceptor = (log.agent[declines] == accept_agent[tasks]) & (
            declines < accept_row[tasks])
        out = accept_row >= 0
        out[tasks[by_acceptor]] = False
        return out

    @cached_property
    def next_task_of_conversation(self) -> Ints:
        """Per task id: the conversation's next task (a reactivation's new task), -1: none."""
        tasks = np.flatnonzero(~np.isnan(self.created))
        # only conversations with more than one task have a next one: the others need no sort
        shifted = self.task_conversation[tasks] + 1  # -1 (none) too is a group of its own
        tasks = tasks[(np.bincount(shifted) > 1)[shifted]]
        tasks = tasks[grouped_order(self.task_conversation[tasks])]
        out = np.full(self.log.task_count, NONE, dtype=np.int32)
        same = self.task_conversation[tasks][:-1] == self.task_conversation[tasks][1:]
        out[tasks[:-1][same]] = tasks[1:][same]
        return out

    @cached_property
    def first_acceptor(self) -> Ints:
        """Per task id: the agent code of its first acceptance (-1: none)."""
        rows = self.rows_of(_E.RESERVATION_ACCEPTED)
        first = first_index_per(self.log.task[rows], self.log.task_count)
        out = np.full(self.log.task_count, NONE, dtype=np.int32)
        out[first >= 0] = self.log.agent[rows[first[first >= 0]]]
        return out
