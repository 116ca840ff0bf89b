"""The draws that make one agent group's decisions, each on its own named stream.

A decision whose outcome a setting fixes (a probability of 0 or 1, a constant duration) is
not drawn at all: its stream serves only that decision, so skipping it changes no other
draw, and a run does only the work its scenario needs.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat

from sim.domain.distributions import Constant, Distribution, bernoulli
from sim.domain.scenario import AgentGroup
from sim.domain.streams import Streams

COMPOSE, WRAPUP = 0, 1  # the kinds of work for the hands (A2)


def duration(spec: Distribution, streams: Streams, purpose: str) -> Callable[[], float]:
    if isinstance(spec, Constant):
        return repeat(spec.value).__next__
    return spec.sampler(streams.generator(purpose))


def chance(probability: float, streams: Streams, purpose: str) -> Callable[[], bool]:
    """A Bernoulli decision: True with `probability`."""
    if probability <= 0 or probability >= 1:
        return repeat(probability >= 1).__next__
    return bernoulli(streams.generator(purpose), probability)


class GroupBehaviour:
    def __init__(self, group: AgentGroup, streams: Streams) -> None:
        def stream(purpose: str) -> str:
            return f"agents.{group.name}.{purpose}"

        handling = group.handling
        self.group = group
        self.response_time = duration(group.reservation.response_time, streams,
                                      stream("response_time"))
        self.rejects = chance(group.reservation.reject_probability, streams, stream("reject"))
        self.needs_research = chance(handling.research.probability, streams, stream("research"))
        self.research_time = duration(handling.research.duration, streams,
                                      stream("research_time"))
        self.resolves = chance(handling.resolve_probability, streams, stream("resolve"))
        self.leaves = chance(handling.leave_probability, streams, stream("leave"))
        compose = duration(handling.compose, streams, stream("compose"))
        wrapup = duration(handling.wrapup, streams, stream("wrapup"))
        self.work_times = (compose, wrapup)  # by kind of work: COMPOSE, WRAPUP
