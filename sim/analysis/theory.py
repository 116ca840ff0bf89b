"""Closed-form results the simulator is validated against.

Erlang C for an M/M/c queue (and the time to a reply that follows the wait), Erlang A for
one whose customers give up, and the exponential closed forms of the task lifecycle
(reservation timeouts, pause expiry, reactivation, reassignment).  Pure functions of
floats; times are in seconds, rates are per second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def _check_servers(servers: int) -> None:
    if servers < 1:
        raise ValueError(f"servers must be >= 1, got {servers}")


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


def offered_load(lam: float, mean_service: float) -> float:
    """Offered load in Erlangs: a = lam * E[S]."""
    if lam < 0 or mean_service < 0:
        raise ValueError("lam and mean_service must be >= 0")
    return lam * mean_service


def erlang_b(servers: int, load: float) -> float:
    """Erlang B blocking probability by the stable recursion.

    B(0) = 1, B(k) = a*B(k-1) / (k + a*B(k-1)).
    """
    if servers < 0:
        raise ValueError(f"servers must be >= 0, got {servers}")
    if load < 0:
        raise ValueError(f"load must be >= 0, got {load}")
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(servers: int, load: float) -> float:
    """Erlang C probability that an arrival waits: C = c*B / (c - a*(1 - B)).

    B is Erlang B with c servers and load a; requires a < c (stability).
    """
    _check_servers(servers)
    if load >= servers:
        raise ValueError(f"unstable queue: load {load} >= servers {servers}")
    b = erlang_b(servers, load)
    return servers * b / (servers - load * (1.0 - b))


def _decay_rate(servers: int, lam: float, mean_service: float) -> float:
    """Rate of the conditional waiting time tail: c*mu - lam, mu = 1/E[S]."""
    _check_positive("mean_service", mean_service)
    return servers / mean_service - lam


def mean_wait(servers: int, lam: float, mean_service: float) -> float:
    """Mean queueing delay of M/M/c: Wq = C / (c*mu - lam)."""
    c_prob = erlang_c(servers, offered_load(lam, mean_service))
    return c_prob / _decay_rate(servers, lam, mean_service)


def service_level(servers: int, lam: float, mean_service: float, threshold: float) -> float:
    """P(W <= t) = 1 - C * exp(-(c*mu - lam) * t) for t >= 0."""
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    c_prob = erlang_c(servers, offered_load(lam, mean_service))
    return 1.0 - c_prob * math.exp(-_decay_rate(servers, lam, mean_service) * threshold)


def response_level(servers: int, lam: float, mean_service: float, threshold: float,
                   mean_before_reply: float) -> float:
    """P(W + X <= t): the M/M/c queueing delay W followed by an exponential X of mean m (the
    part of the service before the reply; independent of W under FCFS). With m = 0 it is
    service_level; with m = E[S] it is the time in system.

    W is 0 with probability 1 - C, else Exp(theta), theta = c*mu - lam, so
    P(W + X > t) = (1 - C) e^(-t/m) + C P(Exp(theta) + Exp(1/m) > t)."""
    if threshold < 0 or mean_before_reply < 0:
        raise ValueError("threshold and mean_before_reply must be >= 0")
    if mean_before_reply == 0:
        return service_level(servers, lam, mean_service, threshold)
    c_prob = erlang_c(servers, offered_load(lam, mean_service))
    theta, nu, t = _decay_rate(servers, lam, mean_service), 1 / mean_before_reply, threshold
    if math.isclose(theta, nu, rel_tol=1e-9):
        both = (1 + theta * t) * math.exp(-theta * t)
    else:
        both = (nu * math.exp(-theta * t) - theta * math.exp(-nu * t)) / (nu - theta)
    return 1.0 - ((1 - c_prob) * math.exp(-nu * t) + c_prob * both)


def erlang_a_abandonment(servers: int, lam: float, mean_service: float,
                         mean_patience: float) -> float:
    """Share of arrivals that give up waiting in M/M/c+M (Erlang A): patience Exp(mean p).

    The number in system is a birth-death chain (births lam, deaths min(n, c) mu +
    max(n - c, 0) / p); a waiting customer gives up at rate 1/p, so the share is
    E[queue] / (p lam). Stable for any load; summed in logs, since an overloaded queue's
    probabilities span more than a float's range."""
    _check_servers(servers)
    _check_positive("mean_service", mean_service)
    _check_positive("mean_patience", mean_patience)
    if lam <= 0:
        return 0.0
    logs, queue = _erlang_a_logs(servers, lam, 1 / mean_service, 1 / mean_patience)
    peak = max(logs)
    total = sum(math.exp(v - peak) for v in logs)
    waiting = sum(k * math.exp(v - peak) for k, v in zip(queue, logs, strict=True))
    return waiting / total / (mean_patience * lam)


def _erlang_a_logs(servers: int, lam: float, mu: float, gamma: float
                   ) -> tuple[list[float], list[int]]:
    """Log-probabilities (unnormalised) of n = 0, 1, ... in system and the queue length at
    each, up to where the tail no longer counts."""
    logs, queue, log_p, peak = [0.0], [0], 0.0, 0.0
    n = 0
    while True:
        n += 1
        log_p += math.log(lam / (min(n, servers) * mu + max(n - servers, 0) * gamma))
        logs.append(log_p)
        queue.append(max(n - servers, 0))
        peak = max(peak, log_p)
        if n > servers and lam < servers * mu + (n - servers) * gamma and log_p < peak - 50:
            return logs, queue


def wait_quantile(servers: int, lam: float, mean_service: float, q: float) -> float:
    """Smallest t with P(W <= t) >= q: t = ln(C / (1 - q)) / (c*mu - lam), or 0 if C <= 1 - q.

    q must be in [0, 1) (the 1-quantile is infinite).
    """
    if not 0.0 <= q < 1.0:
        raise ValueError(f"q must be in [0, 1), got {q}")
    c_prob = erlang_c(servers, offered_load(lam, mean_service))
    if c_prob <= 1.0 - q:
        return 0.0
    return math.log(c_prob / (1.0 - q)) / _decay_rate(servers, lam, mean_service)


def reservation_timeout_probability(mean_response: float, timeout: float) -> float:
    """P(R >= T) = exp(-T/m) for response time R ~ Exp(mean m), timeout T."""
    _check_positive("mean_response", mean_response)
    return math.exp(-max(timeout, 0.0) / mean_response)


def pause_expiry_probability(mean_research: float, expiry: float) -> float:
    """P(research time >= E) = exp(-E/m) for research time ~ Exp(mean m), expiry E."""
    _check_positive("mean_research", mean_research)
    return math.exp(-max(expiry, 0.0) / mean_research)


def reactivation_probability(reply_probability: float, mean_delay: float, window: float) -> float:
    """P(reply within window w) = p * (1 - exp(-w/m)) for delay ~ Exp(mean m)."""
    _check_probability("reply_probability", reply_probability)
    _check_positive("mean_delay", mean_delay)
    return reply_probability * -math.expm1(-max(window, 0.0) / mean_delay)


def reactivation_delay_mean(mean_delay: float, window: float) -> float:
    """E[D | D <= w] = m - w*exp(-w/m) / (1 - exp(-w/m)) for D ~ Exp(mean m); 0 when w = 0."""
    _check_positive("mean_delay", mean_delay)
    if window <= 0:
        return 0.0
    x = window / mean_delay
    return mean_delay - window * math.exp(-x) / -math.expm1(-x)


def reassignments_per_task_geometric(p_decline: float) -> float:
    """Expected declined offers before acceptance, each declined w.p. p: p / (1 - p)."""
    if not 0.0 <= p_decline < 1.0:
        raise ValueError(f"p_decline must be in [0, 1), got {p_decline}")
    return p_decline / (1.0 - p_decline)


@dataclass(frozen=True)
class Check:
    """A theoretical value against a simulated estimate and its confidence interval."""

    name: str
    theory: float
    estimate: float
    low: float
    high: float

    @property
    def passed(self) -> bool:
        """True when the theoretical value lies inside [low, high]."""
        return self.low <= self.theory <= self.high
