"""C1: new conversations as a non-homogeneous Poisson process with a piecewise-constant rate.

The rate is constant within each calendar hour: per_day x weekday weight x the hour's share of
the day (hour weights normalised to sum to 1). Sampling a Poisson count per hour and placing
that many uniform times in it is exact for such a rate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from sim.domain.durations import DAY, HOUR
from sim.domain.scenario import Arrivals


@dataclass(frozen=True)
class HourlyRates:
    """Blocks [begin, end) of constant rate, in seconds since start, and their expected counts."""

    begin: np.ndarray
    end: np.ndarray
    expected: np.ndarray


def hourly_rates(arrivals: Arrivals, start: dt.datetime, horizon: float) -> HourlyRates:
    offset = start.hour * HOUR + start.minute * 60 + start.second + start.microsecond / 1e6
    first = np.floor(offset / HOUR) * HOUR  # the calendar hour containing start
    edges = np.arange(first, offset + horizon + HOUR, HOUR)
    begin = np.clip(edges[:-1], offset, offset + horizon)
    end = np.clip(edges[1:], offset, offset + horizon)
    keep = end > begin
    begin, end, hour_start = begin[keep], end[keep], edges[:-1][keep]
    hour_of_day = (hour_start // HOUR).astype(np.int64) % 24
    weekday = (start.weekday() + (hour_start // DAY).astype(np.int64)) % 7
    hour_share = np.asarray(arrivals.hour_weights) / sum(arrivals.hour_weights)
    day_weight = np.asarray(arrivals.weekday_weights)
    per_second = arrivals.per_day * day_weight[weekday] * hour_share[hour_of_day] / HOUR
    return HourlyRates(begin - offset, end - offset, per_second * (end - begin))


@dataclass(frozen=True)
class ArrivalPlan:
    times: np.ndarray  # seconds since start, sorted
    skills: np.ndarray  # index into the scenario's arrival skills
    priorities: np.ndarray


HOURS_PER_PART = 7 * 24  # a week of arrivals sampled at a time


def arrival_parts(
    arrivals: Arrivals,
    start: dt.datetime,
    horizon: float,
    counts: np.random.Generator,
    offsets: np.random.Generator,
    mix: np.random.Generator,
    priority_mix: np.random.Generator,
    hours: int = HOURS_PER_PART,
) -> Iterator[ArrivalPlan]:
    """The same arrivals, a few days at a time, so a long horizon's plan is never held
    whole. Each stream draws in the same order either way (a Poisson count per hour, then
    one uniform, one skill and one priority per arrival in time order), so the parts
    concatenated are exactly the whole plan."""
    rates = hourly_rates(arrivals, start, horizon)
    shares = np.asarray(list(arrivals.skills.values()), dtype=float)
    values = np.asarray(list(arrivals.priorities), dtype=np.int64)
    weights = np.asarray(list(arrivals.priorities.values()), dtype=float)
    for low in range(0, len(rates.expected), hours):
        span = slice(low, low + hours)
        per_block = counts.poisson(rates.expected[span])
        block = np.repeat(np.arange(len(per_block)), per_block)
        begin, end = rates.begin[span], rates.end[span]
        times = np.sort(begin[block] + offsets.random(len(block)) * (end - begin)[block])
        skills = mix.choice(len(shares), size=len(times), p=shares / shares.sum())
        priorities = priority_mix.choice(values, size=len(times), p=weights / weights.sum())
        yield ArrivalPlan(times, skills, priorities)

