"""A sweep's (and a comparison's) per-skill and per-group tables: the same, point by point,
as `ccsim run` of that point's scenario writes; runs committed without them (by an earlier
version) are left out of them, and a folder with none says so."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import sim
from tests.invoke import ccsim, no_crash

BASE = """\
name: two_skills
seed: 5
horizon: 2d
warmup: 6h
replications: 2
arrivals:
  per_day: 120
  skills: {billing: 0.6, tech: 0.4}
agents:
  - name: tier1
    count: 2
    capacity: 2
    skills: [billing, tech]
  - name: tech
    count: 2
    capacity: 2
    skills: [tech]
"""
SWEEP = """\
name: parts
base: base.yaml
replications: 2
grid:
  agents.tier1.count: [1, 2]
"""
QUICK = ("-w", "1", "-q", "--no-events", "--no-figures")
TABLES = ("sweep_by_skill", "summary_by_skill", "sweep_by_group", "summary_by_group")


def _sweep(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(BASE, encoding="utf-8")
    (folder / "sweep.yaml").write_text(SWEEP, encoding="utf-8")
    out = folder / "out"
    result = ccsim("sweep", folder / "sweep.yaml", "--out", out, *QUICK)
    no_crash(result)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _sweep(tmp_path_factory.mktemp("parts"))


@pytest.mark.parametrize("point", [0, 1])
@pytest.mark.parametrize(("name", "split"), [("summary_by_skill", "skill"),
                                             ("summary_by_group", "group")])
def test_a_points_tables_are_those_of_running_its_scenario(
        out: Path, tmp_path: Path, point: int, name: str, split: str) -> None:
    run = tmp_path / "run"
    result = ccsim("run", out / "points" / f"point={point}" / "scenario.yaml", "--out", run,
                   *QUICK)
    assert result.exit_code == 0, result.output
    expected = pd.read_csv(run / f"{name}.csv")
    table = pd.read_csv(out / f"{name}.csv")
    mine = table[table["point"] == point].drop(columns="point").reset_index(drop=True)
    assert len(expected) and set(expected[split]) == ({"billing", "tech"} if split == "skill"
                                                     else {"tier1", "tech"})
    pd.testing.assert_frame_equal(mine, expected)


def test_the_api_gives_them_with_the_settings(out: Path) -> None:
    results = sim.open(out)
    for table, split in ((results.by_skill, "skill"), (results.by_group, "group"),
                         (results.kpis_by_skill, "skill"), (results.kpis_by_group, "group")):
        assert {"point", "agents.tier1.count", split} <= set(table.columns)
        assert sorted(table["agents.tier1.count"].unique()) == [1, 2]
    assert set(results.kpis_by_skill["replication"]) == {0, 1}


def test_runs_without_them_are_left_out(tmp_path: Path) -> None:
    out = _sweep(tmp_path)
    old = out / "runs" / "point=1" / "replication=0.json"
    record = json.loads(old.read_text())
    old.write_text(json.dumps({k: v for k, v in record.items()
                               if k not in ("by_skill", "by_group")}) + "\n")
    result = ccsim("sweep", tmp_path / "sweep.yaml", "--out", out, *QUICK)  # resumes
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "summary_by_skill.csv")
    created = summary[summary["kpi"] == "tasks_created"]
    assert set(created[created["point"] == 0]["n"]) == {2}
    assert set(created[created["point"] == 1]["n"]) == {1}  # the other run of point 1
    kept = pd.read_csv(out / "sweep_by_skill.csv")
    assert set(zip(kept["point"], kept["replication"], strict=True)) == {(0, 0), (0, 1),
                                                                         (1, 1)}


def test_a_folder_without_any_says_so(tmp_path: Path) -> None:
    out = _sweep(tmp_path)
    for name in TABLES:
        (out / f"{name}.csv").unlink()
    with pytest.raises(FileNotFoundError, match="per-skill or per-group"):
        _ = sim.open(out).by_skill


def test_the_report_shows_each_points_tables(out: Path, tmp_path: Path) -> None:
    page = sim.report(out, tmp_path / "report.html").read_text(encoding="utf-8")
    for what in ("skill", "agent group"):
        start = page.index(f"<h2>KPIs by {what}</h2>")
        section = page[start:page.index("</section>", start)]
        assert section.count("<details><summary>point ") == 2
        assert "<code>reservations</code>" in section
    tech = page[page.index("<h2>KPIs by skill</h2>"):]
    assert '<th class="num">billing</th><th class="num">tech</th>' in tech


def test_a_report_has_none_for_one_skill_and_one_group(tmp_path: Path) -> None:
    one = BASE.replace("skills: {billing: 0.6, tech: 0.4}", "skills: {tech: 1.0}").replace(
        "    skills: [billing, tech]\n", "    skills: [tech]\n").split("  - name: tech")[0]
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "base.yaml").write_text(one, encoding="utf-8")
    (folder / "sweep.yaml").write_text(SWEEP, encoding="utf-8")
    result = ccsim("sweep", folder / "sweep.yaml", "--out", folder / "out", *QUICK)
    assert result.exit_code == 0, result.output
    page = sim.report(folder / "out").read_text(encoding="utf-8")
    assert "KPIs by" not in page
    assert len(pd.read_csv(folder / "out" / "summary_by_skill.csv"))  # kept all the same
