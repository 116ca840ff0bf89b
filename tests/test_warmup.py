"""Warm-up suggestion: MSER-5 (sim.warmup.mser), the trailing cycle average, and `ccsim warmup`.

The statistic is checked on synthetic series with a known answer and on a hand-computed
example; the command on a tiny scenario run in process.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.cycle import WEEK, Cycle, chosen_cycle, scenario_cycle, whole_cycles
from sim.analysis.warmup import BATCH, Warmup, mser, trailing_mean
from sim.domain.durations import DAY, HOUR, parse_duration
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import load_scenario
from tests.invoke import ccsim, no_crash

ROOT = Path(__file__).resolve().parent.parent

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


def warmup_of(truncation: int, cycle: Cycle, horizon: float = 40 * HOUR) -> Warmup:
    statistic = np.array([3.0, 2.0, 1.0, 2.0])
    hours = int(horizon // HOUR)
    return Warmup(np.arange(hours) * HOUR, np.zeros(hours), np.zeros(20), statistic,
                  truncation, 1, cycle, horizon)


def test_mser_truncation_is_the_start_of_the_first_kept_window() -> None:
    found = warmup_of(2, Cycle(0.0, "flat"))
    assert found.settled == found.suggested == 2 * BATCH * HOUR
    assert not found.at_limit
    assert warmup_of(3, Cycle(0.0, "flat")).at_limit
    assert found.suggestion() == "10h (where MSER-5 truncates)"
    assert found.smoothing() == "not averaged over a cycle (none)"


def test_the_suggestion_leaves_whole_cycles_to_measure() -> None:
    found = warmup_of(2, Cycle(WEEK, "weekly"), horizon=28 * DAY)  # settles at 10h
    assert found.settled == 10 * HOUR
    assert found.suggested == 7 * DAY
    assert found.suggestion() == ("7d (MSER-5 truncates at 10h; lengthened so the measured "
                                  "21d are whole 7d cycles)")
    assert found.smoothing() == "averaged over the preceding 7d"


@pytest.mark.parametrize(("settled", "period", "horizon", "expected"), [
    ("2d17h", "7d", "28d", "7d"),
    ("0s", "7d", "28d", "0s"),  # already whole weeks
    ("7d", "7d", "28d", "7d"),
    ("4d9h", "1d", "14d", "5d"),
    ("1d", "7d", "10d", "3d"),  # 10 days: one whole week after 3 days
    ("2d", "7d", "8d", "2d"),  # not one whole week left: as MSER-5 says
    ("5h", "0s", "2d", "5h"),  # nothing repeats
])
def test_whole_cycles(settled: str, period: str, horizon: str, expected: str) -> None:
    cycle = Cycle(parse_duration(period), "")
    suggested = whole_cycles(parse_duration(settled), cycle, parse_duration(horizon))
    assert suggested == parse_duration(expected)
    assert suggested >= parse_duration(settled)


# the scenario's cycle ----------------------------------------------------------------------

def scenario_with(folder: Path, text: str, settings: list[str]) -> Scenario:
    path = folder / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path, settings)


@pytest.mark.parametrize(("settings", "period", "says"), [
    ([], 0.0, "nothing repeats"),
    (["arrivals.weekday_weights=[1, 1, 1, 1, 1, 0.5, 0.5]"], WEEK,
     "arrivals.weekday_weights differ by weekday (0.5 on sat to 1 on mon)"),
    (["agents.general.shift.days=[mon, tue, wed, thu, fri]"], WEEK,
     "agent group general works mon, tue, wed, thu, fri only"),
    ([f"arrivals.hour_weights=[{', '.join(['1'] * 12 + ['2'] * 12)}]"], DAY,
     "arrivals.hour_weights differ by hour"),
    (["agents.general.shift.start=08:00", "agents.general.shift.end=20:00"], DAY,
     "agent group general works 08:00-20:00 only"),
])
def test_the_cycle_comes_from_the_scenario(tmp_path: Path, settings: list[str], period: float,
                                           says: str) -> None:
    cycle = scenario_cycle(scenario_with(tmp_path, TINY.replace("horizon: 2d", "horizon: 10d"),
                                         settings))
    assert cycle.period == period
    assert says in cycle.reason, cycle.reason


def test_a_group_of_no_agents_does_not_make_a_cycle(tmp_path: Path) -> None:
    text = TINY + ("  - {name: weekend, count: 0, skills: [general],\n"
                   "     shift: {days: [sat, sun], start: '09:00', end: '17:00'}}\n")
    assert scenario_cycle(scenario_with(tmp_path, text, [])).period == 0.0


def test_a_week_that_does_not_fit_the_horizon_falls_back_to_a_day(tmp_path: Path) -> None:
    cycle = scenario_cycle(scenario_with(
        tmp_path, TINY, ["arrivals.weekday_weights=[1, 1, 1, 1, 1, 0.5, 0.5]"]))
    assert cycle.period == DAY  # the 2d horizon cannot average a week out
    assert cycle.reason.endswith("but the horizon (2d) is too short to average out 7d")


@pytest.mark.parametrize(("name", "period"), [
    ("baseline", WEEK), ("pause_enabled", WEEK), ("leave_enabled", WEEK),
    ("understaffed_weekends", WEEK), ("multi_skill", WEEK), ("short_reservation_timeout", DAY),
])
def test_the_bundled_scenarios_cycles(name: str, period: float) -> None:
    cycle = scenario_cycle(load_scenario(ROOT / "scenarios" / f"{name}.yaml"))
    assert cycle.period == period, cycle.reason


@pytest.mark.parametrize(("text", "period"), [("none", 0.0), (" None ", 0.0), ("7d", WEEK),
                                              ("1d", DAY), ("90m", 5400.0)])
def test_cycle_option(tmp_path: Path, text: str, period: float) -> None:
    scenario = scenario_with(tmp_path, TINY.replace("horizon: 2d", "horizon: 10d"), [])
    cycle = chosen_cycle(text, scenario)
    assert cycle.period == period
    assert cycle.reason.startswith("given with --cycle")
    assert chosen_cycle(None, scenario) == scenario_cycle(scenario)


# ccsim warmup ------------------------------------------------------------------------------

def test_warmup_command(tiny: Path, tmp_path: Path) -> None:
    figure = tmp_path / "w.png"
    result = ccsim("warmup", tiny, "--out", figure, "-r", "2", "-w", "1")
    no_crash(result)
    assert result.exit_code == 0, result.output
    match = re.search(r"suggested warmup: (\S+)", result.stdout)
    assert match, result.stdout
    assert result.stdout.startswith("cycle: none, because arrivals are the same every hour")
    assert "(where MSER-5 truncates); the scenario says 6h" in result.stdout
    assert "not averaged over a cycle (none)" in result.stdout
    assert f"figure: {figure}" in result.stdout
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert figure.stat().st_size > 10_000


def suggestion(stdout: str, says: str) -> tuple[float, str]:
    """The suggested warm-up `ccsim warmup` printed, and why that long."""
    match = re.search(rf"suggested warmup: (\S+) \((.*)\); the scenario says {says}", stdout)
    assert match, stdout
    return parse_duration(match[1]), match[2]


def test_warmup_finds_a_daily_cycle_and_suggests_whole_days(tmp_path: Path) -> None:
    path = tmp_path / "daily.yaml"
    path.write_text(TINY.replace("horizon: 2d", "horizon: 4d"), encoding="utf-8")
    hours = ", ".join(["1"] * 8 + ["3"] * 10 + ["1"] * 6)
    result = ccsim("warmup", path, "--out", tmp_path / "w.png", "-r", "2", "-w", "1",
                   "--set", f"arrivals.hour_weights=[{hours}]")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("cycle: 1d, because arrivals.hour_weights differ by hour "
                                    "(1 to 3); --cycle overrides it\n"), result.stdout
    suggested, why = suggestion(result.stdout, "6h")
    assert (4 * DAY - suggested) % DAY == 0 or why == "where MSER-5 truncates"
    assert "averaged over the preceding 1d" in result.stdout
    override = ccsim("warmup", path, "--out", tmp_path / "w.png", "-r", "2", "-w", "1",
                     "--cycle", "none")
    assert override.stdout.startswith("cycle: none, as given with --cycle\n"), override.output


def test_warmup_of_the_baseline_uses_its_weekly_cycle(tmp_path: Path) -> None:
    figure = tmp_path / "w.png"
    result = ccsim("warmup", ROOT / "scenarios" / "baseline.yaml", "--out", figure,
                   "-r", "1", "-w", "1")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("cycle: 7d, because arrivals.weekday_weights differ by "
                                    "weekday"), result.stdout
    suggested, why = suggestion(result.stdout, "7d")
    measured = parse_duration("28d") - suggested
    assert measured % WEEK == 0 or why == "where MSER-5 truncates", result.stdout
    assert "averaged over the preceding 7d" in result.stdout
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


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
