"""A package of the user's, installed for one test as ``importlib.metadata`` finds one: a module
and its ``*.dist-info`` folder, whose entry points name what the module offers."""

from __future__ import annotations

from pathlib import Path

import pytest


def install_package(
    monkeypatch: pytest.MonkeyPatch,
    folder: Path,
    module: str,
    source: str,
    group: str,
    entry_points: dict[str, str],
) -> None:
    """Module ``module`` of ``source``, as distribution ``module`` 1.0, in ``folder``, which is
    on ``sys.path`` for the test; each entry point ``name: attribute`` is
    ``name = module:attribute`` in ``group``."""
    (folder / f"{module}.py").write_text(source)
    dist = folder / f"{module}-1.0.dist-info"
    dist.mkdir()
    name = module.replace("_", "-")
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = [f"{entry} = {module}:{attribute}" for entry, attribute in entry_points.items()]
    (dist / "entry_points.txt").write_text("\n".join([f"[{group}]", *lines]) + "\n")
    monkeypatch.syspath_prepend(str(folder))
