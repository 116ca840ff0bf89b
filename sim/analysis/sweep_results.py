"""A sweep's or a comparison's folder as an object: what `sim.sweep` and `sim.compare`
return and `sim.open` reads back. The frames are tidy: one row per point (or scenario) and
KPI, with the settings as columns, so they filter, pivot and plot directly."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
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

    @functools.cached_property
    def by_skill(self) -> pd.DataFrame:
        """One row per point, skill and KPI (the KPIs with a per-skill view): settings, skill,
        kpi, mean, ci_low, ci_high, n; as `ccsim run`'s summary_by_skill.csv, per point."""
        return self._parts("summary_by_skill.csv")

    @functools.cached_property
    def by_group(self) -> pd.DataFrame:
        """One row per point, agent group and KPI: settings, group, kpi, mean, 95% CI, n."""
        return self._parts("summary_by_group.csv")

    @functools.cached_property
    def kpis_by_skill(self) -> pd.DataFrame:
        """One row per point, replication and skill: settings, then the per-skill KPIs."""
        return self._parts("sweep_by_skill.csv")

    @functools.cached_property
    def kpis_by_group(self) -> pd.DataFrame:
        """One row per point, replication and agent group: settings, then its KPIs."""
        return self._parts("sweep_by_group.csv")

    def _parts(self, name: str) -> pd.DataFrame:
        if not (self.folder / name).is_file():
            raise FileNotFoundError(f"{self.folder / name}: this folder's runs were made by "
                                    "a version that kept no per-skill or per-group KPIs; "
                                    "run the sweep again into a new folder to get them")
        return self._with_settings(name)

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

    def differences_from(self, reference: Mapping[str, Any]) -> pd.DataFrame:
        """One row per point and KPI: the paired difference (same replications) from the
        point that has the `reference` settings and this point's other settings, named in
        the `reference` column. `{"flex.reservation_timeout": "2m"}` gives the effect of
        each timeout against 2m at each staffing of a timeout x staffing sweep."""
        from sim.analysis.sweep import paired_differences

        pairs = self._references(reference)
        frames = []
        for ref in dict.fromkeys(pairs["reference"].tolist()):
            group = pairs[pairs["reference"] == ref]
            chosen = self.kpis[self.kpis["point"].isin([*group["point"], ref])]
            frames.append(paired_differences(chosen, int(ref)).merge(group, on="point"))
        together = pd.concat(frames).sort_values("point", kind="stable")
        return self.points.merge(together, on="point")

    def plot(self, kpi: str, against: str | None = None,
             differences_from: Mapping[str, Any] | None = None) -> Figure:
        """`kpi`'s mean and 95% CI against a swept setting (default: the first), a line per
        combination of the other settings that vary; with `differences_from`, the paired
        differences from those settings (see `differences_from`)."""
        from sim.analysis import charts

        key = against or self.keys[0]
        if key not in self.keys:
            raise ValueError(f"{key!r} was not swept; the swept settings: {self.keys}")
        table = self.summary if differences_from is None else self.differences_from(
            differences_from)
        rows = table[table["kpi"] == kpi]
        if rows.empty:
            raise ValueError(f"{kpi!r} is not a KPI (see docs/kpis.md)")
        return charts.against(rows, key, [k for k in self.keys if k != key], kpi,
                              str(self.manifest.get("sweep", "")),
                              _described(differences_from or {}))

    def _references(self, reference: Mapping[str, Any]) -> pd.DataFrame:
        """`point` and `reference`: the point each point is compared with."""
        from sim.analysis.sweep import setting_text

        unknown = [key for key in reference if key not in self.keys]
        if unknown or not reference:
            raise ValueError(f"{unknown or 'nothing'} was not swept; give the reference as "
                             f"values of the swept settings: {self.keys}")
        chosen = pd.Series(True, index=self.points.index)
        for key, value in reference.items():
            chosen &= self.points[key].astype(str) == str(setting_text(value))
        if not chosen.any():
            raise ValueError(f"no point has {_described(reference)}")
        others = [key for key in self.keys if key not in reference]
        found = self.points.loc[chosen, ["point", *others]].rename(
            columns={"point": "reference"})
        pairs = self.points.merge(found, on=others) if others else self.points.merge(
            found, how="cross")
        return pairs[["point", "reference"]]

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

    def plot(self, kpi: str, against: str | None = None,
             differences_from: Mapping[str, Any] | None = None) -> Figure:
        """`kpi`'s mean and 95% CI per scenario."""
        return super().plot(kpi, "scenario", differences_from)

    def plot_differences(self, *kpis: str) -> Figure:
        """Each scenario's paired difference from the first, with its 95% CI."""
        from sim.analysis.charts import intervals
        from sim.analysis.sweep import DEFAULT_KPIS

        chosen = kpis or tuple(k for k in self.manifest.get("kpis", DEFAULT_KPIS))[:5]
        others = self.differences[self.differences["point"] != self.base_point]
        return intervals(others, chosen, "scenario",
                         f"Difference from {self.scenarios[self.base_point]} "
                         "(same replications; mean and 95% CI)", zero=True)


def _described(settings: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in settings.items())
