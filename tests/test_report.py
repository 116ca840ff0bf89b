"""The HTML report (`ccsim report`, `ccsim run --report`, `sim.report`) of a run, a sweep
and a comparison: what it says, that every user-provided string is escaped, that it loads
nothing (figures are data: URIs), and that a real browser renders it."""

from __future__ import annotations

import base64
import math
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import sim
from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.changes import Change, between, from_defaults
from sim.analysis.display import show
from sim.analysis.report_html import POLICY
from sim.analysis.undefined import why_undefined
from tests.invoke import ccsim

HOSTILE = '<script>alert("x")</script> & <img src=//example.org/t.png> "quoted"'
TINY = f"""\
name: tiny
description: '{HOSTILE}'
horizon: 2d
warmup: 12h
replications: 2
arrivals:
  per_day: 60
  skills: {{billing: 0.7, sales: 0.3}}
agents:
  - {{name: team, count: 3, capacity: 2, skills: [billing, sales]}}
  - {{name: sellers, count: 1, skills: [sales]}}
"""
FOLDER = 'odd <b>&"name'  # a results folder may be called anything


class Page(HTMLParser):
    """What a test reads of a report: every tag's attributes, the text, and each table's
    rows of cell texts under the id of its section."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: dict[str, list[list[list[str]]]] = {}
        self.text: list[str] = []
        self._section = ""
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "section":
            self._section = dict(attrs).get("id") or ""
        elif tag == "table":
            self.tables.setdefault(self._section, []).append([])
        elif tag == "tr":
            self.tables[self._section][-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._section][-1][-1].append(" ".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None and data.strip():
            self._cell.append(data.strip())

    def table(self, section: str, index: int = 0) -> list[list[str]]:
        return self.tables[section][index]

    def column(self, section: str, index: int = 0) -> list[str]:
        """The first cell of each body row, up to its first space (the KPI's name)."""
        return [row[0].split(" ")[0] for row in self.table(section, index)[1:]]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario file, in a folder that the module's results folders go beside."""
    folder = tmp_path_factory.mktemp("report")
    (folder / "tiny.yaml").write_text(TINY)
    return folder / "tiny.yaml"


@pytest.fixture(scope="module")
def run(tiny: Path) -> sim.Run:
    return sim.run(tiny, out=tiny.parent / FOLDER, workers=1)


@pytest.fixture(scope="module")
def sweep(tiny: Path) -> sim.SweepResults:
    spec = {"base": str(tiny), "replications": 2, "kpis": ["service_level",
                                                            "pause_expiry_rate"],
            "grid": {"flex.reservation_timeout": ["30s", "2m"]}}
    return sim.sweep(spec, out=tiny.parent / "sweep", workers=1)


@pytest.fixture(scope="module")
def comparison(tiny: Path) -> sim.Comparison:
    """tiny against the same scenario, loaded with two more agents in its first group."""
    more = sim.load_scenario(tiny, ["name=more", "agents.team.count=5"])
    return sim.compare(tiny, more, out=tiny.parent / "cmp", workers=1)


def written(results: sim.Run | sim.SweepResults) -> tuple[str, Page]:
    path = sim.report(results.folder)
    assert path == results.folder / "report.html"
    text = path.read_text(encoding="utf-8")
    return text, Page(text)


def assert_self_contained(text: str, page: Page) -> int:
    """Nothing in the page can load anything: every img is a PNG data: URI, no other tag
    names a source, no script or style sheet link. Returns the number of images."""
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    for attrs in images:
        source = attrs.get("src") or ""
        assert source.startswith("data:image/png;base64,"), source[:60]
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "base"), tag
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            assert value is None or value.startswith("data:"), (tag, name, value)
        for name, value in attrs.items():  # no other attribute (style=...) points anywhere
            assert value is None or value.startswith("data:") or "//" not in value, name
    style = re.findall(r"<style>(.*?)</style>", text, re.S)
    assert len(style) == 1 and not re.search(r"(?i)url\(|@import|//", style[0])
    policy = [a for t, a in page.tags if t == "meta" and a.get("http-equiv") ==
              "Content-Security-Policy"]
    assert [a.get("content") for a in policy] == [POLICY]
    return len(images)


def assert_escaped(text: str, page: Page) -> None:
    assert "<script" not in text and "<b>" not in text
    assert HOSTILE in " ".join(page.text)  # shown as text, exactly as written


# runs --------------------------------------------------------------------------------------

def test_run_report_is_self_contained_and_escapes_what_users_wrote(run: sim.Run) -> None:
    text, page = written(run)
    assert_escaped(text, page)
    assert FOLDER in " ".join(page.text)
    images = assert_self_contained(text, page)
    assert images == len(run.figures) + 2  # and the per-skill and per-group charts
    assert len(run.figures) >= 3


def test_run_report_tables(run: sim.Run) -> None:
    _, page = written(run)
    assert page.column("kpis") == list(KPI_NAMES)
    summary = run.summary.set_index("kpi")
    rows = {row[0].split(" ")[0]: row for row in page.table("kpis")[1:]}
    for kpi in KPI_NAMES:
        mean, n = float(summary.loc[kpi, "mean"]), int(summary.loc[kpi, "n"])
        if n == 0:
            assert rows[kpi][1:] == ["undefined", why_undefined(kpi, run.scenario), "0"]
        else:
            assert rows[kpi][1] == show(kpi, mean) and rows[kpi][3] == str(n)
    assert int((summary["n"] == 0).sum()) >= 3  # Pause and Leave are off: reasons shown
    skills = page.table("by-skill")
    assert skills[0] == ["KPI", "billing", "sales"]
    assert page.table("by-group")[0] == ["KPI", "team", "sellers"]
    assert page.column("glance") == ["service_level", "unanswered_rate",
                                     "first_response_time_p90", "reservation_timeout_rate",
                                     "slot_occupancy"]


def test_run_report_lists_what_differs_from_the_defaults(run: sim.Run) -> None:
    _, page = written(run)
    rows = page.table("changes")
    assert rows[0] == ["setting", "this scenario", "default"]
    assert rows[1:] == [["horizon", "2d", "28d"], ["warmup", "12h", "0s"],
                        ["replications", "2", "5"], ["agents.team.capacity", "2", "1"]]


def test_a_run_without_figures_says_so(tiny: Path, tmp_path: Path) -> None:
    bare = sim.run(tiny, out=tmp_path / "bare", workers=1, figures=False, events=False,
                   overrides=["arrivals.skills={billing: 1}", "agents.sellers.skills=[billing]"])
    text, page = written(bare)
    assert assert_self_contained(text, page) == 1  # the report's own per-group chart
    assert "made without its figures" in text
    assert "by-skill" not in page.tables and "by-group" in page.tables  # one skill


# sweeps and comparisons --------------------------------------------------------------------

def test_sweep_report(sweep: sim.SweepResults) -> None:
    text, page = written(sweep)
    assert_escaped(text, page)
    figures = sorted(p.name for p in (sweep.folder / "figures").glob("*.png"))
    assert figures == ["pause_expiry_rate_vs_flex_reservation_timeout.png",
                       "service_level_vs_flex_reservation_timeout.png"]
    assert assert_self_contained(text, page) == 1  # pause_expiry_rate is undefined: left out
    assert "undefined at every point: pause_expiry_rate" in text
    grid = page.table("grid")
    assert grid[0] == ["point", "flex.reservation_timeout"]
    assert [row[1] for row in grid[1:]] == ["30s", "2m"]
    kpis = page.table("kpis")
    reason = why_undefined("pause_expiry_rate", sweep.scenario(0))
    assert all(row[3] == f"undefined {reason}" for row in kpis[1:])
    base = sweep.base_point
    differences = page.table("differences")
    assert [row[2] for row in differences[1:]][base] == "base"
    assert page.column("every-kpi") == list(KPI_NAMES)


def test_comparison_report(comparison: sim.Comparison) -> None:
    text, page = written(comparison)
    assert_escaped(text, page)
    pngs = len(list((comparison.folder / "figures").glob("*.png")))
    assert 0 < assert_self_contained(text, page) <= pngs + 1  # + the differences chart
    assert page.table("differ") == [["setting", "tiny", "more"],
                                    ["agents.team.count", "3", "5"]]
    kpis = page.table("kpis")
    assert kpis[0] == ["KPI", "tiny", "more", "more - tiny"]
    assert page.column("kpis") == list(comparison.manifest["kpis"])
    assert page.column("kpis", 1) == list(KPI_NAMES)
    difference = comparison.differences.set_index(["scenario", "kpi"]).loc[
        ("more", "slot_occupancy")]
    row = next(r for r in kpis if r[0].startswith("slot_occupancy"))
    assert row[3].startswith(f"{difference['mean'] * 100:+.1f} pts")
    significant = not (difference["ci_low"] <= 0 <= difference["ci_high"])
    markup = re.search(r"<code>slot_occupancy</code>.*?</tr>", text)
    assert markup is not None and not math.isnan(difference["ci_low"])
    assert significant == ('<span class="sig">' in markup[0])  # bold when it excludes 0


# the command line --------------------------------------------------------------------------

def test_ccsim_report_writes_where_asked(run: sim.Run, tmp_path: Path) -> None:
    out = tmp_path / "shared" / "tiny.html"
    result = ccsim("report", run.folder, "--out", out)
    assert result.exit_code == 0, result.output
    assert f"report: {out}" in result.output and out.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p, "not a run's results folder"),
    (lambda p: p / "nothing", "no such folder"),
    (lambda p: (p / "sweep.json").write_text("{}") and p, "not a finished sweep folder"),
])
def test_ccsim_report_refuses_what_is_not_a_results_folder(
        tmp_path: Path, make: Callable[[Path], Path], message: str) -> None:
    folder = make(tmp_path)
    result = ccsim("report", folder)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "report.html").exists()


def test_ccsim_run_report(tiny: Path, tmp_path: Path) -> None:
    result = ccsim("run", tiny, "--out", tmp_path / "r", "-w", "1", "-q", "--report",
                   "--no-events")
    assert result.exit_code == 0, result.output
    assert f"report: {tmp_path / 'r' / 'report.html'}" in result.output
    text = (tmp_path / "r" / "report.html").read_text()
    assert "tiny: simulation report" in text


def test_ccsim_sweep_and_compare_report(tiny: Path, tmp_path: Path) -> None:
    plan = tmp_path / "timeouts.yaml"
    plan.write_text(f"name: timeouts\nbase: {tiny}\nreplications: 1\n"
                    "grid: {flex.reservation_timeout: [30s, 2m]}\n")
    swept = ccsim("sweep", plan, "--out", tmp_path / "s", "-w", "1", "-q", "--report",
                  "--no-events", "--no-figures")
    assert swept.exit_code == 0, swept.output
    assert "timeouts: sweep report" in (tmp_path / "s" / "report.html").read_text()
    more = tmp_path / "more.yaml"
    more.write_text(TINY.replace("name: tiny", "name: more").replace("count: 3", "count: 4"))
    compared = ccsim("compare", tiny, more, "-r", "1", "--out", tmp_path / "c", "-w", "1",
                     "-q", "--report", "--no-figures")
    assert compared.exit_code == 0, compared.output
    assert "tiny vs more: comparison report" in (tmp_path / "c" / "report.html").read_text()


# what differs from what -------------------------------------------------------------------

def test_a_scenario_of_defaults_changes_nothing() -> None:
    scenario = sim.parse_scenario(
        "name: plain\narrivals: {per_day: 10, skills: {a: 1}}\n"
        "agents: [{name: g, count: 2, skills: [a]}]\n", "plain.yaml")
    assert from_defaults(scenario) == []
    changed = scenario.model_copy(update={"description": "not a setting"})
    assert from_defaults(changed) == []


def test_changes_name_groups_and_distributions_as_set_spells_them(tiny: Path) -> None:
    first = sim.load_scenario(tiny)
    other = sim.load_scenario(tiny, [
        "agents.team.handling.compose=5m", "flex.pause.enabled=true",
        "agents.sellers.shift.days=[mon, tue]"])
    assert between(other, first) == [  # in the file's order, groups in theirs
        Change("flex.pause.enabled", "true", "false"),
        Change("agents.team.handling.compose", "constant(value=5m)",
               "lognormal(median=8m, sigma=0.5)"),
        Change("agents.sellers.shift.days", "[mon, tue]",
               "[mon, tue, wed, thu, fri, sat, sun]"),
    ]
    fewer = first.model_copy(update={"agents": first.agents[:1]})
    assert [(c.key, c.value) for c in between(fewer, first) if c.key.startswith("agents")
            ] == [("agents.sellers", "removed")]


# in a real browser -------------------------------------------------------------------------
# Chromium from the system's packages (CI's .ci/run installs Debian's `chromium`), driven by
# Playwright without its own browser downloads, with a fresh profile and every background
# service off so that the only requests are the report's own. Skipped where there is none,
# unless CCSIM_REQUIRE_BROWSER=1 (CI), where a missing browser fails.

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CCSIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and CCSIM_REQUIRE_BROWSER=1 requires the browser test")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium context on a profile made for this test module."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _unavailable("no Chromium on PATH (apt-get install chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=path, headless=True, args=CHROMIUM_FLAGS,
            chromium_sandbox=False)
        yield context
        context.close()


@dataclass
class Visit:
    requests: list[str]  # every request the page made
    failed: list[str]  # requests that failed (any the route refused, too)
    problems: list[str]  # console errors and page errors
    images: list[tuple[bool, int, int]]  # complete, naturalWidth, naturalHeight
    tables: int  # tables laid out with a height
    kpi_rows: list[str]


def visit(browser: Any, report: Path, kpi_cells: str) -> Visit:
    """Open the report from its file, recording every request it makes (letting only its
    own file through), and read what the browser rendered."""
    url = report.resolve().as_uri()
    requests: list[str] = []
    failed: list[str] = []
    problems: list[str] = []
    page = browser.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url == url
               else route.abort())
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url, wait_until="load")
    images = page.eval_on_selector_all(
        "img", "all => all.map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    tables = page.eval_on_selector_all(
        "table", "all => all.filter(t => t.getBoundingClientRect().height > 0).length")
    rows = page.eval_on_selector_all(kpi_cells, "all => all.map(c => c.textContent)")
    page.close()
    return Visit(requests, failed, problems, [tuple(i) for i in images], tables, rows)


def png_sizes(text: str) -> list[tuple[int, int]]:
    """The width and height in the header of each PNG embedded in the page."""
    found = re.findall(r'<img src="data:image/png;base64,([^"]+)"', text)
    headers = [base64.b64decode(data)[16:24] for data in found]
    return [(int.from_bytes(h[:4], "big"), int.from_bytes(h[4:], "big")) for h in headers]


def assert_rendered(seen: Visit, report: Path) -> None:
    """Only the report's own file was requested, nothing failed, every table is laid out
    and every image decoded at the size its PNG says."""
    text = report.read_text(encoding="utf-8")
    assert [r for r in seen.requests if not r.startswith("data:")] == [report.resolve().as_uri()]
    assert seen.failed == [] and seen.problems == []
    assert seen.tables == text.count("<table") > 0
    sizes = png_sizes(text)
    assert len(sizes) > 0 and all(complete for complete, _, _ in seen.images), seen.images
    assert [(width, height) for _, width, height in seen.images] == sizes


def test_a_browser_renders_the_run_report(browser: Any, run: sim.Run) -> None:
    report = sim.report(run.folder)
    seen = visit(browser, report, "#kpis tbody tr td:first-child code")
    assert_rendered(seen, report)
    assert len(seen.images) == len(run.figures) + 2
    assert seen.kpi_rows == list(KPI_NAMES)


def test_a_browser_renders_the_sweep_report(browser: Any, sweep: sim.SweepResults) -> None:
    report = sim.report(sweep.folder)
    seen = visit(browser, report, "#every-kpi tbody tr td:first-child code")
    assert_rendered(seen, report)
    assert seen.kpi_rows == list(KPI_NAMES)  # folded away in <details>, but in the page


def test_a_browser_renders_the_comparison_report(browser: Any,
                                                 comparison: sim.Comparison) -> None:
    report = sim.report(comparison.folder)
    seen = visit(browser, report, "#kpis > div.scroll tbody td:first-child code")
    assert_rendered(seen, report)
    assert seen.kpi_rows == list(comparison.manifest["kpis"])
