"""The tables that show KPIs in the terminal (the numbers formatted by sim.analysis.display)."""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

from sim.analysis.display import interval, show
from sim.analysis.stats import Target
from sim.analysis.undefined import why_undefined
from sim.analysis.views import View
from sim.cli.output import say
from sim.domain.durations import format_duration
from sim.domain.scenario import Scenario


def kpi_table(summary: pd.DataFrame, scenario: Scenario) -> Table:
    table = Table(title=f"{scenario.name}: {scenario.replications} replications, "
                        f"KPIs over [{format_duration(scenario.warmup)}, "
                        f"{format_duration(scenario.horizon)}]")
    for column in ("KPI", "mean", "95% CI", "n"):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    for name, mean, low, high, n in summary.itertuples(index=False, name=None):
        if n == 0:
            table.add_row(name, "undefined", why_undefined(name, scenario), "0")
        else:
            table.add_row(name, show(name, mean), interval(name, low, high), str(n))
    return table


def view_table(view: View, scenario: Scenario) -> Table:
    """A per-skill or per-group table: one column per skill or group, mean and interval."""
    what = "skill" if view.key == "skill" else "agent group"
    table = Table(title=f"{scenario.name}: KPIs by {what} (mean, 95% CI)")
    table.add_column("KPI")
    for part in view.names:
        table.add_column(part, justify="right")
    summary = view.summary.set_index([view.key, "kpi"])
    for name in dict.fromkeys(view.summary["kpi"]):
        cells = []
        for part in view.names:
            row = summary.loc[(part, name)]
            mean, low, high, n = (float(row[c]) for c in ("mean", "ci_low", "ci_high", "n"))
            cells.append("undefined" if n == 0 else
                         f"{show(name, mean)} ({interval(name, low, high)})")
        table.add_row(name, *cells)
    return table


def report_target(target: Target, reached: pd.DataFrame, replications: int) -> None:
    worst = float(reached["ratio"].max()) if len(reached) else math.inf
    met = worst <= 1
    say(f"precision goal ({target.describe()}): "
        f"{'met' if met else 'NOT met'} with {replications} replications"
        + ("" if met else f" (cap {target.cap}); widest is {worst:.2f}x the target"))
