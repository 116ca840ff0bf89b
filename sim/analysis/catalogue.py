"""The KPIs by name: what each counts, its unit, which way is worse for customers, whether it
has a per-skill or per-agent-group view, and why it can be undefined.

This module is light (no numpy, no pandas) so commands that only need names load fast. The
definitions are in docs/kpis.md; sim.analysis.metrics computes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "share", "seconds", "tasks", "conversations", "per task"]
Better = Literal["higher", "lower", "neither"]


@dataclass(frozen=True)
class Kpi:
    name: str
    unit: Unit
    better: Better
    text: str  # one line: what it is
    by_skill: bool = False
    by_group: bool = False


_K = Kpi
CATALOGUE: tuple[Kpi, ...] = (
    _K("conversations_created", "count", "neither",
       "conversations started (new emails and follow-ups)", by_skill=True),
    _K("follow_up_conversations", "count", "lower",
       "conversations started by a reply to a closed conversation (R15)", by_skill=True),
    _K("tasks_created", "count", "neither", "tasks created (first emails, reactivations, "
       "follow-ups)", by_skill=True),
    _K("reservations", "count", "neither", "offers made to agents", by_skill=True,
       by_group=True),
    _K("reservation_timeout_rate", "share", "lower", "offers not answered within the "
       "reservation timeout", by_skill=True, by_group=True),
    _K("reservation_reject_rate", "share", "lower", "offers rejected (declined, or pending "
       "at the agent's shift end)", by_skill=True, by_group=True),
    _K("declined_task_rate", "share", "lower", "tasks with at least one rejected or missed "
       "offer", by_skill=True),
    _K("declines_per_task", "per task", "lower", "rejected and missed offers per offered "
       "task", by_skill=True),
    _K("reassigned_to_other_agent_rate", "share", "neither", "tasks accepted, after a "
       "decline, by an agent that had not declined them", by_skill=True),
    _K("pauses", "count", "neither", "pauses begun", by_skill=True, by_group=True),
    _K("pause_expiry_rate", "share", "lower", "pauses that expired back to the queue",
       by_skill=True, by_group=True),
    _K("pause_expiry_researching_rate", "share", "lower", "pauses that expired with the "
       "research still running", by_group=True),
    _K("pause_expiry_off_duty_rate", "share", "lower", "pauses that expired with the "
       "research done but the agent off duty", by_group=True),
    _K("pause_expiry_no_slot_rate", "share", "lower", "pauses that expired with the "
       "research done but no free slot to resume", by_group=True),
    _K("leaves", "count", "neither", "tasks left with Leave (R11)", by_skill=True,
       by_group=True),
    _K("reactivation_rate", "share", "neither", "Leaves whose conversation was reactivated "
       "within the window", by_skill=True),
    _K("reactivation_same_agent_rate", "share", "neither", "reactivated conversations "
       "picked up by the agent who left them"),
    _K("reactivation_delay_mean", "seconds", "neither", "mean time from Leave to "
       "reactivation, over reactivated conversations"),
    _K("conversations_closed_inactive", "count", "neither", "inactive conversations closed "
       "by the Leave window (R13)", by_skill=True),
    _K("tasks_canceled_ttl", "count", "lower", "tasks canceled unassigned by the TTL (R6)",
       by_skill=True),
    _K("stranded_replies", "count", "lower", "customer emails that arrived in wrap-up after "
       "End and were never answered (R15)", by_skill=True),
    _K("unanswered_rate", "share", "lower", "tasks never answered by the horizon (canceled, "
       "or still open)", by_skill=True),
    _K("first_response_time_p50", "seconds", "lower", "median time from task creation to the "
       "first reply, unanswered tasks counted as never", by_skill=True),
    _K("first_response_time_p90", "seconds", "lower", "90th percentile of the same",
       by_skill=True),
    _K("first_response_time_mean_answered", "seconds", "neither", "mean first response time "
       "of answered tasks only (read it with unanswered_rate)", by_skill=True),
    _K("service_level", "share", "higher", "tasks answered within the service-level "
       "threshold", by_skill=True),
    _K("wait_to_accept_p90", "seconds", "lower", "90th percentile of the time from creation "
       "to the first acceptance, never-accepted tasks counted as never", by_skill=True),
    _K("wait_to_accept_mean_accepted", "seconds", "neither", "mean wait to the first "
       "acceptance of accepted tasks only", by_skill=True),
    _K("queued_tasks_mean", "tasks", "lower", "time-average of tasks waiting for an agent to "
       "accept (pending or reserved)", by_skill=True),
    _K("unanswered_conversations_mean", "conversations", "lower", "time-average of open "
       "conversations whose customer awaits an agent's reply", by_skill=True),
    _K("slot_occupancy", "share", "neither", "share of on-duty capacity slots held by tasks",
       by_group=True),
    _K("agent_utilization", "share", "neither", "share of on-duty time the agents spend "
       "composing replies or wrapping up", by_group=True),
)

BY_NAME = {kpi.name: kpi for kpi in CATALOGUE}
KPI_NAMES: tuple[str, ...] = tuple(kpi.name for kpi in CATALOGUE)
SKILL_KPIS: tuple[str, ...] = tuple(kpi.name for kpi in CATALOGUE if kpi.by_skill)
GROUP_KPIS: tuple[str, ...] = tuple(kpi.name for kpi in CATALOGUE if kpi.by_group)
RATES = frozenset(kpi.name for kpi in CATALOGUE if kpi.unit == "share")
TIMES = frozenset(kpi.name for kpi in CATALOGUE if kpi.unit == "seconds")
COUNTS = frozenset(kpi.name for kpi in CATALOGUE if kpi.unit == "count")
# Means over the work that was done only: they can improve when less is done, so they are
# read next to unanswered_rate and are not held to "fewer agents is never better".
CONDITIONAL = frozenset(name for name in KPI_NAMES
                        if name.endswith(("_answered", "_accepted")))


def kpi_range(name: str) -> tuple[float, float]:
    """The values a KPI can take: shares lie in [0, 1]; everything else is >= 0."""
    return (0.0, 1.0) if name in RATES else (0.0, float("inf"))
