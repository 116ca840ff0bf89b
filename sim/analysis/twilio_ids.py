"""Twilio resource identifiers (SIDs) and times, as TaskRouter writes them.

A SID is a two-letter prefix naming the resource type and 32 hexadecimal digits
(Twilio's OpenAPI spec for TaskRouter v1: `^WT[0-9a-fA-F]{32}$` for a Task, and so on).
Exported SIDs are derived from what they name by hashing, so the same run exports the same
SIDs every time and no two resources share one.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re

# Prefixes from the TaskRouter v1 spec (components.schemas patterns).
ACCOUNT, WORKSPACE, EVENT = "AC", "WS", "EV"
TASK, RESERVATION, WORKER, QUEUE = "WT", "WR", "WK", "WQ"
ACTIVITY, CHANNEL, WORKFLOW = "WA", "TC", "WW"
# Flex email tasks name their conversation in task attributes (`conversationSid`, CH...).
CONVERSATION = "CH"

SID = re.compile(r"^[A-Za-z]{2}[0-9a-fA-F]{32}$")


@functools.lru_cache(maxsize=1 << 16)  # a task's, queue's, worker's SID is asked for often
def sid(prefix: str, *parts: object) -> str:
    """A stable SID for the resource named by `parts` (e.g. a task's number)."""
    key = "\x1f".join(str(part) for part in (prefix, *parts))
    return prefix + hashlib.sha256(key.encode()).hexdigest()[:32]


def is_sid(value: object, prefix: str | None = None) -> bool:
    """Whether `value` is a SID, and of `prefix` when one is given."""
    if not isinstance(value, str) or not SID.match(value):
        return False
    return prefix is None or value[:2] == prefix


def iso_utc(epoch_ms: int) -> str:
    """ISO 8601 in UTC with milliseconds, as TaskRouter's event_date: 2026-01-05T08:00:00.000Z."""
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def parse_iso(text: str) -> int:
    """Milliseconds since the epoch of an ISO 8601 time with a zone (Z or +HH:MM)."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (TaskRouter times are UTC, ending in Z)")
    return round(moment.timestamp() * 1000)


# zones: ccsim's calendar is local time without a zone; TaskRouter's is UTC ----------------

_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def parse_zone(text: str) -> dt.tzinfo:
    """`UTC`, a fixed offset `+02:00`, or an IANA name such as `Europe/Berlin`."""
    if text.upper() in ("UTC", "Z"):
        return dt.UTC
    match = _OFFSET.match(text)
    if match:
        sign = -1 if match[1] == "-" else 1
        return dt.timezone(sign * dt.timedelta(hours=int(match[2]), minutes=int(match[3])))
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{text!r} is not a time zone: use UTC, an offset such as +02:00, "
                         "or a name such as Europe/Berlin") from None


def utc_ms(local: dt.datetime, zone: dt.tzinfo) -> int:
    """Epoch milliseconds of a local wall-clock time in `zone`."""
    return round(local.replace(tzinfo=zone).timestamp() * 1000)


def local_of(epoch_ms: int, zone: dt.tzinfo) -> dt.datetime:
    """The local wall-clock time (no zone attached) of epoch milliseconds in `zone`."""
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC).astimezone(zone)
    return moment.replace(tzinfo=None)
