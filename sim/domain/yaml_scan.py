"""A first pass over a YAML document's events, before anything walks or builds it.

The composer, the constructor and the schema all recurse, and aliases let a few lines stand
for billions of nodes ("billion laughs"), so the limits are checked here, on the parser's
flat event stream, in one linear pass: the text's size, the nesting depth, how many nodes
aliases would add, and aliases that refer to the node containing them. The same pass finds
what must be reported at its own place: duplicate keys, and keys that are not names (a list,
a mapping or nothing at all used as a key).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, StreamMark
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    MappingStartEvent,
    ScalarEvent,
)
from ruamel.yaml.reader import ReaderError

from sim.domain.problems import Problem, ScenarioError, position_in, syntax_problem
from sim.domain.source_text import MAX_FILE_BYTES, too_large

MAX_DEPTH = 64  # a scenario nests about 7 levels; the composer recurses per level
MAX_ALIASED_NODES = 100_000  # nodes that aliases may add; a legitimate file adds dozens


@dataclass(eq=False)
class _Frame:
    """An open mapping or sequence, and what its parent calls it."""

    mapping: bool
    parent: _Frame | None
    label: str  # key in a mapping; index in a sequence, replaced by the item's `name`
    anchor: str | None
    size: int = 1
    items: int = 0  # nodes seen directly inside (keys and values alike in a mapping)
    key: str | None = None  # the last key read, while its value is read
    keys: dict[str, int] = field(default_factory=dict)  # key -> line first written

    def path(self, *rest: str) -> Callable[[], str]:
        """The dotted path, built once the document is read (an item's name may come
        after the key it is reported for)."""
        def build() -> str:
            names: list[str] = list(rest)
            frame: _Frame | None = self
            while frame is not None and frame.parent is not None:
                names.insert(0, frame.label)
                frame = frame.parent
            return ".".join(names)
        return build


@dataclass
class _Found:
    source: str
    message: str
    path: Callable[[], str]
    mark: StreamMark

    def problem(self) -> Problem:
        return Problem(self.source, self.message, _shortened(self.path()),
                       self.mark.line + 1, self.mark.column + 1)


def _shortened(path: str) -> str:
    """A path deep enough to be refused is shown by its ends."""
    parts = path.split(".")
    return path if len(parts) <= 12 else ".".join([*parts[:6], "...", *parts[-3:]])


class _Scan:
    def __init__(self, source: str, target: tuple[int, int] | None = None) -> None:
        self.source = source
        self.target = target  # (line, column), 0-based, of a node whose path is wanted
        self.target_path = ""
        self.stack: list[_Frame] = []
        self.sizes: dict[str, int] = {}
        self.aliased = 0
        self.found: list[_Found] = []

    def event(self, event: Event) -> None:
        if isinstance(event, CollectionStartEvent):
            self.open(event)
        elif isinstance(event, CollectionEndEvent):
            frame = self.stack.pop()
            if frame.anchor is not None:
                self.sizes[frame.anchor] = frame.size
            self.child(frame.size)
        elif isinstance(event, ScalarEvent):
            if (event.start_mark.line, event.start_mark.column) == self.target:
                self.target_path = self._path_of_child()()
            if event.anchor is not None:
                self.sizes[event.anchor] = 1
            self.child(1, event)
        elif isinstance(event, AliasEvent):
            self.alias(event)

    def open(self, event: CollectionStartEvent) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.mapping and parent.items % 2 == 0:
            kind = "mapping" if isinstance(event, MappingStartEvent) else "list"
            self.report(f"a key must be a name, not a {kind}", parent.path(), event)
        if len(self.stack) >= MAX_DEPTH:
            self.fatal(f"nested more than {MAX_DEPTH} levels deep (a scenario needs about "
                       "7); refused before reading further", self._path_of_child(), event)
        label = self._label_of_child(parent)
        self.stack.append(_Frame(isinstance(event, MappingStartEvent), parent, label,
                                 event.anchor))

    def alias(self, event: AliasEvent) -> None:
        if any(frame.anchor == event.anchor for frame in self.stack):
            self.fatal(f"alias *{event.anchor} refers to a node that contains it (a "
                       "structure without end)", self._path_of_child(), event)
        size = self.sizes.get(str(event.anchor), 1)
        self.aliased += size
        if self.aliased > MAX_ALIASED_NODES:
            self.fatal(f"aliases expand to more than {MAX_ALIASED_NODES:,} nodes (an alias "
                       "bomb?); refused before expanding them", self._path_of_child(), event)
        self.child(size)

    def child(self, size: int, scalar: ScalarEvent | None = None) -> None:
        if not self.stack:
            return
        parent = self.stack[-1]
        parent.size += size
        is_key = parent.mapping and parent.items % 2 == 0
        parent.items += 1
        if scalar is not None and is_key:
            self.key(parent, scalar)
        elif is_key:
            parent.key = None  # a complex key (reported) or an alias as a key
        elif (scalar is not None and parent.mapping and parent.key == "name"
              and parent.parent is not None and not parent.parent.mapping):
            parent.label = scalar.value  # an agent group is addressed by its name

    def key(self, frame: _Frame, event: ScalarEvent) -> None:
        name = event.value
        if name == "" and event.style is None and event.tag is None:
            self.report("a key must be a name, not empty", frame.path(), event)
            frame.key = None
            return
        frame.key = name
        first = frame.keys.get(name)
        if first is not None:
            self.report(f"duplicate key {name!r} (first written on line {first})",
                        frame.path(name), event)
        else:
            frame.keys[name] = event.start_mark.line + 1

    def _label_of_child(self, parent: _Frame | None) -> str:
        if parent is None:
            return ""
        if parent.mapping:
            return parent.key if parent.key is not None else "?"
        return str(parent.items)

    def _path_of_child(self) -> Callable[[], str]:
        if not self.stack:
            return lambda: ""
        parent = self.stack[-1]
        if parent.mapping and parent.items % 2 == 0:
            return parent.path()  # a key's own problem is its mapping's
        return parent.path(self._label_of_child(parent))

    def found_problems(self) -> list[Problem]:
        return [found.problem() for found in self.found]

    def report(self, message: str, path: Callable[[], str], event: Event) -> None:
        self.found.append(_Found(self.source, message, path, event.start_mark))

    def fatal(self, message: str, path: Callable[[], str], event: Event) -> None:
        raise ScenarioError([_Found(self.source, message, path, event.start_mark).problem()])


def scan(text: str, source: str) -> list[Problem]:
    """Problems to report with the others (duplicate keys, keys that are not names); raises
    ScenarioError at once for what must not be read further (syntax, limits)."""
    return _scanned(text, source).found_problems()


def path_at(text: str, line: int, column: int) -> str:
    """The dotted path of the value written at a 1-based line and column (a text that
    has been scanned without error)."""
    return _scanned(text, "", (line - 1, column - 1)).target_path


def _scanned(text: str, source: str, target: tuple[int, int] | None = None) -> _Scan:
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError([too_large(source, len(text.encode("utf-8", "replace")))])
    state = _Scan(source, target)
    try:
        for event in YAML(typ="rt").parse(io.StringIO(text)):
            state.event(event)
    except MarkedYAMLError as error:
        raise ScenarioError([syntax_problem(error, source)]) from None
    except ReaderError as error:
        raise ScenarioError([reader_problem(error, text, source)]) from None
    return state


def reader_problem(error: ReaderError, text: str, source: str) -> Problem:
    """A character YAML does not allow (a NUL byte, most control characters)."""
    line, column = position_in(text, error.position)
    character = error.character if isinstance(error.character, str) else chr(error.character)
    return Problem(source, f"character #x{ord(character):04x} is not allowed in YAML (is this "
                           "a text file?)", line=line, column=column)
