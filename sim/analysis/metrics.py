"""Every KPI of sim.analysis.catalogue, computed from one replication's event log alone
(plus its Context), overall and per skill or agent group.

Definitions, cohorts and censoring are in docs/kpis.md. In short: counts cover what starts
in [warmup, horizon]; offer, pause and Leave rates cover starts whose outcome is certain by
the horizon; response KPIs cover the tasks created in [warmup, horizon - follow_up), and a
task of that cohort still unanswered at the horizon counts as never answered.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.analysis import agenttime
from sim.analysis import timeweighted as tw
from sim.analysis.catalogue import GROUP_KPIS, KPI_NAMES, SKILL_KPIS
from sim.analysis.context import Context
from sim.analysis.eventarrays import EventArrays, Floats, positions, quantile_or_inf
from sim.analysis.measures import ALL, DECLINES, Measures, Scope
from sim.domain.lifecycle import Event, PauseExpiry
from sim.engine.eventlog import EventLog

_E = Event
Measure = Callable[[Measures, Scope], float]


Log = EventLog | pd.DataFrame | EventArrays


def _measures(log: Log | Measures, context: Context | None) -> Measures:
    if isinstance(log, Measures):
        return log
    assert context is not None, "a Context is needed to measure a log"
    return Measures(EventArrays.of(log), context)


def kpis(log: Log | Measures, context: Context | None = None) -> dict[str, float]:
    """All KPIs of one replication, in KPI_NAMES order."""
    m = _measures(log, context)
    return {name: float(KPIS[name](m, ALL)) for name in KPI_NAMES}


def kpis_by_skill(log: Log | Measures,
                  context: Context | None = None) -> dict[str, dict[str, float]]:
    """Per skill (in the scenario's order), the KPIs that have a per-skill view."""
    m = _measures(log, context)
    out = {}
    for index, skill in enumerate(m.skill_names):
        scope = Scope(tasks=m.task_skill == index, conversations=m.conversation_skill == index,
                      skill=index)
        out[skill] = {name: float(KPIS[name](m, scope)) for name in SKILL_KPIS}
    return out


def kpis_by_group(log: Log | Measures,
                  context: Context | None = None) -> dict[str, dict[str, float]]:
    """Per agent group, the KPIs that have a per-group view."""
    m = _measures(log, context)
    out = {}
    for index, group in enumerate(m.group_names):
        scope = Scope(agents=m.agent_group == index, group=index)
        out[group] = {name: float(KPIS[name](m, scope)) for name in GROUP_KPIS}
    return out


def measure(log: Log | Measures, context_or_names: Context | tuple[str, ...],
            names: tuple[str, ...] = ()) -> dict[str, float]:
    """KPIs or the extra measures used by `ccsim verify`, by name:
    `measure(m, names)` or `measure(log, context, names)`."""
    if isinstance(context_or_names, Context):
        m = _measures(log, context_or_names)
    else:
        m, names = _measures(log, None), context_or_names
    return {name: float((KPIS.get(name) or EXTRA[name])(m, ALL)) for name in names}


# counts ------------------------------------------------------------------------------------

# The details counted per event (None: all its rows), as the KPIs below ask for them.
_COUNTED: dict[Event, list[str | None]] = {}
Counts = tuple[float, np.ndarray, np.ndarray]  # overall, per skill, per group


def _count(event: Event, detail: str | None = None) -> Measure:
    """Rows of `event` (with `detail`) at or after warm-up, counted once for the whole log,
    every skill and every group."""
    _COUNTED.setdefault(event, []).append(detail)

    def count(m: Measures, scope: Scope) -> float:
        total, by_skill, by_group = m.memo(f"count {event.value}",
                                           lambda: _counts(m, event))[detail]
        if scope.skill is not None:
            return float(by_skill[scope.skill])
        if scope.group is not None:
            return float(by_group[scope.group])
        return total
    return count


def _counts(m: Measures, event: Event) -> dict[str | None, Counts]:
    """Every count of `event` the KPIs ask for (all its rows, or those with a detail), from
    one pass over the log and one look-up of the rows' skills and groups."""
    rows = m.first_measured + positions(m.log.where(event)[m.first_measured:])
    skill, group = m.skill_of_rows(rows), m.group_of_rows(rows)
    out = {}
    for detail in _COUNTED[event]:
        # the detail is looked at on the event's rows only, not the whole log
        keep = slice(None) if detail is None else m.log.detail_is(detail, rows)
        by_skill = np.bincount(skill[keep] + 1, minlength=len(m.skill_names) + 1)
        by_group = np.bincount(group[keep] + 1, minlength=len(m.group_names) + 1)
        out[detail] = (float(len(rows[keep])), by_skill[1:], by_group[1:])
    return out


def tasks_created(m: Measures, scope: Scope) -> float:
    return float((m.created_measured & scope.task_ids(len(m.created))).sum())


def tasks_canceled_ttl(m: Measures, scope: Scope) -> float:
    canceled = ~np.isnan(m.first(_E.TASK_CANCELED))
    return float((canceled & m.created_measured & scope.task_ids(len(m.created))).sum())


# routing -----------------------------------------------------------------------------------

def _offer_share(*events: Event) -> Measure:
    return lambda m, scope: m.offers.share(*events, scope=scope)


def _offered(m: Measures, scope: Scope) -> np.ndarray:
    """The task ids in the cohort, in scope, and with at least one offer outcome (positions:
    the three KPIs of a scope that ask, in a row, then gather from them instead of each
    going through a mask of every task)."""
    def compute() -> np.ndarray:
        decided, _ = m.offer_outcomes_per_task
        return positions(m.cohort & scope.task_ids(len(m.cohort)) & (decided > 0))
    return m.scoped("offered", scope, compute)


def declined_task_rate(m: Measures, scope: Scope) -> float:
    offered = _offered(m, scope)
    _, declined = m.offer_outcomes_per_task
    return _share(int((declined[offered] > 0).sum()), len(offered))


def declines_per_task(m: Measures, scope: Scope) -> float:
    offered = _offered(m, scope)
    _, declined = m.offer_outcomes_per_task
    return float(declined[offered].mean()) if len(offered) else float("nan")


def reassigned_to_other_agent_rate(m: Measures, scope: Scope) -> float:
    offered = _offered(m, scope)
    return _share(int(m.reassigned_to_other[offered].sum()), len(offered))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else float("nan")


# pause and Leave ---------------------------------------------------------------------------

def _pause_expiry(cause: PauseExpiry | None = None) -> Measure:
    def rate(m: Measures, scope: Scope) -> float:
        detail = None
        if cause is not None:
            codes = [i for i, text in enumerate(m.log.details) if text == cause.value]
            detail = codes[0] if codes else -2  # -2: no row has it
        return m.pauses.share(_E.TASK_PAUSE_EXPIRED, detail=detail, scope=scope)
    return rate


def reactivation_rate(m: Measures, scope: Scope) -> float:
    return m.leaves.share(_E.CONVERSATION_REACTIVATED, scope=_leave_scope(scope))


def _leave_scope(scope: Scope) -> Scope:
    # A Leave's start row names the conversation's task that was left; a skill's scope is
    # its conversations.
    return Scope(conversations=scope.conversations, agents=scope.agents)


def _reactivated(m: Measures, scope: Scope) -> np.ndarray:
    leaves = m.leaves
    keep = _leave_scope(scope).rows(leaves.task, leaves.agent, leaves.conversation)
    back: np.ndarray = keep & (leaves.outcome == m.log.code(_E.CONVERSATION_REACTIVATED))
    return back


def reactivation_same_agent_rate(m: Measures, scope: Scope) -> float:
    back = _reactivated(m, scope)
    new_task = m.next_task_of_conversation[m.leaves.task[back]]
    acceptor = np.where(new_task >= 0, m.first_acceptor[np.maximum(new_task, 0)], -1)
    known = acceptor >= 0
    same = acceptor[known] == m.leaves.agent[back][known]
    return _share(int(same.sum()), int(known.sum()))


def reactivation_delay_mean(m: Measures, scope: Scope) -> float:
    back = _reactivated(m, scope)
    delays = (m.leaves.ended - m.leaves.began)[back]
    return float(delays.mean()) if len(delays) else float("nan")


# response ----------------------------------------------------------------------------------

def _waits(m: Measures, scope: Scope, which: str) -> Floats:
    """Per task of the cohort in scope: time to `which` (`answered` or `accepted`; inf: not
    reached by the horizon). The whole cohort's are worked out once; a scope picks from them."""
    def compute() -> Floats:
        waits = getattr(m, which)[m.cohort] - m.created[m.cohort]
        found: Floats = np.where(np.isnan(waits), np.inf, waits)
        return found
    waits = m.memo(f"waits {which}", compute)
    if scope.tasks is None:
        return waits
    tasks = scope.tasks
    # which of the cohort are in scope: found once for both kinds of waits
    mine = m.scoped("cohort in scope", scope, lambda: positions(tasks[m.cohort]))
    return m.scoped(f"waits {which}", scope, lambda: waits[mine])


def unanswered_rate(m: Measures, scope: Scope) -> float:
    waits = _waits(m, scope, "answered")
    return float(np.isinf(waits).mean()) if len(waits) else float("nan")


def _quantile(q: float, which: str) -> Measure:
    def quantile(m: Measures, scope: Scope) -> float:
        return quantile_or_inf(_waits(m, scope, which), q)
    return quantile


def _mean_reached(which: str) -> Measure:
    def mean(m: Measures, scope: Scope) -> float:
        waits = _waits(m, scope, which)
        done = waits[np.isfinite(waits)]
        return float(done.mean()) if len(done) else float("nan")
    return mean


def service_level(m: Measures, scope: Scope) -> float:
    waits = _waits(m, scope, "answered")
    return float((waits <= m.context.service_level_threshold).mean()) if len(waits) else (
        float("nan"))


KPIS: dict[str, Measure] = {
    "conversations_created": _count(_E.CONVERSATION_CREATED),
    "follow_up_conversations": _count(_E.CONVERSATION_CREATED, "follow-up"),
    "tasks_created": tasks_created,
    "reservations": _count(_E.RESERVATION_CREATED),
    "reservation_timeout_rate": _offer_share(_E.RESERVATION_TIMEOUT),
    "reservation_reject_rate": _offer_share(_E.RESERVATION_REJECTED),
    "declined_task_rate": declined_task_rate,
    "declines_per_task": declines_per_task,
    "reassigned_to_other_agent_rate": reassigned_to_other_agent_rate,
    "pauses": _count(_E.TASK_PAUSED),
    "pause_expiry_rate": _pause_expiry(),
    "pause_expiry_researching_rate": _pause_expiry(PauseExpiry.RESEARCHING),
    "pause_expiry_off_duty_rate": _pause_expiry(PauseExpiry.OFF_DUTY),
    "pause_expiry_no_slot_rate": _pause_expiry(PauseExpiry.NO_SLOT),
    "leaves": _count(_E.TASK_WRAPUP, "leave"),
    "reactivation_rate": reactivation_rate,
    "reactivation_same_agent_rate": reactivation_same_agent_rate,
    "reactivation_delay_mean": reactivation_delay_mean,
    "conversations_closed_inactive": _count(_E.CONVERSATION_CLOSED, "window"),
    "tasks_canceled_ttl": tasks_canceled_ttl,
    "stranded_replies": _count(_E.MESSAGE_INBOUND, "stranded"),
    "unanswered_rate": unanswered_rate,
    "first_response_time_p50": _quantile(0.5, "answered"),
    "first_response_time_p90": _quantile(0.9, "answered"),
    "first_response_time_mean_answered": _mean_reached("answered"),
    "service_level": service_level,
    "wait_to_accept_p90": _quantile(0.9, "accepted"),
    "wait_to_accept_mean_accepted": _mean_reached("accepted"),
    "queued_tasks_mean": tw.queued_tasks_mean,
    "unanswered_conversations_mean": tw.unanswered_conversations_mean,
    "slot_occupancy": agenttime.slot_occupancy,
    "agent_utilization": agenttime.agent_utilization,
}
assert tuple(KPIS) == KPI_NAMES


# Measures beyond the KPIs, used by `ccsim verify` -----------------------------------------

def waited_share(m: Measures, scope: Scope) -> float:
    """Share of accepted cohort tasks whose first offer came later than their creation."""
    first_offer = m.first(_E.RESERVATION_CREATED)
    tasks = m.cohort & ~np.isnan(m.accepted)
    return _share(int((first_offer[tasks] > m.created[tasks]).sum()), int(tasks.sum()))


EXTRA: dict[str, Measure] = {"waited_share": waited_share}
__all__ = ["DECLINES", "EXTRA", "KPIS", "KPI_NAMES", "kpis", "kpis_by_group", "kpis_by_skill",
           "measure"]
