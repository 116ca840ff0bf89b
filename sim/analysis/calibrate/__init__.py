"""From a contact center's TaskRouter events to a scenario (docs/calibration.md).

`reading` turns export files into records (malformed ones reported and skipped), `rebuild`
turns records into ccsim's event log, so that every observed number comes from the same
KPI code as a simulated one; the fitting modules read that log, `scenario_yaml` writes the
commented scenario, and `backtest` simulates it against what was observed.
"""
