"""The report of one run: its headline KPIs, the scenario and what it changes from the
defaults, every KPI with its interval (or why it is undefined), the per-skill and
per-group tables when there is more than one skill or group, and the run's figures."""

from __future__ import annotations

import pandas as pd

from sim.analysis.changes import from_defaults
from sim.analysis.display import interval, show
from sim.analysis.report_html import Cell, Markup, drawn, element, image, paragraph, section, table
from sim.analysis.report_parts import (
    Numbers,
    changes_table,
    footer,
    kpi_cell,
    kpi_name,
    scenario_facts,
)
from sim.analysis.run_folder import HEADLINE, Run
from sim.analysis.undefined import why_undefined
from sim.domain.scenario import Scenario

CAPTIONS = {
    "reservations": "Reservation outcomes: accepted, rejected and timed-out offers",
    "pauses": "Pauses: how they ended and how long tasks stayed paused",
    "reactivation": "Reactivation after Leave: the delay from Leave to the customer's reply",
    "backlog_occupancy": "Unanswered work, queue and slot occupancy over time",
    "first_response": "First response time against the service-level threshold",
}


def run_title(run: Run) -> str:
    return f"{run.scenario.name}: simulation report"


def run_body(run: Run) -> list[Cell]:
    scenario = run.scenario
    return [
        section("At a glance", headline(run.summary, scenario), anchor="glance"),
        section("The scenario", scenario_facts(scenario), anchor="scenario"),
        section("What differs from the defaults", changes_table(
            from_defaults(scenario), "this scenario", "default",
            "Every setting is at its default."), anchor="changes"),
        section("KPIs", paragraph(
            f"Mean over {scenario.replications} replications with its 95% confidence "
            "interval; n is the number of replications where the KPI is defined.",
            css="note"), kpi_table(run.summary, scenario), anchor="kpis"),
        *views(run),
        section("Figures", *figures(run), anchor="figures"),
    ]


def run_footer(run: Run) -> Markup:
    manifest = run.manifest
    return footer(manifest, run.folder.name, [
        ("replications", str(manifest.get("replications", "-"))),
        ("scenario SHA-256", str(manifest.get("scenario_sha256", "-")))])


def _numbers(row: pd.Series) -> Numbers:
    return (float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]), float(row["n"]))


def headline(summary: pd.DataFrame, scenario: Scenario) -> Markup:
    numbers = {str(row["kpi"]): _numbers(row) for _, row in summary.iterrows()}
    return table(["KPI", "mean (95% CI)"], [
        [kpi_name(kpi), kpi_cell(kpi, numbers[kpi], why_undefined(kpi, scenario))]
        for kpi in HEADLINE], css="headline")


def kpi_table(summary: pd.DataFrame, scenario: Scenario) -> Markup:
    """Every KPI: mean, interval, n; an undefined KPI says why instead."""
    rows: list[list[Cell]] = []
    for _, row in summary.iterrows():
        kpi = str(row["kpi"])
        mean, low, high, n = _numbers(row)
        if n == 0:
            rows.append([kpi_name(kpi), "undefined",
                         element("span", why_undefined(kpi, scenario), css="why"), "0"])
        else:
            rows.append([kpi_name(kpi), show(kpi, mean), interval(kpi, low, high),
                         str(int(n))])
    return table(["KPI", "mean", "95% CI", "n"], rows, css="kpis")


def views(run: Run) -> list[Markup]:
    """The per-skill and per-group tables, each when the run has more than one."""
    found = []
    for key, frame, what in (("skill", run.by_skill, "skill"),
                             ("group", run.by_group, "agent group")):
        if several(frame, key):
            found.append(section(f"KPIs by {what}", paragraph(
                f"Mean over the replications with its 95% confidence interval, per {what}.",
                css="note"), *view_table(frame, key, what, run.scenario), anchor=f"by-{key}"))
    return found


def view_table(frame: pd.DataFrame, key: str, what: str, scenario: Scenario) -> list[Markup]:
    """KPIs down, one column per skill (group); the KPIs undefined for every one of them are
    listed under the table with the reason."""
    names = [str(name) for name in dict.fromkeys(frame[key])]
    cells = {(str(row[key]), str(row["kpi"])): _numbers(row) for _, row in frame.iterrows()}
    kpis = list(dict.fromkeys(str(k) for k in frame["kpi"]))
    empty = [kpi for kpi in kpis if all(cells[(name, kpi)][3] == 0 for name in names)]
    rows: list[list[Cell]] = [
        [kpi_name(kpi), *(kpi_cell(kpi, cells[(name, kpi)]) for name in names)]
        for kpi in kpis if kpi not in empty]
    reasons: dict[str, list[str]] = {}
    for kpi in empty:
        reasons.setdefault(why_undefined(kpi, scenario), []).append(kpi)
    notes = [paragraph(f"Undefined for every {what}: {', '.join(kpis)} ({reason}).",
                       css="note") for reason, kpis in reasons.items()]
    return [table(["KPI", *names], rows), *notes]


def figures(run: Run) -> list[Markup]:
    """The run's PNG files, then the per-skill and per-group charts where they exist."""
    shown = [image(path.read_bytes(), CAPTIONS.get(path.stem, path.stem))
             for path in run.figures] or [paragraph(
                 "This run was made without its figures (--no-figures).", css="note")]
    if several(run.by_skill, "skill"):
        shown.append(drawn(run.plot.by_skill(), "Headline KPIs by skill (mean and 95% CI)"))
    if several(run.by_group, "group"):
        shown.append(drawn(run.plot.by_group(), "KPIs by agent group (mean and 95% CI)"))
    return shown


def several(frame: pd.DataFrame, key: str) -> bool:
    """Whether a per-skill (per-group) table has more than one skill (group) to show."""
    return len(frame) > 0 and frame[key].nunique() > 1
