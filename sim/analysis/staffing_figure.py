"""The staffing figure: each target's KPI against staffing, with each candidate's interval,
the target's value and the answer. With one varied group the x axis is its agents; with
several it is the cost, each point labelled with its counts."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.analysis.catalogue import RATES, TIMES
from sim.analysis.staffing_question import Question
from sim.analysis.staffing_targets import Goal

COLOURS = {"meets": "tab:green", "misses": "tab:red", "close": "tab:orange"}


def staffing_figure(question: Question, candidates: pd.DataFrame,
                    answer: dict[str, int] | None) -> Figure:
    figure = Figure(figsize=(6.5, 3.6 * len(question.goals)))
    axes = figure.subplots(len(question.goals), 1, squeeze=False)[:, 0]
    for ax, goal in zip(axes, question.goals, strict=True):
        _panel(ax, question, candidates, goal)
        if answer is not None:
            counts = tuple(answer.values())
            ax.axvline(counts[0] if len(counts) == 1 else float(question.cost(counts)),
                       color="tab:green", alpha=0.4, label="answer")
        ax.legend(fontsize=7)
    figure.tight_layout()
    return figure


def _panel(ax: Axes, question: Question, frame: pd.DataFrame, goal: Goal) -> None:
    groups = question.groups
    single = len(groups) == 1
    x = frame[groups[0]] if single else frame["cost"]
    scale = 1 / 3600 if goal.kpi in TIMES else 1.0
    for verdict, colour in COLOURS.items():
        rows = frame[frame[f"{goal.kpi}_verdict"] == verdict]
        if rows.empty:
            continue
        mean, low, high = (rows[f"{goal.kpi}_{end}"] * scale for end in ("mean", "low", "high"))
        ax.errorbar(x[rows.index], mean, yerr=[(mean - low).fillna(0), (high - mean).fillna(0)],
                    fmt="o", color=colour, capsize=3, label=verdict)
    if not single:
        for row in frame.to_dict("records"):
            ax.annotate("/".join(str(int(row[g])) for g in groups),
                        (float(row["cost"]), float(row[f"{goal.kpi}_mean"]) * scale),
                        fontsize=7, xytext=(4, 2), textcoords="offset points")
    ax.axhline(goal.value * scale, color="grey", linestyle="--", label=f"target {goal.text}")
    if single:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(x.min() - 0.5, x.max() + 0.5)
    ax.set_xlabel(f"agents in {groups[0]}" if single else
                  f"cost ({', '.join(groups)}; points labelled with their counts)")
    ax.set_ylabel(_unit(goal.kpi))
    ax.set_title(f"{goal.kpi}: mean, {question.confidence:.0%} one-sided bounds")


def _unit(kpi: str) -> str:
    if kpi in RATES:
        return f"{kpi} (share)"
    return f"{kpi} (hours)" if kpi in TIMES else kpi
