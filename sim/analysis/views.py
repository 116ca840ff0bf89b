"""Per-skill and per-agent-group KPI tables of a run: one row per replication and skill (or
group), and their summaries with intervals (docs/kpis.md, `kpis_by_skill.csv`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.analysis.catalogue import GROUP_KPIS, SKILL_KPIS, kpi_range
from sim.analysis.experiment import Outcome
from sim.analysis.results import counts_as_integers
from sim.analysis.stats import summarize


@dataclass(frozen=True)
class View:
    """One way of splitting a run: by `skill` or by `group`."""

    key: str
    kpis: pd.DataFrame  # replication, <key>, KPI columns
    summary: pd.DataFrame  # <key>, kpi, mean, ci_low, ci_high, n

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(self.kpis[self.key])) if len(self.kpis) else []


def views(outcomes: list[Outcome]) -> tuple[View, View]:
    """The per-skill and the per-group view of these outcomes."""
    return (_view(outcomes, "skill", SKILL_KPIS), _view(outcomes, "group", GROUP_KPIS))


def _view(outcomes: list[Outcome], key: str, names: tuple[str, ...]) -> View:
    rows = [{"replication": o.replication, key: part, **values}
            for o in outcomes for part, values in getattr(o, f"by_{key}").items()]
    frame = counts_as_integers(pd.DataFrame(rows, columns=["replication", key, *names]))
    parts = [summarize(frame[frame[key] == part], names, ranges=kpi_range).assign(**{key: part})
             for part in dict.fromkeys(frame[key])]
    columns = [key, "kpi", "mean", "ci_low", "ci_high", "n"]
    summary = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(
        columns=columns)
    return View(key, frame, summary)
