"""The things the engine moves around: conversations and tasks, and the small base classes
through which they see agents.

Statuses are integer codes (sim.engine.codes) changed only by the Recorder, through the
tables. A task carries its one pending reservation inline (an agent, a number and a
status), since it has at most one at a time. A finished task is referred to by nothing but
its conversation's id counter, so it is freed by reference counting, not by the garbage
collector: the conversation keeps its latest task's id, and its task object only while the
task is open.
"""

from __future__ import annotations

from typing import cast

from sim.engine.clock import Timer
from sim.engine.codes import C_ACTIVE, R_PENDING, T_PENDING


class Owner:
    """An agent as the tasks it holds see it (the recorder counts its slots, R7).

    Base classes rather than Protocols: the compiled engine then reads these attributes and
    calls these methods directly, not through Python's generic look-up (sim.engine.agents
    implements them)."""

    index: int
    # The index as one Python int object, made once, for the log's rows: struct's pack
    # takes objects, and CPython caches only ints up to 256, so a larger index written as
    # `index` would be a new int object for every row the agent is in (tasks and
    # conversations keep their ids so too).
    code: object
    activity: int  # an index into codes.ACTIVITIES (R5, A1)

    def slots_changed(self, delta: int) -> None:
        raise NotImplementedError

    def customer_replied(self, task: Task) -> None:
        raise NotImplementedError


class Candidate(Owner):
    """An agent as the router sees it: skills, eligibility, longest idle (R2), offers (R3)."""

    listed: bool  # first: it shares a word with the compiled class's own flags
    skills: tuple[int, ...]
    last_reserved: float
    version: int
    # Tasks with a pending reservation to this agent (R3), read only when its shift ends:
    # the first inline, any others in a list, since most agents have at most one at a time
    # (a set would be 216 bytes more per agent, and one more object that a busy center's
    # cache must hold for every agent).
    first_offer: Task | None
    more_offers: list[Task] | None

    def hold_offer(self, task: Task) -> None:
        if self.first_offer is None:
            self.first_offer = task
        elif self.more_offers is None:
            self.more_offers = [task]
        else:
            self.more_offers.append(task)

    def drop_offer(self, task: Task) -> None:
        if self.first_offer is task:
            self.first_offer = None
        else:
            assert self.more_offers is not None, "an offer this agent does not hold"
            self.more_offers.remove(task)

    def offers(self) -> list[Task]:
        offers = [] if self.first_offer is None else [self.first_offer]
        if self.more_offers:
            offers.extend(self.more_offers)
        return offers

    def plan_response(self, timeout: float) -> tuple[float, int]:
        raise NotImplementedError

    def accepted(self, task: Task) -> None:
        raise NotImplementedError

    def missed(self) -> None:
        raise NotImplementedError


class Conversation:
    __slots__ = ("code", "left_by", "priority", "skill", "slot", "status", "task", "task_id",
                 "window")

    def __init__(self, id: int, skill: int, priority: int) -> None:
        # The id as the log's rows take it, as Owner.code is an agent's; `id` reads it (a
        # field of its own would make a conversation 128 bytes rather than 112).
        self.code: object = id
        self.skill = skill
        self.priority = priority
        self.status = C_ACTIVE
        self.task: Task | None = None  # the open task (dropped when it ends: no cycle)
        self.task_id = -1  # the latest task's id, open or not
        self.left_by: Candidate | None = None  # who chose Leave last (R12 previous-agent)
        self.window: Timer | None = None  # R13: closes an inactive conversation
        self.slot = -1  # its place among the open conversations (sim.engine.customers)

    @property
    def id(self) -> int:
        return cast(int, self.code)


class Task:
    __slots__ = ("agent", "code", "conversation", "created_at", "declined_by", "hold", "id",
                 "offer", "offer_number", "offer_status", "pause_expiry", "preferred",
                 "priority", "replies_sent", "research", "research_began", "research_left",
                 "research_total", "skill", "status", "ttl", "wrap_reason")

    def __init__(self, id: int, conversation: Conversation, created_at: float,
                 preferred: Candidate | None = None) -> None:
        self.id = id
        self.code: object = id  # the id for the log's rows, as Owner.code is an agent's
        self.conversation = conversation
        self.skill = conversation.skill
        self.priority = conversation.priority
        self.created_at = created_at
        self.status = T_PENDING
        self.agent: Candidate | None = None  # owner: reserved, assigned, paused or wrapping
        self.offer: Candidate | None = None  # the agent of the pending reservation
        self.offer_number = 0  # counts this task's reservations: a response's token
        self.offer_status = R_PENDING  # of the latest reservation
        self.declined_by: set[int] | None = None  # R4: agents that rejected or missed it
        self.preferred = preferred  # R12 with reactivation_routing: previous-agent
        self.ttl: Timer | None = None  # R6
        self.pause_expiry: Timer | None = None  # R10
        self.research: Timer | None = None  # A3: research done while paused
        self.research_left: float | None = None  # A3: seconds still to do; None: undecided
        self.research_total = 0.0  # what the email needed in all (R10 `restart`)
        self.research_began = 0.0  # when the running research began
        self.hold: Timer | None = None  # A3: waiting for the customer's reply
        self.replies_sent = 0  # in this task, by its agents (R11)
        self.wrap_reason = 0  # index into codes.WRAP_REASONS (0: not wrapped up)

    def declined(self, agent: int) -> bool:
        return self.declined_by is not None and agent in self.declined_by
