"""The state a run ended in, carried into the next run (`ccsim run --from FOLDER`).

Written next to a run's results (`end_state.json`, one state per replication) and read back
to start a run where that one stopped: every open conversation and task with its status,
owner, reservation and the time left on each of its timers, every agent's activity and the
work in its hands, and the calls that were on their way (an agent's answer to an offer, a
customer's reply). Times are seconds relative to the end of the run: `*_in` says how long
until a timer falls due, a negative `created` how long ago something happened. What comes
after the end is drawn again on the new run's own streams (new email, absences, every
duration that had not been drawn yet); docs/model.md lists both.

`History` is what the event log said about the carried conversations before the end (their
rows, and the agents' activity rows they need), written at the start of the continued log
with negative times, so that the continued log reads as a whole: every task's path starts
with its creation and the audit can replay it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import ConfigDict, TypeAdapter

FORMAT = 1  # of end_state.json; bumped when the layout changes
# Plain dataclasses, not pydantic models: a large center ends with tens of thousands of open
# tasks, and building that many models costs a noticeable part of a run. A file read back is
# validated all the same (`read_state`, with pydantic's TypeAdapter: unknown keys refused).
_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)


@dataclass(frozen=True, slots=True)
class CarriedWork:
    """A piece of work in an agent's hands (A2): a reply (`compose`) or a wrap-up."""

    __pydantic_config__: ClassVar[ConfigDict] = _CONFIG
    kind: int  # sim.engine.behaviour COMPOSE or WRAPUP
    task: int
    remaining: float = 0.0  # seconds of on-duty work still to do
    started: bool = True  # its worker.work.started row is in the log already


@dataclass(frozen=True, slots=True)
class CarriedAgent:
    __pydantic_config__: ClassVar[ConfigDict] = _CONFIG
    name: str
    activity: str  # sim.domain.lifecycle.Activity value
    last_reserved: float | None = None  # seconds before the end; None: never reserved
    recovery_in: float | None = None  # R5: Timeout until then
    doing: CarriedWork | None = None
    queued: tuple[CarriedWork, ...] = ()  # the work queue, first come first served
    resumes: tuple[int, ...] = ()  # paused tasks whose research is done, waiting (R9)


@dataclass(frozen=True, slots=True)
class CarriedConversation:
    __pydantic_config__: ClassVar[ConfigDict] = _CONFIG
    id: int
    skill: str
    priority: int
    status: str  # ConversationStatus value
    task: int | None = None  # its latest task, carried with it (open or not)
    task_id: int = -1
    left_by: str | None = None  # R12: who chose Leave last
    window_in: float | None = None  # R13: the inactive conversation closes then


@dataclass(frozen=True, slots=True)
class CarriedTask:
    __pydantic_config__: ClassVar[ConfigDict] = _CONFIG
    id: int
    conversation: int
    created: float  # seconds, <= 0
    status: str  # TaskStatus value
    agent: str | None = None  # owner
    offer: str | None = None  # the agent of the pending reservation
    offer_number: int = 0
    offer_status: str = "pending"  # ReservationStatus value
    declined_by: tuple[str, ...] = ()
    preferred: str | None = None
    ttl_in: float | None = None
    pause_expiry_in: float | None = None
    research_in: float | None = None  # paused research done then
    research_left: float | None = None
    research_total: float = 0.0
    research_began: float = 0.0
    hold_in: float | None = None  # A3: waiting for the customer's reply until then
    replies_sent: int = 0
    wrap_reason: int = 0  # index into sim.engine.codes.WRAP_REASONS


@dataclass(frozen=True, slots=True)
class Call:
    """Something on its way at the end: `what` is a task's or a conversation's id."""

    __pydantic_config__: ClassVar[ConfigDict] = _CONFIG
    due_in: float
    what: int
    outcome: str = ""  # of an offer: the reservation event the agent's answer will be


@dataclass(frozen=True, slots=True)
class EndState:
    __pydantic_config__: ClassVar[ConfigDict] = _CONFIG
    ended_at: str  # ISO local time of the contact center: the next run's start
    format: int = FORMAT
    at: float = 0.0  # the same moment in the ended run's own seconds (its horizon)
    segment: int = 0  # runs before this one in the chain (for the random streams)
    next_conversation: int = 1
    next_task: int = 1
    agents: tuple[CarriedAgent, ...] = ()
    conversations: tuple[CarriedConversation, ...] = ()
    tasks: tuple[CarriedTask, ...] = ()
    responses: tuple[Call, ...] = ()  # answers to pending offers (R3), by task
    replies: tuple[Call, ...] = ()  # customer emails on their way (C2), by conversation
    researched: tuple[Call, ...] = ()  # research without Pause done then (A3), by task


@dataclass(frozen=True, slots=True)
class History:
    """Rows of the earlier log to put first in the continued one (times already relative)."""

    __pydantic_config__: ClassVar[ConfigDict] = _CONFIG
    time: tuple[float, ...] = ()
    event: tuple[str, ...] = ()
    task: tuple[int, ...] = ()
    conversation: tuple[int, ...] = ()
    agent: tuple[str | None, ...] = ()
    detail: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Carried:
    """What a continued run starts from: the state and the history that led to it."""

    __pydantic_config__: ClassVar[ConfigDict] = _CONFIG
    state: EndState
    history: History = History()
    source: str = ""  # where it was read from, for messages


_STATE: TypeAdapter[EndState] = TypeAdapter(EndState)


def read_state(data: object) -> EndState:
    """An end state from its JSON data; pydantic's ValidationError says what is wrong."""
    return _STATE.validate_python(data)


def state_json(state: EndState) -> str:
    """A state as compact JSON: every field but those at their default, recursively
    (pydantic's serializer: ten times faster than walking the dataclasses in Python, which
    took a third of a second for a large center's tens of thousands of open tasks)."""
    return _STATE.dump_json(state, exclude_defaults=True).decode()
