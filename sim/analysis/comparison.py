"""A comparison of scenario files is a sweep whose points are the scenarios: the same
replication seeds for all (common random numbers), paired differences against the first,
one resumable folder. `ccsim compare` and `sim.compare` build it here and run it with
sim.analysis.sweep_run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from sim.domain.scenario import Scenario
from sim.domain.scenario_file import scenario_name
from sim.domain.sweep_file import Point, Sweep

KEY = "scenario"  # the one "setting" of a comparison: which scenario a point is


class ComparisonError(ValueError):
    """The scenarios cannot be compared as given."""


def comparison(scenarios: Sequence[Scenario], sources: Sequence[str | Path],
               seed: int | None = None, replications: int | None = None) -> Sweep:
    """The comparison of `scenarios` (read from `sources`) as a sweep. Every scenario runs
    on the same seed (the first's unless `seed`) and the same number of replications."""
    if len(scenarios) < 2:
        raise ComparisonError("compare needs at least two scenarios")
    names = labels(scenarios, sources)
    _refuse_twins(scenarios, names)
    seed = scenarios[0].seed if seed is None else seed
    count = scenarios[0].replications if replications is None else replications
    points = tuple(Point(i, {KEY: name}, s.model_copy(update={"seed": seed,
                                                                  "replications": count}))
                   for i, (name, s) in enumerate(zip(names, scenarios, strict=True)))
    first = Path(sources[0])
    return Sweep(scenario_name("-vs-".join(names), "compare"), first, first, (KEY,), points,
                 count, (), 0)


def labels(scenarios: Sequence[Scenario], sources: Sequence[str | Path]) -> list[str]:
    """What to call each scenario in tables: its name, else (names shared) its file's stem,
    else its position."""
    for candidates in ([s.name for s in scenarios], [Path(p).stem for p in sources]):
        if len(set(candidates)) == len(candidates):
            return candidates
    return [f"{s.name}#{i + 1}" for i, s in enumerate(scenarios)]


def _refuse_twins(scenarios: Sequence[Scenario], names: list[str]) -> None:
    """Two identical scenarios would report a difference of exactly zero as a finding."""
    seen: dict[str, str] = {}
    for name, scenario in zip(names, scenarios, strict=True):
        settings = scenario.model_dump(mode="json", exclude={"name", "description", "seed",
                                                             "replications"})
        text = json.dumps(settings, sort_keys=True)
        if text in seen:
            raise ComparisonError(f"{name} and {seen[text]} are the same scenario (only "
                                  "names, seeds or replications differ); nothing to compare")
        seen[text] = name
