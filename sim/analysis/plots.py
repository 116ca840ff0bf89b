"""Figures of a run, labelled with units, drawn from small per-replication summaries.

sim.analysis.figuredata extracts what the figures need where each replication runs; `draw`
writes the PNGs. Figures are built without pyplot, so no global backend or window state is
touched.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.analysis.figuredata import FigureData
from sim.domain.durations import DAY, HOUR

FIGURES = ("reservations.png", "pauses.png", "reactivation.png", "backlog_occupancy.png",
           "first_response.png")
# A figure of a feature that is off would be an empty frame that looks like a finding.
NEEDS = {"pauses.png": "pause_enabled", "reactivation.png": "leave_enabled"}
OUTCOME_ORDER = ("reservation.accepted", "reservation.rejected", "reservation.timeout",
                 "reservation.canceled")


def draw(data: FigureData, folder: Path) -> list[Path]:
    """The run's figures as PNGs in `folder`, those of features that are off left out."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in figures(data).items():
        path = folder / name
        figure.savefig(path, dpi=110, bbox_inches="tight")
        written.append(path)
    return written


def figures(data: FigureData) -> dict[str, Figure]:
    """File name -> figure, titled with the scenario's name."""
    painters = (_reservations, _pauses, _reactivation, _backlog_occupancy, _first_response)
    drawn = {}
    for name, painter in zip(FIGURES, painters, strict=True):
        if getattr(data, NEEDS.get(name, ""), True):
            figure = painter(data)
            if data.name:
                figure.suptitle(data.name, fontweight="bold")
            drawn[name] = figure
    return drawn


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
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
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
    bottom.yaxis.set_major_formatter(PercentFormatter(1.0))
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
