"""KPI values and intervals as people read them, and the tables that show them."""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

from sim.analysis.metrics import RATES, TIMES
from sim.analysis.stats import Target
from sim.cli.output import say
from sim.domain.durations import format_duration
from sim.domain.scenario import Scenario


def show(name: str, value: float) -> str:
    if math.isnan(value):
        return "-"
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
        table.add_row(name, show(name, mean), interval(name, low, high), str(n))
    return table


def report_target(target: Target, reached: pd.DataFrame, replications: int) -> None:
    worst = float(reached["ratio"].max()) if len(reached) else math.inf
    met = worst <= 1
    say(f"precision goal ({target.describe()}): "
        f"{'met' if met else 'NOT met'} with {replications} replications"
        + ("" if met else f" (cap {target.cap}); widest is {worst:.2f}x the target"))
