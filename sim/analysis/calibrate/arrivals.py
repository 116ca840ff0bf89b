"""C1 from the observed log: daily volume, weekday and hour-of-day weights, skill and
priority mixes of new conversations (follow-ups and reactivations are the model's own)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analysis.calibrate.rebuild import Observed
from sim.analysis.calibrate.settings import Settings, rows, texts
from sim.domain.durations import DAY, HOUR

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def exposure(first_weekday: int, horizon: float) -> np.ndarray:
    """Hours observed of each (weekday, hour of day) cell in [0, horizon)."""
    cells = np.zeros((7, 24))
    for hour in range(math.ceil(horizon / HOUR)):
        seen = min(1.0, horizon / HOUR - hour)
        day, of_day = divmod(hour, 24)
        cells[(first_weekday + day) % 7, of_day] += seen
    return cells


def counts(times: np.ndarray, first_weekday: int) -> np.ndarray:
    cells = np.zeros((7, 24))
    hours = np.floor(times / HOUR).astype(int)
    np.add.at(cells, ((first_weekday + hours // 24) % 7, hours % 24), 1)
    return cells


def rates(cells: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson rates per (weekday, hour) = a[weekday] x share[hour] (shares summing to 1),
    by maximum likelihood given the hours observed (iterative proportional fitting); `a` is
    the expected count on a whole day of that weekday (NaN where none was observed)."""
    day_total = np.zeros(7)
    share = np.full(24, 1 / 24)
    for _ in range(100):
        exposed = seen @ share
        day_total = np.divide(cells.sum(axis=1), exposed, out=np.full(7, np.nan),
                              where=exposed > 0)
        weight = seen.T @ np.nan_to_num(day_total)
        share = np.divide(cells.sum(axis=0), weight, out=np.zeros(24), where=weight > 0)
        total = share.sum()
        share = share / total if total > 0 else np.full(24, 1 / 24)
    return day_total, share


def fit_arrivals(observed: Observed, settings: Settings) -> None:
    frame = observed.frame
    new = rows(frame, "conversation.created", reason="new")
    first = observed.start.weekday()
    seen = exposure(first, observed.horizon)
    per_weekday, share = rates(counts(new["time"].to_numpy(), first), seen)
    known = ~np.isnan(per_weekday)
    per_day = float(np.mean(per_weekday[known])) if known.any() else 0.0
    days = observed.horizon / DAY
    source = f"from {len(new):,} new conversations over {days:.1f} days"
    settings.fitted(("arrivals", "per_day"), round(per_day, 2),
                    f"{source} (mean over the weekdays seen; follow-ups and reactivations "
                    "excluded, the model makes those)")
    weights = [round(float(w / per_day), 3) if ok and per_day > 0 else 1.0
               for w, ok in zip(per_weekday, known, strict=True)]
    missing = [WEEKDAYS[i] for i in range(7) if not known[i]]
    settings.fitted(("arrivals", "weekday_weights"), weights,
                    "mon..sun, mean 1 over the weekdays seen (Poisson likelihood given the "
                    "hours observed)" + (f"; not seen, left at 1: {', '.join(missing)}"
                                         if missing else ""))
    hours = [round(float(s) * 24, 3) for s in share]
    if sum(hours) <= 0:
        hours = [1.0] * 24
    settings.fitted(("arrivals", "hour_weights"), hours,
                    f"00..23 h, mean 1 (the same profile every day), {source}")
    _mixes(new, settings, source)


def _mixes(new: pd.DataFrame, settings: Settings, source: str) -> None:
    skills = texts(new["skill"])
    settings.fitted(("arrivals", "skills"), shares(list(skills)),
                    f"share by queue (the task's skill), {source}")
    priorities = new["priority"].fillna(0).astype(int).tolist()
    settings.fitted(("arrivals", "priorities"), shares(priorities),
                    f"share by task priority, {source}")


def shares(values: Sequence[object]) -> dict[object, float]:
    """Shares rounded to 4 places that still sum to 1 (the largest takes the remainder)."""
    if not values:
        return {}
    found, number = np.unique(np.array(values, dtype=object), return_counts=True)
    out = {item: round(float(n) / len(values), 4) for item, n in zip(found, number,
                                                                     strict=True)}
    largest = max(out, key=lambda key: out[key])
    out[largest] = round(1 - sum(v for k, v in out.items() if k != largest), 4)
    return {(int(k) if isinstance(k, np.integer) else k): v for k, v in out.items()}
