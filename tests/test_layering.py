"""The packages import in one direction only, and no two of them import each other.

Lowest first; a package may import the ones before it, never one after it:

    config ← storage ← report ← slackviews ← mail ← jobs ← bot ← web ← progressbot

``config`` is the module ``progressbot.config``: every package may import it, and it imports nothing of
ours. Every ``import`` counts, at the top of a module or inside a function (a late import still ties the
two packages together), ``if TYPE_CHECKING:`` ones included. The README's "Layout" section says what
each layer holds.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("config", "storage", "report", "slackviews", "mail", "jobs", "bot", "web", "progressbot")
CONFIG = "progressbot.config"
NOT_PACKAGES = {"tests", "benchmarks"}  # scripts and tests may import anything


def node_of(module: str) -> str | None:
    """The layer a module belongs to (None: not ours, e.g. the standard library)."""
    if module == CONFIG or module.startswith(CONFIG + "."):
        return "config"
    top = module.split(".")[0]
    return top if top in LAYERS else None


def imported_modules(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[str, int]]:
    """(module imported, line) for every import in ``source``, relative ones resolved against ``module``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                base = parts if is_package else parts[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:  # "from storage import outbox" imports storage.outbox
                yield f"{target}.{alias.name}", node.lineno


def violations(modules: Iterable[tuple[str, str, bool]]) -> list[str]:
    """Every import against the layering, as "importer:line imports target (a -> b)"."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    found = []
    for module, source, is_package in modules:
        source_node = node_of(module)
        if source_node is None:
            continue
        for target, line in imported_modules(source, module, is_package=is_package):
            target_node = node_of(target)
            if target_node is None or target_node == source_node:
                continue
            if target_node == "config" or rank[target_node] < rank[source_node]:
                continue
            found.append(f"{module}:{line} imports {target} ({source_node} -> {target_node})")
    return sorted(set(found))


def package_graph(modules: Iterable[tuple[str, str, bool]]) -> dict[str, set[str]]:
    """Which layers each layer imports (config counted as its own node)."""
    graph: dict[str, set[str]] = {name: set() for name in LAYERS}
    for module, source, is_package in modules:
        source_node = node_of(module)
        if source_node is None:
            continue
        for target, _line in imported_modules(source, module, is_package=is_package):
            target_node = node_of(target)
            if target_node is not None and target_node != source_node:
                graph[source_node].add(target_node)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle found by a depth-first search, as the path that closes it."""
    found: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    return found


def our_modules() -> list[tuple[str, str, bool]]:
    out = []
    for name in LAYERS:
        if name == "config":
            continue
        for path in sorted((ROOT / name).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts and "versions" in relative.parts:
                continue  # generated Alembic revisions
            parts = list(relative.with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            out.append((".".join(parts), path.read_text(encoding="utf-8"), is_package))
    return out


def test_every_top_level_package_has_a_layer():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_PACKAGES
    assert packages <= set(LAYERS), f"place {sorted(packages - set(LAYERS))} in LAYERS and the README"


def test_no_import_against_the_layering():
    assert violations(our_modules()) == []


def test_no_cycle_between_top_level_packages():
    assert cycles(package_graph(our_modules())) == []


def test_config_imports_nothing_of_ours():
    source = (ROOT / "progressbot" / "config.py").read_text(encoding="utf-8")
    ours = [t for t, _ in imported_modules(source, CONFIG) if node_of(t) not in (None, "config")]
    assert ours == []


# --- the checker itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "source", "bad"),
    [
        ("storage.signoff", "def f():\n    from jobs.policy import Policy\n", True),  # inside a function
        ("jobs.ledger", "from bot.views import reminders\n", True),
        ("jobs.ledger", "import bot.text\n", True),
        ("mail.outbox", "from web import links\n", True),
        ("bot.app", "from jobs.reminders import render_refresh\n", False),
        ("storage.db", "from progressbot.config import Settings\n", False),
        ("storage.db", "from progressbot import lifecycle\n", True),
        ("bot.features.home_tab", "from ..board import meeting_lines\n", False),  # relative, same package
        ("jobs.ledger", "from ..bot.views import reminders\n", True),  # relative, another package
        ("web.app", "import json, bot.edge\n", False),
    ],
)
def test_the_checker_finds_imports_against_the_layering(module, source, bad):
    assert bool(violations([(module, source, False)])) is bad


def test_the_checker_finds_a_cycle():
    modules = [
        ("jobs.scheduler", "import bot.outbox\n", False),
        ("bot.services", "import jobs.reminders\n", False),
    ]
    assert cycles(package_graph(modules)) == [["bot", "jobs", "bot"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
