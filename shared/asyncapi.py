"""The topic contracts as an AsyncAPI 3 document (``docs/asyncapi.yaml``), from the topic
registry: every topic as a channel (its address, key, description and ``.dlq`` twin), each
schema version as a message whose payload is the committed JSON Schema (``schemas/…``), and an
operation for each service that sends to or receives from it.

``alertorch schemas`` writes it beside the JSON Schemas; a test keeps it in sync and validates
it against the AsyncAPI 3.0.0 specification's schema.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from shared.topics import TOPICS, TopicSpec

FILE_NAME = "asyncapi.yaml"
#: Producers and consumers named in the registry that are no service of ours.
NOT_SERVICES = frozenset({"any Kafka producer", "any producer"})
KAFKA_BINDING = "0.5.0"


def _id(text: str) -> str:
    """An AsyncAPI component key (letters, digits, ``-`` and ``_``)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)


def _messages(spec: TopicSpec) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    key = {"type": "string", "description": spec.key}
    for version, model in sorted(spec.versions.items()):
        found[_id(f"{spec.name}-v{version}")] = {
            "name": model.__name__,
            "title": f"{model.__name__} v{version}",
            "summary": f"A CloudEvents 1.0 structured envelope, type {model.event_type}.",
            "contentType": "application/json",
            "payload": {"$ref": f"schemas/{spec.name}.v{version}.schema.json"},
            "bindings": {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING}},
        }
    if spec.accepts_custom_alert:
        found[_id(f"{spec.name}-custom-alert")] = {
            "name": "CustomAlert",
            "title": "A bare custom alert",
            "summary": "Any producer may publish one; it is lifted into a RawError.",
            "contentType": "application/json",
            "payload": {"$ref": f"schemas/{spec.name}.custom-alert.schema.json"},
            "bindings": {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING}},
        }
    return found


def render_asyncapi() -> str:
    """The document's text (stable: the same registry gives the same bytes)."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in TOPICS:
        channel = _id(spec.name)
        mine = _messages(spec)
        messages.update(mine)
        outside = [p for p in spec.producers if p in NOT_SERVICES]
        channels[channel] = {
            "address": spec.name,
            "title": spec.name,
            "description": f"{spec.description} Key: {spec.key}. Messages that cannot be "
            f"processed go to `{spec.dlq}` with their failure in headers."
            + (f" Also published by {', '.join(outside)}." if outside else ""),
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in mine},
            "bindings": {"kafka": {"topic": spec.name, "bindingVersion": KAFKA_BINDING}},
        }
        refs = [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in mine]
        for action, services in (("send", spec.producers), ("receive", spec.consumers)):
            for service in services:
                if service in NOT_SERVICES:
                    continue
                operations[_id(f"{service}-{action}s-{spec.name}")] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{channel}"},
                    "summary": f"{service} {action}s {spec.name}",
                    "messages": refs,
                }
    document = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "alertorch events",
            "version": "1",
            "description": "Every topic the services publish and consume, its key and its "
            "event contracts. Generated from the topic registry (shared/topics.py) by "
            "`alertorch schemas`; do not edit by hand.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "localhost:9092",
                "protocol": "kafka",
                "description": "KAFKA_BOOTSTRAP_SERVERS",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
