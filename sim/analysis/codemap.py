"""The package's own import graph, read from the source: for the layer test and the package
diagram in docs/architecture.md (`python -m sim.analysis.codemap docs/architecture.md`)."""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sim.domain.diagrams import rewrite

PACKAGE = Path(__file__).resolve().parents[1]


@dataclass
class Imports:
    sim: set[str] = field(default_factory=set)  # modules of this package, type-only included
    third_party: set[str] = field(default_factory=set)  # top-level names of everything else


def module_name(root: Path, path: Path) -> str:
    """`sim.engine.router` for sim/engine/router.py; a package is named by its folder."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(tree: ast.AST, module: str, root: Path = PACKAGE) -> Imports:
    found = Imports()
    top = root.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                _add(found, alias.name, top)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module)
            if base.split(".")[0] != top:
                _add(found, base, top)
                continue
            for alias in node.names:
                child = f"{base}.{alias.name}"
                is_module = (root / Path(*child.split(".")[1:])).with_suffix(".py").exists()
                is_package = (root / Path(*child.split(".")[1:]) / "__init__.py").exists()
                found.sim.add(child if is_module or is_package else base)
    return found


def _absolute(node: ast.ImportFrom, module: str) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")[: -node.level]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _add(found: Imports, name: str, top: str) -> None:
    if name.split(".")[0] == top:
        found.sim.add(name)
    else:
        found.third_party.add(name.split(".")[0])


def import_graph(root: Path = PACKAGE) -> dict[str, Imports]:
    return {module_name(root, path): imports_of(ast.parse(path.read_text()),
                                                module_name(root, path), root)
            for path in sorted(root.rglob("*.py"))}


def package_edges(graph: dict[str, Imports]) -> dict[tuple[str, str], int]:
    """(importing package, imported package) -> number of module-level imports."""
    edges: dict[tuple[str, str], int] = defaultdict(int)
    for module, found in graph.items():
        for target in found.sim:
            source, sink = _package(module), _package(target)
            if source != sink:
                edges[(source, sink)] += 1
    return dict(edges)


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and not parts[1].startswith("__") else "sim"


def mermaid(graph: dict[str, Imports]) -> str:
    """Packages (with their modules) and the imports between them, as a Mermaid graph."""
    members: dict[str, list[str]] = defaultdict(list)
    for module in graph:
        if _package(module) != module:
            members[_package(module)].append(module.rsplit(".", 1)[1])
    lines = ["```mermaid", "flowchart TD"]
    for package in sorted(members):
        label = f"{package}<br/><small>{', '.join(sorted(members[package]))}</small>"
        lines.append(f'    {package.replace(".", "_")}["{label}"]')
    for (source, sink), count in sorted(package_edges(graph).items()):
        lines.append(f"    {source.replace('.', '_')} -->|{count}| {sink.replace('.', '_')}")
    lines.append("```")
    return "\n".join(lines)


MARKER = re.compile(r"(<!-- packages -->\n)(?:.*?\n)?(<!-- /packages -->)", re.DOTALL)


def render(document: str, graph: dict[str, Imports] | None = None) -> str:
    """`document` with the diagram between its <!-- packages --> markers redrawn."""
    diagram = mermaid(import_graph() if graph is None else graph)
    return MARKER.sub(lambda match: match[1] + diagram + "\n" + match[2], document)


if __name__ == "__main__":
    sys.exit(rewrite(sys.argv[1:], render))
