"""`ccsim regress` on a throwaway reference folder: baselines, digests, intervals, updates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from sim.cli import main
from sim.domain.scenario import AgentGroup
from sim.domain.streams import Streams
from sim.engine.behaviour import GroupBehaviour

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = """\
name: tiny
seed: 5
horizon: 3d
warmup: 1d
replications: 3
arrivals: {per_day: 150, skills: {a: 1.0}}
agents:
  - {name: team, count: 3, capacity: 2, skills: [a],
     reservation: {response_time: {dist: exponential, mean: 40s}, reject_probability: 0.05}}
"""


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    references, baselines = tmp_path / "reference", tmp_path / "baselines"
    references.mkdir()
    (references / "tiny.yaml").write_text(SCENARIO)
    return references, baselines


def regress(folders: tuple[Path, Path], *options: str) -> Result:
    references, baselines = folders
    return CliRunner().invoke(main, ["regress", "--references", str(references),
                                     "--baselines", str(baselines), "-w", "1", *options])


def slower_answers(monkeypatch: pytest.MonkeyPatch, factor: float) -> None:
    """A behaviour change: agents take `factor` times longer to answer offers."""
    original = GroupBehaviour.__init__

    def slower(self: GroupBehaviour, group: AgentGroup, streams: Streams) -> None:
        original(self, group, streams)
        draw = self.response_time
        self.response_time = lambda: draw() * factor

    monkeypatch.setattr(GroupBehaviour, "__init__", slower)


def test_without_any_baseline_regress_is_refused_before_running(
        folders: tuple[Path, Path]) -> None:
    result = regress(folders)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"{folders[1]}: no baselines"), result.stderr
    assert "ccsim regress --update" in result.stderr
    assert "reference scenarios:" not in result.stdout  # refused before anything ran


def test_a_reference_scenario_without_its_baseline_fails_and_says_how_to_make_one(
        folders: tuple[Path, Path]) -> None:
    references, _ = folders
    assert regress(folders, "--update").exit_code == 0
    (references / "other.yaml").write_text(SCENARIO.replace("name: tiny", "name: other"))
    result = regress(folders)
    assert result.exit_code == 1, result.output
    assert "other: CHANGED" in result.output and "tiny: ok" in result.output
    assert "no baseline" in result.output and "--update" in result.output


def test_outside_the_repository_both_folders_come_from_the_source_tree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no scenarios/ or results/ here
    result = CliRunner().invoke(main, ["regress", "-w", "1"])
    assert result.exit_code == 0, result.output
    assert (f"reference scenarios: {ROOT / 'scenarios' / 'reference'}; "
            f"baselines: {ROOT / 'results' / 'reference'}") in result.stdout
    assert "reference scenarios match their baselines" in result.stdout
    assert not any(tmp_path.iterdir())


def test_a_folder_with_references_but_no_baselines_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "scenarios" / "reference").mkdir(parents=True)
    (tmp_path / "scenarios" / "reference" / "tiny.yaml").write_text(SCENARIO)
    monkeypatch.chdir(tmp_path)  # this folder is the root: its baselines, not the repo's
    result = CliRunner().invoke(main, ["regress", "-w", "1"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(str(Path("results") / "reference") + ": no baselines")
    assert not (tmp_path / "results").exists()


def test_update_then_regress_matches(folders: tuple[Path, Path]) -> None:
    assert regress(folders, "--update").exit_code == 0
    assert {p.name for p in (folders[1] / "tiny").iterdir()} == {
        "digests.json", "kpis.csv", "summary.csv"}
    result = regress(folders)
    assert result.exit_code == 0, result.output
    assert "all 1 reference scenarios match" in result.output


def test_a_behaviour_change_fails_and_shows_which_kpis_moved(
        folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    regress(folders, "--update")
    slower_answers(monkeypatch, 1.5)
    result = regress(folders)
    assert result.exit_code == 1
    assert "event log changed in replications 0, 1, 2" in result.output
    assert "KPIs moved" in result.output and "reservation_timeout_rate" in result.output


def test_statistical_ignores_a_small_change_and_catches_a_large_one(
        folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    regress(folders, "--update")
    slower_answers(monkeypatch, 1.02)
    small = regress(folders, "--statistical")
    assert small.exit_code == 0, small.output
    slower_answers(monkeypatch, 4.0)
    large = regress(folders, "--statistical")
    assert large.exit_code == 1
    assert "reservation_timeout_rate: 95% CI now" in large.output


def test_update_records_the_change_and_then_matches(
        folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    regress(folders, "--update")
    slower_answers(monkeypatch, 1.5)
    updated = regress(folders, "--update")
    assert updated.exit_code == 0
    assert "tiny: updated" in updated.output and "KPIs moved" in updated.output
    assert regress(folders).exit_code == 0


def test_an_edited_reference_scenario_is_reported(folders: tuple[Path, Path]) -> None:
    regress(folders, "--update")
    path = folders[0] / "tiny.yaml"
    path.write_text(path.read_text().replace("per_day: 150", "per_day: 160"))
    result = regress(folders)
    assert result.exit_code == 1
    assert "reference scenario changed since its baseline" in result.output


def test_the_committed_baselines_cover_every_reference_scenario() -> None:
    names = {p.stem for p in (ROOT / "scenarios" / "reference").glob("*.yaml")}
    assert len(names) >= 4
    assert names == {p.name for p in (ROOT / "results" / "reference").iterdir() if p.is_dir()}


def test_a_baseline_with_other_kpis_is_reported_not_a_crash(
        folders: tuple[Path, Path]) -> None:
    _, baselines = folders
    assert regress(folders, "--update").exit_code == 0
    kpis = baselines / "tiny" / "kpis.csv"
    frame = pd.read_csv(kpis).rename(columns={"slot_occupancy": "agent_occupancy"})
    frame.to_csv(kpis, index=False)
    result = regress(folders)
    assert result.exit_code == 1
    assert "KPIs not in the baseline: slot_occupancy" in result.output
    assert "KPIs of the baseline that are no more: agent_occupancy" in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
