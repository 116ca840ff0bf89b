"""A sweep folder damaged between runs: a resume checks every committed run, runs again what
is damaged (saying so), rebuilds a lost sweep.json, and ends where an untouched sweep ends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.invoke import ccsim, no_crash
from tests.test_sweep import BASE, SAME, SMALL, make

OPTIONS = ("-w", "1", "-q", "--no-figures")
RUNS = 2  # SMALL: two points, one replication


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untouched sweep, the reference for every repaired one."""
    folder = tmp_path_factory.mktemp("whole")
    out = folder / "out"
    result = ccsim("sweep", make(folder, SMALL), "--out", out, *OPTIONS)
    assert result.exit_code == 0, result.output
    return out


def done(tmp_path: Path) -> tuple[Path, Path]:
    path = make(tmp_path, SMALL)
    out = tmp_path / "out"
    result = ccsim("sweep", path, "--out", out, *OPTIONS)
    assert result.exit_code == 0, result.output
    return path, out


def resume(path: Path, out: Path, whole: Path, again: int) -> list[str]:
    """Resume; the result must equal the untouched sweep's. Returns the notes printed."""
    result = ccsim("sweep", path, "--out", out, *OPTIONS)
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert f"{again} runs now, {RUNS - again} resumed from before" in result.stdout
    for name in SAME:
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name
    return result.stderr.splitlines()


RUN = Path("runs/point=1/replication=0.json")
PART = Path("events/point=1/replication=0/part-0.parquet")


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda out: (out / RUN).write_text('{"point": 1, "replic'), "damaged (not a readable"),
    (lambda out: (out / RUN).write_text(""), "damaged (not a readable run record)"),
    (lambda out: (out / RUN).write_text(json.dumps({"point": 0, "replication": 0, "kpis": {}})),
     "damaged (it records another run"),
    (lambda out: (out / RUN).write_text(json.dumps({"point": 1, "replication": 0,
                                                    "kpis": {"service_level": 0.5}})),
     "incomplete (no value for"),
], ids=["cut-short", "empty", "wrong-run", "missing-kpis"])
def test_a_damaged_run_file_is_run_again(tmp_path: Path, whole: Path, damage: object,
                                         reason: str) -> None:
    path, out = done(tmp_path)
    damage(out)  # type: ignore[operator]
    notes = resume(path, out, whole, again=1)
    assert len(notes) == 1, notes
    assert notes[0].startswith(f"{out / RUN}: {reason}"), notes
    assert notes[0].endswith("; point 1 replication 0 will be run again")


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_event_part_is_run_again(tmp_path: Path, whole: Path, damage: str) -> None:
    path, out = done(tmp_path)
    data = (out / PART).read_bytes()
    if damage == "truncate":
        (out / PART).write_bytes(data[: len(data) // 2])
    else:  # same size, one byte changed: only the digest can tell
        (out / PART).write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    notes = resume(path, out, whole, again=1)
    expected = "(truncated?)" if damage == "truncate" else "(altered)"
    assert len(notes) == 1 and expected in notes[0], notes
    assert (out / PART).read_bytes() == (whole / PART).read_bytes()


def test_a_lost_sweep_json_is_rebuilt(tmp_path: Path, whole: Path) -> None:
    path, out = done(tmp_path)
    (out / "sweep.json").unlink()
    notes = resume(path, out, whole, again=0)
    assert notes == [f"{out / 'sweep.json'}: was missing; rebuilt from {path} (its points "
                     "match points/)"]
    assert json.loads((out / "sweep.json").read_text())["identity"] == json.loads(
        (whole / "sweep.json").read_text())["identity"]


def test_a_lost_sweep_json_of_another_sweep_is_refused(tmp_path: Path) -> None:
    path, out = done(tmp_path)
    (out / "sweep.json").unlink()
    (tmp_path / "base.yaml").write_text(BASE.replace("seed: 7", "seed: 8"))
    result = ccsim("sweep", path, "--out", out, *OPTIONS)
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"{out} has no sweep.json and its points/ are not this sweep's; "
                             "choose another --out or remove that folder\n")


def test_a_damaged_sweep_json_is_refused_not_a_crash(tmp_path: Path) -> None:
    path, out = done(tmp_path)
    (out / "sweep.json").write_text("{not json")
    result = ccsim("sweep", path, "--out", out, *OPTIONS)
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert "holds results of a different sweep" in result.stderr


def test_temporary_files_of_a_killed_sweep_are_removed(tmp_path: Path, whole: Path) -> None:
    path, out = done(tmp_path)
    leftover = out / "runs" / "point=0" / ".replication=0.json.x1y2.tmp"
    leftover.write_text("half")
    resume(path, out, whole, again=0)
    assert not leftover.exists()


def test_a_missing_point_file_is_written_again(tmp_path: Path, whole: Path) -> None:
    """Killed between the point files and sweep.json, a folder still resumes whole."""
    path, out = done(tmp_path)
    point = out / "points" / "point=1" / "scenario.yaml"
    point.unlink()
    resume(path, out, whole, again=0)
    assert point.read_bytes() == (whole / "points" / "point=1" / "scenario.yaml").read_bytes()


def test_a_sweep_folder_in_use_is_refused_at_start(tmp_path: Path) -> None:
    """flock locks belong to an open file, so holding one here is what another ccsim
    process does (tests/test_faults.py runs two real processes for `ccsim run`)."""
    from sim.analysis.outfolder import claimed

    path = make(tmp_path, SMALL)
    out = tmp_path / "out"
    with claimed(out):
        result = ccsim("sweep", path, "--out", out, *OPTIONS)
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"{out}: in use by another ccsim (pid ")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.yaml", "sweep.yaml"]
