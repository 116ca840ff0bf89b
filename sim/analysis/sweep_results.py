"""A sweep's or a comparison's folder as an object: what `sim.sweep` and `sim.compare`
return and `sim.open` reads back. The frames are tidy: one row per point (or scenario) and
KPI, with the settings as columns, so they filter, pivot and plot directly."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.run_folder import holding
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import load_scenario

FILES = ("points.csv", "sweep.csv", "summary.csv", "differences.csv", "manifest.json")


@dataclass(frozen=True, eq=False)
class SweepResults:
    folder: Path

    @classmethod
    def open(cls, folder: str | Path) -> SweepResults:
        return cls(holding(folder, FILES, "a finished sweep folder",
                           "; run the sweep again to finish it"))

    @functools.cached_property
    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.folder / "manifest.json").read_text())
        return data

    @functools.cached_property
    def points(self) -> pd.DataFrame:
        """One row per point: its number and the value of each swept setting."""
        return pd.read_csv(self.folder / "points.csv")

    @property
    def keys(self) -> list[str]:
        """The swept settings (dotted keys)."""
        return [c for c in self.points.columns if c != "point"]

    @functools.cached_property
    def kpis(self) -> pd.DataFrame:
        """One row per point and replication: settings, then every KPI."""
        return pd.read_csv(self.folder / "sweep.csv")

    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        """One row per point and KPI: settings, kpi, mean, ci_low, ci_high, n."""
        return self._with_settings("summary.csv")

    @functools.cached_property
    def differences(self) -> pd.DataFrame:
        """One row per point and KPI: the paired difference against the base point over the
        same replications (mean, 95% CI, n); zero with no interval at the base point."""
        return self._with_settings("differences.csv")

    @property
    def base_point(self) -> int:
        return int(self.manifest["base_point"])

    @functools.cached_property
    def events(self) -> pd.DataFrame:
        """Every run's event log, with point and replication columns (read on first use)."""
        path = self.folder / "events"
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: this sweep was run without event logs")
        return pd.read_parquet(path)

    def scenario(self, point: int) -> Scenario:
        """The fully resolved scenario of a point."""
        return load_scenario(self.folder / "points" / f"point={point}" / "scenario.yaml")

    def table(self, column: str = "mean") -> pd.DataFrame:
        """Points down, KPIs across: `column` (mean, ci_low, ci_high or n) of each."""
        wide = self.summary.pivot(index="point", columns="kpi", values=column)
        order = list(dict.fromkeys(self.summary["kpi"]))
        return self.points.merge(wide[order].reset_index(), on="point")

    def plot(self, kpi: str, against: str | None = None) -> Figure:
        """`kpi`'s mean and 95% CI against a swept setting (default: the first), a line per
        combination of the other settings."""
        from sim.analysis import charts

        key = against or self.keys[0]
        if key not in self.keys:
            raise ValueError(f"{key!r} was not swept; the swept settings: {self.keys}")
        rows = self.summary[self.summary["kpi"] == kpi]
        if rows.empty:
            raise ValueError(f"{kpi!r} is not a KPI (see docs/kpis.md)")
        return charts.against(rows, key, [k for k in self.keys if k != key], kpi,
                              str(self.manifest.get("sweep", "")))

    def _with_settings(self, name: str) -> pd.DataFrame:
        frame = pd.read_csv(self.folder / name)
        return self.points.merge(frame, on="point")

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({str(self.folder)!r}: {len(self.points)} points x "
                f"{self.manifest.get('replications')} replications)")


class Comparison(SweepResults):
    """Scenarios run on the same replication seeds; differences are against the first."""

    @property
    def scenarios(self) -> list[str]:
        return [str(name) for name in self.points["scenario"]]

    def plot(self, kpi: str, against: str | None = None) -> Figure:
        """`kpi`'s mean and 95% CI per scenario."""
        return super().plot(kpi, "scenario")

    def plot_differences(self, *kpis: str) -> Figure:
        """Each scenario's paired difference from the first, with its 95% CI."""
        from sim.analysis.charts import intervals
        from sim.analysis.sweep import DEFAULT_KPIS

        chosen = kpis or tuple(k for k in self.manifest.get("kpis", DEFAULT_KPIS))[:5]
        others = self.differences[self.differences["point"] != self.base_point]
        return intervals(others, chosen, "scenario",
                         f"Difference from {self.scenarios[self.base_point]} "
                         "(same replications; mean and 95% CI)", zero=True)
