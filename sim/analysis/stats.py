"""Confidence intervals over replications (Student t), and paired differences."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student t quantiles (scipy.stats costs 60 MB more)

SUMMARY_COLUMNS = ("kpi", "mean", "ci_low", "ci_high", "n")


def t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, low, high, n) over the defined (non-NaN) values; the interval is NaN when
    n < 2. An infinite value (a percentile of response times that was never reached) makes
    the mean infinite: it is not dropped, which would flatter the KPI."""
    finite = values[~np.isnan(values)]
    n = len(finite)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    if np.isinf(finite).any():
        return math.inf, math.inf if np.isinf(finite).all() else math.nan, math.inf, n
    mean = float(finite.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = float(stdtrit(n - 1, (1 + confidence) / 2) * finite.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def summarize(kpis: pd.DataFrame, names: tuple[str, ...], confidence: float = 0.95,
              ranges: Callable[[str], tuple[float, float]] | None = None) -> pd.DataFrame:
    """One row per KPI: mean, CI low, CI high and n over the replications (rows) given.

    With `ranges`, each interval is clipped to the values its KPI can take (a rate's
    interval does not reach below 0)."""
    rows = []
    for name in names:
        mean, low, high, n = t_interval(kpis[name].to_numpy(dtype=float), confidence)
        if ranges is not None and n >= 2:
            floor, ceiling = ranges(name)
            low, high = max(low, floor), min(high, ceiling)
        rows.append((name, mean, low, high, n))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def replications_for(current: int, worst_ratio: float, cap: int, step: int) -> int:
    """Replications to aim for next so that a half-width `worst_ratio` times its target
    shrinks to it (half-widths fall as 1/sqrt(n)): at least `step` more, at most `cap`."""
    if not math.isfinite(worst_ratio):
        return min(cap, current + step)
    wanted = math.ceil(current * worst_ratio**2)
    return min(cap, max(current + step, wanted))


@dataclass(frozen=True)
class Target:
    """A precision goal: each chosen KPI's 95% CI half-width within `value` (relative to the
    KPI's mean when `relative`), adding replications up to `cap`."""

    value: float
    relative: bool
    kpis: tuple[str, ...]
    cap: int

    @classmethod
    def parse(cls, text: str, kpis: tuple[str, ...], cap: int) -> Target:
        """`5%` is relative to the mean; a plain number is in the KPI's own unit."""
        match = re.fullmatch(r"\s*(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)\s*(%?)\s*", text)
        if match is None:
            raise ValueError(f"{text!r} is not a half-width such as 5% or 0.02")
        relative = match[2] == "%"
        value = float(match[1]) / (100 if relative else 1)
        if not value > 0:
            raise ValueError(f"{text!r}: the half-width must be > 0")
        return cls(value, relative, kpis, cap)

    def ratios(self, summary: pd.DataFrame) -> pd.Series:
        """Half-width / target for each summary row of a chosen KPI: 0 when every
        replication gave the same value (the interval has no width, also around a mean of
        0), NaN when there is no interval yet (defined in fewer than 2 replications)."""
        rows = summary[summary["kpi"].isin(self.kpis)]
        half = (rows["ci_high"] - rows["ci_low"]) / 2
        if self.relative:
            half = half.where(half == 0, half / rows["mean"].abs())
        return (half / self.value).replace([np.inf, -np.inf], np.nan)

    def reached(self, summary: pd.DataFrame) -> pd.DataFrame:
        """The summary rows of the chosen KPIs with their `ratio` (see ratios)."""
        return summary[summary["kpi"].isin(self.kpis)].assign(ratio=self.ratios(summary))

    def worst(self, summary: pd.DataFrame) -> float:
        """The largest ratio; inf when a chosen KPI has no interval yet (not met)."""
        ratios = self.ratios(summary)
        return float(ratios.fillna(math.inf).max()) if len(ratios) else math.inf

    def describe(self) -> str:
        width = f"{self.value:.2%} of the mean" if self.relative else f"{self.value:g}"
        return f"95% CI half-width within {width} for {', '.join(self.kpis)}"
