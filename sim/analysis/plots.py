"""Figures of a run, labelled with units, drawn from small per-replication summaries.

sim.analysis.figuredata extracts what the figures need where each replication runs; `draw`
writes the PNGs. Figures are built without pyplot, so no global backend or window state is
touched.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.analysis.catalogue import RATES, TIMES
from sim.analysis.figuredata import FigureData
from sim.domain.durations import DAY, HOUR, DurationError, parse_duration

FIGURES = ("reservations.png", "pauses.png", "reactivation.png", "backlog_occupancy.png",
           "first_response.png")
OUTCOME_ORDER = ("reservation.accepted", "reservation.rejected", "reservation.timeout",
                 "reservation.canceled")


def draw(data: FigureData, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    painters = (_reservations, _pauses, _reactivation, _backlog_occupancy, _first_response)
    written = []
    for name, painter in zip(FIGURES, painters, strict=True):
        figure = painter(data)
        path = folder / name
        figure.savefig(path, dpi=110, bbox_inches="tight")
        written.append(path)
    return written


def _empty(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes,
              color="grey")


def _shares(axes: Axes, labels: list[str], counts: list[int], title: str) -> None:
    total = sum(counts)
    if not total:
        _empty(axes, "none in the measured window")
    shares = [count / total if total else 0 for count in counts]
    bars = axes.bar(labels, shares, color="tab:blue")
    for bar, count in zip(bars, counts, strict=True):
        axes.annotate(f"{count:,}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      ha="center", va="bottom", fontsize=8)
    axes.set_ylabel("share")
    axes.set_ylim(0, 1.1)
    axes.set_title(title)


def _reservations(data: FigureData) -> Figure:
    figure = Figure(figsize=(11, 4))
    left, right = figure.subplots(1, 2)
    _shares(left, [name.split(".")[1] for name in OUTCOME_ORDER],
            [data.offers[name] for name in OUTCOME_ORDER], "Reservation outcomes (offers)")
    _shares(right, ["0", "1", "2", "3+"], [data.declined_per_task[k] for k in range(4)],
            "Rejected or missed offers per task")
    right.set_xlabel("offers declined or missed before the task was settled")
    return figure


def _pauses(data: FigureData) -> Figure:
    figure = Figure(figsize=(11, 4))
    left, right = figure.subplots(1, 2)
    _shares(left, ["resumed", "expired"],
            [data.pauses["task.resumed"], data.pauses["task.pause-expired"]],
            "Pause outcomes")
    _hours(right, data.paused_hours, "tab:orange", data.pause_expiry, "pause expiry",
           "no pauses ended in the measured window")
    right.set_xlabel("time paused (hours)")
    right.set_ylabel("pauses")
    right.set_title("Time paused")
    return figure


def _hours(axes: Axes, parts: list[np.ndarray], color: str, limit: float, label: str,
           empty: str) -> np.ndarray:
    """A histogram of durations in hours with the setting that bounds them; the values."""
    hours = np.concatenate(parts) if parts else np.array([])
    if len(hours):
        axes.hist(hours, bins=40, color=color)
        axes.axvline(limit / HOUR, color="black", linestyle="--", label=label)
        axes.legend()
    else:
        _empty(axes, empty)
    return hours


def _reactivation(data: FigureData) -> Figure:
    figure = Figure(figsize=(8, 4))
    axes = figure.subplots()
    hours = _hours(axes, data.reactivation_hours, "tab:green", data.leave_window,
                   "leave window", "no reactivations in the measured window")
    axes.set_xlabel("delay from Leave to reactivation (hours)")
    axes.set_ylabel("conversations")
    axes.set_title(f"Reactivation after Leave: {len(hours):,} reactivated, "
                   f"{data.closed_by_window:,} closed by the window")
    return figure


def _band(axes: Axes, days: np.ndarray, series: list[np.ndarray], color: str,
          label: str) -> None:
    stacked = np.vstack(series)
    with warnings.catch_warnings():  # hours when no agent is on duty are NaN throughout
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(stacked, axis=0)
        low, high = np.nanmin(stacked, axis=0), np.nanmax(stacked, axis=0)
    axes.fill_between(days, low, high, color=color, alpha=0.2)
    axes.plot(days, mean, color=color, label=f"{label}: mean, min-max of replications")
    axes.legend(loc="upper right", fontsize=8)


def _backlog_occupancy(data: FigureData) -> Figure:
    figure = Figure(figsize=(11, 6))
    top, bottom = figure.subplots(2, 1, sharex=True)
    days = data.grid / DAY
    _band(top, days, data.unanswered, "tab:orange", "conversations awaiting a reply")
    _band(top, days, data.backlog, "tab:red", "tasks queued (pending or reserved)")
    top.set_ylabel("count")
    top.set_title("Unanswered work, queue and slot occupancy over time")
    _band(bottom, days, data.occupancy, "tab:purple", "slot occupancy")
    bottom.set_ylabel("share of on-duty slots held")
    bottom.set_ylim(0, 1.05)
    bottom.set_xlabel("time since start (days)")
    return figure


def _first_response(data: FigureData) -> Figure:
    figure = Figure(figsize=(8, 4))
    axes = figure.subplots()
    hours = (np.concatenate(data.first_response_hours) if data.first_response_hours
             else np.array([]))
    threshold = data.context.service_level_threshold / HOUR
    if len(hours):
        axes.hist(hours, bins=50, color="tab:blue")
        within = float(np.mean(hours <= threshold))
        axes.axvline(threshold, color="black", linestyle="--",
                     label=f"threshold {threshold:g} h: {within:.1%} of answered tasks within")
        axes.legend()
    else:
        _empty(axes, "no task answered in the measured window")
    axes.set_xlabel("first response time (hours)")
    axes.set_ylabel("tasks")
    axes.set_title("First response time against the service-level threshold")
    return figure


# Sweeps ------------------------------------------------------------------------------------

def sweep_figures(summary: pd.DataFrame, points: pd.DataFrame, keys: tuple[str, ...],
                  kpis: tuple[str, ...], folder: Path) -> list[Path]:
    """One PNG per (KPI, swept key): the KPI's mean and 95% CI against the key's values, a
    line for each combination of the other keys."""
    folder.mkdir(parents=True, exist_ok=True)
    table = summary.merge(points, on="point")
    written = []
    for kpi in kpis:
        rows = table[table["kpi"] == kpi]
        for key in keys:
            path = folder / f"{kpi}_vs_{_slug(key)}.png"
            figure = _against(rows, key, [k for k in keys if k != key], kpi)
            figure.savefig(path, dpi=110, bbox_inches="tight")
            written.append(path)
    return written


def _against(rows: pd.DataFrame, key: str, others: list[str], kpi: str) -> Figure:
    figure = Figure(figsize=(8, 4.5))
    axes = figure.subplots()
    labels, positions = _axis(rows[key].tolist())
    groups = rows.groupby(others, sort=False) if others else [((), rows)]
    for values, group in groups:
        x = np.array([positions[v] for v in group[key]])
        order = np.argsort(x)
        fixed = values if isinstance(values, tuple) else (values,)
        label = ", ".join(f"{k}={v}" for k, v in zip(others, fixed, strict=True)) or kpi
        scale = HOUR if kpi in TIMES else 1.0
        mean = group["mean"].to_numpy(float)[order] / scale
        axes.plot(x[order], mean, marker="o", label=label)
        axes.fill_between(x[order], group["ci_low"].to_numpy(float)[order] / scale,
                          group["ci_high"].to_numpy(float)[order] / scale, alpha=0.2)
    axes.set_xticks(sorted(set(positions.values())))
    axes.set_xticklabels([labels[p] for p in sorted(set(positions.values()))])
    axes.set_xlabel(key)
    axes.set_ylabel(f"{kpi} ({_unit(kpi)})")
    axes.set_title(f"{kpi} against {key} (mean and 95% CI over replications)")
    if others:
        axes.legend(fontsize=8)
    return figure


def _axis(values: list[object]) -> tuple[dict[float, str], dict[object, float]]:
    """Numeric positions for setting values: numbers and durations by size, else in order."""
    distinct = list(dict.fromkeys(values))
    try:
        numbers = [parse_duration(v) for v in distinct]
    except DurationError:
        numbers = [float(i) for i in range(len(distinct))]
    positions = dict(zip(distinct, numbers, strict=True))
    return {positions[v]: str(v) for v in distinct}, positions


def _unit(kpi: str) -> str:
    return "share" if kpi in RATES else "hours" if kpi in TIMES else "count"


def _slug(key: str) -> str:
    return key.replace(".", "_")
