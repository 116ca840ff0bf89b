"""The report of a sweep or a comparison: what was varied (the grid, or the scenarios and
how they differ from each other), the base scenario and what it changes from the defaults,
the KPIs of every point with their intervals, the paired differences against the base,
and the folder's charts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from sim.analysis.catalogue import BY_NAME, KPI_NAMES
from sim.analysis.changes import Change, between, from_defaults
from sim.analysis.report_html import (
    Cell,
    Markup,
    details,
    drawn,
    element,
    facts,
    image,
    join,
    paragraph,
    section,
    table,
)
from sim.analysis.report_parts import (
    SIGNIFICANCE,
    Numbers,
    change_cell,
    changes_table,
    footer,
    kpi_cell,
    kpi_name,
    scenario_facts,
)
from sim.analysis.report_run import several, view_table
from sim.analysis.sweep import DEFAULT_KPIS
from sim.analysis.sweep_results import Comparison, SweepResults
from sim.analysis.undefined import why_undefined
from sim.domain.scenario import Scenario

COMMON_SEEDS = ("Every point ran on the same replication seeds (common random numbers), so "
                "what differs between points is the configuration, not the luck of the draw.")


def numbers_by_point(frame: pd.DataFrame) -> dict[tuple[int, str], Numbers]:
    """(point, kpi) -> mean, ci_low, ci_high, n of a summary or differences table."""
    columns = ["point", "kpi", "mean", "ci_low", "ci_high", "n"]
    return {(int(p), str(k)): (float(m), float(lo), float(hi), float(n))
            for p, k, m, lo, hi, n in frame[columns].itertuples(index=False, name=None)}


class SweepReport:
    """The sections of a sweep's (or a comparison's) report, read from its results."""

    unit = "point"  # what the report calls one of the things compared

    def __init__(self, results: SweepResults) -> None:
        self.results = results
        self.points = [int(p) for p in results.points["point"]]
        self.base = results.base_point
        self.summary = numbers_by_point(results.summary)
        self.differences = numbers_by_point(results.differences)
        chosen = results.manifest.get("kpis") or DEFAULT_KPIS
        self.kpis = [str(k) for k in chosen if k in BY_NAME]
        self._scenarios: dict[int, Scenario] = {}

    def scenario(self, point: int) -> Scenario:
        """A point's resolved scenario (read once)."""
        if point not in self._scenarios:
            self._scenarios[point] = self.results.scenario(point)
        return self._scenarios[point]

    def label(self, point: int) -> str:
        return f"point {point}"

    # the tables --------------------------------------------------------------------------

    def kpi_cell(self, point: int, kpi: str) -> Markup:
        numbers = self.summary[(point, kpi)]
        why = why_undefined(kpi, self.scenario(point)) if numbers[3] == 0 else ""
        return kpi_cell(kpi, numbers, why)

    def change_cell(self, point: int, kpi: str) -> Cell:
        return "base" if point == self.base else change_cell(kpi, self.differences[(point,
                                                                                    kpi)])

    def by_point(self, cell: Callable[[int, str], Cell], kpis: list[str]) -> Markup:
        """Points down (with their settings), KPIs across."""
        keys = self.results.keys
        settings = self.results.points.set_index("point")
        rows = [[self._point_name(p), *(str(settings.loc[p, k]) for k in keys),
                 *(cell(p, kpi) for kpi in kpis)] for p in self.points]
        return table(["point", *keys, *(kpi_name(k) for k in kpis)], rows,
                     left=1 + len(keys))

    def grid(self) -> Markup:
        """The points and their settings."""
        return self.by_point(lambda point, kpi: "", [])

    def by_kpi(self, kpis: list[str], with_changes: bool) -> Markup:
        """KPIs down; each point's mean and interval, then (optionally) each one's paired
        difference from the base."""
        others = [p for p in self.points if p != self.base]
        header = [*(self.label(p) for p in self.points),
                  *(f"{self.label(p)} - {self.label(self.base)}" for p in others
                    if with_changes)]
        rows = [[kpi_name(kpi), *(self.kpi_cell(p, kpi) for p in self.points),
                 *(self.change_cell(p, kpi) for p in others if with_changes)]
                for kpi in kpis]
        return table(["KPI", *header], rows)

    def views(self) -> list[Markup]:
        """Per point, its per-skill and per-group tables (folded), each when there is more
        than one skill (group); none for a folder whose runs did not keep them."""
        found = []
        for key, what in (("skill", "skill"), ("group", "agent group")):
            try:
                frame: pd.DataFrame = getattr(self.results, f"by_{key}")
            except FileNotFoundError:
                continue
            if several(frame, key):
                found.append(section(f"KPIs by {what}", paragraph(
                    f"Mean over the replications with its 95% confidence interval, per {what}"
                    f" at each {self.unit}.", css="note"), *(
                        details(self.label(point), *view_table(
                            frame[frame["point"] == point], key, what, self.scenario(point)))
                        for point in self.points), anchor=f"by-{key}"))
        return found

    def _point_name(self, point: int) -> Cell:
        name = self.label(point)
        return element("span", f"{name} (base)", css="base") if point == self.base else name

    # the figures -------------------------------------------------------------------------

    def figures(self, first: Sequence[Markup] = ()) -> list[Markup]:
        """`first`, then the folder's charts in the order of the report's KPIs, less those
        of KPIs undefined at every point (named below them)."""
        shown, empty = list(first), []
        for path in sorted((self.results.folder / "figures").glob("*.png"), key=self._order):
            kpi = path.stem.split("_vs_")[0]
            if kpi in BY_NAME and all(self.summary[(p, kpi)][3] == 0 for p in self.points):
                empty.append(kpi)
                continue
            shown.append(image(path.read_bytes(), _caption(path.stem)))
        if empty:
            shown.append(paragraph("Not shown, undefined at every point: "
                                   f"{', '.join(dict.fromkeys(empty))}.", css="note"))
        return shown or [paragraph("This folder has no figures (made with --no-figures).",
                                   css="note")]

    def defined(self) -> list[str]:
        """The report's KPIs that have a value at some point."""
        return [k for k in self.kpis if any(self.summary[(p, k)][3] for p in self.points)]

    def _order(self, path: Path) -> tuple[int, str]:
        kpi = path.stem.split("_vs_")[0]
        return (self.kpis.index(kpi) if kpi in self.kpis else len(self.kpis), path.name)

    # the footer --------------------------------------------------------------------------

    def footer(self) -> Markup:
        manifest = self.results.manifest
        return footer(manifest, self.results.folder.name, [
            ("points", str(len(self.points))),
            ("replications per point", str(manifest.get("replications", "-"))),
            ("sweep identity", str(manifest.get("identity", "-")))])


def _caption(stem: str) -> str:
    kpi, _, key = stem.partition("_vs_")
    return f"{kpi} against {key.replace('_', '.')}" if key else stem


# sweeps ------------------------------------------------------------------------------------

def sweep_title(results: SweepResults) -> str:
    return f"{results.manifest.get('sweep', results.folder.name)}: sweep report"


def sweep_body(results: SweepResults) -> list[Cell]:
    report = SweepReport(results)
    base = report.scenario(report.base)
    manifest = results.manifest
    return [
        section("The sweep", facts([
            ("points", str(len(report.points))),
            ("replications per point", str(manifest.get("replications", "-"))),
            ("seed", str(manifest.get("seed", "-"))),
            ("swept settings", ", ".join(results.keys)),
            ("base point", f"point {report.base}")]),
            paragraph(COMMON_SEEDS, css="note"), report.grid(), anchor="grid"),
        section(f"The base scenario: {base.name}", scenario_facts(base),
                element("h3", "What differs from the defaults"),
                changes_table(from_defaults(base), "base scenario", "default",
                              "Every setting is at its default."), anchor="scenario"),
        section("KPIs", paragraph("Mean over the replications with its 95% confidence "
                                  "interval.", css="note"),
                report.by_point(report.kpi_cell, report.kpis), anchor="kpis"),
        section("Paired differences against the base point",
                paragraph(SIGNIFICANCE, css="note"),
                report.by_point(report.change_cell, report.kpis), anchor="differences"),
        *report.views(),
        section("Every KPI", details(f"every KPI at every point ({len(KPI_NAMES)} KPIs)",
                                     report.by_kpi(list(KPI_NAMES), with_changes=False)),
                anchor="every-kpi"),
        section("Figures", *report.figures(), anchor="figures"),
    ]


# comparisons -------------------------------------------------------------------------------

class ComparisonReport(SweepReport):
    unit = "scenario"

    def label(self, point: int) -> str:
        return str(self.results.points.set_index("point").loc[point, "scenario"])


def comparison_title(results: Comparison) -> str:
    return f"{' vs '.join(results.scenarios)}: comparison report"


def comparison_body(results: Comparison) -> list[Cell]:
    report = ComparisonReport(results)
    first = report.scenario(report.base)
    return [
        section("The comparison", facts([
            ("scenarios", ", ".join(results.scenarios)),
            ("reference", report.label(report.base)),
            ("replications", str(results.manifest.get("replications", "-"))),
            ("seed", str(results.manifest.get("seed", "-")))]),
            paragraph(COMMON_SEEDS.replace("point", "scenario"), css="note"),
            anchor="comparison"),
        section("How the scenarios differ", differences_table(report), anchor="differ"),
        section("KPIs", paragraph(
            "Each scenario's mean with its 95% confidence interval, then its paired "
            f"difference from {report.label(report.base)}. {SIGNIFICANCE}", css="note"),
            report.by_kpi(report.kpis, with_changes=True),
            details(f"every KPI ({len(KPI_NAMES)})",
                    report.by_kpi(list(KPI_NAMES), with_changes=True)), anchor="kpis"),
        *report.views(),
        section("The scenarios", *(details(f"{report.label(p)}: settings",
                                           scenario_facts(report.scenario(p)))
                                   for p in report.points),
                element("h3", f"What {first.name} changes from the defaults"),
                changes_table(from_defaults(first), first.name, "default",
                              "Every setting is at its default."), anchor="scenarios"),
        section("Figures", *report.figures(differences_chart(report, results)),
                anchor="figures"),
    ]


def differences_chart(report: ComparisonReport, results: Comparison) -> list[Markup]:
    """Each scenario's paired differences from the first, for the first few KPIs that have
    a value."""
    kpis = report.defined()[:5]
    if not kpis:
        return []
    return [drawn(results.plot_differences(*kpis), f"Paired differences from "
                  f"{report.label(report.base)} (mean and 95% CI)")]


def differences_table(report: ComparisonReport) -> Markup:
    """Settings down (those where any scenario differs from the reference), scenarios
    across."""
    first = report.scenario(report.base)
    others = [p for p in report.points if p != report.base]
    found = {p: {c.key: c for c in between(report.scenario(p), first)} for p in others}
    keys = list(dict.fromkeys(key for changes in found.values() for key in changes))
    if not keys:
        return paragraph("The scenarios differ only in name or description.", css="note")
    reference = {key: next(c.other for c in (found[p].get(key) for p in others) if c)
                 for key in keys}
    rows = [[element("code", key), reference[key] or "-",
             *(_value(found[p].get(key), reference[key]) for p in others)] for key in keys]
    descriptions = [paragraph(join([element("strong", report.label(p)), ": ",
                                    report.scenario(p).description]), css="lead")
                    for p in report.points if report.scenario(p).description]
    return join([*descriptions, table(["setting", *(report.label(p) for p in report.points)],
                                      rows, left=len(report.points) + 1)])


def _value(change: Change | None, reference: str) -> Cell:
    if change is None:
        return element("span", reference or "-", css="ci")  # the same as the reference
    return change.value
