"""Duration distributions fitted by maximum likelihood, with right-censoring and, for replies,
a share that never happens (a cure model): the family of sim.domain.distributions with the
lowest AIC is chosen, and the fit reports n, what was censored and the Kolmogorov-Smirnov
distance between the fitted CDF and the (Kaplan-Meier) empirical one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

from sim.domain.durations import format_duration

Floats = npt.NDArray[np.float64]
FAMILIES = ("exponential", "lognormal", "gamma")
MIN_VALUES = 5  # fewer uncensored values than this fit nothing
TINY = 1e-3  # s: exported times are whole milliseconds; a zero duration is this short


@dataclass(frozen=True)
class Fit:
    family: str
    params: tuple[float, ...]  # exponential (mean), lognormal (median, sigma), gamma (mean, cv)
    n: int  # values seen
    censored: int  # of which only a lower bound was seen
    ks: float
    aic: dict[str, float] = field(default_factory=dict)  # every family tried
    share: float | None = None  # with a cure model: the share that happens at all

    def spec(self) -> dict[str, Any]:
        """The scenario file's mapping for this distribution."""
        p = self.params
        if self.family == "constant":
            return {"dist": "constant", "value": duration_text(p[0])}
        if self.family == "uniform":
            return {"dist": "uniform", "low": duration_text(p[0]), "high": duration_text(p[1])}
        if self.family == "exponential":
            return {"dist": "exponential", "mean": duration_text(p[0])}
        if self.family == "lognormal":
            return {"dist": "lognormal", "median": duration_text(p[0]),
                    "sigma": round(min(p[1], 5.0), 3)}
        return {"dist": "gamma", "mean": duration_text(p[0]), "cv": round(min(p[1], 10.0), 3)}

    def note(self) -> str:
        seen = f"n={self.n}" + (f", {self.censored} censored" if self.censored else "")
        if self.family == "constant":
            return f"constant: every value equal ({seen})"
        ranked = sorted(self.aic.items(), key=lambda item: item[1])
        others = ", ".join(f"{name} {aic - ranked[0][1]:+.0f}" for name, aic in ranked[1:])
        return (f"{self.family} by likelihood ({seen}; KS distance {self.ks:.3f}; AIC vs "
                f"{others or 'no other family'})")

    def median(self) -> float:
        return float(_quantile(self.family, self.params, 0.5))


def duration_text(seconds: float) -> str:
    """A duration rounded for people: whole seconds from a minute up, tenths below."""
    rounded = round(seconds) if seconds >= 60 else round(seconds, 1)
    return format_duration(max(float(rounded), 0.1))


# likelihoods ------------------------------------------------------------------------------

def _params(family: str, theta: Floats) -> tuple[float, ...]:
    return tuple(float(v) for v in np.exp(theta[:2 if family != "exponential" else 1]))


def _logpdf(family: str, p: tuple[float, ...], x: Floats) -> Floats:
    if family == "exponential":
        found = -np.log(p[0]) - x / p[0]
    elif family == "lognormal":
        z = (np.log(x) - math.log(p[0])) / p[1]
        found = -np.log(x * p[1] * math.sqrt(2 * math.pi)) - z * z / 2
    else:
        shape = 1 / p[1] ** 2
        scale = p[0] / shape
        found = ((shape - 1) * np.log(x) - x / scale - special.gammaln(shape)
                 - shape * math.log(scale))
    return np.asarray(found, dtype=float)


def _cdf(family: str, p: tuple[float, ...], x: Floats) -> Floats:
    if family == "exponential":
        found = -np.expm1(-x / p[0])
    elif family == "lognormal":
        found = special.ndtr((np.log(np.maximum(x, TINY)) - math.log(p[0])) / p[1])
    else:
        shape = 1 / p[1] ** 2
        found = special.gammainc(shape, x * shape / p[0])
    return np.asarray(found, dtype=float)


def _quantile(family: str, p: tuple[float, ...], q: float) -> float:
    if family in ("constant",):
        return p[0]
    if family == "uniform":
        return p[0] + q * (p[1] - p[0])
    if family == "exponential":
        return -p[0] * math.log1p(-q)
    if family == "lognormal":
        return p[0] * math.exp(p[1] * float(special.ndtri(q)))
    shape = 1 / p[1] ** 2
    return float(special.gammaincinv(shape, q)) * p[0] / shape


def _loglik(family: str, theta: Floats, x: Floats, c: Floats, cure: bool) -> float:
    p = _params(family, theta)
    if cure:
        share = float(special.expit(theta[-1]))
        lost = 1 - share * _cdf(family, p, c)
        return float(np.sum(_logpdf(family, p, x)) + len(x) * math.log(max(share, 1e-300))
                     + np.sum(np.log(np.maximum(lost, 1e-300))))
    survive = 1 - _cdf(family, p, c)
    return float(np.sum(_logpdf(family, p, x)) + np.sum(np.log(np.maximum(survive, 1e-300))))


def _start(family: str, x: Floats, c: Floats, cure: bool) -> Floats:
    mean = float(np.mean(x)) if len(x) else 1.0
    logs = np.log(x)
    spread = float(np.std(logs)) if len(x) > 1 else 1.0
    first = {"exponential": [math.log(mean)],
             "lognormal": [float(np.median(logs)), math.log(max(spread, 0.05))],
             "gamma": [math.log(mean), math.log(max(float(np.std(x)) / mean, 0.05))]}[family]
    share = len(x) / max(len(x) + len(c), 1)
    return np.array(first + ([float(special.logit(min(max(share, 0.05), 0.95)))]
                             if cure else []), dtype=float)


def _best(family: str, x: Floats, c: Floats, cure: bool) -> tuple[Floats, float]:
    found = optimize.minimize(lambda t: -_loglik(family, t, x, c, cure),
                              _start(family, x, c, cure), method="Nelder-Mead",
                              options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 4000})
    return found.x, -float(found.fun)


# fitting --------------------------------------------------------------------------------------

def fit_durations(values: Floats | list[float], censored: Floats | list[float] | None = None,
                  cure: bool = False) -> Fit | None:
    """The best family for durations `values`, of which `censored` were seen only to exceed
    (with `cure`, a share of the censored ones never happen at all). None when there are
    fewer than MIN_VALUES values."""
    x = np.maximum(np.asarray(values, dtype=float), TINY)
    c = np.maximum(np.asarray([] if censored is None else censored, dtype=float), TINY)
    if len(x) < MIN_VALUES:
        return None
    if not len(c) and not cure and float(x.max() - x.min()) <= 0.002 + 1e-6 * float(x.max()):
        return Fit("constant", (float(np.median(x)),), len(x), 0, 0.0)
    fits = {family: _best(family, x, c, cure) for family in FAMILIES}
    k = {"exponential": 1, "lognormal": 2, "gamma": 2}
    aic = {family: 2 * (k[family] + cure) - 2 * ll for family, (_, ll) in fits.items()}
    if not len(c) and not cure:
        low, high = float(x.min()), float(x.max())
        aic["uniform"] = 4 + 2 * len(x) * math.log(high - low)
    chosen = min(aic, key=lambda name: aic[name])
    if chosen == "uniform":
        params: tuple[float, ...] = (float(x.min()), float(x.max()))
        share = None
    else:
        params = _params(chosen, fits[chosen][0])
        share = float(special.expit(fits[chosen][0][-1])) if cure else None
    return Fit(chosen, params, len(x) + len(c), len(c),
               _ks(chosen, params, x, c, share), aic, share)


def cdf(fit: Fit, x: Floats) -> Floats:
    """The fitted CDF (without the cure share)."""
    if fit.family == "constant":
        return (x >= fit.params[0]).astype(float)
    if fit.family == "uniform":
        low, high = fit.params
        return np.clip((x - low) / (high - low), 0, 1)
    return _cdf(fit.family, fit.params, np.maximum(x, TINY))


def _ks(family: str, p: tuple[float, ...], x: Floats, c: Floats, share: float | None
        ) -> float:
    """Largest gap between the fitted CDF and the Kaplan-Meier estimate at the values."""
    times = np.concatenate([x, c])
    happened = np.concatenate([np.ones(len(x), bool), np.zeros(len(c), bool)])
    order = np.argsort(times, kind="stable")
    times, happened = times[order], happened[order]
    at_risk = len(times) - np.arange(len(times))
    survival = np.cumprod(np.where(happened, 1 - 1 / at_risk, 1.0))
    empirical = 1 - survival
    fit = Fit(family, p, 0, 0, 0.0)
    model = cdf(fit, times) * (1.0 if share is None else share)
    before = np.concatenate([[0.0], empirical[:-1]])
    gaps = np.maximum(np.abs(empirical - model), np.abs(before - model))
    return float(np.max(gaps[happened])) if happened.any() else 0.0
