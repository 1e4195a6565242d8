"""Delivery targets by name: built-ins, ``register_integration()`` and the
``alertorch.integrations`` entry-point group of installed packages."""

from __future__ import annotations

from importlib.metadata import entry_points

import structlog

from services.notifier.delivery.base import Integration

log = structlog.get_logger(__name__)

ENTRY_POINT_GROUP = "alertorch.integrations"
_REGISTERED: dict[str, Integration] = {}


def register_integration(name: str, integration: Integration) -> None:
    """Deliver notifications whose target ``type`` is ``name`` through ``integration``."""
    if not isinstance(integration, Integration):
        raise TypeError("an integration needs async send_notification() and handle_escalation()")
    _REGISTERED[name] = integration


def unregister_integration(name: str) -> None:
    _REGISTERED.pop(name, None)


def registered_integrations(reserved: frozenset[str] = frozenset()) -> dict[str, Integration]:
    """Registered integrations plus installed packages' entry points (registered ones win).

    An entry point named in ``reserved`` (a built-in target) is skipped, with an error logged:
    only ``register_integration()`` replaces a built-in.
    """
    found = dict(_REGISTERED)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in found:
            continue
        if entry.name in reserved:
            log.error("entry point shadows a built-in target; skipped", entry_point=entry.name)
            continue
        try:
            loaded = entry.load()
            integration = loaded() if isinstance(loaded, type) else loaded
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop delivery
            log.error("integration plugin failed to load", entry_point=entry.name, error=repr(exc))
            continue
        if isinstance(integration, Integration):
            found[entry.name] = integration
        else:
            log.error("entry point is not an integration", entry_point=entry.name)
    return found
