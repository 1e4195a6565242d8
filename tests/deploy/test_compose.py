"""deploy/docker-compose.yml without Docker: valid against the Compose Specification, every
command a real one, every variable one the settings read, scalable, observable."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

import services.analyzer.metrics
import services.ingest.metrics
import services.notifier.metrics
import services.resolver.metrics
import shared.metrics
from shared.metrics import REGISTRY
from tests.deploy.helpers import (
    APP_SERVICES,
    COMPOSE_FILE,
    DEPLOY,
    REPO,
    SERVICE_COMMANDS,
    assert_settings_hold,
    cli_problem,
    compose,
    compose_variables,
    image_command,
    read_by_settings,
    service_environment,
)

#: Compose services started from the alertorch image.
IMAGE_SERVICES = (*APP_SERVICES, "topics", "migrate")
#: Series kafka-exporter exports (danielqsj/kafka-exporter), used by the dashboards.
KAFKA_EXPORTER_SERIES = {
    "kafka_consumergroup_lag": {"consumergroup", "topic", "partition"},
    "kafka_topic_partition_current_offset": {"topic", "partition"},
    "kafka_topic_partition_oldest_offset": {"topic", "partition"},
}
TARGET_LABELS = {"job", "instance"}
#: The modules declaring the metrics of the services compose runs (beside shared.metrics).
SERVICE_METRICS = (
    services.ingest.metrics,
    services.analyzer.metrics,
    services.resolver.metrics,
    services.notifier.metrics,
)


def compose_schema() -> dict[str, Any]:
    """The Compose Specification schema vendored in check-jsonschema (source and license
    beside it in that package)."""
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads((vendor / "compose-spec.json").read_text())
    assert schema["title"] == "Compose Specification"
    return schema


def test_valid_against_the_compose_specification() -> None:
    schema = compose_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    # and the schema does refuse what Compose refuses
    broken = copy.deepcopy(compose())
    broken["services"]["analyzer"]["replica"] = 3
    assert list(validator.iter_errors(broken))


def test_the_services_the_deployment_needs() -> None:
    services = compose()["services"]
    assert {
        "kafka",
        "topics",
        "postgres",
        *APP_SERVICES,
        "prometheus",
        "grafana",
    } <= set(services)
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]  # KRaft, no ZooKeeper
    assert kafka["healthcheck"]["test"]
    assert services["postgres"]["healthcheck"]["test"]


def test_dependants_wait_for_healthy_kafka_postgres_and_the_one_shots() -> None:
    services = compose()["services"]
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        for dependency, condition in depends.items():
            if dependency in ("kafka", "postgres"):
                assert condition["condition"] == "service_healthy", (name, dependency)
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    # topics are made by the topics job, with their partitions, never auto-created
    assert services["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["topics"]["condition"] == "service_completed_successfully"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", IMAGE_SERVICES)
def test_every_command_is_a_real_cli_command(name: str) -> None:
    service = compose()["services"][name]
    assert cli_problem(service["command"]) is None, service["command"]
    test = service.get("healthcheck", {}).get("test")
    if test and not service["healthcheck"].get("disable"):
        assert cli_problem(image_command(test)) is None, test


def test_app_services_run_their_own_command_on_their_port() -> None:
    services = compose()["services"]
    for name in APP_SERVICES:
        command = services[name]["command"]
        assert command[0] == SERVICE_COMMANDS[name]
        assert "--port" in command


@pytest.mark.parametrize("name", IMAGE_SERVICES)
def test_every_variable_is_one_the_settings_read(name: str) -> None:
    env = service_environment(compose()["services"][name])
    assert env
    unread = [variable for variable in env if not read_by_settings(variable)]
    assert not unread, f"{name} sets variables no setting reads: {unread}"
    # and loading the settings with them gives exactly those values
    assert_settings_hold(env)


def test_state_goes_to_postgres_and_nothing_else_is_writable() -> None:
    services = compose()["services"]
    postgres = services["postgres"]["environment"]
    url = (
        f"postgresql://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{postgres['POSTGRES_DB']}"
    )
    for name in IMAGE_SERVICES:
        service = services[name]
        env = service_environment(service)
        assert env["ALERTORCH_STORAGE__URL"] == url
        assert env["ALERTORCH_STORAGE__DATA_DIRECTORY"] == "/var/lib/alertorch"
        assert service["read_only"] is True
        assert "/tmp" in service["tmpfs"]
        assert all(volume.endswith(":ro") for volume in service.get("volumes", []))
        assert "ALL" in service["cap_drop"]


def test_scales_out_no_container_names_and_no_fixed_host_ports() -> None:
    """`docker compose up --scale analyzer=3`: every replica gets its own name, and a service
    either publishes no host port or a host port range given by a variable."""
    services = compose()["services"]
    assert not [name for name, service in services.items() if "container_name" in service]
    raw = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    for name in APP_SERVICES:
        for port in raw[name].get("ports", []):
            host = str(port).rsplit(":", 1)[0]
            assert "${" in host, f"{name} publishes a fixed host port: {port}"
        assert raw[name].get("deploy", {}).get("replicas") is None
    assert "ports" not in services["analyzer"]
    assert "ports" not in services["resolver"]
    # a port range scales ingest too
    scaled = compose({"INGEST_PORTS": "8001-8003"})["services"]["ingest"]["ports"]
    assert scaled == ["127.0.0.1:8001-8003:8001"]


def test_env_example_lists_every_variable() -> None:
    example = (REPO / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    missing = compose_variables() - listed
    assert not missing, f".env.example misses {sorted(missing)}"
    for name in listed - compose_variables():
        assert read_by_settings(name), f".env.example lists {name}, which nothing reads"
    # the secrets the services read are all there
    assert {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SENTRY_AUTH_TOKEN",
        "PAGERDUTY_API_KEY",
        "GITHUB_TOKEN",
        "ALERT_WEBHOOK_TOKEN",
    } <= listed
    # the file is what the containers get
    for name in IMAGE_SERVICES:
        [env_file] = compose()["services"][name]["env_file"]
        assert (DEPLOY / env_file["path"]).resolve() == (REPO / ".env").resolve()
    # and nothing in it would upset the settings when `make run` reads it as .env
    assert not [
        name
        for name in listed
        if name.startswith("ALERTORCH_") and name not in compose_variables()
        if not read_by_settings(name)
    ]


def test_prometheus_scrapes_every_replica_of_every_service() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    scraped = {}
    for job in config["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            for name in sd["names"]:
                scraped[name] = (sd["type"], sd["port"], job.get("metrics_path", "/metrics"))
    services = compose()["services"]
    for name in APP_SERVICES:
        command = services[name]["command"]
        port = int(command[command.index("--port") + 1])
        assert scraped[name] == ("A", port, "/metrics"), name
    static = [
        t
        for job in config["scrape_configs"]
        for s in job.get("static_configs", [])
        for t in s["targets"]
    ]
    assert "kafka-exporter:9308" in static
    mounts = services["prometheus"]["volumes"]
    assert "./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in mounts


def _exported_metrics() -> dict[str, set[str]]:
    """Every series name the compose services export, with its labels: the shared metrics and
    each service's own module (other packages may register more in the same registry)."""
    modules = (shared.metrics, *SERVICE_METRICS)
    collectors = [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, MetricWrapperBase)
    ]
    found: dict[str, set[str]] = {}
    for collector in collectors:
        labels = set(collector._labelnames)
        for name in REGISTRY._collector_to_names[collector]:
            bucket = collector._type == "histogram" and name.endswith("_bucket")
            found[name] = labels | ({"le"} if bucket else set())
    return found


def _dashboards() -> list[dict[str, Any]]:
    return [
        json.loads(path.read_text())
        for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
    ]


def _expressions(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_grafana_is_provisioned_with_prometheus_and_the_dashboards() -> None:
    grafana = compose()["services"]["grafana"]
    provisioning = DEPLOY / "grafana" / "provisioning"
    [datasource] = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    assert datasource["url"] == "http://prometheus:9090"
    [provider] = yaml.safe_load((provisioning / "dashboards" / "alertorch.yml").read_text())[
        "providers"
    ]
    mounts = dict(volume.rsplit(":", 2)[:2] for volume in grafana["volumes"] if ":" in volume)
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    dashboards = _dashboards()
    assert len({d["uid"] for d in dashboards}) == len(dashboards) >= 2
    for dashboard in dashboards:
        for panel in dashboard["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]


def test_dashboards_cover_the_pipeline_and_use_only_real_metrics() -> None:
    exported = _exported_metrics()
    known = {**exported, **KAFKA_EXPORTER_SERIES, "up": set()}
    titles = " ".join(
        panel["title"].lower() for dashboard in _dashboards() for panel in dashboard["panels"]
    )
    for topic in ("per second", "latency", "lag", "dead", "resolver", "slack", "pagerduty"):
        assert topic in titles, f"no panel about {topic}"
    assert "escalation" in titles
    used: set[str] = set()
    for dashboard in _dashboards():
        for expr in _expressions(dashboard):
            names = set(re.findall(r"\b(alertorch_[a-z0-9_]+|kafka_[a-z0-9_]+|up)\b", expr))
            assert names, expr
            unknown = names - set(known)
            assert not unknown, f"{expr}: not exported by anything: {unknown}"
            used |= names
            labels = set().union(*(known[name] for name in names)) | TARGET_LABELS
            for selector_name, matchers in re.findall(
                r"\b(alertorch_[a-z0-9_]+|kafka_[a-z0-9_]+|up)\{([^}]*)\}", expr
            ):
                for label in re.findall(r"([a-z_]+)\s*(?:=~|!~|!=|=)", matchers):
                    assert label in known[selector_name] | TARGET_LABELS, (expr, label)
            for grouping in re.findall(r"\bby \(([^)]*)\)", expr):
                for label in (part.strip() for part in grouping.split(",")):
                    assert label in labels, (expr, label)
    # every family the services export is on a dashboard, bar the Sentry poller internals
    families = {name.removesuffix("_total") for name in exported if name.endswith("_total")}
    shown = {name.removesuffix("_total") for name in used}
    missing = {
        family
        for family in families
        if family not in shown
        and not family.startswith("alertorch_ingest_sentry")
        and family != "alertorch_analyzer_pattern_reloads"
    }
    assert not missing, f"exported but on no dashboard: {sorted(missing)}"
