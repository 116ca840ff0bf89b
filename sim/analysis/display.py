"""KPI values, intervals and changes as people read them: shares as percentages, times as
clock durations, counts with thousands separators. The CLI's tables and the HTML report
both write numbers this way."""

from __future__ import annotations

import math

from sim.analysis.catalogue import RATES, TIMES


def show(name: str, value: float) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "never"
    if name in RATES:
        return f"{value:.1%}"
    if name in TIMES:
        return clock_time(value)
    return f"{value:,.2f}" if value != int(value) else f"{int(value):,}"


def clock_time(seconds: float) -> str:
    """A duration to read at a glance: 2d 04h, 4h 07m, 12m 30s, 45s."""
    sign, rest = ("-" if seconds < 0 else ""), round(abs(seconds))
    days, rest = divmod(rest, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours:02d}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


def interval(name: str, low: float, high: float) -> str:
    return "-" if math.isnan(low) else f"{show(name, low)} .. {show(name, high)}"


def show_change(name: str, value: float) -> str:
    if math.isnan(value):
        return "-"
    if name in RATES:
        return f"{value * 100:+.1f} pts"
    sign = "+" if value >= 0 else "-"
    return sign + show(name, abs(value))


def change_interval(name: str, low: float, high: float) -> str:
    return "-" if math.isnan(low) else f"{show_change(name, low)} .. {show_change(name, high)}"
