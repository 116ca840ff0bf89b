"""The router's queues and pools (sim.engine.pools): the pools' heap gives agents in the
order heapq would give (last reserved, index), and skips entries an agent has outgrown."""

from __future__ import annotations

import heapq

from hypothesis import given
from hypothesis import strategies as st

from sim.engine.entities import Candidate
from sim.engine.pools import AgentPool, Listing, pop, push

KEYS = st.lists(st.tuples(st.integers(0, 5).map(float), st.integers(0, 3)), max_size=60)


def _agent(last_reserved: float, index: int) -> Candidate:
    agent = Candidate()
    agent.last_reserved, agent.index, agent.version = last_reserved, index, 0
    return agent


def _listing(at: float, order: int) -> Listing:
    return Listing(_agent(at, order))


@given(KEYS)
def test_pop_gives_the_entries_in_heapq_order(keys: list[tuple[float, int]]) -> None:
    heap: list[Listing] = []
    for at, order in keys:
        push(heap, _listing(at, order))
    popped = [pop(heap) for _ in keys]
    assert [(entry.at, entry.order) for entry in popped] == sorted(keys)
    assert heap == []


@given(KEYS, st.lists(st.booleans(), max_size=60))
def test_pushes_between_pops_keep_the_order(keys: list[tuple[float, int]],
                                             pops: list[bool]) -> None:
    ours: list[Listing] = []
    reference: list[tuple[float, int]] = []
    for (at, order), then_pop in zip(keys, pops + [False] * len(keys), strict=False):
        push(ours, _listing(at, order))
        heapq.heappush(reference, (at, order))
        if then_pop:
            entry = pop(ours)
            assert (entry.at, entry.order) == heapq.heappop(reference)
    assert sorted((entry.at, entry.order) for entry in ours) == sorted(reference)


@given(st.lists(st.tuples(st.integers(0, 5).map(float), st.booleans()), min_size=1,
                max_size=40))
def test_the_pool_gives_the_least_recently_reserved_agent_still_listed(
        agents: list[tuple[float, bool]]) -> None:
    """Agents listed once each, some then outgrowing their listing (a version bump, as when
    an agent is reserved or goes off duty): the pool gives those still listed by (last
    reserved, index), each once it has outgrown the one before, and then none."""
    pool = AgentPool()
    made = [_agent(at, index) for index, (at, _) in enumerate(agents)]
    for agent in made:
        pool.add(agent)
    for agent, (_, outgrown) in zip(made, agents, strict=True):
        if outgrown:
            agent.version += 1
    listed = [agent for agent, (_, outgrown) in zip(made, agents, strict=True) if not outgrown]
    given = []
    while (top := pool.top()) is not None:
        given.append(top)
        top.version += 1  # reserved: its listing is stale now
    assert given == sorted(listed, key=lambda a: (a.last_reserved, a.index))
