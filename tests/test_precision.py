"""Precision goals that guide: a goal names its KPIs, one the scenario cannot estimate is
refused before anything runs (with the reason), a sweep applies it where it can, the report
says what was not met and why, and `--kpi` alone narrows the tables of `run`."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.stats import Target
from sim.analysis.undefined import cannot_estimate, why_undefined
from sim.cli.tables import report_target
from sim.domain.scenario_file import load_scenario
from tests.invoke import ccsim, no_crash

RESEARCH = """\
name: research
seed: 3
horizon: 3d
warmup: 6h
replications: 2
flex: {pause: {enabled: true, expiry: 1d}}
arrivals: {per_day: 60, skills: {general: 1.0}}
agents:
  - {name: general, count: 3, capacity: 2, skills: [general],
     handling: {research: {probability: 0.3, duration: {dist: exponential, mean: 2h}}}}
"""

ROOT = Path(__file__).resolve().parent.parent
TOGGLE = """\
name: toggle
base: research.yaml
replications: 2
grid:
  flex.pause.enabled: [false, true]
kpis: [pause_expiry_rate]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def research(tmp_path: Path) -> Path:
    return write(tmp_path, "research.yaml", RESEARCH)


QUICK = ("-w", "1", "-q", "--no-events", "--no-figures")


# refused before running ------------------------------------------------------------------

def test_a_goal_on_a_kpi_the_scenario_cannot_estimate_is_refused(research: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = ccsim("run", research, "--out", out, *QUICK, "--set", "flex.pause.enabled=false",
                   "--target-halfwidth", "5%", "--kpi", "pause_expiry_rate",
                   "--kpi", "service_level")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert result.stderr == ("--kpi pause_expiry_rate: no precision goal possible, this "
                             "scenario cannot estimate it: Pause is off "
                             "(flex.pause.enabled: false)\n")
    assert not out.exists()


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_goal_without_a_kpi_asks_for_one(research: Path, tmp_path: Path,
                                           command: str) -> None:
    source = research if command == "run" else write(
        tmp_path, "toggle.yaml", TOGGLE.replace("kpis: [pause_expiry_rate]\n", ""))
    out = tmp_path / "out"
    result = ccsim(command, source, "--out", out, *QUICK, "--target-halfwidth", "5%")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("--target-halfwidth 5%: which KPI? Name it with --kpi")
    assert ("under kpis: in the sweep file" in result.stderr) == (command == "sweep")
    assert not out.exists()


def test_a_sweep_refuses_a_goal_no_point_can_estimate(research: Path, tmp_path: Path) -> None:
    sweep = write(tmp_path, "toggle.yaml", TOGGLE.replace("[false, true]", "[false]")
                  .replace("flex.pause.enabled", "flex.leave.enabled"))
    out = tmp_path / "out"
    result = ccsim("sweep", sweep, "--out", out, *QUICK, "--target-halfwidth", "50%",
                   "--kpi", "reactivation_rate")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert "--kpi reactivation_rate: no precision goal possible, no point of the sweep" \
           in result.stderr and "Leave is off" in result.stderr
    assert not out.exists()


# applied where it can be -----------------------------------------------------------------

def test_a_sweep_goal_skips_the_points_that_cannot_estimate_it(tmp_path: Path,
                                                               research: Path) -> None:
    sweep = write(tmp_path, "toggle.yaml", TOGGLE)
    result = ccsim("sweep", sweep, "--out", tmp_path / "out", *QUICK,
                   "--target-halfwidth", "0.2", "--max-replications", "6")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert ("--kpi pause_expiry_rate: points 0 cannot estimate it (Pause is off "
            "(flex.pause.enabled: false)); the precision goal applies to the others"
            in result.stderr)
    assert "precision goal: 95% CI half-width within 0.2 for pause_expiry_rate" \
           in result.stderr  # from the sweep file's kpis:, said before running
    match = re.search(r"precision goal \(.*pause_expiry_rate\): (met|NOT met) with (\d+)",
                      result.stdout)
    assert match, result.stdout
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    row = summary[(summary["kpi"] == "pause_expiry_rate") & (summary["point"] == 1)].iloc[0]
    assert row["n"] >= 2
    assert (match[1] == "met") == ((row["ci_high"] - row["ci_low"]) / 2 <= 0.2)


# --kpi alone narrows run's tables --------------------------------------------------------

def test_kpi_alone_narrows_the_run_table(research: Path, tmp_path: Path) -> None:
    result = ccsim("run", research, "--out", tmp_path / "out", "-w", "1", "--no-events",
                   "--no-figures", "--kpi", "service_level", "--kpi", "pauses")
    no_crash(result)
    assert result.exit_code == 0, result.output
    shown = {name for name in KPI_NAMES if re.search(rf"│ {name}\s+│", result.stdout)}
    assert shown == {"service_level", "pauses"}
    assert len(pd.read_csv(tmp_path / "out" / "summary.csv")) == len(KPI_NAMES)  # files: all


# the report --------------------------------------------------------------------------------

def test_the_report_names_the_widest_and_the_kpis_without_an_interval(
        capsys: pytest.CaptureFixture[str]) -> None:
    target = Target.parse("10%", ("service_level", "pause_expiry_rate", "pauses"), 8)
    summary = pd.DataFrame({"kpi": ["service_level", "pause_expiry_rate", "pauses"],
                            "mean": [0.5, 0.2, 10.0], "ci_low": [0.35, float("nan"), 9.5],
                            "ci_high": [0.65, float("nan"), 10.5], "n": [8, 1, 8]})
    report_target(target, target.reached(summary), 8)
    line = capsys.readouterr().out
    assert "NOT met with 8 replications (cap 8)" in line
    assert "widest is service_level at 3.00x the target" in line
    assert "no interval for pause_expiry_rate (defined in fewer than 2 replications)" in line
    assert "inf" not in line


# which KPIs a scenario can estimate --------------------------------------------------------

def test_what_the_bundled_baseline_cannot_estimate() -> None:
    baseline = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    refused = {name: cannot_estimate(name, baseline) for name in KPI_NAMES}
    pause = {name for name in KPI_NAMES if name.startswith("pause_expiry")}
    leave = {"reactivation_rate", "reactivation_same_agent_rate", "reactivation_delay_mean"}
    assert {name for name, reason in refused.items() if reason} == pause | leave
    assert refused["pause_expiry_rate"] == "Pause is off (flex.pause.enabled: false)"
    assert refused["reactivation_rate"] == "Leave is off (flex.leave.enabled: false)"
    for name, reason in refused.items():  # the KPI table says the same, or why a run had none
        explained = why_undefined(name, baseline)
        assert explained and (reason is None or explained == reason), name


@pytest.mark.parametrize(("setting", "kpi", "says"), [
    ("flex.pause.expiry=3d", "pause_expiry_rate", "longer than the measured window"),
    ("agents.general.handling.research.probability=0", "pause_expiry_rate", "no email needs"),
    ("kpis.follow_up=3d", "service_level", "response KPIs follow tasks"),
    ("agents.general.count=0", "slot_occupancy", "every agent group has count 0"),
    ("flex.reservation_timeout=24h", "reservation_timeout_rate", "is not shorter than"),
])
def test_cannot_estimate_reasons(research: Path, setting: str, kpi: str, says: str) -> None:
    assert cannot_estimate(kpi, load_scenario(research)) is None
    changed = load_scenario(research, ["horizon=1d", setting])  # 18 h measured
    reason = cannot_estimate(kpi, changed)
    assert reason is not None and says in reason, reason
