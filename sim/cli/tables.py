"""KPI values and intervals as people read them, and the tables that show them."""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

from sim.analysis.catalogue import RATES, TIMES
from sim.analysis.stats import Target
from sim.analysis.undefined import why_undefined
from sim.analysis.views import View
from sim.cli.output import say
from sim.domain.durations import format_duration
from sim.domain.scenario import Scenario


def show(name: str, value: float) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "never"
    if name in RATES:
        return f"{value:.1%}"
    if name in TIMES:
        return clock_time(value)
    return f"{value:,.2f}" if value != int(value) else f"{int(value):,}"


def clock_time(seconds: float) -> str:
    """A duration to read at a glance: 2d 04h, 4h 07m, 12m 30s, 45s."""
    sign, rest = ("-" if seconds < 0 else ""), round(abs(seconds))
    days, rest = divmod(rest, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours:02d}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


def interval(name: str, low: float, high: float) -> str:
    return "-" if math.isnan(low) else f"{show(name, low)} .. {show(name, high)}"


def show_change(name: str, value: float) -> str:
    if math.isnan(value):
        return "-"
    if name in RATES:
        return f"{value * 100:+.1f} pts"
    sign = "+" if value >= 0 else "-"
    return sign + show(name, abs(value))


def change_interval(name: str, low: float, high: float) -> str:
    return "-" if math.isnan(low) else f"{show_change(name, low)} .. {show_change(name, high)}"


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
