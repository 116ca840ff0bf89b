"""R16: the transition tables are the only rules; illegal changes raise. R17: HIPAA refused."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from sim.domain.lifecycle import (
    ACTIVITY,
    CONVERSATION,
    RESERVATION,
    TASK,
    Activity,
    ActivityCause,
    ConversationStatus,
    Event,
    IllegalTransition,
    Inbound,
    ReservationStatus,
    TaskStatus,
    WrapReason,
    classify_inbound,
    may_leave,
    may_pause,
    slot_delta,
)
from sim.engine import codes
from sim.engine.entities import Conversation, Task
from sim.engine.model import ComplianceError, Replication
from tests.scripted import scenario


def test_r16_terminal_statuses_follow_from_the_tables() -> None:
    assert TASK.terminal == {TaskStatus.COMPLETED, TaskStatus.CANCELED}
    assert RESERVATION.terminal == {ReservationStatus.ACCEPTED, ReservationStatus.REJECTED,
                                    ReservationStatus.TIMEOUT, ReservationStatus.CANCELED}
    assert CONVERSATION.terminal == {ConversationStatus.CLOSED}
    assert ACTIVITY.terminal == frozenset()


def test_r16_every_status_is_reachable_from_the_initial_one() -> None:
    for machine in (TASK, RESERVATION, CONVERSATION, ACTIVITY):
        reached = {machine.initial}
        frontier = [machine.initial]
        while frontier:
            status = frontier.pop()
            for (source, _), target in machine.edges.items():
                if source == status and target not in reached:
                    reached.add(target)
                    frontier.append(target)
        assert reached == set(machine.statuses), machine.name


@pytest.mark.parametrize(("status", "event"), [
    (TaskStatus.PENDING, Event.RESERVATION_ACCEPTED),
    (TaskStatus.ASSIGNED, Event.TASK_CANCELED),  # R6: an assigned task has no TTL
    (TaskStatus.WRAPPING, Event.TASK_PAUSED),
    (TaskStatus.PAUSED, Event.TASK_WRAPUP),
    (TaskStatus.COMPLETED, Event.TASK_COMPLETED),
    (TaskStatus.CANCELED, Event.RESERVATION_CREATED),
])
def test_r16_illegal_task_transitions_raise(status: TaskStatus, event: Event) -> None:
    with pytest.raises(IllegalTransition, match="task: no transition"):
        TASK.next(status, event)


def test_r16_illegal_activity_and_conversation_changes_raise() -> None:
    with pytest.raises(IllegalTransition):
        ACTIVITY.next(Activity.OFFLINE, ActivityCause.RESERVATION_MISSED)
    with pytest.raises(IllegalTransition):
        CONVERSATION.next(ConversationStatus.CLOSED, Event.CONVERSATION_REACTIVATED)


def test_r16_the_engine_changes_status_only_through_the_table() -> None:
    rep = Replication(scenario())
    conversation = Conversation(1, 0, 0)
    task = Task(1, conversation, 0.0)
    with pytest.raises(IllegalTransition, match=re.escape(
            "task: no transition from 'pending' on 'task.completed'")):
        rep.recorder.task(task, codes.TASK_COMPLETED)  # pending -> completed is not a rule
    assert codes.TASK_STATUSES[task.status] is TaskStatus.PENDING
    assert len(rep.log) == 0


def test_r16_the_engine_tables_are_the_domain_tables() -> None:
    # The engine's integer tables are derived from lifecycle's; check them edge by edge.
    for status in TaskStatus:
        for event in Event:
            expected = TASK.edges.get((status, event))
            found = codes.TASK_NEXT[codes.TASK_STATUSES.index(status)][codes.code(event)]
            assert found == (-1 if expected is None else codes.TASK_STATUSES.index(expected))
    for old in TaskStatus:
        for new in TaskStatus:
            assert codes.SLOT_DELTA[codes.TASK_STATUSES.index(old)][
                codes.TASK_STATUSES.index(new)] == slot_delta(old, new)


def test_r16_path_is_legal_replays_a_sequence() -> None:
    assert TASK.path_is_legal([Event.RESERVATION_CREATED, Event.RESERVATION_TIMEOUT,
                               Event.RESERVATION_CREATED, Event.RESERVATION_ACCEPTED,
                               Event.TASK_WRAPUP, Event.TASK_COMPLETED])
    assert not TASK.path_is_legal([Event.RESERVATION_CREATED, Event.TASK_WRAPUP])


def test_r07_capacity_counts_reserved_assigned_wrapping_only() -> None:
    assert slot_delta(TaskStatus.PENDING, TaskStatus.RESERVED) == 1
    assert slot_delta(TaskStatus.ASSIGNED, TaskStatus.PAUSED) == -1
    assert slot_delta(TaskStatus.PAUSED, TaskStatus.PENDING) == 0
    assert slot_delta(TaskStatus.WRAPPING, TaskStatus.COMPLETED) == -1


def test_inbound_classification_table() -> None:
    active, inactive, closed = (ConversationStatus.ACTIVE, ConversationStatus.INACTIVE,
                                ConversationStatus.CLOSED)
    for status in (TaskStatus.PENDING, TaskStatus.RESERVED, TaskStatus.ASSIGNED,
                   TaskStatus.PAUSED):
        assert classify_inbound(active, status, None) is Inbound.APPENDED  # R8
    assert classify_inbound(active, TaskStatus.WRAPPING, WrapReason.END) is Inbound.STRANDED
    assert classify_inbound(inactive, TaskStatus.WRAPPING, WrapReason.LEAVE) is (
        Inbound.REACTIVATION)
    assert classify_inbound(inactive, TaskStatus.COMPLETED, WrapReason.LEAVE) is (
        Inbound.REACTIVATION)
    assert classify_inbound(closed, TaskStatus.COMPLETED, WrapReason.END) is Inbound.FOLLOW_UP
    assert classify_inbound(closed, TaskStatus.CANCELED, None) is Inbound.FOLLOW_UP
    with pytest.raises(IllegalTransition):
        classify_inbound(active, TaskStatus.COMPLETED, WrapReason.END)


def test_r11_leave_needs_it_enabled_and_a_reply_sent() -> None:
    assert may_leave(True, 1)
    assert not may_leave(True, 0)
    assert not may_leave(False, 3)


def test_r09_pause_needs_it_enabled_and_an_assigned_task() -> None:
    assert may_pause(True, TaskStatus.ASSIGNED)
    assert not may_pause(False, TaskStatus.ASSIGNED)
    assert not may_pause(True, TaskStatus.RESERVED)


def test_r17_hipaa_scenarios_are_refused() -> None:
    with pytest.raises(ValidationError, match="not a HIPAA eligible service"):
        scenario(compliance={"hipaa": True})
    forced = scenario().model_copy(update={"compliance": scenario().compliance.model_copy(
        update={"hipaa": True})})
    with pytest.raises(ComplianceError, match="HIPAA"):
        Replication(forced)
