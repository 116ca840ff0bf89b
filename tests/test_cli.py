"""The `ccsim` command line, in process (click's CliRunner): validate, schema and run.

`ccsim validate` is checked against the corpus in tests/malformed/: each file says, in its
`# expect:` lines, which problems the tool must print and where (see its README.md).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.catalogue import COUNTS, KPI_NAMES
from sim.domain.scenario_file import load_scenario
from tests import processes
from tests.invoke import ccsim, no_crash

ROOT = Path(__file__).resolve().parent.parent
MALFORMED = ROOT / "tests" / "malformed"
CORPUS = sorted(MALFORMED.glob("*.yaml"))
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

EVENT_COLUMNS = ["replication", "time", "timestamp", "event", "task", "conversation", "agent",
                 "skill", "priority", "reason"]
RUN_FILES = {"scenario.yaml", "kpis.csv", "summary.csv", "events.parquet", "figures",
             "manifest.json", "kpis_by_skill.csv", "kpis_by_group.csv", "summary_by_skill.csv",
             "summary_by_group.csv"}

TINY = """\
name: tiny
horizon: 2d
replications: 2
arrivals:
  per_day: 50
  skills: {billing: 1.0}
agents:
  - name: team
    count: 3
    capacity: 2
    skills: [billing]
"""




def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# validate: the malformed corpus ----------------------------------------------------------

Expectation = tuple[str, str, str]  # position ("line:col" or "-"), dotted path, substring


def header(path: Path) -> list[str]:
    """A case's lines; the corpus holds files that are not UTF-8 on purpose."""
    return path.read_bytes().decode("utf-8", errors="replace").splitlines()


def expectations(path: Path) -> list[Expectation]:
    found = []
    for line in header(path):
        if line.startswith("# expect: "):
            position, dotted, substring = line.removeprefix("# expect: ").split(": ", 2)
            found.append((position, dotted, substring))
    return found


def prefix(name: str, position: str, dotted: str) -> str:
    """How a problem line starts: `FILE:line:col: path: ` (no position/path if none)."""
    where = name if position == "-" else f"{name}:{position}"
    return f"{where}: {dotted}: " if dotted else f"{where}: "


def test_corpus_is_large_and_well_formed() -> None:
    assert len(CORPUS) >= 32 + 40  # issue 13 added the hostile-input cases
    assert (MALFORMED / "README.md").is_file()
    for path in CORPUS:
        lines = header(path)
        count = len(expectations(path))
        assert count >= 1, f"{path.name}: no '# expect:' line"
        assert all(line.startswith("# expect: ") for line in lines[:count]), path.name
        assert lines[count].startswith("# why: "), f"{path.name}: '# why:' must follow"
        for position, _, substring in expectations(path):
            assert position == "-" or re.fullmatch(r"\d+:\d+", position), path.name
            assert substring.strip(), path.name


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.stem)
def test_malformed_scenario_is_reported_where_it_is_wrong(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    name = path.relative_to(ROOT).as_posix()
    result = ccsim("validate", name)
    assert result.exit_code == 2, result.output
    no_crash(result)
    assert result.stdout == ""  # no "OK" for a bad file
    problems = result.stderr.splitlines()
    for position, dotted, substring in expectations(path):
        start = prefix(name, position, dotted)
        assert any(line.startswith(start) and substring in line[len(start):]
                   for line in problems), (
            f"expected a line starting {start!r} containing {substring!r}; got:\n"
            + result.stderr)
    # Each file is focused: nothing is reported beyond what it expects.
    assert len(problems) == len(expectations(path)), result.stderr


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_bundled_scenarios_are_valid(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    name = path.relative_to(ROOT).as_posix()
    result = ccsim("validate", name)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{name}: OK"]
    assert result.stderr == ""


def test_all_bundled_scenarios_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    names = [path.relative_to(ROOT).as_posix() for path in SCENARIOS]
    assert "scenarios/baseline.yaml" in names
    result = ccsim("validate", *names)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{name}: OK" for name in names]


def test_validate_several_files_reports_every_bad_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "good.yaml", TINY)
    write(tmp_path, "bad_count.yaml", TINY.replace("count: 3", "count: -3"))
    write(tmp_path, "bad_horizon.yaml", TINY.replace("horizon: 2d", "horizon: 3x"))
    result = ccsim("validate", "bad_count.yaml", "good.yaml", "bad_horizon.yaml")
    assert result.exit_code == 2, result.output
    no_crash(result)
    assert result.stdout.splitlines() == ["good.yaml: OK"]
    problems = result.stderr.splitlines()
    assert len(problems) == 2, result.stderr
    assert problems[0].startswith("bad_count.yaml:9:5: agents.team.count: ")
    assert problems[1].startswith("bad_horizon.yaml:2:1: horizon: cannot read duration '3x'")


def test_validate_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = ccsim("validate", missing)
    assert result.exit_code == 2, result.output
    no_crash(result)
    assert result.stderr.startswith(f"{missing}: cannot read file")


def test_validate_needs_a_file() -> None:
    result = ccsim("validate")
    assert result.exit_code == 2
    assert "Missing argument" in result.output


# schema ------------------------------------------------------------------------------------

def test_schema_is_json_with_the_top_level_settings() -> None:
    result = ccsim("schema")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert {"flex", "agents", "arrivals", "horizon"} <= set(schema["properties"])
    assert set(schema["required"]) <= set(schema["properties"])


# run ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One small run with every output (events and figures): (scenario file, results)."""
    folder = tmp_path_factory.mktemp("tiny")
    source = write(folder, "tiny.yaml", TINY)
    out = folder / "results" / "run"
    result = ccsim("run", source, "--out", out, "-w", "1", "-q")
    assert result.exit_code == 0, result.output
    no_crash(result)
    return source, out


TWO_SKILLS = (TINY.replace("name: tiny", "name: two")
              .replace("skills: {billing: 1.0}", "skills: {billing: 0.6, sales: 0.4}")
              .replace("    skills: [billing]\n", "    skills: [billing]\n"
                       "  - {name: sellers, count: 2, skills: [sales]}\n"))


def test_run_shows_and_writes_kpis_by_skill_and_group(tmp_path: Path) -> None:
    source = write(tmp_path, "two.yaml", TWO_SKILLS)
    out = tmp_path / "run"
    result = ccsim("run", source, "--out", out, "-w", "1", "--no-events", "--no-figures")
    assert result.exit_code == 0, result.output
    assert "two: KPIs by skill (mean, 95% CI)" in result.stdout
    assert "two: KPIs by agent group (mean, 95% CI)" in result.stdout
    by_skill = pd.read_csv(out / "kpis_by_skill.csv")
    assert list(by_skill.columns[:2]) == ["replication", "skill"]
    assert sorted(set(by_skill["skill"])) == ["billing", "sales"]
    assert len(by_skill) == 2 * 2  # replications x skills
    by_group = pd.read_csv(out / "summary_by_group.csv")
    assert set(by_group["group"]) == {"team", "sellers"}
    assert {"slot_occupancy", "agent_utilization"} <= set(by_group["kpi"])
    # The two skills' tasks add up to all tasks, replication by replication.
    total = pd.read_csv(out / "kpis.csv").set_index("replication")["tasks_created"]
    assert (by_skill.groupby("replication")["tasks_created"].sum() == total).all()


def test_the_kpi_table_says_why_a_kpi_is_undefined(tiny_run: tuple[Path, Path]) -> None:
    source, _ = tiny_run
    result = ccsim("run", source, "--out", source.parent / "again", "-w", "1", "--no-events",
                   "--no-figures")
    line = next(row for row in result.stdout.splitlines() if "pause_expiry_rate " in row)
    assert "undefined" in line and "Pause is off (flex.pause.enabled: false)" in line
    line = next(row for row in result.stdout.splitlines() if "reactivation_rate " in row)
    assert "Leave is off (flex.leave.enabled: false)" in line


def test_figures_of_features_that_are_on_are_drawn(tmp_path: Path) -> None:
    source = write(tmp_path, "on.yaml", TINY + "flex: {pause: {enabled: true}, "
                                                "leave: {enabled: true}}\n")
    ccsim("run", source, "--out", tmp_path / "run", "-w", "1", "--no-events", "-q")
    names = {path.name for path in (tmp_path / "run" / "figures").glob("*.png")}
    assert {"pauses.png", "reactivation.png"} <= names


@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_results_are_as_readable_as_the_umask_allows(tmp_path: Path, mask: int) -> None:
    import os
    import stat

    source = write(tmp_path, "tiny.yaml", TINY)
    previous = os.umask(mask)
    try:
        ccsim("run", source, "--out", tmp_path / "run", "-w", "1", "-q")
    finally:
        os.umask(previous)
    paths = [tmp_path / "run", *(tmp_path / "run").rglob("*")]
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in paths}
    for path in paths:
        assert modes[path.name] == (0o777 if path.is_dir() else 0o666) & ~mask, path


def test_counts_are_integers_in_kpis_csv(tiny_run: tuple[Path, Path]) -> None:
    _, out = tiny_run
    header, first = (out / "kpis.csv").read_text().splitlines()[:2]
    row = dict(zip(header.split(","), first.split(","), strict=True))
    for name in COUNTS:
        assert row[name].isdigit(), (name, row[name])
    assert "." in row["service_level"]


def test_run_writes_the_results_folder(tiny_run: tuple[Path, Path]) -> None:
    _, out = tiny_run
    assert {path.name for path in out.iterdir()} >= RUN_FILES
    # Assembled elsewhere and renamed into place: no staging folder is left behind.
    assert [path.name for path in out.parent.iterdir()] == ["run"]

    scenario = load_scenario(out / "scenario.yaml")  # the resolved file reads back
    assert (scenario.name, scenario.replications, scenario.horizon) == ("tiny", 2, 2 * 86400)

    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns) == ["replication", *KPI_NAMES]
    assert kpis["replication"].tolist() == [0, 1]
    assert (kpis["conversations_created"] > 0).all()

    summary = pd.read_csv(out / "summary.csv")
    assert {"kpi", "mean", "ci_low", "ci_high", "n"} <= set(summary.columns)
    assert set(summary["kpi"]) == set(KPI_NAMES)

    events = pd.read_parquet(out / "events.parquet")
    assert list(events.columns) == EVENT_COLUMNS
    assert set(events["replication"]) == {0, 1}
    assert "conversation.created" in set(events["event"])

    figures = sorted((out / "figures").glob("*.png"))
    # Pause and Leave are off in this scenario: their figures would be empty frames
    assert [path.name for path in figures] == [
        "backlog_occupancy.png", "first_response.png", "reservations.png"]
    assert all(path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for path in figures)

    manifest = json.loads((out / "manifest.json").read_text())
    assert {"seed", "scenario_sha256", "wall_seconds", "versions", "command"} <= set(manifest)
    assert manifest["seed"] == 1
    digest = hashlib.sha256((out / "scenario.yaml").read_bytes()).hexdigest()
    assert manifest["scenario_sha256"] == digest
    assert manifest["wall_seconds"] >= 0
    assert isinstance(manifest["versions"], dict) and manifest["versions"]
    assert manifest["command"].startswith("ccsim")


def test_set_with_a_bad_value_names_the_option(tmp_path: Path) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)
    out = tmp_path / "run"
    result = ccsim("run", source, "--out", out, "-w", "1", "-q",
                   "--set", "agents.team.count=abc")
    assert result.exit_code == 2, result.output
    no_crash(result)
    assert result.stderr.startswith("--set agents.team.count=abc: agents.team.count: ")
    assert "'abc'" in result.stderr
    assert not out.exists()


def test_set_of_a_missing_group_names_it(tmp_path: Path) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)
    out = tmp_path / "run"
    result = ccsim("run", source, "--out", out, "-w", "1", "-q",
                   "--set", "agents.nosuchgroup.count=3")
    assert result.exit_code == 2, result.output
    no_crash(result)
    assert result.stderr.startswith("--set agents.nosuchgroup.count=3: ")
    assert "no agent group named 'nosuchgroup'" in result.stderr
    assert not out.exists()


def test_set_is_written_into_the_resolved_scenario(tmp_path: Path) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)
    out = tmp_path / "run"
    result = ccsim("run", source, "--out", out, "-w", "1", "-q", "--no-figures",
                   "--no-events", "--set", "flex.reservation_timeout=30s",
                   "--set", "agents.team.count=4")
    assert result.exit_code == 0, result.output
    text = (out / "scenario.yaml").read_text()
    assert re.search(r"^  reservation_timeout: 30s$", text, re.MULTILINE), text
    scenario = load_scenario(out / "scenario.yaml")
    assert scenario.flex.reservation_timeout == 30
    assert scenario.group("team").count == 4
    assert not (out / "figures").exists() and not (out / "events.parquet").exists()


def test_out_that_exists_is_refused_and_left_alone(tmp_path: Path) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)
    out = tmp_path / "existing"
    write(out, "notes.txt", "keep me\n")
    before = {path.relative_to(out): path.read_bytes() for path in out.rglob("*")}
    result = ccsim("run", source, "--out", out, "-w", "1", "-q", "--no-figures")
    assert result.exit_code == 2, result.output
    no_crash(result)
    assert str(out) in result.stderr and "already exists" in result.stderr
    after = {path.relative_to(out): path.read_bytes() for path in out.rglob("*")}
    assert after == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["existing", "tiny.yaml"]


def test_replications_and_seed_options_are_written(tmp_path: Path) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)
    out = tmp_path / "run"
    result = ccsim("run", source, "--out", out, "-w", "1", "-q", "--no-figures",
                   "--no-events", "-r", "3", "--seed", "7")
    assert result.exit_code == 0, result.output
    text = (out / "scenario.yaml").read_text()
    assert re.search(r"^replications: 3$", text, re.MULTILINE), text
    assert re.search(r"^seed: 7$", text, re.MULTILINE), text
    assert pd.read_csv(out / "kpis.csv")["replication"].tolist() == [0, 1, 2]
    assert json.loads((out / "manifest.json").read_text())["seed"] == 7


def test_rerunning_the_written_scenario_reproduces_the_kpis(
    tiny_run: tuple[Path, Path], tmp_path: Path
) -> None:
    _, first = tiny_run
    again = tmp_path / "again"
    result = ccsim("run", first / "scenario.yaml", "--out", again, "-w", "1", "-q",
                   "--no-figures")
    assert result.exit_code == 0, result.output
    assert (again / "kpis.csv").read_bytes() == (first / "kpis.csv").read_bytes()
    assert (again / "summary.csv").read_bytes() == (first / "summary.csv").read_bytes()
    # Resolving a resolved scenario changes nothing.
    assert (again / "scenario.yaml").read_bytes() == (first / "scenario.yaml").read_bytes()


def test_process_pool_gives_the_same_results_as_serial(
    tiny_run: tuple[Path, Path], tmp_path: Path
) -> None:
    source, serial = tiny_run
    pooled = tmp_path / "pooled"
    result = ccsim("run", source, "--out", pooled, "-w", "2", "-q", "--no-figures")
    assert result.exit_code == 0, result.output
    assert json.loads((pooled / "manifest.json").read_text())["executor"] == "process-pool"
    assert (pooled / "kpis.csv").read_bytes() == (serial / "kpis.csv").read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(pooled / "events.parquet"),
                                  pd.read_parquet(serial / "events.parquet"))


def test_workers_must_be_positive(tmp_path: Path) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)
    result = ccsim("run", source, "--out", tmp_path / "run", "-q", "-w", "0")
    assert result.exit_code == 2, result.output
    assert "--workers 0: must be at least 1" in result.stderr
    assert not (tmp_path / "run").exists()


def test_python_dash_m_sim_is_the_same_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "sim", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: ccsim")
    for command in ("run", "validate", "schema"):
        assert re.search(rf"^\s+{command}\s", done.stdout, re.MULTILINE), done.stdout


def test_python_dash_m_sim_exits_2_on_a_bad_file() -> None:
    name = "tests/malformed/hipaa_true.yaml"
    done = subprocess.run([sys.executable, "-m", "sim", "validate", name], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"{name}:5:3: compliance.hipaa: ")
    assert "HIPAA" in done.stderr


# bugs found and fixed: each test keeps it fixed --------------------------------------------

def test_long_problem_lines_are_not_wrapped(tmp_path: Path) -> None:
    folder = tmp_path / ("d" * 200) / ("e" * 200)  # a deep path: the line is ~600 columns
    path = write(folder, "bad.yaml", TINY.replace("horizon: 2d", "horizon: 3x"))
    result = ccsim("validate", path, wide=False)  # the CLI's own consoles
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}:2:1: horizon: cannot read duration '3x': use a number with a unit "
        "(s, m, h, d, w), e.g. '30s', '2m', '1h30m', '14d'"]


@pytest.mark.parametrize(("option", "expected"), [
    (("--set", "flex.reservation_timeout=0s"),
     "--set flex.reservation_timeout=0s: flex.reservation_timeout: reservation timeout"),
    (("--set", "agents.team.shift.start=8am"),
     "--set agents.team.shift.start=8am: agents.team.shift.start: expected a time of day"),
    (("--seed=-1",), "seed: input should be greater than or equal to 0"),
], ids=["flex-section-absent", "shift-absent-in-group", "seed-absent"])
def test_invalid_override_of_a_key_the_file_does_not_write(
    tmp_path: Path, option: tuple[str, ...], expected: str
) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)  # writes no flex, no shift, no seed
    result = ccsim("run", source, "--out", tmp_path / "run", "-w", "1", "-q", *option)
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr


def test_file_whose_stem_is_not_a_scenario_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "baseline.v2.yaml", TINY.replace("name: tiny\n", ""))
    result = ccsim("validate", "baseline.v2.yaml")
    no_crash(result)
    assert result.exit_code in (0, 2)
    if result.exit_code == 2:
        assert result.stderr.startswith("baseline.v2.yaml:")
        assert "name" in result.stderr


@pytest.mark.parametrize("name", ["[wip]/s.yaml", "a[/]b.yaml"])
def test_file_names_with_brackets_are_printed_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, name, TINY)
    result = ccsim("validate", name)
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{name}: OK"]


@pytest.mark.parametrize(("text", "expected"), [
    (TINY.replace("horizon: 2d", "horizon: 2d\nhorizon: 3d").replace("count: 3", "count: -3"),
     ["3:1: horizon: duplicate key", "10:5: agents.team.count: "]),
    (TINY.replace("{billing: 1.0}", "{billing: 0.5, sales: 0.5}")
     .replace("count: 3", "count: -3"),
     ["6:26: arrivals.skills.sales: no agent group has skill", "9:5: agents.team.count: "]),
], ids=["duplicate-and-field", "field-and-cross-check"])
def test_every_problem_is_reported_in_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "bad.yaml", text)
    result = ccsim("validate", "bad.yaml")
    assert result.exit_code == 2, result.output
    for start in expected:
        assert any(line.startswith(f"bad.yaml:{start}") for line in result.stderr.splitlines()
                   ), result.stderr


def test_ctrl_c_stops_a_run_and_leaves_nothing(tmp_path: Path) -> None:
    import os
    import signal

    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / "baseline.yaml"),
         "-r", "20", "--out", str(out)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:  # imported and running replications, however slowly
        processes.wait_for(lambda: any(tmp_path.glob(".run.partial-*")),
                           "the run started its replications", process)
        os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the whole group
        _, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, errors
    assert "interrupted: nothing was written" in errors
    assert "Traceback" not in errors
    assert list(tmp_path.iterdir()) == []  # no results folder, no staging folder


def test_progress_is_plain_lines_when_not_on_a_terminal(tmp_path: Path) -> None:
    source = write(tmp_path, "tiny.yaml", TINY.replace("replications: 2", "replications: 3"))
    result = ccsim("run", source, "--out", tmp_path / "run", "-w", "1", "--no-events",
                   "--no-figures")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("tiny: ")]
    # in this process (one worker), the first line is the first run's first simulated day
    assert lines[0].startswith("tiny: 0/3 runs, ") and "left" in lines[0]
    horizon = load_scenario(source).horizon / 86_400
    assert f", replication 0 at day 1.0 of {horizon:g} ({1 / horizon:.0%})," in lines[0]
    assert lines[-1].startswith("tiny: 3/3 runs, ") and "left" not in lines[-1]
    assert "replication" not in lines[-1]
    assert "\x1b[" not in result.stderr  # no terminal control codes in a log


def test_format_xlsx_writes_every_table_as_a_sheet(tmp_path: Path) -> None:
    source = write(tmp_path, "two.yaml", TWO_SKILLS)
    out = tmp_path / "run"
    result = ccsim("run", source, "--out", out, "-w", "1", "-q", "--no-events",
                   "--no-figures", "--format", "xlsx")
    assert result.exit_code == 0, result.output
    sheets = pd.read_excel(out / "tables.xlsx", sheet_name=None)
    assert list(sheets) == ["kpis", "summary", "kpis_by_skill", "summary_by_skill",
                            "kpis_by_group", "summary_by_group"]
    for name, sheet in sheets.items():
        csv = pd.read_csv(out / f"{name}.csv")
        pd.testing.assert_frame_equal(sheet, csv, check_dtype=False)
    assert ccsim("run", source, "--out", tmp_path / "x", "--format", "pdf").exit_code == 2


def test_events_parquet_types_hold_for_any_reader(tiny_run: tuple[Path, Path]) -> None:
    """Not only pandas with its metadata: the Parquet types themselves are integers with
    nulls and dictionary-encoded names, and a timestamp in the scenario's calendar."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(tiny_run[1] / "events.parquet")
    types = {field.name: field.type for field in table.schema}
    for name in ("task", "conversation", "priority"):
        assert types[name] == pa.int32(), name
    for name in ("event", "agent", "skill", "reason"):
        assert pa.types.is_dictionary(types[name]), name
    assert pa.types.is_timestamp(types["timestamp"])
    rows = table.to_pylist()
    created = [r for r in rows if r["event"] == "conversation.created"]
    assert all(r["task"] is None and isinstance(r["conversation"], int) for r in created)
    assert all(r["reason"] in {"new", "follow-up"} for r in created)
