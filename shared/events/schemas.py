"""JSON Schemas of every topic's events, generated from the models.

The committed copies live in ``docs/schemas/``; a test fails when they drift from the models.
Regenerate with ``alertorch schemas --write``.
"""

from __future__ import annotations

import json

from shared.events.raw import CustomAlert
from shared.topics import TOPICS


def render_schemas() -> dict[str, str]:
    """File name to schema text (stable formatting, trailing newline)."""
    out: dict[str, str] = {}
    for spec in TOPICS:
        for version, model in sorted(spec.versions.items()):
            schema = model.model_json_schema(mode="validation")
            schema["$id"] = f"{spec.name}.v{version}.schema.json"
            schema["description"] = f"{spec.description} Key: {spec.key}."
            out[f"{spec.name}.v{version}.schema.json"] = _dump(schema)
        if spec.accepts_custom_alert:
            schema = CustomAlert.model_json_schema(mode="validation")
            schema["$id"] = f"{spec.name}.custom-alert.schema.json"
            out[f"{spec.name}.custom-alert.schema.json"] = _dump(schema)
    return out


def _dump(schema: dict[str, object]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
