"""The HTML report of a results folder (`ccsim report`, `ccsim run --report`,
`sim.report`): one self-contained file to share, with the scenario and what it changes,
the KPI tables with their intervals, and the figures embedded, loading nothing from
anywhere (sim.analysis.report_html)."""

from __future__ import annotations

from pathlib import Path

from sim.analysis.report_html import page
from sim.analysis.results import atomic_write_text
from sim.analysis.run_folder import Run
from sim.analysis.sweep_results import Comparison, SweepResults

REPORT = "report.html"


def report_html(results: Run | SweepResults) -> str:
    """The report of a run, a sweep or a comparison, as the text of an HTML page."""
    from sim.analysis import report_run, report_sweep

    if isinstance(results, Run):
        return page(report_run.run_title(results), report_run.run_body(results),
                    report_run.run_footer(results))
    if isinstance(results, Comparison):
        return page(report_sweep.comparison_title(results),
                    report_sweep.comparison_body(results),
                    report_sweep.ComparisonReport(results).footer())
    return page(report_sweep.sweep_title(results), report_sweep.sweep_body(results),
                report_sweep.SweepReport(results).footer())


def write_report(results: Run | SweepResults, out: Path | None = None) -> Path:
    """Write the report (default: report.html in the results folder), atomically."""
    path = out if out is not None else results.folder / REPORT
    atomic_write_text(path, report_html(results))
    return path
