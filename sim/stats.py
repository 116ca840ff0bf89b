"""Confidence intervals over replications (Student t), and paired differences."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

SUMMARY_COLUMNS = ("kpi", "mean", "ci_low", "ci_high", "n")


def t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, low, high, n) over the finite values; the interval is NaN when n < 2."""
    finite = values[np.isfinite(values)]
    n = len(finite)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(finite.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = float(stats.t.ppf((1 + confidence) / 2, n - 1) * finite.std(ddof=1) / math.sqrt(n))
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


def half_width(low: float, high: float) -> float:
    return (high - low) / 2
