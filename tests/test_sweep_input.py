"""Sweep files that must be refused, and the sweep inputs that used to crash or mislead.

tests/malformed/sweeps/ holds one bad sweep file per case, in the same `# expect:` format as
tests/malformed/ (see its README.md); each names `bases/base.yaml`, a valid scenario.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.analysis.catalogue import KPI_NAMES
from sim.domain.sweep_file import MAX_POINTS, load_sweep
from sim.domain.yaml_tree import ScenarioError
from tests.invoke import ccsim, no_crash
from tests.test_cli import expectations, header, prefix

ROOT = Path(__file__).resolve().parent.parent
SWEEPS = ROOT / "tests" / "malformed" / "sweeps"
CORPUS = sorted(SWEEPS.glob("*.yaml"))
BASE = (SWEEPS / "bases" / "base.yaml").read_text()


def test_sweep_corpus_is_well_formed() -> None:
    assert len(CORPUS) >= 12
    for path in CORPUS:
        count = len(expectations(path))
        assert count >= 1, path.name
        assert header(path)[count].startswith("# why: "), path.name


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.stem)
def test_malformed_sweep_is_refused_where_it_is_wrong(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    name = path.relative_to(ROOT).as_posix()
    out = tmp_path / "out"
    result = ccsim("sweep", name, "--out", out, "-w", "1", "-q")
    no_crash(result)
    assert result.exit_code == 2, result.output
    problems = result.stderr.splitlines()
    for position, dotted, substring in expectations(path):
        start = prefix(name, position, dotted)
        assert any(line.startswith(start) and substring in line[len(start):]
                   for line in problems), f"expected {start!r} {substring!r}:\n{result.stderr}"
    assert len(problems) == len(expectations(path)), result.stderr
    assert not out.exists()


def write(folder: Path, sweep: str, base: str = BASE) -> Path:
    (folder / "base.yaml").write_text(base, encoding="utf-8")
    path = folder / "sweep.yaml"
    path.write_text(sweep, encoding="utf-8")
    return path


def test_a_base_valid_only_with_its_grid_runs(tmp_path: Path) -> None:
    """The base alone has no agents in its only group; every point sets them. It used to
    fail with a raw pydantic dump while looking for the base point."""
    base = BASE.replace("count: 3", "count: -1")
    path = write(tmp_path, "base: base.yaml\nreplications: 1\ngrid:\n"
                           "  agents.general.count: [2, 3]\n", base)
    loaded = load_sweep(path, KPI_NAMES)
    assert loaded.base_point == 0
    result = ccsim("sweep", path, "--out", tmp_path / "out", "-w", "1", "-q", "--no-events",
                   "--no-figures")
    no_crash(result)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("stem", ["...", "..", ".", ".hidden"])
def test_sweep_file_names_cannot_climb_out_of_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stem: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / f"{stem}yaml").write_text("base: base.yaml\nreplications: 1\ngrid:\n"
                                          "  agents.general.count: [2, 3]\n")
    loaded = load_sweep(tmp_path / f"{stem}yaml", KPI_NAMES)
    assert loaded.name.startswith("sweep-")
    assert "." not in loaded.name and "/" not in loaded.name
    result = ccsim("sweep", f"{stem}yaml", "-w", "1", "-q", "--no-events", "--no-figures")
    no_crash(result)
    assert result.exit_code == 0, result.output
    [folder] = (tmp_path / "results" / "sweeps").iterdir()
    assert folder.name == loaded.name
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["sweeps"]


def test_a_base_that_is_not_utf8_is_reported_in_the_base(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_bytes(BASE.encode() + b"description: caf\xe9\n")
    path = tmp_path / "sweep.yaml"
    path.write_text("base: base.yaml\ngrid:\n  agents.general.count: [2, 3]\n")
    result = ccsim("sweep", path, "--out", tmp_path / "out", "-w", "1", "-q")
    no_crash(result)
    assert result.exit_code == 2, result.output
    line = len(BASE.splitlines()) + 1
    assert result.stderr == f"{tmp_path / 'base.yaml'}:{line}:17: not UTF-8 text (byte 0xe9); " \
                            "save the file as UTF-8\n"


def test_force_lifts_the_grid_cap(tmp_path: Path) -> None:
    counts = ", ".join(str(i) for i in range(1, 41))
    timeouts = ", ".join(f"{i}s" for i in range(10, 40))
    path = write(tmp_path, f"base: base.yaml\ngrid:\n  agents.general.count: [{counts}]\n"
                           f"  flex.reservation_timeout: [{timeouts}]\n")
    assert MAX_POINTS < 40 * 30
    assert len(load_sweep(path, KPI_NAMES, force=True).points) == 1200


def test_grid_values_are_applied_as_written(tmp_path: Path) -> None:
    """A structured value (a distribution) and a date reach the point unchanged."""
    path = write(tmp_path, "base: base.yaml\ngrid:\n  start: [2026-01-05, 2026-01-06]\n"
                           "  customers.reply_delay: [{dist: constant, value: 1h}, 2h]\n")
    loaded = load_sweep(path, KPI_NAMES)
    delays = sorted({point.scenario.customers.reply_delay.expected() for point in loaded.points})
    assert delays == [3600, 7200]
    assert {point.scenario.start.day for point in loaded.points} == {5, 6}


def test_overrides_apply_to_the_base_of_every_point(tmp_path: Path) -> None:
    path = write(tmp_path, "base: base.yaml\ngrid:\n  agents.general.count: [2, 3]\n")
    loaded = load_sweep(path, KPI_NAMES, overrides=["horizon=2d", "warmup=6h"])
    assert [(p.scenario.horizon, p.scenario.warmup) for p in loaded.points] == [
        (2 * 86400, 6 * 3600)] * 2
    assert [p.scenario.agents[0].count for p in loaded.points] == [2, 3]
    assert loaded.base_point == 1  # the base's own count, with the overrides


@pytest.mark.parametrize(("override", "message"), [
    ("agents.general.count=4", "agents.general.count is swept; an override cannot also set it"),
    ("flex.nosuch=1", "unknown key 'nosuch'"),
    ("warmup=3d", "--set warmup=3d")])
def test_an_override_that_cannot_apply_is_refused_naming_it(
        tmp_path: Path, override: str, message: str) -> None:
    path = write(tmp_path, "base: base.yaml\ngrid:\n  agents.general.count: [2, 3]\n")
    with pytest.raises(ScenarioError) as raised:
        load_sweep(path, KPI_NAMES, overrides=[override])
    assert message in str(raised.value)
    assert override.partition("=")[0] in str(raised.value)


def test_an_override_leaves_a_base_valid_only_with_its_grid_to_the_grid(tmp_path: Path) -> None:
    base = BASE.replace("count: 3", "count: -1")
    path = write(tmp_path, "base: base.yaml\ngrid:\n  agents.general.count: [2, 3]\n", base)
    loaded = load_sweep(path, KPI_NAMES, overrides=["horizon=2d", "warmup=6h"])
    assert [p.scenario.horizon for p in loaded.points] == [2 * 86400] * 2


def test_ccsim_sweep_set_overrides_the_base(tmp_path: Path) -> None:
    path = write(tmp_path, "base: base.yaml\nreplications: 1\ngrid:\n"
                           "  agents.general.count: [2, 3]\n")
    out = tmp_path / "out"
    result = ccsim("sweep", path, "--set", "horizon=1d", "--out", out, "-w", "1", "-q",
                   "--no-events", "--no-figures")
    no_crash(result)
    assert result.exit_code == 0, result.output
    for point in (0, 1):
        assert "horizon: 1d" in (out / "points" / f"point={point}" / "scenario.yaml").read_text()
    refused = ccsim("sweep", path, "--set", "agents.general.count=5", "--out", tmp_path / "x")
    assert refused.exit_code == 2 and "is swept" in refused.stderr
    assert not (tmp_path / "x").exists()
