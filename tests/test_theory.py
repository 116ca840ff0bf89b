"""Closed forms of sim.theory against textbook values, exact references and Monte Carlo."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from sim.analysis.theory import (
    Check,
    erlang_a_abandonment,
    erlang_b,
    erlang_c,
    mean_wait,
    offered_load,
    pause_expiry_probability,
    reactivation_delay_mean,
    reactivation_probability,
    reassignments_per_task_geometric,
    reservation_timeout_probability,
    response_level,
    service_level,
    wait_quantile,
)

DRAWS = 200_000
SIGMAS = 5.0  # Monte Carlo tolerance in standard errors


def exact_erlang_b(servers: int, load: Fraction) -> Fraction:
    """Erlang B from the factorial formula, in exact rational arithmetic."""
    terms = [load**k / math.factorial(k) for k in range(servers + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(servers: int, load: Fraction) -> Fraction:
    """Erlang C from the factorial formula, in exact rational arithmetic."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom


def binomial_tolerance(p: float, n: int) -> float:
    return SIGMAS * math.sqrt(p * (1.0 - p) / n)


# --- Erlang B / C -------------------------------------------------------------------------


def test_offered_load() -> None:
    assert offered_load(0.5, 4.0) == 2.0


@pytest.mark.parametrize("load", [0.1, 1.0, 3.7])
def test_erlang_b_one_server(load: float) -> None:
    assert erlang_b(1, load) == pytest.approx(load / (1.0 + load), rel=1e-12)


def test_erlang_b_zero_servers_blocks_everything() -> None:
    assert erlang_b(0, 2.5) == 1.0


@pytest.mark.parametrize(("servers", "load"), [(2, 1), (5, 3), (10, 8), (30, 25), (50, 70)])
def test_erlang_b_matches_factorial_formula(servers: int, load: int) -> None:
    reference = float(exact_erlang_b(servers, Fraction(load)))
    assert erlang_b(servers, float(load)) == pytest.approx(reference, rel=1e-12)


def test_erlang_c_two_servers_one_erlang_is_one_third() -> None:
    assert erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0, rel=1e-14)


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.9, 0.99])
def test_mm1(rho: float) -> None:
    mean_service = 10.0
    lam = rho / mean_service
    mu = 1.0 / mean_service
    assert erlang_c(1, rho) == pytest.approx(rho, rel=1e-12)
    assert mean_wait(1, lam, mean_service) == pytest.approx(rho / (mu - lam), rel=1e-12)


def test_erlang_c_published_value_ten_servers_eight_erlangs() -> None:
    reference = float(exact_erlang_c(10, Fraction(8)))
    assert reference == pytest.approx(0.4092, abs=5e-5)  # the published table value
    assert erlang_c(10, 8.0) == pytest.approx(reference, rel=1e-12)


@pytest.mark.parametrize(
    ("servers", "load"), [(3, Fraction(5, 2)), (20, Fraction(37, 2)), (100, Fraction(95))]
)
def test_erlang_c_and_mean_wait_match_factorial_formula(servers: int, load: Fraction) -> None:
    mean_service = 240.0
    lam = float(load) / mean_service
    c_ref = exact_erlang_c(servers, load)
    assert erlang_c(servers, float(load)) == pytest.approx(float(c_ref), rel=1e-12)
    wq_ref = float(c_ref) / (servers / mean_service - lam)
    assert mean_wait(servers, lam, mean_service) == pytest.approx(wq_ref, rel=1e-10)


def test_large_number_of_servers_is_finite() -> None:
    b = erlang_b(2000, 1900.0)
    c = erlang_c(2000, 1900.0)
    assert math.isfinite(b) and 0.0 <= b <= 1.0
    assert math.isfinite(c) and 0.0 <= c <= 1.0
    assert c >= b  # waiting is at least as likely as blocking
    wq = mean_wait(2000, 1900.0 / 300.0, 300.0)
    assert math.isfinite(wq) and wq >= 0.0
    assert 0.0 <= service_level(2000, 1900.0 / 300.0, 300.0, 20.0) <= 1.0


@pytest.mark.parametrize(("servers", "load"), [(1, 1.0), (5, 5.0), (5, 7.5)])
def test_unstable_load_raises(servers: int, load: float) -> None:
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(servers, load)
    with pytest.raises(ValueError):
        mean_wait(servers, load / 60.0, 60.0)


def test_service_level_at_zero_is_one_minus_c() -> None:
    lam, mean_service = 8.0 / 300.0, 300.0
    assert service_level(10, lam, mean_service, 0.0) == pytest.approx(1.0 - erlang_c(10, 8.0))


def test_service_level_increases_to_one() -> None:
    lam, mean_service = 8.0 / 300.0, 300.0
    levels = [service_level(10, lam, mean_service, t) for t in (0.0, 10.0, 60.0, 600.0, 1e5)]
    assert levels == sorted(levels)
    assert levels[-1] == pytest.approx(1.0)


@pytest.mark.parametrize("q", [0.7, 0.8, 0.9, 0.95, 0.99])
def test_wait_quantile_inverts_service_level(q: float) -> None:
    lam, mean_service = 8.0 / 300.0, 300.0
    t = wait_quantile(10, lam, mean_service, q)
    assert t > 0.0
    assert service_level(10, lam, mean_service, t) == pytest.approx(q, rel=1e-12)
    assert service_level(10, lam, mean_service, t * (1 - 1e-6)) < q


def test_wait_quantile_is_zero_when_enough_arrivals_do_not_wait() -> None:
    lam, mean_service = 8.0 / 300.0, 300.0
    c = erlang_c(10, 8.0)
    assert wait_quantile(10, lam, mean_service, 1.0 - c - 1e-9) == 0.0
    assert wait_quantile(10, lam, mean_service, 1.0 - c) == pytest.approx(0.0, abs=1e-9)
    assert wait_quantile(10, lam, mean_service, 0.5) == 0.0
    with pytest.raises(ValueError):
        wait_quantile(10, lam, mean_service, 1.0)


# --- lifecycle closed forms ---------------------------------------------------------------


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


def test_reservation_timeout_probability_monte_carlo(rng: np.random.Generator) -> None:
    mean_response, timeout = 45.0, 60.0
    theory = reservation_timeout_probability(mean_response, timeout)
    estimate = float(np.mean(rng.exponential(mean_response, DRAWS) >= timeout))
    assert abs(estimate - theory) <= binomial_tolerance(theory, DRAWS)


def test_pause_expiry_probability_monte_carlo(rng: np.random.Generator) -> None:
    mean_research, expiry = 3600.0, 2 * 3600.0
    theory = pause_expiry_probability(mean_research, expiry)
    estimate = float(np.mean(rng.exponential(mean_research, DRAWS) >= expiry))
    assert abs(estimate - theory) <= binomial_tolerance(theory, DRAWS)


def test_reactivation_probability_monte_carlo(rng: np.random.Generator) -> None:
    p, mean_delay, window = 0.3, 86_400.0, 2 * 86_400.0
    theory = reactivation_probability(p, mean_delay, window)
    replies = rng.random(DRAWS) < p
    delays = rng.exponential(mean_delay, DRAWS)
    estimate = float(np.mean(replies & (delays <= window)))
    assert abs(estimate - theory) <= binomial_tolerance(theory, DRAWS)


def test_reactivation_delay_mean_monte_carlo(rng: np.random.Generator) -> None:
    mean_delay, window = 86_400.0, 43_200.0
    theory = reactivation_delay_mean(mean_delay, window)
    delays = rng.exponential(mean_delay, DRAWS)
    inside = delays[delays <= window]
    standard_error = float(np.std(inside, ddof=1)) / math.sqrt(inside.size)
    assert abs(float(np.mean(inside)) - theory) <= SIGMAS * standard_error
    assert 0.0 < theory < window / 2  # exponential density decreases, so below the midpoint


@pytest.mark.parametrize("p_decline", [0.1, 0.4, 0.8])
def test_reassignments_geometric_monte_carlo(rng: np.random.Generator, p_decline: float) -> None:
    theory = reassignments_per_task_geometric(p_decline)
    declines = rng.geometric(1.0 - p_decline, DRAWS) - 1  # failures before the first success
    standard_error = math.sqrt(p_decline) / (1.0 - p_decline) / math.sqrt(DRAWS)
    assert abs(float(np.mean(declines)) - theory) <= SIGMAS * standard_error


def test_lifecycle_edge_cases() -> None:
    assert reservation_timeout_probability(30.0, 0.0) == 1.0
    assert pause_expiry_probability(30.0, 0.0) == 1.0
    assert reservation_timeout_probability(30.0, 1e9) == 0.0
    assert reactivation_probability(0.5, 100.0, 0.0) == 0.0
    assert reactivation_probability(0.0, 100.0, 1e9) == 0.0
    assert reactivation_probability(0.5, 100.0, 1e9) == pytest.approx(0.5)
    assert reactivation_delay_mean(100.0, 0.0) == 0.0
    assert reactivation_delay_mean(100.0, 1e-6) == pytest.approx(0.5e-6, rel=1e-3)
    assert reactivation_delay_mean(100.0, 1e9) == pytest.approx(100.0)
    assert reassignments_per_task_geometric(0.0) == 0.0
    assert reassignments_per_task_geometric(0.5) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        reassignments_per_task_geometric(1.0)
    with pytest.raises(ValueError):
        reservation_timeout_probability(0.0, 10.0)
    with pytest.raises(ValueError):
        reactivation_probability(1.5, 100.0, 10.0)


# --- Check --------------------------------------------------------------------------------


def test_check_passed() -> None:
    assert Check("wq", theory=1.0, estimate=1.1, low=0.9, high=1.2).passed
    assert Check("edge", theory=0.9, estimate=1.0, low=0.9, high=0.9).passed
    assert not Check("wq", theory=1.3, estimate=1.1, low=0.9, high=1.2).passed
    assert not Check("wq", theory=0.8, estimate=1.1, low=0.9, high=1.2).passed


def test_check_is_frozen() -> None:
    check = Check("wq", theory=1.0, estimate=1.0, low=0.0, high=2.0)
    with pytest.raises(AttributeError):
        check.theory = 3.0  # type: ignore[misc]


# --- time to a reply after the wait; Erlang A -----------------------------------------------


def test_response_level_without_a_part_before_the_reply_is_the_service_level() -> None:
    assert response_level(6, 4 / 60, 60.0, 20.0, 0.0) == service_level(6, 4 / 60, 60.0, 20.0)


@pytest.mark.parametrize("before", [60.0, 30.0, 90.0, 60.0 / (6 - 4) * 1.0000000001])
def test_response_level_against_monte_carlo(before: float) -> None:
    # W: 0 with probability 1 - C, else Exp(c mu - lam); X: Exp(before), independent.
    servers, lam, mean, threshold = 6, 4 / 60, 60.0, 120.0
    rng = np.random.default_rng(12)
    waits = np.where(rng.random(DRAWS) < erlang_c(servers, lam * mean),
                     rng.exponential(1 / (servers / mean - lam), DRAWS), 0.0)
    share = float(np.mean(waits + rng.exponential(before, DRAWS) <= threshold))
    expected = response_level(servers, lam, mean, threshold, before)
    assert abs(share - expected) < binomial_tolerance(expected, DRAWS)


def test_response_level_is_continuous_where_the_two_rates_meet() -> None:
    # theta = c mu - lam = 1/30 s: the closed form switches to its equal-rates branch there.
    at = response_level(6, 4 / 60, 60.0, 100.0, 30.0)
    near = response_level(6, 4 / 60, 60.0, 100.0, 30.0 * (1 + 1e-6))
    assert at == pytest.approx(near, abs=1e-6)


def balance_abandonment(servers: int, lam: float, mu: float, gamma: float,
                        states: int) -> float:
    """Erlang A by solving the truncated chain's balance equations with linear algebra."""
    generator = np.zeros((states, states))
    for n in range(states):
        if n + 1 < states:
            generator[n, n + 1] = lam
        if n > 0:
            generator[n, n - 1] = min(n, servers) * mu + max(n - servers, 0) * gamma
        generator[n, n] = -generator[n].sum()
    system = np.vstack([generator.T, np.ones(states)])
    pi = np.linalg.lstsq(system, np.r_[np.zeros(states), 1.0], rcond=None)[0]
    queue = np.maximum(np.arange(states) - servers, 0)
    return float(gamma * (pi * queue).sum() / lam)


@pytest.mark.parametrize(("servers", "lam", "patience"), [
    (3, 4 / 60, 600.0), (6, 4 / 60, 120.0), (1, 1 / 60, 30.0), (5, 4 / 60, 3600.0)])
def test_erlang_a_against_the_balance_equations(servers: int, lam: float,
                                                patience: float) -> None:
    expected = balance_abandonment(servers, lam, 1 / 60, 1 / patience, 400)
    assert erlang_a_abandonment(servers, lam, 60.0, patience) == pytest.approx(
        expected, rel=1e-6, abs=1e-12)


def test_erlang_a_overloaded_with_long_patience_loses_the_excess() -> None:
    # Flow balance: served at most c mu, so the share lost tends to 1 - c / a.
    assert erlang_a_abandonment(50, 1.0, 60.0, 86400.0) == pytest.approx(1 - 50 / 60, rel=1e-3)
