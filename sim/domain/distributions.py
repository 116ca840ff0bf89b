"""Distribution specs of scenario files, and samplers that draw them on a named stream.

Every distribution in a scenario is a duration distribution; parameters are durations.
A plain duration where a distribution is expected means a constant.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import chain
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from sim.domain.durations import format_duration, parse_duration
from sim.domain.numbers import Real

BLOCK = 256  # draws fetched per refill; the stream's sequence does not depend on it


def _duration(value: object) -> float:
    return parse_duration(value)


_AS_TEXT = PlainSerializer(format_duration, return_type=str, when_used="json")
_SCHEMA = WithJsonSchema({"x-duration": True})  # sim.schema writes the real schema
Duration = Annotated[float, BeforeValidator(_duration), _AS_TEXT, _SCHEMA]
PositiveDuration = Annotated[float, BeforeValidator(_duration), Field(gt=0), _AS_TEXT, _SCHEMA]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def expected(self) -> float:
        raise NotImplementedError

    def block(self, rng: np.random.Generator, size: int) -> np.ndarray:
        raise NotImplementedError

    def sampler(self, rng: np.random.Generator) -> Sampler:
        return blocks(lambda size: self.block(rng, size))


class Exponential(_Spec):
    dist: Literal["exponential"]
    mean: PositiveDuration

    def expected(self) -> float:
        return self.mean

    def block(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean, size)


class LogNormal(_Spec):
    dist: Literal["lognormal"]
    median: PositiveDuration
    sigma: Real = Field(ge=0, le=5)

    def expected(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    def block(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median), self.sigma, size)


class Gamma(_Spec):
    dist: Literal["gamma"]
    mean: PositiveDuration
    cv: Real = Field(gt=0, le=10)

    def expected(self) -> float:
        return self.mean

    def block(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = 1 / self.cv**2
        return rng.gamma(shape, self.mean / shape, size)


class Uniform(_Spec):
    dist: Literal["uniform"]
    low: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self

    def expected(self) -> float:
        return (self.low + self.high) / 2

    def block(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


class Constant(_Spec):
    dist: Literal["constant"]
    value: Duration

    def expected(self) -> float:
        return self.value

    def block(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)


class Empirical(_Spec):
    dist: Literal["empirical"]
    values: list[Duration] = Field(min_length=1)

    def expected(self) -> float:
        return sum(self.values) / len(self.values)

    def block(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size)


def _constant_shorthand(value: Any) -> Any:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}
    return value


Distribution = Annotated[
    Exponential | LogNormal | Gamma | Uniform | Constant | Empirical,
    Field(discriminator="dist"),
    BeforeValidator(_constant_shorthand),
]

DISTRIBUTION_NAMES = ("exponential", "lognormal", "gamma", "uniform", "constant", "empirical")


Sampler = Callable[[], float]


def blocks(draw: Callable[[int], np.ndarray]) -> Callable[[], Any]:
    """One value at a time from blocks of BLOCK draws. The callable returned is a C-level
    iterator step, so a draw costs no Python call beyond the refill every BLOCK draws."""
    refills = iter(lambda: draw(BLOCK).tolist(), None)  # a list is never None: endless
    return chain.from_iterable(refills).__next__


def uniforms(rng: np.random.Generator) -> Sampler:
    """U(0, 1) draws, for Bernoulli decisions: `u() < p`."""
    return blocks(rng.random)


def bernoulli(rng: np.random.Generator, probability: float) -> Callable[[], bool]:
    """True with `probability`: the same draws as `uniforms(rng)() < probability`."""
    return blocks(lambda size: rng.random(size) < probability)
