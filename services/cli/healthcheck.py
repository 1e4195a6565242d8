"""``alertorch healthcheck``: ask the service running here whether it is ready.

For a container's ``HEALTHCHECK``: one image runs every service, each on its own port, so by
default the command finds the ``alertorch <service>`` processes on this machine (in a container:
the one it runs) and asks each one's ``/readyz`` (``--live``: ``/healthz``) on its ``--port``.
Exit 0 when every one answers 200, or when no service runs here (a one-shot such as
``alertorch topics``); exit 1 otherwise, printing the answer.

It imports only the standard library: a probe every few seconds must stay cheap.
"""

from __future__ import annotations

import argparse
import os
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from services.cli.ports import DEFAULT_PORTS

PROGRAM = "alertorch"
HELP = (
    "exit 0 when the service(s) running here answer /readyz with 200, or when none runs here "
    "(for a container HEALTHCHECK)"
)
WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - names, not a bind


@dataclass(frozen=True)
class Target:
    service: str
    host: str
    port: int


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("healthcheck", help=HELP, description=HELP)
    add_arguments(parser)
    parser.set_defaults(run=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="ask this port only (default: the --port of every alertorch service running here)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="host to ask (default 127.0.0.1)")
    parser.add_argument("--live", action="store_true", help="ask /healthz instead of /readyz")
    parser.add_argument(
        "--timeout", type=float, default=3.0, help="seconds to wait for an answer (default 3)"
    )


def service_target(argv: Sequence[str]) -> Target | None:
    """The service an ``alertorch <service> [--host H] [--port P]`` command line runs, if any."""
    for index, word in enumerate(argv):
        launcher = Path(word).name == PROGRAM or (
            word == "services.cli" and index > 0 and argv[index - 1] == "-m"
        )
        if not launcher or index + 1 >= len(argv) or argv[index + 1] not in DEFAULT_PORTS:
            continue
        name = argv[index + 1]
        options = argparse.ArgumentParser(add_help=False)
        options.add_argument("--host", default="0.0.0.0")  # noqa: S104 - the services' default
        options.add_argument("--port", type=int, default=DEFAULT_PORTS[name])
        known, _ = options.parse_known_args(list(argv[index + 2 :]))
        host = "127.0.0.1" if known.host in WILDCARD_HOSTS else known.host
        return Target(name, host, known.port)
    return None


def _command_lines(proc: Path = Path("/proc")) -> Iterable[list[str]]:
    me = os.getpid()
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if raw:
            yield [part.decode(errors="replace") for part in raw.rstrip(b"\0").split(b"\0")]


def running_targets(command_lines: Iterable[Sequence[str]]) -> list[Target]:
    found = {target for argv in command_lines if (target := service_target(argv)) is not None}
    return sorted(found, key=lambda t: (t.port, t.service))


def probe(target: Target, *, path: str, timeout: float) -> tuple[bool, str]:
    url = f"http://{target.host}:{target.port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status == 200, f"{target.service} {url} {answer.status}"
    except urllib.error.HTTPError as exc:
        body = exc.read().decode(errors="replace").strip()
        return False, f"{target.service} {url} {exc.code} {body}"
    except (OSError, ValueError) as exc:
        return False, f"{target.service} {url} unreachable: {exc}"


def run(args: argparse.Namespace) -> int:
    path = "/healthz" if args.live else "/readyz"
    if args.port is not None:
        targets = [Target("service", args.host, args.port)]
    else:
        targets = running_targets(_command_lines())
        if not targets:
            print("no alertorch service runs here; nothing to check")
            return 0
    healthy = True
    for target in targets:
        ok, line = probe(target, path=path, timeout=args.timeout)
        print(line)
        healthy = healthy and ok
    return 0 if healthy else 1
