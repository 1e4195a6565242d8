"""``alertorch <service>`` loads that service's code only, so a process starts sooner."""

from __future__ import annotations

import subprocess
import sys

import pytest

from services.cli.registry import SERVICES

PROBE = """
import sys
from services.cli import main
args = main._service_parser().parse_args([{name!r}])
args_service = args.service
from services.cli.registry import SERVICES
SERVICES[args_service]._module()
print(",".join(sorted(m for m in sys.modules if m.startswith("services."))))
"""


@pytest.mark.parametrize("name", ["analyzer", "ingest"])
def test_a_service_process_imports_no_other_service(name: str) -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", PROBE.format(name=name)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    others = {f"services.{other}" for other in SERVICES if other != name} | {"services.cli.db"}
    assert f"services.{name}.app" in loaded.split(",")
    assert [m for m in loaded.split(",") if any(f"{m}.".startswith(f"{o}.") for o in others)] == []
