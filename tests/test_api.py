"""The public Python API (docs/api.md): sim.run, sim.open, sim.sweep, sim.compare and the
objects they return, read from the folders they write."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import sim
from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.run_folder import RunPlots
from sim.analysis.stats import t_interval
from tests.invoke import ccsim

ROOT = Path(__file__).resolve().parent.parent
TINY = """\
name: tiny
horizon: 3d
warmup: 12h
replications: 3
arrivals:
  per_day: 80
  skills: {billing: 0.7, sales: 0.3}
agents:
  - {name: team, count: 3, capacity: 2, skills: [billing, sales]}
  - {name: sellers, count: 1, skills: [sales]}
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api") / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def run(tiny: Path) -> sim.Run:
    return sim.run(tiny, out=tiny.parent / "run", workers=1)


def test_run_returns_the_folder_it_wrote(run: sim.Run, tiny: Path) -> None:
    assert run.folder == tiny.parent / "run"
    assert run.scenario.name == "tiny" and run.scenario.replications == 3
    assert list(run.kpis.columns) == ["replication", *KPI_NAMES]
    assert run.kpis["replication"].tolist() == [0, 1, 2]
    assert list(run.summary["kpi"]) == list(KPI_NAMES)
    assert set(run.by_skill["skill"]) == {"billing", "sales"}
    assert set(run.by_group["group"]) == {"team", "sellers"}
    assert run.manifest["seed"] == run.scenario.seed


def test_the_summary_is_the_interval_of_the_replications(run: sim.Run) -> None:
    values = run.kpis["service_level"].to_numpy(float)
    row = run.summary.set_index("kpi").loc["service_level"]
    mean, low, high, n = t_interval(values)
    assert (row["mean"], row["n"]) == (pytest.approx(mean), n)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_events_are_typed_and_read_only_when_asked(run: sim.Run) -> None:
    assert "events" not in vars(run)  # opening the run did not read the log
    events = run.events
    assert str(events["task"].dtype) == "Int32" and str(events["event"].dtype) == "category"
    assert set(events["replication"]) == {0, 1, 2}
    created = events[events["event"] == "task.created"]
    assert created["task"].notna().all() and created["skill"].notna().all()


def test_open_gives_the_same_results_back(run: sim.Run) -> None:
    again = sim.open(run.folder)
    assert isinstance(again, sim.Run)
    pd.testing.assert_frame_equal(again.kpis, run.kpis)
    pd.testing.assert_frame_equal(again.summary, run.summary)
    assert again.scenario == run.scenario


def test_plot_helpers_return_labelled_figures(run: sim.Run) -> None:
    figure = run.plot.kpi("service_level")
    assert isinstance(figure, Figure)
    assert "tiny" in figure.axes[0].get_title()
    assert figure.axes[0].get_ylabel() == "service_level (%)"
    by_skill = run.plot.by_skill("service_level", "first_response_time_p90")
    assert [a.get_xlabel() for a in by_skill.axes] == [
        "service_level (%)", "first_response_time_p90 (hours)"]
    with pytest.raises(ValueError, match="no per-skill view"):
        run.plot.by_skill("slot_occupancy")
    with pytest.raises(ValueError, match="not a KPI"):
        run.plot.kpi("speed")


def test_a_loaded_scenario_runs_with_overrides_checked_like_a_file(tmp_path: Path,
                                                                     tiny: Path) -> None:
    scenario = sim.load_scenario(tiny)
    done = sim.run(scenario, replications=2, overrides=["agents.team.count=4"],
                   out=tmp_path / "r", workers=1, events=False, figures=False)
    assert done.scenario.replications == 2 and done.scenario.agents[0].count == 4
    with pytest.raises(FileNotFoundError, match="without its event log"):
        _ = done.events
    with pytest.raises(sim.ScenarioError, match=r"horizon from --set horizon=12h"):
        sim.run(scenario, overrides=["horizon=12h"], out=tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_open_refuses_what_is_not_a_results_folder(tmp_path: Path) -> None:
    with pytest.raises(sim.NotAResultsFolder, match="no such folder"):
        sim.open(tmp_path / "nothing")
    with pytest.raises(sim.NotAResultsFolder, match="not a run's results folder"):
        sim.open(tmp_path)


# comparisons -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def comparison(tiny: Path) -> sim.Comparison:
    more = tiny.parent / "more.yaml"
    more.write_text(TINY.replace("name: tiny", "name: more")
                    .replace("count: 3, capacity: 2", "count: 5, capacity: 2"))
    return sim.compare(tiny, more, out=tiny.parent / "cmp", workers=1)


def test_compare_pairs_the_same_replications(comparison: sim.Comparison) -> None:
    assert comparison.scenarios == ["tiny", "more"]
    runs = comparison.kpis.set_index(["scenario", "replication"])["unanswered_rate"]
    delta = (runs["more"] - runs["tiny"]).to_numpy(float)
    row = comparison.differences.set_index(["scenario", "kpi"]).loc[("more",
                                                                     "unanswered_rate")]
    mean, low, high, n = t_interval(delta)
    assert (row["mean"], row["ci_low"], row["ci_high"], row["n"]) == (
        pytest.approx(mean), pytest.approx(low), pytest.approx(high), n)
    base = comparison.differences[comparison.differences["scenario"] == "tiny"]
    assert (base["mean"].fillna(0) == 0).all()


def test_compared_scenarios_see_the_same_arrivals(comparison: sim.Comparison) -> None:
    # common random numbers: staffing differs, the emails that arrive do not
    events = sim.open(comparison.folder)
    assert isinstance(events, sim.Comparison)
    created = comparison.kpis.set_index(["scenario", "replication"])["conversations_created"]
    follow_ups = comparison.kpis.set_index(["scenario", "replication"])[
        "follow_up_conversations"]
    new = created - follow_ups
    np.testing.assert_array_equal(new["tiny"].to_numpy(), new["more"].to_numpy())


def test_comparison_plots(comparison: sim.Comparison) -> None:
    assert isinstance(comparison.plot("service_level"), Figure)
    figure = comparison.plot_differences("service_level", "unanswered_rate")
    assert [a.get_yticklabels()[0].get_text() for a in figure.axes] == ["more", "more"]


def test_identical_scenarios_are_not_compared(tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="are the same scenario"):
        sim.compare(tiny, sim.load_scenario(tiny).model_copy(update={"name": "twin"}),
                    out=tmp_path / "c")


def test_ccsim_compare_prints_each_kpi_and_the_difference(tiny: Path, tmp_path: Path) -> None:
    other = tmp_path / "short.yaml"
    other.write_text(TINY.replace("name: tiny", "name: short") +
                     "flex: {reservation_timeout: 30s}\n")
    result = ccsim("compare", tiny, other, "--out", tmp_path / "c", "-w", "1",
                   "--kpi", "reservation_timeout_rate", "--kpi", "service_level")
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "KPI" in line)
    assert re.search(r"tiny\s*┃\s*short\s*┃\s*short - tiny", header), header
    rows = [line for line in result.output.splitlines() if line.startswith("│ ")]
    assert [row.split("│")[1].strip() for row in rows if row.split("│")[1].strip()] == [
        "reservation_timeout_rate", "service_level"]
    assert sorted(p.name for p in (tmp_path / "c" / "figures").glob("*.png")) == [
        "reservation_timeout_rate_vs_scenario.png", "service_level_vs_scenario.png"]


@pytest.mark.parametrize(("args", "message"), [
    ((), "compare needs at least two scenario files"),
    (("--kpi", "speed"), "--kpi speed: not a KPI"),
    (("-r", "0"), "--replications 0: must be at least 1"),
])
def test_ccsim_compare_refuses_bad_input(tiny: Path, args: tuple[str, ...],
                                         message: str) -> None:
    files = (tiny,) if not args else (tiny, tiny)
    result = ccsim("compare", *files, *args)
    assert result.exit_code == 2 and message in result.output, result.output


def test_ccsim_compare_refuses_a_scenario_twice(tiny: Path) -> None:
    result = ccsim("compare", tiny, tiny)
    assert result.exit_code == 2 and "are the same scenario" in result.output


# sweeps ------------------------------------------------------------------------------------

def test_sweep_from_a_dict_gives_tidy_frames(tiny: Path, tmp_path: Path) -> None:
    spec = {"base": str(tiny), "replications": 2,
            "grid": {"flex.reservation_timeout": ["30s", "2m"],
                     "agents.team.count": [3, 4]}}
    done = sim.sweep(spec, out=tmp_path / "sw", workers=1)
    assert done.keys == ["flex.reservation_timeout", "agents.team.count"]
    summary = done.summary
    assert list(summary.columns[:3]) == ["point", *done.keys]
    assert len(summary) == 4 * len(KPI_NAMES)
    table = done.table()
    assert list(table.columns) == ["point", *done.keys, *KPI_NAMES] and len(table) == 4
    assert done.scenario(3).agents[0].count == 4
    assert isinstance(sim.open(done.folder), sim.SweepResults)
    assert isinstance(done.plot("service_level", against="agents.team.count"), Figure)
    with pytest.raises(ValueError, match="was not swept"):
        done.plot("service_level", against="horizon")


def test_every_name_docs_api_md_documents_exists() -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    functions = set(re.findall(r"`sim\.(\w+)\(", text))
    assert {"run", "open", "sweep", "compare"} <= functions
    for name in functions:
        assert callable(getattr(sim, name)), name
    for owner, attribute in set(re.findall(r"`(Run|SweepResults|Comparison|RunPlots)\."
                                           r"(\w+)", text)):
        holder = RunPlots if owner == "RunPlots" else getattr(sim, owner)
        fields = {f.name for f in dataclasses.fields(holder)}
        assert hasattr(holder, attribute) or attribute in fields, f"{owner}.{attribute}"
