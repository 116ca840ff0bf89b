"""Figures of KPI tables: a KPI against a swept setting, KPIs side by side with their
intervals, a KPI per replication. Each returns a matplotlib Figure (no pyplot state), labelled
with units; shares are shown as percentages and times in hours. `ccsim sweep`, `ccsim
compare`, the HTML report and the `.plot` helpers of the Python API draw with these."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.analysis.catalogue import BY_NAME, RATES, TIMES
from sim.analysis.stats import t_interval
from sim.domain.durations import HOUR, DurationError, parse_duration


def unit(kpi: str) -> str:
    """The axis label's unit: how the values are drawn, not how they are stored."""
    return "%" if kpi in RATES else "hours" if kpi in TIMES else BY_NAME[kpi].unit


def scaled(kpi: str, values: np.ndarray) -> np.ndarray:
    return values / HOUR if kpi in TIMES else values


def label_axis(axes: Axes, kpi: str, which: str = "y", difference: bool = False) -> None:
    """`kpi (unit)`; a difference of shares is in percentage points, not percent of them."""
    axis = axes.yaxis if which == "y" else axes.xaxis
    if difference:
        shown = "percentage points" if kpi in RATES else unit(kpi)
        axis.set_label_text(f"difference in {kpi} ({shown})")
    else:
        axis.set_label_text(f"{kpi} ({unit(kpi)})")
    if kpi in RATES:  # a difference's ticks are points, named once in the label
        axis.set_major_formatter(PercentFormatter(1.0, symbol="" if difference else "%"))


def sweep_figures(summary: pd.DataFrame, points: pd.DataFrame, keys: tuple[str, ...],
                  kpis: tuple[str, ...], folder: Path, name: str = "") -> list[Path]:
    """One PNG per (KPI, swept key): the KPI's mean and 95% CI against the key's values, a
    line for each combination of the other keys."""
    folder.mkdir(parents=True, exist_ok=True)
    table = summary.merge(points, on="point")
    written = []
    for kpi in kpis:
        rows = table[table["kpi"] == kpi]
        for key in keys:
            path = folder / f"{kpi}_vs_{key.replace('.', '_')}.png"
            figure = against(rows, key, [k for k in keys if k != key], kpi, name)
            figure.savefig(path, dpi=110, bbox_inches="tight")
            written.append(path)
    return written


def against(rows: pd.DataFrame, key: str, others: list[str], kpi: str,
            name: str = "", difference_from: str = "") -> Figure:
    """`rows` (summary rows of one KPI with the settings as columns) against `key`, a line
    per combination of the `others` that vary (one that does not names no line); with
    `difference_from` (what the reference is), rows are paired differences from it."""
    figure = Figure(figsize=(8, 4.5))
    axes = figure.subplots()
    labels, positions, numeric = _axis(rows[key].tolist())
    others = [k for k in others if rows[k].nunique() > 1]
    groups = rows.groupby(others, sort=False) if others else [((), rows)]
    for values, group in groups:
        x = np.array([positions[v] for v in group[key]])
        order = np.argsort(x)
        fixed = values if isinstance(values, tuple) else (values,)
        label = ", ".join(f"{k}={v}" for k, v in zip(others, fixed, strict=True)) or kpi
        mean, low, high = (scaled(kpi, group[c].to_numpy(float))[order]
                           for c in ("mean", "ci_low", "ci_high"))
        if numeric:
            axes.plot(x[order], mean, marker="o", label=label)
            axes.fill_between(x[order], low, high, alpha=0.2)
        else:  # names (scenarios of a comparison): no line between unrelated things
            with np.errstate(invalid="ignore"):  # inf - inf: a time never reached, no bar
                bars = [mean - low, high - mean]
            axes.errorbar(x[order], mean, yerr=bars, fmt="o", capsize=4, label=label)
    ticks = sorted(set(positions.values()))
    axes.set_xticks(ticks)
    axes.set_xticklabels([labels[p] for p in ticks])
    axes.set_xlabel(key)
    label_axis(axes, kpi, difference=bool(difference_from))
    if not numeric:
        axes.set_xlim(min(ticks) - 0.5, max(ticks) + 0.5)
    prefix = f"{name}\n" if name else ""
    if difference_from:
        axes.axhline(0, color="grey", linestyle="--", linewidth=1)
        axes.set_title(f"{prefix}{kpi}: paired difference from {difference_from}, against "
                       f"{key}\n(same replications; mean and 95% CI)")
    else:
        axes.set_title(f"{prefix}{kpi} against {key} (mean and 95% CI over replications)")
    if others:
        axes.legend(fontsize=8)
    return figure


def _axis(values: list[object]) -> tuple[dict[float, str], dict[object, float], bool]:
    """Positions for setting values: numbers and durations by size, else in order."""
    distinct = list(dict.fromkeys(values))
    try:
        numbers, numeric = [parse_duration(v) for v in distinct], True
    except DurationError:
        numbers, numeric = [float(i) for i in range(len(distinct))], False
    positions = dict(zip(distinct, numbers, strict=True))
    return {positions[v]: str(v) for v in distinct}, positions, numeric


def intervals(summary: pd.DataFrame, kpis: tuple[str, ...], by: str, title: str,
              zero: bool = False) -> Figure:
    """One panel per KPI: each `by` (a scenario, a point, a skill) as its mean with the 95%
    interval, so that a few KPIs of a few things are read at a glance; `zero` draws the
    no-difference line (for paired differences)."""
    rows_each = max(1, summary[by].nunique())
    figure = Figure(figsize=(8, 0.9 + len(kpis) * (0.75 + 0.3 * rows_each)))
    panels = figure.subplots(len(kpis), 1, squeeze=False)[:, 0]
    for axes, kpi in zip(panels, kpis, strict=True):
        rows = summary[summary["kpi"] == kpi]
        mean, low, high = (scaled(kpi, rows[c].to_numpy(float))
                           for c in ("mean", "ci_low", "ci_high"))
        y = np.arange(len(rows))[::-1]
        with np.errstate(invalid="ignore"):  # a KPI that is "never" (inf) has no bar
            spread = [mean - low, high - mean]
        axes.errorbar(mean, y, xerr=spread, fmt="o", capsize=4)
        if zero:
            axes.axvline(0, color="grey", linestyle="--", linewidth=1)
        axes.set_yticks(y)
        axes.set_yticklabels([str(v) for v in rows[by]])
        axes.set_ylim(-0.6, len(rows) - 0.4)
        label_axis(axes, kpi, "x", difference=zero)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def per_replication(kpis: pd.DataFrame, kpi: str, title: str) -> Figure:
    """One dot per replication, with the mean and its 95% interval."""
    figure = Figure(figsize=(8, 3))
    axes = figure.subplots()
    values = scaled(kpi, kpis[kpi].to_numpy(float))
    axes.plot(kpis["replication"], values, "o", label="replications")
    mean, low, high, n = t_interval(values[~np.isnan(values)])
    if n:
        axes.axhline(mean, color="black", label="mean")
        axes.axhspan(low, high, color="grey", alpha=0.2, label="95% CI of the mean")
    axes.set_xlabel("replication")
    label_axis(axes, kpi)
    axes.set_title(title)
    axes.legend(fontsize=8)
    return figure
