"""The Dockerfile: hadolint-clean, multi-stage, non-root, state only under its volume."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

from tests.deploy.helpers import REPO, cli_problem, image_command, read_by_settings, tool

DOCKERFILE = REPO / "Dockerfile"


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    found = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions(DOCKERFILE)
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def _env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in stage:
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def test_hadolint_passes_with_no_finding_at_all() -> None:
    result = subprocess.run(
        [tool("hadolint"), "--failure-threshold", "style", "--format", "json", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []


def test_hadolint_is_really_checking() -> None:
    """The same call flags a Dockerfile with the usual mistakes: the tool works here."""
    bad = "FROM python\nRUN apt-get install curl\nUSER root\n"
    result = subprocess.run(
        [tool("hadolint"), "--format", "json", "-"],
        input=bad,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    codes = {finding["code"] for finding in json.loads(result.stdout)}
    assert {"DL3006", "DL3008", "DL3002"} <= codes


def test_multi_stage_non_root_with_healthcheck_and_a_data_volume() -> None:
    instructions = _instructions(DOCKERFILE)
    assert sum(word == "FROM" for word, _ in instructions) >= 2
    stage = _final_stage()
    users = [rest for word, rest in stage if word == "USER"]
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    env = _env(stage)
    [volume] = [json.loads(rest) for word, rest in stage if word == "VOLUME"]
    assert env["ALERTORCH_STORAGE__DATA_DIRECTORY"] in volume
    workdir = [rest for word, rest in stage if word == "WORKDIR"][-1]
    assert workdir not in volume  # the working directory is not where state goes
    for name in env:
        if name.startswith("ALERTORCH_"):
            assert read_by_settings(name), f"ENV {name} is read by no setting"
    # Only the built virtualenv comes over from the build stage: no compiler, no sources.
    copies = [rest for word, rest in stage if word == "COPY"]
    assert copies
    assert all(rest.startswith("--from=") for rest in copies)


def test_healthcheck_and_entrypoint_are_real_commands() -> None:
    stage = _final_stage()
    [healthcheck] = [rest for word, rest in stage if word == "HEALTHCHECK"]
    command = json.loads(healthcheck.split("CMD", 1)[1].strip())
    assert cli_problem(image_command(command)) is None
    [entrypoint] = [json.loads(rest) for word, rest in stage if word == "ENTRYPOINT"]
    assert entrypoint == ["alertorch"]


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    lines = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "the context is an allow-list"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    # everything the build copies is allowed in, nothing else
    copied = {
        source.rstrip("/")
        for word, rest in _instructions(DOCKERFILE)
        if word == "COPY" and not rest.startswith("--from=")
        for source in rest.split()[:-1]
    }
    assert copied == allowed
    assert not allowed & {".env", ".venv", ".git", "data", "tests", "deploy"}
    # the packaged defaults are a link into config/, which the build copies too
    assert (REPO / "shared" / "config" / "defaults").resolve() == (REPO / "config").resolve()
