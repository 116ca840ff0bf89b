"""The tables that show KPI values and intervals (written as sim.analysis.display writes
numbers, like the HTML report)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from rich.table import Table

from sim.analysis.display import interval, show
from sim.analysis.stats import Target
from sim.analysis.undefined import why_undefined
from sim.analysis.views import View
from sim.cli.output import say
from sim.domain.durations import format_duration
from sim.domain.scenario import Scenario


def kpi_frame(title: str, kpis: Iterable[str], columns: Sequence[str],
              justify: Any = "center") -> Table:
    """An empty table of KPIs down, made to fit a terminal of 80 columns: KPI names are
    never cut (the column is as wide as the longest), the other columns wrap at spaces and
    fold a word too long for them rather than cut it off with an ellipsis."""
    table = Table(title=title, title_justify=justify)
    table.add_column("KPI", no_wrap=True, min_width=max(map(len, kpis), default=3))
    for column in columns:
        table.add_column(column, justify="right", overflow="fold")
    return table


Column = tuple[str, list[str]]  # a header and a cell for each KPI, in order


def kpi_tables(title: str, kpis: Sequence[str], columns: Sequence[Column], width: int,
               column_width: int) -> list[Table]:
    """KPIs down and `columns` across, in as many tables as it takes to fit `width` (each
    with the KPI column), each value column taking about `column_width` with its border."""
    per_table = max(1, (width - max(map(len, kpis), default=3) - 4) // column_width)
    tables = []
    for first in range(0, len(columns), per_table):
        part = columns[first:first + per_table]
        table = kpi_frame(title if not first else f"{title}, continued", kpis,
                          [header for header, _ in part], justify="left")
        for row, name in enumerate(kpis):
            table.add_row(name, *(cells[row] for _, cells in part))
        tables.append(table)
    return tables


def kpi_table(summary: pd.DataFrame, scenario: Scenario, kpis: tuple[str, ...] = ()) -> Table:
    """Every KPI's mean and interval (only `kpis` when given), and why one is undefined."""
    shown = [name for name in summary["kpi"] if not kpis or name in kpis]
    table = kpi_frame(f"{scenario.name}: {scenario.replications} replications, KPIs over "
                      f"[{format_duration(scenario.warmup)}, "
                      f"{format_duration(scenario.horizon)}]", shown, ("mean", "95% CI", "n"))
    for name, mean, low, high, n in summary.itertuples(index=False, name=None):
        if kpis and name not in kpis:
            continue
        if n == 0:
            table.add_row(name, "undefined", why_undefined(name, scenario), "0")
        else:
            table.add_row(name, show(name, mean), interval(name, low, high), str(n))
    return table


def view_table(view: View, scenario: Scenario, kpis: tuple[str, ...] = ()) -> Table:
    """A per-skill or per-group table: one column per skill or group, mean and interval
    (only the KPIs of `kpis` when given)."""
    what = "skill" if view.key == "skill" else "agent group"
    shown = [name for name in dict.fromkeys(view.summary["kpi"]) if not kpis or name in kpis]
    table = kpi_frame(f"{scenario.name}: KPIs by {what} (mean, 95% CI)", shown, view.names)
    summary = view.summary.set_index([view.key, "kpi"])
    for name in shown:
        cells = []
        for part in view.names:
            row = summary.loc[(part, name)]
            mean, low, high, n = (float(row[c]) for c in ("mean", "ci_low", "ci_high", "n"))
            cells.append("undefined" if n == 0 else
                         f"{show(name, mean)} ({interval(name, low, high)})")
        table.add_row(name, *cells)
    return table


def report_target(target: Target, reached: pd.DataFrame, replications: int) -> None:
    """Whether the goal was met; if not, the widest interval against the goal and the KPIs
    that have none (defined in fewer than two replications)."""
    labels = [_label(row) for row in reached.to_dict("records")]
    ratios = reached["ratio"].to_numpy(dtype=float)
    pending = [label for label, ratio in zip(labels, ratios, strict=True) if math.isnan(ratio)]
    measured = [(ratio, label) for label, ratio in zip(labels, ratios, strict=True)
                if not math.isnan(ratio)]
    met = bool(measured) and not pending and max(measured)[0] <= 1
    line = (f"precision goal ({target.describe()}): {'met' if met else 'NOT met'} with "
            f"{replications} replications")
    if not met:
        line += f" (cap {target.cap})"
        if measured:
            ratio, label = max(measured)
            line += f"; widest is {label} at {ratio:.2f}x the target"
        if pending:
            line += (f"; no interval for {', '.join(pending)} (defined in fewer than 2 "
                     "replications)")
    say(line)


def _label(row: dict[Any, Any]) -> str:
    return f"{row['kpi']} at point {int(row['point'])}" if "point" in row else str(row["kpi"])
