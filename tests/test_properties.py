"""Invariants over generated small scenarios and seeds (hypothesis).

For every generated scenario the log, replayed through the lifecycle tables (sim.audit),
must show: legal status paths for every task and conversation, no agent above capacity, no
reply while a task is in wrap-up, offers only to Available agents, time never decreasing,
and every created task in exactly one status at the horizon.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.audit import audit
from sim.domain.lifecycle import TaskStatus
from sim.domain.scenario import Scenario
from sim.engine.model import Replication

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SKILLS = ["billing", "tech", "sales"]


def durations(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda seconds: f"{seconds}s")


def distributions(low: int, high: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        durations(low, high).map(lambda d: {"dist": "constant", "value": d}),
        durations(max(low, 1), high).map(lambda d: {"dist": "exponential", "mean": d}),
        st.tuples(durations(max(low, 1), high), st.floats(0.1, 1.5)).map(
            lambda p: {"dist": "lognormal", "median": p[0], "sigma": p[1]}),
        st.tuples(durations(max(low, 1), high), st.floats(0.2, 2.0)).map(
            lambda p: {"dist": "gamma", "mean": p[0], "cv": p[1]}),
    )


probabilities = st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0])


@st.composite
def shifts(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True))
    start = draw(st.integers(0, 20))
    end = draw(st.integers(start + 1, 24))
    return {"days": days, "start": f"{start:02d}:00", "end": f"{end:02d}:00"}


@st.composite
def groups(draw: st.DrawFn, name: str, skills: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "count": draw(st.integers(0, 3)),
        "capacity": draw(st.integers(1, 3)),
        "skills": draw(st.lists(st.sampled_from(skills), min_size=1, unique=True)),
        "shift": draw(st.one_of(st.just({}), shifts())),
        "absence": {"probability_per_day": draw(st.sampled_from([0.0, 0.2])),
                    "duration": draw(distributions(3600, 3 * 86400))},
        "reservation": {"response_time": draw(distributions(1, 400)),
                        "reject_probability": draw(probabilities)},
        "handling": {
            "compose": draw(distributions(0, 3600)),
            "research": {"probability": draw(probabilities),
                         "duration": draw(distributions(60, 3 * 86400))},
            "resolve_probability": draw(probabilities),
            "leave_probability": draw(probabilities),
            "hold_for_reply": draw(durations(0, 4 * 3600)),
            "wrapup": draw(distributions(0, 600)),
        },
    }


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    skills = draw(st.lists(st.sampled_from(SKILLS), min_size=1, max_size=3, unique=True))
    first = draw(groups("g1", skills))
    first["skills"] = sorted(set(first["skills"]) | set(skills))  # every skill is served
    agents = [first, *draw(st.lists(groups("g2", skills), max_size=1))]
    share = 1 / len(skills)
    return Scenario.model_validate({
        "name": "generated",
        "seed": draw(st.integers(0, 2**32)),
        "horizon": f"{draw(st.integers(1, 4))}d",
        "flex": {
            "reservation_timeout": draw(durations(1, 600)),
            "timeout_recovery": draw(durations(0, 1800)),
            "task_ttl": draw(durations(60, 2 * 86400)),
            "pause": {"enabled": draw(st.booleans()), "expiry": "1d"},
            "leave": {"enabled": draw(st.booleans()), "window": draw(durations(1, 86400))},
            "reactivation_routing": draw(st.sampled_from(["any", "previous-agent"])),
        },
        "arrivals": {"per_day": draw(st.integers(0, 400)),
                     "skills": {skill: share for skill in skills},
                     "priorities": draw(st.sampled_from([{0: 1.0}, {0: 0.7, 3: 0.3}]))},
        "customers": {"reply_probability": {"awaiting": draw(probabilities),
                                            "resolved": draw(probabilities)},
                      "reply_delay": draw(distributions(1, 86400))},
        "agents": agents,
    })


def capacities(scenario: Scenario) -> dict[str, int]:
    return {f"{g.name}-{i + 1}": g.capacity for g in scenario.agents for i in range(g.count)}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 3))
def test_invariants_hold_for_generated_scenarios(scenario: Scenario, replication: int) -> None:
    frame = Replication(scenario, replication).run().to_frame()
    result = audit(frame, capacities(scenario))
    assert result.ok, result.violations
    created = frame.loc[frame["event"] == "task.created", "task"]
    assert created.is_unique
    assert set(created) == set(result.task_status)  # each task in exactly one status
    conversations = frame.loc[frame["event"] == "conversation.created", "conversation"]
    assert set(conversations) == set(result.conversation_status)
    assert all(isinstance(status, TaskStatus) for status in result.task_status.values())


def test_tasks_and_conversations_open_at_the_horizon_are_reported_as_open() -> None:
    from sim.analysis.audit import at_horizon
    from tests.scripted import group, replication

    rep = replication(agents=[group(shift={"days": ["mon"], "start": "08:00", "end": "17:00"})])
    rep.send_new(0, "email")  # answered after 08:00, completed by 08:06:10
    rep.send_new(9 * 3600, "email")  # accepted at 09:00:10, being composed
    rep.send_new(9 * 3600, "email")  # waiting: the agent's only slot is taken
    tasks, conversations = at_horizon(rep.run(until=9 * 3600 + 60).to_frame())
    assert tasks.set_index("task")["status"].to_dict() == {
        1: "completed", 2: "assigned", 3: "pending"}
    assert list(tasks["open"]) == [False, True, True]
    assert conversations.set_index("conversation")["status"].to_dict() == {
        1: "closed", 2: "active", 3: "active"}
    assert list(conversations["open"]) == [False, True, True]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 3), st.floats(0.2, 0.8))
def test_a_run_continued_from_its_end_keeps_every_invariant(scenario: Scenario,
                                                            replication: int,
                                                            cut: float) -> None:
    """Cut anywhere and continued (`ccsim run --from`): the end state carries exactly the
    tasks and conversations the log leaves open, and the continued log, its history
    included, passes the audit."""
    from sim.analysis.audit import at_horizon
    from sim.analysis.continuation import carry, continued

    half = scenario.model_copy(update={"horizon": float(round(scenario.horizon * cut))})
    first = Replication(half, replication)
    log = first.run()
    state = first.end_state()
    tasks, conversations = at_horizon(log.to_frame())
    assert {t.id for t in state.tasks if t.status not in ("completed", "canceled")} == set(
        tasks.loc[tasks["open"], "task"])
    assert set(conversations.loc[conversations["open"], "conversation"]) <= {
        c.id for c in state.conversations}
    later = continued(half, state)
    second = Replication(later, replication, carried=carry(log, state, later))
    result = audit(second.run(), capacities(scenario))
    assert result.ok, result.violations


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 3), st.integers(0, 6), st.integers(0, 3),
       st.integers(0, 3), st.integers(0, 3))
def test_a_run_started_with_held_work_keeps_every_invariant(
        scenario: Scenario, replication: int, assigned: int, paused: int, left: int,
        pending: int) -> None:
    """Tasks pending, assigned and paused, conversations left, at time 0 (`initial`): every
    invariant holds from their history on, and the log is in time order."""
    from hypothesis import assume

    skill = scenario.skills[0]
    slots = sum(g.count * g.capacity for g in scenario.agents if skill in g.skills)
    serving = sum(g.count for g in scenario.agents if skill in g.skills)
    assume(assigned <= slots and (serving or not paused + left))
    flex = scenario.flex

    def section(count: int, limit: float) -> dict[str, Any]:
        return {skill: count, "age": {"dist": "uniform", "low": "0s", "high": f"{2 * limit}s"}}

    initial = {"assigned": section(assigned, 3600),
               "pending": section(pending, flex.task_ttl / 2)}
    if flex.pause.enabled:
        initial["paused"] = section(paused, flex.pause.expiry)
    if flex.leave.enabled:
        initial["inactive_conversations"] = section(left, flex.leave.window)
    chosen = Scenario.model_validate({**scenario.model_dump(), "initial": initial})
    log = Replication(chosen, replication).run()
    result = audit(log, capacities(chosen))
    assert result.ok, result.violations
