"""Reading TaskRouter event exports: Events API list pages, JSON arrays, newline-delimited
Event resources, and Event Streams CloudEvents (`com.twilio.taskrouter.*`, with the Event
resource or the flat Event Streams payload as data).

A file that is not JSON of any of these shapes is refused; within a file, a malformed record
is skipped and reported with the file and its place (`events[12]`, or the line of an NDJSON
file); events of types the model has no use for are counted and skipped.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from sim.analysis import twilio_ids as ids

CLOUDEVENT_PREFIX = "com.twilio.taskrouter."
TASK_EVENTS = ("task.created", "task.updated", "task.wrapup", "task.completed",
               "task.canceled")
RESERVATION_EVENTS = ("reservation.created", "reservation.accepted", "reservation.rejected",
                      "reservation.timeout", "reservation.canceled")
WORKER_EVENTS = ("worker.activity.update", "worker.activity")  # the spec's example: the latter
USED = frozenset((*TASK_EVENTS, *RESERVATION_EVENTS, *WORKER_EVENTS))
# Told again by the task events they come with (task.wrapup, task.completed).
REDUNDANT = frozenset(("reservation.wrapup", "reservation.completed"))


class ExportFileError(ValueError):
    """A file that cannot be read as an export at all (one line, naming the file)."""


@dataclass(frozen=True)
class Record:
    where: str  # file and place, for messages
    ms: int  # event time, milliseconds since the epoch (UTC)
    event_type: str
    sid: str | None
    task: str | None = None
    reservation: str | None = None
    worker: str | None = None
    worker_name: str | None = None
    worker_attributes: dict[str, Any] = field(default_factory=dict)
    activity: str | None = None
    queue: str | None = None
    priority: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


@dataclass
class Reading:
    records: list[Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # malformed records, skipped
    skipped: Counter[str] = field(default_factory=Counter)  # event types of no use
    redundant: int = 0
    duplicates: int = 0
    window: tuple[int | None, int | None] = (None, None)  # StartDate, EndDate of a list page


class Malformed(ValueError):
    """One field of one record that cannot be read."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")


# files ----------------------------------------------------------------------------------

def read_exports(paths: list[Path]) -> Reading:
    """Every record of every file, in time order (a stable sort: ties keep file order)."""
    reading = Reading()
    seen: set[str] = set()
    for path in paths:
        for where, item in _items(path, reading):
            _take(where, item, reading, seen)
    reading.records.sort(key=lambda record: record.ms)
    return reading


def _items(path: Path, reading: Reading) -> Iterator[tuple[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ExportFileError(f"{path}: cannot read: {getattr(error, 'strerror', error)}"
                              ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        if len(text.strip().splitlines()) < 2:
            raise ExportFileError(f"{path}:{error.lineno}:{error.colno}: not JSON: "
                                  f"{error.msg}") from None
        yield from _lines(path, text, reading)
        return
    yield from _document(path, document, reading)


def _lines(path: Path, text: str, reading: Reading) -> Iterator[tuple[str, Any]]:
    """NDJSON: one record a line; lines that are not JSON are reported, unless none is."""
    found = 0
    bad: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            bad.append(f"{path}:{number}: not JSON: {error.msg}")
            continue
        found += 1
        yield f"{path}:{number}", item
    if not found:
        raise ExportFileError(f"{path}: neither JSON nor JSON lines (first problem: "
                              f"{bad[0] if bad else 'empty'})")
    reading.problems.extend(bad)


def _document(path: Path, document: Any, reading: Reading) -> Iterator[tuple[str, Any]]:
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        _window(document.get("meta"), reading)
        for index, item in enumerate(document["events"]):
            yield f"{path}: events[{index}]", item
    elif isinstance(document, list):
        for index, item in enumerate(document):
            yield f"{path}: [{index}]", item
    elif isinstance(document, dict) and ("event_type" in document or "type" in document):
        yield str(path), document
    else:
        raise ExportFileError(f"{path}: not a TaskRouter export: expected an Events list page "
                              '({"events": [...], "meta": {...}}), a JSON array of events, '
                              "JSON lines, or CloudEvents")


def _window(meta: Any, reading: Reading) -> None:
    """StartDate and EndDate of the query a list page answers, when its URL says them."""
    url = meta.get("url") if isinstance(meta, dict) else None
    if not isinstance(url, str):
        return
    query = parse_qs(urlparse(url).query)
    start, end = reading.window
    try:
        if "StartDate" in query:
            found = ids.parse_iso(query["StartDate"][0])
            start = found if start is None else min(start, found)
        if "EndDate" in query:
            found = ids.parse_iso(query["EndDate"][0])
            end = found if end is None else max(end, found)
    except ValueError:
        return  # a window the page cannot tell is read from the events instead
    reading.window = (start, end)


# records ---------------------------------------------------------------------------------

def _take(where: str, item: Any, reading: Reading, seen: set[str]) -> None:
    try:
        shape = _shape(item)
    except Malformed as problem:
        reading.problems.append(f"{where}: {problem}")
        return
    event_type, fields, time, sid = shape
    if event_type in REDUNDANT:
        reading.redundant += 1
        return
    if event_type not in USED:
        reading.skipped[event_type] += 1
        return
    if sid is not None and sid in seen:
        reading.duplicates += 1  # the same event in two pages or files
        return
    try:
        record = _record(where, event_type, fields, time, sid)
    except Malformed as problem:
        reading.problems.append(f"{where}: {problem}")
        return
    if sid is not None:
        seen.add(sid)
    reading.records.append(record)


def _shape(item: Any) -> tuple[str, dict[str, Any], int, str | None]:
    """(event type, the event's data fields, time in ms, event SID) of any of the shapes."""
    if not isinstance(item, dict):
        raise Malformed("record", f"expected an object, got {type(item).__name__}")
    if "specversion" in item:
        return _cloudevent(item)
    if "eventtype" in item:  # an Event Streams payload on its own
        return _payload(item)
    event_type = _text(item, "event_type", "event_type")
    data = item.get("event_data")
    if isinstance(data, str):
        data = _json(data, "event_data")
    if data is not None and not isinstance(data, dict):
        raise Malformed("event_data", "expected an object")
    fields = {**(data or {}), "resource_sid": item.get("resource_sid")}
    return event_type, fields, _time(item), _optional_sid(item.get("sid"), ids.EVENT, "sid")


def _cloudevent(item: dict[str, Any]) -> tuple[str, dict[str, Any], int, str | None]:
    kind = _text(item, "type", "type")
    data = item.get("data")
    if not kind.startswith(CLOUDEVENT_PREFIX):
        return kind, {}, 0, None  # another product's event: counted as a skipped type
    if not isinstance(data, dict):
        raise Malformed("data", "expected an object (the TaskRouter event)")
    if isinstance(data.get("payload"), dict):
        return _payload(data["payload"])
    event_type, fields, ms, sid = _shape(data)
    if event_type != kind[len(CLOUDEVENT_PREFIX):]:
        raise Malformed("type", f"{kind!r} but data.event_type is {event_type!r}")
    return event_type, fields, ms, sid


def _payload(payload: dict[str, Any]) -> tuple[str, dict[str, Any], int, str | None]:
    """Event Streams' flat payload: eventtype, timestamp and the event data side by side."""
    event_type = _text(payload, "eventtype", "payload.eventtype")
    stamp = _text(payload, "timestamp", "payload.timestamp")
    try:
        ms = ids.parse_iso(stamp)
    except ValueError as error:
        raise Malformed("payload.timestamp", str(error)) from None
    return event_type, payload, ms, _optional_sid(payload.get("sid"), ids.EVENT, "payload.sid")


def _record(where: str, event_type: str, fields: dict[str, Any], ms: int, sid: str | None
            ) -> Record:
    resource = fields.get("resource_sid")
    if event_type in WORKER_EVENTS:
        worker = _sid(fields.get("worker_sid") or resource, ids.WORKER, "event_data.worker_sid")
        activity = _field_text(fields, "worker_activity_name")
        return Record(where, ms, "worker.activity.update", sid, worker=worker,
                      worker_name=_name(fields, worker), activity=activity,
                      worker_attributes=_attributes(fields, "worker_attributes"))
    default = resource if event_type.startswith("task.") else None
    task = _sid(fields.get("task_sid") or default, ids.TASK, "event_data.task_sid")
    common: dict[str, Any] = {
        "task": task, "priority": _priority(fields),
        "queue": fields.get("task_queue_name") if isinstance(
            fields.get("task_queue_name"), str) else None,
        "attributes": _attributes(fields, "task_attributes"),
        "reason": _reason(fields)}
    if event_type == "task.created" and not common["queue"]:
        raise Malformed("event_data.task_queue_name", "missing: the queue is the task's skill")
    if event_type.startswith("reservation."):
        common["reservation"] = _sid(fields.get("reservation_sid") or resource,
                                     ids.RESERVATION, "event_data.reservation_sid")
    if "worker_sid" in fields or event_type.startswith("reservation."):
        worker = _sid(fields.get("worker_sid"), ids.WORKER, "event_data.worker_sid")
        common.update(worker=worker, worker_name=_name(fields, worker),
                      worker_attributes=_attributes(fields, "worker_attributes"))
    return Record(where, ms, event_type, sid, **common)


# fields ------------------------------------------------------------------------------------

def _text(item: dict[str, Any], key: str, path: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise Malformed(path, "missing" if value is None else "expected text")
    return value


def _field_text(fields: dict[str, Any], key: str) -> str:
    return _text(fields, key, f"event_data.{key}")


def _time(item: dict[str, Any]) -> int:
    value = item.get("event_date_ms")
    if isinstance(value, str) and re.fullmatch(r"\d+", value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    stamp = item.get("event_date")
    if not isinstance(stamp, str):
        raise Malformed("event_date", "missing (and no event_date_ms)")
    try:
        return ids.parse_iso(stamp)
    except ValueError as error:
        raise Malformed("event_date", f"{stamp!r} is not an ISO 8601 time: {error}") from None


def _sid(value: Any, prefix: str, path: str) -> str:
    if value is None:
        raise Malformed(path, "missing")
    if not ids.is_sid(value, prefix):
        raise Malformed(path, f"{value!r} is not a Twilio SID ({prefix} and 32 hex digits)")
    return str(value)


def _optional_sid(value: Any, prefix: str, path: str) -> str | None:
    return None if value is None else _sid(value, prefix, path)


def _name(fields: dict[str, Any], worker: str) -> str:
    name = fields.get("worker_name")
    return name if isinstance(name, str) and name else worker


def _priority(fields: dict[str, Any]) -> int:
    value = fields.get("task_priority", 0)
    if isinstance(value, str) and re.fullmatch(r"\d+", value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Malformed("event_data.task_priority", f"{value!r} is not a priority (an integer "
                        ">= 0)")
    return value


def _attributes(fields: dict[str, Any], key: str) -> dict[str, Any]:
    value = fields.get(key)
    if value is None:
        return {}
    if isinstance(value, str):
        value = _json(value, f"event_data.{key}")
    if not isinstance(value, dict):
        raise Malformed(f"event_data.{key}", "expected a JSON object")
    return value


def _json(text: str, path: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise Malformed(path, f"not JSON: {error.msg}") from None


def _reason(fields: dict[str, Any]) -> str | None:
    for key in ("reason", "task_canceled_reason", "task_completed_reason"):
        if isinstance(fields.get(key), str):
            return str(fields[key])
    return None
