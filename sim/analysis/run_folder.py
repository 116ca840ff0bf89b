"""A run's results folder as an object: what `sim.run` returns and `sim.open` reads back.

Everything comes from the folder's files, so a `Run` made by `sim.run` and one opened later
from the same folder are the same; the event log is read only when asked for.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.catalogue import GROUP_KPIS, SKILL_KPIS
from sim.analysis.results import EVENTS, FIGURES, KPIS, MANIFEST, SCENARIO, SUMMARY
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import load_scenario

HEADLINE = ("service_level", "unanswered_rate", "first_response_time_p90",
            "reservation_timeout_rate", "slot_occupancy")


class NotAResultsFolder(ValueError):
    """The folder is not a results folder of the kind asked for (or is incomplete)."""


def holding(folder: str | Path, names: tuple[str, ...], what: str, hint: str = "") -> Path:
    """`folder` as a Path if it has every file in `names`; else NotAResultsFolder."""
    path = Path(folder)
    missing = [name for name in names if not (path / name).is_file()]
    if missing:
        raise NotAResultsFolder(f"{path}: not {what} (no {', '.join(missing)}){hint}")
    return path


@dataclass(frozen=True, eq=False)
class Run:
    folder: Path

    @classmethod
    def open(cls, folder: str | Path) -> Run:
        return cls(holding(folder, (KPIS, SUMMARY, SCENARIO, MANIFEST), "a run's results "
                                                                         "folder"))

    @functools.cached_property
    def scenario(self) -> Scenario:
        """The fully resolved scenario as run (replications: the number actually run)."""
        return load_scenario(self.folder / SCENARIO)

    @functools.cached_property
    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.folder / MANIFEST).read_text())
        return data

    @functools.cached_property
    def kpis(self) -> pd.DataFrame:
        """One row per replication, one column per KPI (docs/kpis.md)."""
        return pd.read_csv(self.folder / KPIS)

    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        """Per KPI: mean, 95% CI low and high, n (replications where it is defined)."""
        return pd.read_csv(self.folder / SUMMARY)

    @functools.cached_property
    def by_skill(self) -> pd.DataFrame:
        """Per skill and KPI: mean, 95% CI, n (the KPIs that have a per-skill view)."""
        return self._table("summary_by_skill.csv")

    @functools.cached_property
    def by_group(self) -> pd.DataFrame:
        """Per agent group and KPI: mean, 95% CI, n."""
        return self._table("summary_by_group.csv")

    @functools.cached_property
    def events(self) -> pd.DataFrame:
        """Every event of every replication (docs/model.md#the-event-log); read on first
        use, so opening a run does not load a large log."""
        path = self.folder / EVENTS
        if not path.exists():
            raise FileNotFoundError(f"{path}: this run was made without its event log "
                                    "(--no-events / events=False)")
        return pd.read_parquet(path)

    @property
    def figures(self) -> list[Path]:
        """The PNG files the run drew."""
        return sorted((self.folder / FIGURES).glob("*.png"))

    @property
    def plot(self) -> RunPlots:
        return RunPlots(self)

    def _table(self, name: str) -> pd.DataFrame:
        path = self.folder / name
        return pd.read_csv(path) if path.exists() else pd.DataFrame()

    def __repr__(self) -> str:
        return f"Run({str(self.folder)!r}: {self.scenario.name}, " \
               f"{self.scenario.replications} replications)"


@dataclass(frozen=True)
class RunPlots:
    """Figures of a run's KPIs, as matplotlib Figures (show them, or `.savefig`)."""

    run: Run

    def kpi(self, name: str) -> Figure:
        """One KPI: each replication's value, the mean and its 95% interval."""
        from sim.analysis.charts import per_replication

        return per_replication(self.run.kpis, _known(name), f"{self.run.scenario.name}: "
                               f"{name} per replication")

    def by_skill(self, *kpis: str) -> Figure:
        """KPIs per skill with their intervals (default: the headline KPIs)."""
        return self._split(self.run.by_skill, "skill", kpis or _having(SKILL_KPIS))

    def by_group(self, *kpis: str) -> Figure:
        """KPIs per agent group with their intervals (default: those with a group view)."""
        return self._split(self.run.by_group, "group",
                           kpis or ("reservation_timeout_rate", "slot_occupancy",
                                    "agent_utilization"))

    def _split(self, table: pd.DataFrame, by: str, kpis: tuple[str, ...]) -> Figure:
        from sim.analysis.charts import intervals

        names = SKILL_KPIS if by == "skill" else GROUP_KPIS
        wrong = [name for name in kpis if name not in names]
        if wrong:
            raise ValueError(f"{', '.join(wrong)}: no per-{by} view (see docs/kpis.md)")
        what = "skill" if by == "skill" else "agent group"
        return intervals(table, kpis, by, f"{self.run.scenario.name}: KPIs by {what} "
                                          "(mean and 95% CI)")


def _known(name: str) -> str:
    from sim.analysis.catalogue import BY_NAME

    if name not in BY_NAME:
        raise ValueError(f"{name!r} is not a KPI (see docs/kpis.md)")
    return name


def _having(view: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in HEADLINE if name in view)
