"""Each service's default HTTP port, apart from the registry so that light commands
(``alertorch healthcheck``) need not import the services."""

from __future__ import annotations

from typing import Final

DEFAULT_PORTS: Final = {
    "ingest": 8001,
    "analyzer": 8002,
    "resolver": 8003,
    "notifier": 8004,
    "api": 8005,
}
