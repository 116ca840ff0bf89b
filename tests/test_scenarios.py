"""Every scenario shipped in scenarios/ loads, runs (shortened) and passes the audit."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.audit import audit
from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.context import Context
from sim.analysis.eventarrays import EventArrays
from sim.analysis.figuredata import FigurePart
from sim.analysis.measures import Measures
from sim.analysis.metrics import kpis
from sim.domain.scenario_file import ScenarioError, load_scenario
from sim.engine.eventlog import EVENT_NAMES
from sim.engine.model import Replication

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))


def test_the_baseline_and_the_five_settings_are_shipped() -> None:
    names = {path.stem for path in SCENARIOS}
    assert {"baseline", "pause_enabled", "leave_enabled", "short_reservation_timeout",
            "understaffed_weekends", "multi_skill"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_runs_and_its_log_is_legal(path: Path) -> None:
    scenario = load_scenario(path, ["horizon=4d", "warmup=1d"])
    frame = Replication(scenario, 0).run().to_frame()
    context = Context.of(scenario)
    result = audit(frame, context.capacity)
    assert result.ok, result.violations
    values = kpis(frame, context)
    assert list(values) == list(KPI_NAMES)
    assert values["tasks_created"] > 0
    assert 0 <= values["slot_occupancy"] <= 1


def test_each_setting_scenario_shows_its_setting() -> None:
    def measure(name: str, horizon: str = "10d") -> dict[str, float]:
        scenario = load_scenario(SCENARIOS[0].parent / f"{name}.yaml", [f"horizon={horizon}"])
        return kpis(Replication(scenario, 0).run().to_frame(), Context.of(scenario))

    assert measure("pause_enabled")["pauses"] > 0
    assert measure("leave_enabled")["leaves"] > 0
    assert measure("short_reservation_timeout")["reservation_timeout_rate"] > 0.2
    # Its warm-up is a week: two weeks put a weekend inside the measured window.
    assert measure("understaffed_weekends", "14d")["tasks_canceled_ttl"] > 0


def suggested_comparisons(path: Path) -> list[list[str]]:
    """The `--set` settings of each comparison a scenario's header suggests."""
    found = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        settings = re.findall(r"--set (\S+=\S+)", line)
        if settings:
            found.append(settings)
    return found


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_suggested_comparisons_are_realistic_decisions(path: Path) -> None:
    """Both sides of every comparison a shipped scenario suggests are a working center: not
    collapsed (slots full, nothing answered in time) and not idle; and the change shows."""
    comparisons = suggested_comparisons(path)
    assert comparisons, f"{path.name}: its header suggests no comparison"
    measured = ["horizon=14d", "warmup=3d", "replications=2"]

    def mean_kpis(settings: list[str]) -> dict[str, float]:
        scenario = load_scenario(path, [*measured, *settings])
        runs = [kpis(Replication(scenario, r).run(), Context.of(scenario)) for r in range(2)]
        return {name: sum(run[name] for run in runs) / 2 for name in KPI_NAMES}

    base = mean_kpis([])
    for settings in comparisons:
        other = mean_kpis(settings)
        for side in (base, other):
            assert 0.15 < side["service_level"] < 0.99, (settings, side["service_level"])
            assert side["slot_occupancy"] < 0.95, (settings, side["slot_occupancy"])
            assert 0.2 < side["agent_utilization"] < 0.95, (settings, side["agent_utilization"])
        changed = [name for name in KPI_NAMES
                   if not math.isclose(base[name], other[name], rel_tol=0.02, abs_tol=1e-9)]
        assert changed, f"{settings} changes nothing"


def test_an_override_that_clashes_with_the_file_is_named() -> None:
    with pytest.raises(ScenarioError) as raised:
        load_scenario(SCENARIOS[0].parent / "baseline.yaml", ["horizon=7d"])
    (problem,) = raised.value.problems
    assert problem.path == "warmup" and problem.line is not None  # where the file has it
    assert str(problem).endswith("warmup (7d) must be shorter than the horizon (7d) "
                                 "(horizon from --set horizon=7d)")


def test_figure_tallies_are_the_outcomes_counted_one_by_one_in_order_of_first_occurrence(
) -> None:
    """The figures' counters (worked out by one bincount) against counting every offer,
    pause and decline count of a real log one at a time, items in the same order."""
    scenario = load_scenario(SCENARIOS[0].parent / "pause_enabled.yaml", ["horizon=6d"])
    m = Measures(EventArrays.from_log(Replication(scenario, 0).run()), Context.of(scenario))
    part = FigurePart.of(m)
    decided, declined = m.offer_outcomes_per_task
    offered = m.cohort & (decided > 0)
    expected = {
        "offers": Counter(EVENT_NAMES[code] for code in m.offers.outcome.tolist()),
        "pauses": Counter(EVENT_NAMES[code] for code in m.pauses.outcome.tolist()),
        "declined_per_task": Counter(np.minimum(declined[offered], 3).tolist()),
    }
    for name, counted in expected.items():
        assert len(counted) > 1, name  # more than one outcome, so the order is tested
        assert list(getattr(part, name).items()) == list(counted.items()), name
