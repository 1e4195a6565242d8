"""The configuration document a folder gives: its ``config.yaml`` (or the file ``--config``
named), with the overlay of the chosen environment merged over it.

An environment's overlay is ``<folder>/environments/<name>.yaml``; the environment is
``ALERTORCH_ENVIRONMENT`` when set, else ``ALERTORCH_SYSTEM__ENVIRONMENT``, else the file's
``system.environment`` (variables are read from the environment, then from ``./.env``, as the
settings read them). Mappings merge key by key, anything else (lists included) is replaced.
Every problem is reported at the ``file:line`` of the layer that set the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from shared.config.yaml_lines import LineMap, Loc, load_yaml
from shared.errors import ConfigError

CONFIG_FILE = "config.yaml"
OVERLAYS = "environments"
#: Set by ``--config FILE``: the config.yaml to read in its folder, under any name.
CONFIG_FILE_VARIABLE = "ALERTORCH_CONFIG_FILE"
ENVIRONMENT_VARIABLE = "ALERTORCH_ENVIRONMENT"


def config_file(folder: Path) -> Path:
    """The main configuration file of ``folder``: the one ``--config`` named when it lives
    there, else ``config.yaml``."""
    named = os.environ.get(CONFIG_FILE_VARIABLE)
    if named and Path(named).resolve().parent == folder.resolve():
        return Path(named)
    return folder / CONFIG_FILE


def overlays(folder: Path) -> list[Path]:
    """Every environment overlay of ``folder``, by name."""
    return sorted((folder / OVERLAYS).glob("*.yaml"))


def merged(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``overlay`` over ``base``: mappings merge key by key, other values replace."""
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


class LayeredLines:
    """``file:line`` of a key in whichever layer set it (the overlay first)."""

    def __init__(self, *layers: LineMap) -> None:
        self.layers = layers  # lowest first

    def where(self, loc: Loc) -> str:
        for end in range(len(loc), -1, -1):
            for layer in reversed(self.layers):
                if layer.has(tuple(loc[:end])):
                    return layer.where(tuple(loc[:end]))
        return self.layers[-1].where(loc)


@dataclass(frozen=True)
class ConfigDocument:
    document: dict[str, Any]
    lines: LayeredLines
    #: The files it was read from, lowest layer first (those that exist).
    sources: tuple[Path, ...]
    environment: str | None


def _read(path: Path) -> tuple[dict[str, Any], LineMap]:
    if not path.exists():
        return {}, LineMap(path, {})
    document, lines = load_yaml(path)
    if document is None:
        return {}, lines
    if not isinstance(document, dict):
        raise ConfigError([f"{path}:1: expected a mapping of sections at the top level"])
    return document, lines


def _variable(name: str) -> str | None:
    """An environment variable, or the working directory's ``.env`` (as the settings read it)."""
    value = os.environ.get(name)
    if value:
        return value
    found = dotenv_values(".env").get(name) if Path(".env").is_file() else None
    return found or None


def environment_of(document: Mapping[str, Any]) -> str | None:
    chosen = _variable(ENVIRONMENT_VARIABLE) or _variable("ALERTORCH_SYSTEM__ENVIRONMENT")
    if chosen:
        return chosen
    system = document.get("system")
    value = system.get("environment") if isinstance(system, Mapping) else None
    return str(value) if value is not None else None


def read_config(folder: Path, *, environment: str | None = None) -> ConfigDocument:
    """The document of ``folder`` for ``environment`` (default: the one chosen as above)."""
    path = config_file(folder)
    document, lines = _read(path)
    sources = [path] if path.exists() else []
    name = environment or environment_of(document)
    layers = [lines]
    if name:
        overlay = folder / OVERLAYS / f"{name}.yaml"
        if overlay.exists():
            extra, extra_lines = _read(overlay)
            document = merged(document, extra)
            layers.append(extra_lines)
            sources.append(overlay)
        system = document.get("system")
        if _variable(ENVIRONMENT_VARIABLE) or environment:
            document["system"] = {
                **(system if isinstance(system, Mapping) else {}),
                "environment": name,
            }
    return ConfigDocument(document, LayeredLines(*layers), tuple(sources), name)
