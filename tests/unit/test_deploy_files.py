"""Offline checks of the compose file and Dockerfile (no Docker engine is needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from services.cli.main import build_parser
from services.cli.registry import SERVICES

REPO = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    document = yaml.safe_load((REPO / "deploy" / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


def test_every_service_runs_from_the_image_with_a_probe_on_its_own_port() -> None:
    services = _compose()["services"]
    for name, entry in SERVICES.items():
        spec = services[name]
        assert spec["command"][0] == name
        port = int(spec["command"][spec["command"].index("--port") + 1])
        assert port == entry.default_port
        assert spec["ports"] == [f"{port}:{port}"]
        assert f"127.0.0.1:{port}/readyz" in " ".join(spec["healthcheck"]["test"])
        assert spec["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert spec["depends_on"]["topics"]["condition"] == "service_completed_successfully"
        build_parser().parse_args(spec["command"])  # the CLI accepts the command


def test_topics_job_waits_for_a_healthy_kafka() -> None:
    services = _compose()["services"]
    assert services["topics"]["command"] == ["topics"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_dockerfile_installs_the_cli() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["alertorch"]' in text
    for folder in ("shared", "services", "config"):
        assert f"COPY {folder}" in text
