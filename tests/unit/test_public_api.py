"""The event contracts' public API is ``shared.events``: everything outside the package imports
from there, and everything it lists exists."""

from __future__ import annotations

import ast
from pathlib import Path

import shared.events

REPO = Path(__file__).resolve().parents[2]
#: Modules of the package that are tools, not contracts (the JSON Schema writer).
TOOLS = {"shared.events.schemas"}


def _imports_from_inside(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{path.relative_to(REPO)}:{node.lineno}: from {node.module} import ..."
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("shared.events.")
        and node.module not in TOOLS
    ]


def test_everything_outside_imports_the_contracts_from_shared_events() -> None:
    package = REPO / "shared" / "events"
    found = [
        line
        for folder in ("services", "shared", "bench", "tests")
        for path in sorted((REPO / folder).rglob("*.py"))
        if package not in path.parents
        for line in _imports_from_inside(path)
    ]
    assert found == [], "import these from shared.events (add to its __all__ if missing)"


def test_every_listed_name_exists_once() -> None:
    names = shared.events.__all__
    assert len(names) == len(set(names))
    assert [name for name in names if not hasattr(shared.events, name)] == []
