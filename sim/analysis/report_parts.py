"""Parts of the report that every kind of results folder has: the scenario and what it
changes, KPI cells with their intervals (and why a KPI is undefined), and the footer's
facts from the manifest."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sim.analysis.catalogue import BY_NAME
from sim.analysis.changes import Change
from sim.analysis.display import change_interval, interval, show, show_change
from sim.analysis.report_html import Cell, Markup, element, facts, join, paragraph, table
from sim.domain.durations import format_duration
from sim.domain.scenario import AgentGroup, Scenario

Numbers = tuple[float, float, float, float]  # mean, ci_low, ci_high, n


def kpi_cell(kpi: str, numbers: Numbers, why: str = "") -> Markup:
    """The mean, its 95% interval below it; "undefined" and the reason when there is none."""
    mean, low, high, n = numbers
    if n == 0:
        return join(["undefined", element("span", why, css="why")] if why else ["undefined"])
    return join([show(kpi, mean), element("span", interval(kpi, low, high), css="ci")])


def change_cell(kpi: str, numbers: Numbers) -> Markup:
    """A paired difference and its interval, in bold when the interval excludes zero."""
    mean, low, high, n = numbers
    if n == 0:
        return Markup("undefined")
    if math.isnan(low):
        return join([show_change(kpi, mean)])
    excludes_zero = low > 0 or high < 0
    return join([element("span", show_change(kpi, mean), css="sig" if excludes_zero else ""),
                 element("span", change_interval(kpi, low, high), css="ci")])


def kpi_name(kpi: str) -> Markup:
    """The KPI's name and, under it, what it measures (docs/kpis.md)."""
    return join([element("code", kpi), element("span", BY_NAME[kpi].text, css="why")])


SIGNIFICANCE = ("Each difference is paired replication by replication (the same seeds); "
                "those in bold have a 95% interval that excludes zero.")


# the scenario ------------------------------------------------------------------------------

def scenario_facts(scenario: Scenario) -> Markup:
    window = (f"from {format_duration(scenario.warmup)} to {format_duration(scenario.horizon)}"
              + (" (the time before is warm-up)" if scenario.warmup else ""))
    skills = ", ".join(f"{name} {share:.0%}" for name, share in scenario.arrivals.skills.items())
    pairs: list[tuple[str, Cell]] = [
        ("replications", str(scenario.replications)), ("seed", str(scenario.seed)),
        ("starts", scenario.start.strftime("%a %Y-%m-%d %H:%M")),
        ("simulated", format_duration(scenario.horizon)), ("KPIs measured", window),
        ("new emails", f"{scenario.arrivals.per_day:g} a day"), ("skills", skills)]
    lead = [paragraph(scenario.description, css="lead")] if scenario.description else []
    return join([*lead, facts(pairs), groups_table(scenario.agents)])


def groups_table(groups: Sequence[AgentGroup]) -> Markup:
    rows: list[list[Cell]] = [[element("code", g.name), str(g.count), str(g.capacity),
                               ", ".join(g.skills), _shift(g)] for g in groups]
    return table(["agent group", "agents", "capacity", "skills", "shift"], rows,
                 caption="Agent groups", left=5)


def _shift(group: AgentGroup) -> str:
    shift = group.shift
    days = ", ".join(str(day) for day in shift.days)
    return f"{days} {shift.start}-{shift.end}" if len(shift.days) < 7 else \
        f"every day {shift.start}-{shift.end}"


def changes_table(changes: Sequence[Change], value: str, other: str, none: str) -> Markup:
    """Settings with this scenario's value and the other's (or the default)."""
    if not changes:
        return paragraph(none, css="note")
    rows: list[list[Cell]] = [[element("code", c.key), c.value, c.other or "-"]
                              for c in changes]
    return table(["setting", value, other], rows, left=3)


# the footer -------------------------------------------------------------------------------

def footer(manifest: dict[str, Any], folder_name: str, extra: Sequence[tuple[str, str]]
           ) -> Markup:
    versions = manifest.get("versions", {})
    made = ", ".join(f"{name} {version}" for name, version in versions.items()
                     if name not in ("ccsim", "platform"))
    pairs: list[tuple[str, Cell]] = [
        ("results folder", folder_name), *extra,
        ("seed", str(manifest.get("seed", "-"))),
        ("wall time", f"{manifest.get('wall_seconds', '-')} s"
                      f" ({manifest.get('executor', '-')})"),
        ("ccsim", str(versions.get("ccsim", "-"))), ("with", made or "-"),
        ("platform", str(versions.get("platform", "-")))]
    if manifest.get("command"):
        pairs.append(("command", element("code", str(manifest["command"]))))
    return join([paragraph("Made by ccsim from the files of the results folder; it loads "
                           "nothing from the network."), facts(pairs)])
