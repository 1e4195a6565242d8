"""Each service run exactly as deploy/docker-compose.yml runs it, without Docker.

The same command and the same environment variable names as the compose file (their values
interpolated with its defaults), with what only exists inside compose swapped for local
equivalents: the broker (``kafka_bootstrap``), PostgreSQL (``postgres_url``), the data volume
and the configuration mount (local folders), the HTTP port (a free one), the consumer-group
prefix (the test's own) and, on the embedded broker, the idempotent producer it lacks. As the
image does, it runs as an unprivileged user in a working directory nobody can write to, with
only the declared data path writable, and bytecode writing off. The one-shots (``topics``,
``db upgrade``) run first and must exit 0, then every service must answer ``/readyz``, pass the
compose healthcheck command, and stop cleanly on SIGTERM having written nothing outside its
data path.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXTERNAL_BOOTSTRAP, _docker_answers
from tests.deploy.helpers import (
    APP_SERVICES,
    REPO,
    compose,
    compose_raw,
    service_environment,
)
from tests.procs import free_port_block, wait_http

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

UNPRIVILEGED = "nobody"
#: An interpreter every user can read (the machine's own Python may live under /root).
SYSTEM_PYTHON = Path("/usr/bin/python3")
#: The image's environment (Dockerfile ENV) that is not about alertorch's settings.
IMAGE_ENV = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}


@dataclass(frozen=True)
class Runtime:
    """An interpreter with alertorch importable, a read-only working directory and the data
    path, all usable by the unprivileged user."""

    root: Path
    python: Path
    workdir: Path
    data: Path
    config: Path
    #: Popen arguments that run a process as the unprivileged user (none when we are one).
    as_user: dict[str, Any]

    def argv(self, command: list[str]) -> list[str]:
        # the image's ENTRYPOINT is `alertorch`: the same program, by module
        return [str(self.python), "-m", "services.cli", *command]


def _as_user() -> dict[str, Any]:
    if os.geteuid() != 0:
        return {}
    account = pwd.getpwnam(UNPRIVILEGED)
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _readable_by_user(as_user: dict[str, Any], *paths: Path) -> bool:
    return all(
        subprocess.run(["test", "-r", str(path)], check=False, **as_user).returncode == 0
        for path in paths
    )


def _build_runtime() -> Runtime:
    root = Path(tempfile.mkdtemp(prefix="alertorch-as-compose-"))
    root.chmod(0o755)
    as_user = _as_user()
    assert SYSTEM_PYTHON.exists(), f"{SYSTEM_PYTHON} is needed (Debian's python3)"
    version = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import sys; print(*sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tuple(map(int, version)) == sys.version_info[:2], (
        f"{SYSTEM_PYTHON} is Python {'.'.join(version)}, the project's venv "
        f"{sys.version_info[0]}.{sys.version_info[1]}: their compiled packages differ"
    )
    subprocess.run(
        [str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(root / "venv")], check=True
    )
    python = root / "venv" / "bin" / "python"
    site_packages = Path(sysconfig.get_paths()["purelib"])
    source, config = REPO, REPO / "config"
    if not _readable_by_user(as_user, site_packages / "pydantic" / "__init__.py", REPO / "shared"):
        # the checkout lives where the user cannot read: hard links in a readable place
        for name, target in (
            (site_packages, root / "site-packages"),
            (REPO / "shared", root / "src" / "shared"),
            (REPO / "services", root / "src" / "services"),
            (REPO / "config", root / "src" / "config"),
        ):
            target.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["cp", "-al", str(name), str(target)], check=True)
        for directory in (root / "site-packages", root / "src"):
            subprocess.run(["chmod", "-R", "a+rX", str(directory)], check=True)
        site_packages, source, config = (
            root / "site-packages",
            root / "src",
            root / "src" / "config",
        )
    [target_site] = (root / "venv" / "lib").glob("python3*/site-packages")
    (target_site / "alertorch-under-test.pth").write_text(
        f"import sys; sys.path.insert(0, {str(source)!r})\n"
        f"import site; site.addsitedir({str(site_packages)!r})\n"
    )
    workdir = root / "app"
    workdir.mkdir()
    data = root / "var" / "lib" / "alertorch"
    data.mkdir(parents=True)
    if as_user:
        os.chown(data, as_user["user"], as_user["group"])
        workdir.chmod(0o755)  # root's: the user cannot write here
    else:
        workdir.chmod(0o555)
    return Runtime(root, python, workdir, data, config, as_user)


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    built = _build_runtime()
    try:
        yield built
    finally:
        shutil.rmtree(built.root, ignore_errors=True)


def _swapped_environment(
    service: str, runtime: Runtime, bootstrap: str, postgres_url: str
) -> dict[str, str]:
    env = service_environment(compose()["services"][service])
    swaps = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "ALERTORCH_STORAGE__URL": postgres_url,
        "ALERTORCH_STORAGE__DATA_DIRECTORY": str(runtime.data),
        "ALERTORCH_CONFIG_DIR": str(runtime.config),
        "ALERTORCH_KAFKA__GROUP_PREFIX": os.environ["ALERTORCH_KAFKA__GROUP_PREFIX"],
    }
    if not EXTERNAL_BOOTSTRAP and not _docker_answers():
        swaps["ALERTORCH_KAFKA__ENABLE_IDEMPOTENCE"] = "false"  # the embedded broker lacks it
    unknown = set(swaps) - set(env)
    assert not unknown, f"compose no longer sets {unknown}: update this test"
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(runtime.workdir),
        **IMAGE_ENV,
        **env,
        **swaps,
    }


def _with_port(command: list[str], port: int) -> list[str]:
    swapped = list(command)
    swapped[swapped.index("--port") + 1] = str(port)
    return swapped


def _run(runtime: Runtime, command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        runtime.argv(command),
        cwd=runtime.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        **runtime.as_user,
    )
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"


def _uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid for {pid}")


def _start(
    runtime: Runtime, command: list[str], env: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            runtime.argv(command),
            cwd=runtime.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            **runtime.as_user,
        )


def test_the_user_can_write_nowhere_but_the_data_path(runtime: Runtime) -> None:
    probe = "import pathlib, sys; pathlib.Path(sys.argv[1], 'probe').write_text('x')"
    for place, writable in ((runtime.workdir, False), (runtime.data, True), (REPO, False)):
        result = subprocess.run(
            [str(runtime.python), "-c", probe, str(place)],
            cwd=runtime.workdir,
            capture_output=True,
            check=False,
            **runtime.as_user,
        )
        assert (result.returncode == 0) is writable, place
    (runtime.data / "probe").unlink()


async def test_every_service_runs_as_compose_runs_it(
    runtime: Runtime, kafka_bootstrap: str, postgres_url: str
) -> None:
    services = compose()["services"]
    raw = compose_raw()["services"]
    for one_shot in ("topics", "migrate"):
        env = _swapped_environment(one_shot, runtime, kafka_bootstrap, postgres_url)
        _run(runtime, services[one_shot]["command"], env)

    base = free_port_block(len(APP_SERVICES))
    ports = dict(zip(APP_SERVICES, range(base, base + len(APP_SERVICES)), strict=True))
    processes: dict[str, subprocess.Popen[bytes]] = {}
    logs = {name: runtime.root / f"{name}.log" for name in APP_SERVICES}
    try:
        for name in APP_SERVICES:
            command = services[name]["command"]
            assert command == raw[name]["command"]  # nothing to interpolate in a command
            env = _swapped_environment(name, runtime, kafka_bootstrap, postgres_url)
            processes[name] = _start(runtime, _with_port(command, ports[name]), env, logs[name])
        for name, port in ports.items():
            try:
                wait_http(f"http://127.0.0.1:{port}/readyz", timeout=90)
            except AssertionError:
                raise AssertionError(f"{name}: {logs[name].read_text()[-3000:]}") from None
            # the compose healthcheck, as the container runs it
            check = services[name]["healthcheck"]["test"]
            assert check == ["CMD", "alertorch", "healthcheck"]
            env = _swapped_environment(name, runtime, kafka_bootstrap, postgres_url)
            _run(runtime, [*check[2:], "--port", str(port)], env)
            metrics = wait_http(f"http://127.0.0.1:{port}/metrics").text
            assert "alertorch_consumer_ready" in metrics
            assert _uid(processes[name].pid) == runtime.as_user.get("user", os.geteuid())
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for name, process in processes.items():
            code = process.wait(60)
            assert code == 0, f"{name} exited {code}: {logs[name].read_text()[-3000:]}"
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    assert list(runtime.workdir.iterdir()) == []
    written = [
        path
        for path in runtime.root.rglob("*")
        if path.is_file()
        and runtime.data not in path.parents
        and path.suffix != ".log"
        and (runtime.root / "venv") not in path.parents
        and path.stat().st_uid != 0
    ]
    assert written == [], "files written outside the data path"
    # On PostgreSQL the services keep nothing on disk, not even under the data path.
    assert list(runtime.data.iterdir()) == []
