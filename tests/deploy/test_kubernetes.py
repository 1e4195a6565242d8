"""deploy/k8s without a cluster: every overlay renders with ``kubectl kustomize``, its objects
validate against a current Kubernetes, the KEDA ScaledObjects against KEDA's CRD schema and the
services' real consumer groups, every command and variable is one the CLI and settings know."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from services.cli.registry import SERVICES
from shared.config import load_settings
from tests.conftest import FIXTURES
from tests.deploy.helpers import (
    APP_SERVICES,
    OVERLAYS,
    REPO,
    SERVICE_COMMANDS,
    assert_settings_hold,
    cli_problem,
    container_environment,
    environment,
    example_objects,
    pod_spec,
    read_by_settings,
    render_overlay,
    secret_template_names,
)

KUBERNETES_VERSION = kubernetes_validate.latest_version()
CUSTOM_KINDS = {"ScaledObject", "Kafka", "KafkaNodePool"}
CONFIG_FILES = ("config.yaml", "error_patterns.json", "escalation_rules.yaml")
#: Parameters of KEDA's kafka scaler (keda.sh/docs/2.16/scalers/apache-kafka) this repo may use.
KEDA_KAFKA_PARAMETERS = {
    "bootstrapServers",
    "consumerGroup",
    "topic",
    "lagThreshold",
    "activationLagThreshold",
    "offsetResetPolicy",
    "allowIdleConsumers",
    "excludePersistentLag",
    "scaleToZeroOnInvalidOffset",
    "limitToPartitionsWithLag",
}


def _objects(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in render_overlay(overlay) if o["kind"] == kind}


def _deployments(overlay: str) -> dict[str, dict[str, Any]]:
    return _objects(overlay, "Deployment")


def _container(obj: dict[str, Any]) -> dict[str, Any]:
    spec = pod_spec(obj)
    assert spec is not None
    [container] = spec["containers"]
    return dict(container)


def _env(overlay: str, obj: dict[str, Any]) -> dict[str, str]:
    return container_environment(_container(obj), render_overlay(overlay))


def _consumer_groups(group_prefix: str, data: Path) -> dict[str, set[tuple[str, str]]]:
    """(topic, consumer group) of every subscription each service really makes."""
    overrides = {
        "ALERTORCH_KAFKA__GROUP_PREFIX": group_prefix,
        "ALERTORCH_STORAGE__DATA_DIRECTORY": str(data),
    }
    with environment(overrides):
        settings = load_settings(REPO / "config")
        return {
            name: {
                (t, sub.group_id)
                for sub in entry.create(settings)._subscriptions
                for t in sub.topics
            }
            for name, entry in SERVICES.items()
        }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_a_deployment_per_service(overlay: str) -> None:
    deployments = _deployments(overlay)
    assert set(deployments) == {f"alertorch-{name}" for name in APP_SERVICES}
    namespaces = {o["metadata"].get("namespace") for o in render_overlay(overlay)}
    namespaces.discard(None)  # cluster-scoped: Namespace, ClusterRole
    assert len(namespaces) == 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_core_objects_validate_against_kubernetes(overlay: str) -> None:
    checked = 0
    for obj in render_overlay(overlay):
        if obj["kind"] in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked >= 20


def test_examples_validate_against_kubernetes() -> None:
    kinds = set()
    for path, obj in example_objects():
        kinds.add(obj["kind"])
        if obj["kind"] not in CUSTOM_KINDS:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        else:
            assert obj["apiVersion"] == "kafka.strimzi.io/v1beta2", path
    assert {"Secret", "Job", "HorizontalPodAutoscaler", "RoleBinding", "Kafka"} <= kinds


def test_kubernetes_validation_is_really_checking() -> None:
    [deployment, *_] = _deployments("production").values()
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFilesystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_non_root_read_only_and_probed(overlay: str) -> None:
    for name, deployment in _deployments(overlay).items():
        service = name.removeprefix("alertorch-")
        spec = deployment["spec"]["template"]["spec"]
        container = _container(deployment)
        port = int(container["args"][container["args"].index("--port") + 1])
        assert container["args"][0] == SERVICE_COMMANDS[service]
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        for section in ("requests", "limits"):
            assert set(container["resources"][section]) == {"cpu", "memory"}, name
        pod_security = spec["securityContext"]
        assert pod_security["runAsNonRoot"] is True
        assert pod_security["runAsUser"] != 0
        assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        # the only writable places: the data directory and /tmp, both emptyDir
        volumes = {v["name"]: v for v in spec["volumes"]}
        writable = {
            m["mountPath"]: volumes[m["name"]]
            for m in container["volumeMounts"]
            if not m.get("readOnly")
        }
        env = _env(overlay, deployment)
        assert set(writable) == {env["ALERTORCH_STORAGE__DATA_DIRECTORY"], "/tmp"}
        assert all("emptyDir" in volume for volume in writable.values())
        assert spec["automountServiceAccountToken"] is (service == "resolver")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_config_map_is_generated_from_the_config_folder(overlay: str) -> None:
    for deployment in _deployments(overlay).values():
        container = _container(deployment)
        env = _env(overlay, deployment)
        [mount] = [
            m for m in container["volumeMounts"] if m["mountPath"] == env["ALERTORCH_CONFIG_DIR"]
        ]
        assert mount["readOnly"] is True
        volumes = deployment["spec"]["template"]["spec"]["volumes"]
        [volume] = [v for v in volumes if v["name"] == mount["name"]]
        config_map = _objects(overlay, "ConfigMap")[volume["configMap"]["name"]]
        assert sorted(config_map["data"]) == sorted(CONFIG_FILES)
        for name in CONFIG_FILES:
            assert config_map["data"][name] == (REPO / "config" / name).read_text(), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_command_and_variable_is_real(overlay: str) -> None:
    objects = render_overlay(overlay)
    pods = [obj for obj in objects if pod_spec(obj) is not None]
    assert {obj["kind"] for obj in pods} == {"Deployment", "Job"}
    for obj in pods:
        container = _container(obj)
        assert "command" not in container  # the image's entrypoint is alertorch
        assert cli_problem(container["args"]) is None, container["args"]
        env = container_environment(container, objects)
        unread = [name for name in env if not read_by_settings(name)]
        assert not unread, f"{obj['metadata']['name']}: no setting reads {unread}"
        assert_settings_hold({k: v for k, v in env.items() if k not in secret_template_names()})


def test_examples_commands_and_secret_keys_are_real() -> None:
    for _, obj in example_objects():
        if pod_spec(obj) is not None:
            container = _container(obj)
            assert cli_problem(container["args"]) is None
            for item in container.get("env", []):
                assert read_by_settings(item["name"]), item["name"]
    names = secret_template_names()
    assert "ALERTORCH_STORAGE__URL" in names
    assert not [name for name in names if not read_by_settings(name)]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_pdbs_and_ingress(overlay: str) -> None:
    deployments = _deployments(overlay)
    services = _objects(overlay, "Service")
    pdbs = _objects(overlay, "PodDisruptionBudget")
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert services[name]["spec"]["selector"].items() <= labels.items()
        assert services[name]["spec"]["ports"][0]["targetPort"] == "http"
        assert pdbs[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert pdbs[name]["spec"]["maxUnavailable"] == 1
    [ingress] = _objects(overlay, "Ingress").values()
    routes = {
        path["path"]: path["backend"]["service"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert routes["/slack/events"] == {"name": "alertorch-notifier", "port": {"name": "http"}}
    assert routes["/webhooks"] == {"name": "alertorch-ingest", "port": {"name": "http"}}
    assert routes["/"] == {"name": "alertorch-console", "port": {"name": "http"}}  # its own host
    for backend in routes.values():
        assert backend["name"] in services


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_deny_by_default_and_open_what_is_needed(overlay: str) -> None:
    policies = _objects(overlay, "NetworkPolicy")
    selector = {"app.kubernetes.io/name": "alertorch"}
    deny = [
        p
        for p in policies.values()
        if p["spec"]["podSelector"].get("matchLabels") == selector
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert deny, "no default-deny policy for the alertorch pods"
    egress_ports = {
        port["port"]
        for p in policies.values()
        for rule in p["spec"].get("egress", [])
        for port in rule.get("ports", [])
    }
    assert {53, 9092, 5432, 443} <= egress_ports
    http_in = [
        p
        for p in policies.values()
        for rule in p["spec"].get("ingress", [])
        for port in rule.get("ports", [])
        if port["port"] == "http"
    ]
    assert http_in


def test_kafka_bootstrap_comes_from_a_config_map_and_matches_the_strimzi_example() -> None:
    [kafka] = [obj for _, obj in example_objects() if obj["kind"] == "Kafka"]
    [listener] = [item for item in kafka["spec"]["kafka"]["listeners"] if item["name"] == "plain"]
    strimzi = (
        f"{kafka['metadata']['name']}-kafka-bootstrap.{kafka['metadata']['namespace']}.svc"
        f":{listener['port']}"
    )
    for overlay in OVERLAYS:
        for deployment in _deployments(overlay).values():
            assert _env(overlay, deployment)["KAFKA_BOOTSTRAP_SERVERS"] == strimzi


def _keda_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((FIXTURES / "keda" / "scaledobject.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def test_keda_scales_each_consumer_on_the_lag_of_its_real_groups(tmp_path: Path) -> None:
    scaled = _objects("production", "ScaledObject")
    deployments = _deployments("production")
    analyzer_env = _env("production", deployments["alertorch-analyzer"])
    groups = _consumer_groups(analyzer_env["ALERTORCH_KAFKA__GROUP_PREFIX"], tmp_path / "data")
    # The console (api) consumes too, but is not scaled on lag: its replicas share one read
    # model and a lagging console delays no alert (docs/deploy.md).
    consumers = {name for name, subscriptions in groups.items() if subscriptions} - {"api"}
    assert consumers == {"analyzer", "resolver", "notifier"}
    assert {obj["spec"]["scaleTargetRef"]["name"] for obj in scaled.values()} == {
        f"alertorch-{name}" for name in consumers
    }
    validator = _keda_validator()
    for obj in scaled.values():
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(obj)]
        assert not errors, errors
        target = obj["spec"]["scaleTargetRef"]["name"]
        service = target.removeprefix("alertorch-")
        env = _env("production", deployments[target])
        triggers = obj["spec"]["triggers"]
        assert {t["type"] for t in triggers} == {"kafka"}
        assert {
            (t["metadata"]["topic"], t["metadata"]["consumerGroup"]) for t in triggers
        } == groups[service]
        for trigger in triggers:
            assert set(trigger["metadata"]) <= KEDA_KAFKA_PARAMETERS
            assert trigger["metadata"]["bootstrapServers"] == env["KAFKA_BOOTSTRAP_SERVERS"]
            assert trigger["metadata"]["offsetResetPolicy"] == "earliest"  # as the consumers
        # more replicas than partitions would sit idle
        assert obj["spec"]["maxReplicaCount"] <= int(env["ALERTORCH_KAFKA__TOPIC_PARTITIONS"])
        # KEDA owns the replica count: applying the manifests must not reset it
        assert "replicas" not in deployments[target]["spec"]


def _without_target(obj: dict[str, Any]) -> None:
    del obj["spec"]["scaleTargetRef"]


def _without_trigger_type(obj: dict[str, Any]) -> None:
    del obj["spec"]["triggers"][0]["type"]


def _misspelt_field(obj: dict[str, Any]) -> None:
    obj["spec"]["maxReplicas"] = 3


def _wrong_type(obj: dict[str, Any]) -> None:
    obj["spec"]["minReplicaCount"] = "two"


def _metadata_not_a_string(obj: dict[str, Any]) -> None:
    obj["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 5


@pytest.mark.parametrize(
    "breaking",
    [_without_target, _without_trigger_type, _misspelt_field, _wrong_type, _metadata_not_a_string],
)
def test_the_keda_schema_refuses_what_keda_refuses(
    breaking: Callable[[dict[str, Any]], None],
) -> None:
    validator = _keda_validator()
    [good, *_] = _objects("production", "ScaledObject").values()
    assert validator.is_valid(good)
    candidate = copy.deepcopy(good)
    breaking(candidate)
    assert not validator.is_valid(candidate)


def test_production_requires_the_secret_and_dev_runs_without() -> None:
    for overlay, optional in (("production", False), ("dev", True)):
        for deployment in _deployments(overlay).values():
            [secret] = [s for s in _container(deployment)["envFrom"] if "secretRef" in s]
            assert secret["secretRef"]["optional"] is optional
    assert not _objects("dev", "ScaledObject")
