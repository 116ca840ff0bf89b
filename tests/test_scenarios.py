"""Every scenario shipped in scenarios/ loads, runs (shortened) and passes the audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.analysis.audit import audit
from sim.analysis.context import Context
from sim.analysis.metrics import KPI_NAMES, kpis
from sim.domain.scenario_file import load_scenario
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
    assert 0 <= values["agent_occupancy"] <= 1


def test_each_setting_scenario_shows_its_setting() -> None:
    def measure(name: str, horizon: str = "10d") -> dict[str, float]:
        scenario = load_scenario(SCENARIOS[0].parent / f"{name}.yaml", [f"horizon={horizon}"])
        return kpis(Replication(scenario, 0).run().to_frame(), Context.of(scenario))

    assert measure("pause_enabled")["pauses"] > 0
    assert measure("leave_enabled")["leaves"] > 0
    assert measure("short_reservation_timeout")["reservation_timeout_rate"] > 0.2
    # Its warm-up is a week: two weeks put a weekend inside the measured window.
    assert measure("understaffed_weekends", "14d")["tasks_canceled_ttl"] > 0
