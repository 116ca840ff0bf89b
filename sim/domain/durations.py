"""Durations written with units (`30s`, `2m`, `1h30m`, `14d`) or as numbers of seconds."""

from __future__ import annotations

import math
import re

SECOND = 1.0
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
WEEK = 7 * DAY

UNITS: dict[str, float] = {"w": WEEK, "d": DAY, "h": HOUR, "m": MINUTE, "s": SECOND}
_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*([wdhms])")
_WHOLE = re.compile(r"\s*(?:(?:\d+(?:\.\d+)?|\.\d+)\s*[wdhms]\s*)+")


class DurationError(ValueError):
    """A duration that cannot be read."""


def parse_duration(value: object) -> float:
    """Seconds in a duration given as `1h30m`-style text or a number of seconds."""
    if isinstance(value, bool):
        raise DurationError(f"expected a duration such as '30s' or '2m', got {value!r}")
    if isinstance(value, int | float):
        return _non_negative(float(value), value)
    if not isinstance(value, str):
        raise DurationError(f"expected a duration such as '30s' or '2m', got {value!r}")
    text = value.strip().lower()
    try:
        return _non_negative(float(text), value)
    except ValueError:
        pass
    if not _WHOLE.fullmatch(text):
        raise DurationError(
            f"cannot read duration {value!r}: use a number with a unit "
            "(s, m, h, d, w), e.g. '30s', '2m', '1h30m', '14d'"
        )
    units = [unit for _, unit in _PART.findall(text)]
    if len(set(units)) != len(units):
        raise DurationError(f"cannot read duration {value!r}: a unit appears twice")
    return sum(float(number) * UNITS[unit] for number, unit in _PART.findall(text))


def _non_negative(seconds: float, original: object) -> float:
    if not math.isfinite(seconds) or seconds < 0:
        raise DurationError(f"a duration must be a finite number >= 0, got {original!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """Compact text that parse_duration reads back to exactly the same float."""
    if seconds != int(seconds):
        return f"{seconds!r}s"
    rest = int(seconds)
    if rest == 0:
        return "0s"
    parts = []
    for unit in "dhms":
        size = int(UNITS[unit])
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
