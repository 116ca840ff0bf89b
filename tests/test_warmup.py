"""Warm-up suggestion: MSER-5 (sim.warmup.mser), the trailing cycle average, and `ccsim warmup`.

The statistic is checked on synthetic series with a known answer and on a hand-computed
example; the command on a tiny scenario run in process.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.warmup import BATCH, Warmup, mser, trailing_mean
from sim.domain.durations import HOUR
from tests.invoke import ccsim, no_crash

TINY = """\
name: tiny_warmup
seed: 3
horizon: 2d
warmup: 6h
replications: 2
arrivals:
  per_day: 80
  skills: {general: 1.0}
agents:
  - name: general
    count: 3
    capacity: 2
    skills: [general]
"""




@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


# mser --------------------------------------------------------------------------------------

def test_mser_statistic_by_hand() -> None:
    # Batches of five: means 0, 10, 10, 4; the last three values do not fill a batch and are
    # ignored. MSER(d) = sum over kept batches of (Y_i - mean)^2 / (n - d)^2, n = 4 batches,
    # for d = 0 .. n // 2:
    #   d=0: mean 6, (36 + 16 + 16 + 4) / 16 = 4.5
    #   d=1: mean 8, (4 + 4 + 16) / 9 = 24 / 9
    #   d=2: mean 7, (9 + 9) / 4 = 4.5
    series = np.array([0.0] * 5 + [8, 9, 10, 11, 12] + [10.0] * 5 + [4.0] * 5 + [99, 99, 99])
    np.testing.assert_allclose(mser(series), [4.5, 24 / 9, 4.5])
    assert int(np.argmin(mser(series))) == 1


def test_mser_batch_size_is_a_parameter() -> None:
    # batch 1: the series itself; n = 4, d = 0..2
    series = np.array([1.0, 3.0, 3.0, 3.0])
    np.testing.assert_allclose(mser(series, batch=1), [3 / 16, 0.0, 0.0])


def test_mser_truncates_after_an_initial_transient() -> None:
    rng = np.random.default_rng(20260101)
    transient = np.linspace(100, 10, 50)  # 10 batches
    series = np.concatenate([transient, 10 + rng.normal(0, 1, 400)])
    statistic = mser(series)
    assert len(statistic) == len(series) // BATCH // 2 + 1
    truncation = int(np.argmin(statistic))
    assert len(transient) // BATCH - 1 <= truncation <= len(transient) // BATCH + 2, truncation


def test_mser_keeps_a_stationary_series() -> None:
    rng = np.random.default_rng(20260101)
    series = 10 + rng.normal(0, 1, 450)
    truncation = int(np.argmin(mser(series)))
    assert truncation <= 2, truncation


def test_mser_of_a_constant_series_is_zero() -> None:
    np.testing.assert_array_equal(mser(np.full(50, 7.0)), np.zeros(6))


# trailing mean -----------------------------------------------------------------------------

def test_trailing_mean_by_hand() -> None:
    series = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    np.testing.assert_allclose(trailing_mean(series, 2), [1.5, 2.5, 3.5, 5.0])
    np.testing.assert_allclose(trailing_mean(series, 3), [2.0, 3.0, 13 / 3])
    np.testing.assert_allclose(trailing_mean(series, 1), series)
    np.testing.assert_allclose(trailing_mean(series, 5), [3.2])


def test_trailing_mean_removes_a_cycle() -> None:
    hours = np.arange(24 * 6)
    daily = 5 + 3 * np.sin(2 * np.pi * hours / 24)
    np.testing.assert_allclose(trailing_mean(daily, 24), 5.0, atol=1e-9)


def test_suggested_warmup_is_the_start_of_the_first_kept_window() -> None:
    statistic = np.array([3.0, 2.0, 1.0, 2.0])
    found = Warmup(np.arange(40.0) * HOUR, np.zeros(40), np.zeros(20), statistic, 2, 1, 24 * HOUR)
    assert found.suggested == 2 * BATCH * HOUR
    assert not found.at_limit
    at_limit = Warmup(found.times, found.backlog, found.smoothed, statistic, 3, 1, 24 * HOUR)
    assert at_limit.at_limit


# ccsim warmup ------------------------------------------------------------------------------

def test_warmup_command(tiny: Path, tmp_path: Path) -> None:
    figure = tmp_path / "w.png"
    result = ccsim("warmup", tiny, "--out", figure, "-r", "2", "-w", "1")
    no_crash(result)
    assert result.exit_code == 0, result.output
    match = re.search(r"suggested warmup: (\S+)", result.stdout)
    assert match, result.stdout
    assert f"figure: {figure}" in result.stdout
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert figure.stat().st_size > 10_000


@pytest.mark.parametrize("cycle", ["0s", "30m", "3d", "2d", "1d15h", "soon"])
def test_warmup_refuses_a_bad_cycle(tiny: Path, tmp_path: Path, cycle: str) -> None:
    # under an hour, longer than the 2d horizon, or leaving under 10 hours after it
    figure = tmp_path / "w.png"
    result = ccsim("warmup", tiny, "--out", figure, "-r", "2", "-w", "1", "--cycle", cycle)
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert "--cycle" in result.stderr
    assert not figure.exists()


def test_warmup_cycle_of_minutes_near_the_horizon(tmp_path: Path) -> None:
    path = tmp_path / "short.yaml"
    path.write_text(TINY.replace("horizon: 2d", "horizon: 24h45m").replace("warmup: 6h",
                                                                           "warmup: 1h"))
    result = ccsim("warmup", path, "--out", tmp_path / "w.png", "-r", "1", "-w", "1",
                   "--cycle", "14h31m")
    no_crash(result)
    assert result.exit_code in (0, 2), result.output


def test_warmup_refuses_zero_replications(tiny: Path, tmp_path: Path) -> None:
    result = ccsim("warmup", tiny, "--out", tmp_path / "w.png", "-r", "0", "-w", "1")
    no_crash(result)
    assert result.exit_code == 2, result.output


def test_warmup_refuses_negative_replications(tiny: Path, tmp_path: Path) -> None:
    result = ccsim("warmup", tiny, "--out", tmp_path / "w.png", "-r", "-1", "-w", "1")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert "--replications" in result.stderr
