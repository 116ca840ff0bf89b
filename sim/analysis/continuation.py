"""Continuing a run (`ccsim run --from FOLDER`): its end states in, and out again.

Every `ccsim run` writes `end_state.json` next to its results: where each replication
stood at the horizon (sim.domain.carried). A run `--from` that folder starts replication r
from replication r's state, at the moment the earlier run ended, with the earlier log's
rows about the carried conversations put first in its own log (see sim.domain.carried).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from pydantic import ValidationError

from sim.analysis.eventarrays import EventArrays, Mask
from sim.domain.carried import FORMAT, Carried, EndState, History, read_state, state_json
from sim.domain.lifecycle import Event
from sim.domain.scenario import Scenario
from sim.domain.sweep_file import Sweep
from sim.engine.carry import problems
from sim.engine.eventlog import EVENT_CODE, EVENT_NAMES
from sim.engine.model import agent_names

END_STATE = "end_state.json"
EVENTS = "events.parquet"


class ContinuationError(ValueError):
    """The folder cannot be continued from, or not with this scenario: one or more reasons."""

    def __init__(self, *reasons: str) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


# writing ----------------------------------------------------------------------------------

def end_state_text(states: list[EndState]) -> str:
    """end_state.json: the state of each replication, in replication order."""
    replications = ",".join(state_json(state) for state in states)
    return f'{{"format":{FORMAT},"replications":[{replications}]}}\n'


# reading ----------------------------------------------------------------------------------

def read_end_states(folder: Path) -> list[EndState]:
    path = folder / END_STATE
    if not path.is_file():
        raise ContinuationError(f"{folder}: no {END_STATE} (written by `ccsim run` since "
                                "continuing was added; run the scenario again to get one)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ContinuationError(f"{path}: format {data.get('format')!r}, but this "
                                    f"version reads format {FORMAT}")
        return [read_state(state) for state in data["replications"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        if isinstance(error, ContinuationError):
            raise
        detail = _first_error(error) if isinstance(error, ValidationError) else str(error)
        raise ContinuationError(f"{path}: not a readable end state ({detail})") from None


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


def carried_from(folder: Path, scenario: Scenario, asked: bool = True
                 ) -> tuple[Scenario, list[Carried]]:
    """The scenario as it continues (starting when the folder's run ended) and what each
    of its replications carries: as many as the scenario says if `asked` (-r) or its file
    names the folder (initial.from), else as many as the folder has states;
    ContinuationError says why it cannot."""
    states = read_end_states(folder)
    if not asked and scenario.initial.start_from is None:
        scenario = scenario.model_copy(update={"replications": len(states)})
    if scenario.replications > len(states):
        raise ContinuationError(
            f"{folder} has the end states of {len(states)} replications, but the run asks "
            f"for {scenario.replications}; ask for at most {len(states)}")
    if not (folder / EVENTS).is_file():
        raise ContinuationError(f"{folder}: no {EVENTS}, which a continued run needs for "
                                "the history of the conversations it carries (run it "
                                "without --no-events)")
    states = states[:scenario.replications]
    carried = [carry(_events(folder, r), state, scenario, str(folder))
               for r, state in enumerate(states)]
    _check(carried, scenario)
    return continued(scenario, states[0], folder), carried


def continued_plan(plan: Sweep, folder: Path, replications: int) -> Sweep:
    """Every point of a sweep or comparison continued from `folder` (`--from`): started
    where its run ended, each replication from its state. The points stay paired: the same
    replication of every point starts from the same state and draws on the same streams."""
    points, carried = [], []
    for point in plan.points:
        wanted = point.scenario.model_copy(update={"replications": replications})
        scenario, states = carried_from(folder, wanted)
        points.append(dataclasses.replace(point, scenario=scenario.model_copy(
            update={"replications": point.scenario.replications})))
        carried.append(tuple(states))
    return dataclasses.replace(plan, points=tuple(points), carried=tuple(carried),
                               continued_from=str(folder), continued_digest=hashlib.sha256(
                                   (folder / END_STATE).read_bytes()).hexdigest())


def continued(scenario: Scenario, state: EndState, folder: Path | None = None) -> Scenario:
    """`scenario` starting where `state` was taken (the clock and calendar go on), and
    saying where from (`initial.from`), so that its resolved file runs the same again."""
    initial = scenario.initial if folder is None else scenario.initial.model_copy(
        update={"start_from": str(folder.resolve())})
    return scenario.model_copy(update={
        "start": dt.datetime.fromisoformat(state.ended_at), "initial": initial})


def source(given: Path | None, scenarios: list[Scenario]) -> Path | None:
    """The folder to continue from: `--from`, else the scenarios' `initial.from` (one)."""
    named = {s.initial.start_from for s in scenarios if s.initial.start_from is not None}
    if given is not None:
        clash = {str(Path(n)) for n in named} - {str(given.resolve())}
        if clash:
            raise ContinuationError(f"{given}, but initial.from says {sorted(clash)[0]}; "
                                    "give one of them")
        return given
    if len(named) > 1:
        folders = ", ".join(sorted(str(n) for n in named))
        raise ContinuationError(f"the scenarios go on from different folders ({folders}); "
                                "give one with --from")
    return Path(named.pop()) if named else None


def _check(carried: list[Carried], scenario: Scenario) -> None:
    capacity = {group.name: group.capacity for group in scenario.agents}
    agents = {name: capacity[name.rpartition("-")[0]] for name in agent_names(scenario)}
    found = problems(carried, agents, set(scenario.skills))
    if found:
        raise ContinuationError(*found)
    if any(scenario.initial.pending.counts.values()) or scenario.initial.held:
        raise ContinuationError("initial and --from both give the state at time 0; give "
                                "one of them")


def _events(folder: Path, replication: int) -> EventArrays:
    table = pq.read_table(folder / EVENTS, filters=[("replication", "==", replication)])
    return EventArrays.from_frame(table.to_pandas())


# the history ------------------------------------------------------------------------------

def carry(log: EventArrays | pd.DataFrame, state: EndState, scenario: Scenario,
          source: str = "") -> Carried:
    """What a run of `scenario` carries from `state` and the log that led to it."""
    arrays = EventArrays.of(log)
    return Carried(state=state, history=history(arrays, state, set(agent_names(scenario))),
                   source=source)


def history(log: EventArrays, state: EndState, agents: set[str]) -> History:
    """The rows about the carried conversations, and the activity rows of the scenario's
    agents from the first of those on (with each agent's activity just before it): what
    the continued log needs so that every row in it follows from the rows before."""
    carried = np.array([c.id for c in state.conversations], dtype=np.int64)
    about = np.isin(log.conversation, carried) & (log.conversation >= 0)
    keep = about | _activity(log, about, agents)
    names = np.array([*log.agents, None], dtype=object)
    return History(
        time=tuple((log.time[keep] - state.at).tolist()),
        event=tuple(EVENT_NAMES[e] for e in log.event[keep].tolist()),
        task=tuple(log.task[keep].tolist()),
        conversation=tuple(log.conversation[keep].tolist()),
        agent=tuple(names[log.agent[keep]].tolist()),
        detail=tuple(log.details[d] for d in log.detail[keep].tolist()))


def _activity(log: EventArrays, about: Mask, agents: set[str]) -> Mask:
    """Activity rows of `agents` from the first carried row on, and the last before it."""
    activity: Mask = log.event == EVENT_CODE[Event.WORKER_ACTIVITY_UPDATE]
    known = np.array([name in agents for name in log.agents] + [False], dtype=bool)
    activity &= known[log.agent]
    first = int(np.argmax(about)) if about.any() else len(log.time)
    keep = activity.copy()
    keep[:first] = False
    before = np.flatnonzero(activity[:first])
    last: dict[int, int] = {}
    for row in before.tolist():
        last[int(log.agent[row])] = row
    keep[list(last.values())] = True
    return keep
