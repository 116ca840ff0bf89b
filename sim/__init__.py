"""ccsim: a discrete-event simulation of a Flex-style email contact center.

Layers (imports only go downwards; tests/test_architecture.py checks it):
- domain: lifecycle, durations, distributions, streams, scenario, scenario_file, schema,
  calendar, demand
- engine (SimPy): clock, eventlog, entities, recorder, router, agents, customers, model
- analysis (pandas, matplotlib; no SimPy): audit, metrics, stats, experiment, results, plots,
  runner, theory, versions
- interface: cli, __main__
"""

from sim.model import Replication, run_replication
from sim.scenario import Scenario
from sim.scenario_file import ScenarioError, load_scenario, parse_scenario

__all__ = [
    "Replication",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_scenario",
    "run_replication",
]
