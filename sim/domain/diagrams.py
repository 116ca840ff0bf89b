"""Mermaid state diagrams drawn from the lifecycle tables, for docs/model.md.

`python -m sim.domain.diagrams docs/model.md` rewrites the diagram blocks in place; a test checks
the document matches the tables, so the pictures cannot drift from the rules.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from sim.domain.lifecycle import ACTIVITY, CONVERSATION, RESERVATION, TASK, Event, Machine

CREATED_BY = {"task": Event.TASK_CREATED, "reservation": Event.RESERVATION_CREATED,
              "conversation": Event.CONVERSATION_CREATED}
MACHINES: dict[str, Machine[Any, Any]] = {
    machine.name: machine for machine in (TASK, RESERVATION, CONVERSATION, ACTIVITY)}
_BLOCK = re.compile(r"(<!-- diagram:(\w+) -->\n)(.*?)(<!-- /diagram -->)", re.DOTALL)


def mermaid(machine: Machine[Any, Any]) -> str:
    """stateDiagram-v2 text; edges between the same two statuses share one arrow."""
    labels: dict[tuple[StrEnum, StrEnum], list[str]] = defaultdict(list)
    for (source, trigger), target in machine.edges.items():
        labels[(source, target)].append(trigger.value)
    entry = CREATED_BY.get(machine.name)
    lines = ["```mermaid", "stateDiagram-v2",
             f"    [*] --> {machine.initial.value}" + (f": {entry.value}" if entry else "")]
    for (source, target), triggers in labels.items():
        lines.append(f"    {source.value} --> {target.value}: {' / '.join(triggers)}")
    for status in sorted(machine.terminal, key=lambda s: s.value):
        lines.append(f"    {status.value} --> [*]")
    lines.append("```")
    return "\n".join(lines) + "\n"


def render(document: str) -> str:
    """The document with every `<!-- diagram:NAME -->` block redrawn from its table."""
    return _BLOCK.sub(lambda m: m[1] + mermaid(MACHINES[m[2]]) + m[4], document)


def rewrite(paths: list[str], redraw: Callable[[str], str]) -> int:
    """Redraw the generated blocks of each document in place (a docs generator's main)."""
    for name in paths:
        path = Path(name)
        path.write_text(redraw(path.read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(rewrite(sys.argv[1:], render))
