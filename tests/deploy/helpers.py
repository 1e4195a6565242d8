"""What the deploy tests share: the tools (from the dev extras, never skipped when missing), the
compose file with its interpolation, the rendered overlays, and what the CLI and the settings
accept."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from services.cli.main import build_parser
from services.cli.ports import DEFAULT_PORTS
from shared.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "production")
ENV_PREFIX = "ALERTORCH_"
PROGRAM = "alertorch"
#: Read by shared.config.config_dir_from_env, not a Settings field.
CONFIG_DIR_VARIABLE = "ALERTORCH_CONFIG_DIR"
#: Every service the CLI runs, by the name compose and Kubernetes give it (the console runs
#: `alertorch api`), with its CLI command: compose and Kubernetes must run each.
SERVICE_COMMANDS = {("console" if name == "api" else name): name for name in DEFAULT_PORTS}
APP_SERVICES = tuple(SERVICE_COMMANDS)


def tool(name: str) -> str:
    """An executable from the dev extras (the venv's bin first). Missing is a failure."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(name, path=search)
    assert found, f"{name} not found: install the dev extras (pip install -e '.[dev]')"
    return found


# --- the CLI ----------------------------------------------------------------------------------


def cli_problem(argv: list[str]) -> str | None:
    """None when ``alertorch ARGV`` parses as a real command line, else argparse's complaint."""
    if argv[:1] == ["healthcheck"]:
        from services.cli import healthcheck

        parser = argparse.ArgumentParser(prog="alertorch healthcheck")
        healthcheck.add_arguments(parser)
        argv = argv[1:]
    else:
        parser = build_parser()
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            parser.parse_args(argv)
    except SystemExit:
        return stderr.getvalue().strip() or f"not a command: {argv}"
    return None


def image_command(words: Iterable[str]) -> list[str]:
    """The CLI arguments of a healthcheck test or a command run through the image's entrypoint:
    ``["CMD", "alertorch", "healthcheck"]`` -> ``["healthcheck"]``."""
    argv = list(words)
    if argv[:1] in (["CMD"], ["CMD-SHELL"]):
        argv = argv[1:]
    if argv[:1] == [PROGRAM]:
        argv = argv[1:]
    return argv


# --- the settings -----------------------------------------------------------------------------


def alias_names() -> set[str]:
    """The plain environment variables of the Settings model (KAFKA_BOOTSTRAP_SERVERS, ...)."""
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:
            names.update(str(choice) for choice in choices)
    return names


def setting_path(name: str) -> list[str] | None:
    """The settings path an ``ALERTORCH_<SECTION>__<KEY>`` variable sets, if it names one."""
    if not name.startswith(ENV_PREFIX) or name == CONFIG_DIR_VARIABLE:
        return None
    parts = name[len(ENV_PREFIX) :].lower().split("__")
    model: type[BaseModel] | None = Settings
    for index, part in enumerate(parts):
        if model is None:
            return None
        field = model.model_fields.get(part)
        if field is None or field.validation_alias is not None:
            return None
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        elif getattr(annotation, "__origin__", None) is dict or annotation is dict:
            return parts  # free-form mapping: any key below it
        elif index == len(parts) - 1:
            return parts
        else:
            return None
    return None


def read_by_settings(name: str) -> bool:
    return name in alias_names() or name == CONFIG_DIR_VARIABLE or setting_path(name) is not None


def rendered(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    get = getattr(value, "get_secret_value", None)
    return str(get() if get else value)


def loaded_value(settings: Settings, name: str) -> str:
    """What the loaded settings hold for a variable the settings read."""
    if name in alias_names():
        for field_name, field in Settings.model_fields.items():
            if name in (getattr(field.validation_alias, "choices", None) or ()):
                return rendered(getattr(settings, field_name))
    path = setting_path(name)
    assert path is not None, name
    value: Any = settings
    for part in path:
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return rendered(value)


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def assert_settings_hold(env: Mapping[str, str]) -> None:
    """Loading the settings with ``env`` set gives exactly its values (``CONFIG_DIR_VARIABLE``
    chooses the folder, it is no setting)."""
    with environment(env):
        settings = load_settings(REPO / "config")
        for name, value in env.items():
            if name != CONFIG_DIR_VARIABLE:
                assert loaded_value(settings, name) == value, name


# --- compose ------------------------------------------------------------------------------------

_INTERPOLATION = re.compile(
    r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\})"
)


def interpolate(text: str, values: Mapping[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}`` and ``$$``."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group("name"), match.group("default")
        return values.get(name) or (default if default is not None else "")

    return _INTERPOLATION.sub(one, text)


def compose_variables() -> set[str]:
    return {m.group("name") for m in _INTERPOLATION.finditer(COMPOSE_FILE.read_text()) if m["name"]}


@cache
def compose_raw() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


def compose(values: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The compose file as Compose reads it: interpolated (defaults unless ``values``), YAML
    anchors and merge keys resolved."""
    document = yaml.safe_load(interpolate(COMPOSE_FILE.read_text(), values or {}))
    assert isinstance(document, dict)
    return document


def service_environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): "" if value is None else rendered(value) for key, value in env.items()}


# --- Kubernetes -------------------------------------------------------------------------------


@cache
def render_overlay(overlay: str) -> tuple[dict[str, Any], ...]:
    """``kubectl kustomize`` of an overlay: its objects."""
    result = subprocess.run(
        [
            tool("kubectl"),
            "kustomize",
            "--load-restrictor",
            "LoadRestrictionsNone",
            str(K8S / "overlays" / overlay),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def example_objects() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (path, doc)
        for path in sorted((K8S / "examples").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def pod_spec(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    if obj["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        spec: dict[str, Any] = obj["spec"]["template"]["spec"]
        return spec
    return None


def container_environment(
    container: Mapping[str, Any], objects: Iterable[Mapping[str, Any]]
) -> dict[str, str]:
    """Every variable a container gets: env, and envFrom ConfigMaps of the rendered objects
    (Secrets are templates: their keys come from examples/secret.yaml)."""
    by_name = {
        (obj["kind"], obj["metadata"]["name"]): obj
        for obj in objects
        if obj["kind"] in ("ConfigMap", "Secret")
    }
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            config_map = by_name[("ConfigMap", source["configMapRef"]["name"])]
            env.update(config_map.get("data", {}))
        elif "secretRef" in source:
            secret = secret_template()
            assert source["secretRef"]["name"] == secret["metadata"]["name"]
            env.update(secret.get("stringData", {}))
    for item in container.get("env", []):
        env[item["name"]] = str(item.get("value", ""))
    return env


def secret_template() -> dict[str, Any]:
    [secret] = [doc for _, doc in example_objects() if doc["kind"] == "Secret"]
    return secret


def secret_template_names() -> set[str]:
    """Every key of examples/secret.yaml, the commented-out ones too."""
    text = (K8S / "examples" / "secret.yaml").read_text()
    names = set(secret_template().get("stringData", {}))
    names.update(re.findall(r"^\s*#\s*([A-Z][A-Z0-9_]+):", text, flags=re.MULTILINE))
    return names
