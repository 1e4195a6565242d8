"""The console's served OpenAPI, fuzzed: whatever schemathesis sends to any operation, with an
admin token, the answer is never a server error (5xx)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.procs import ServiceProcess
from tests.service.test_api_console import console_process, slack_url

pytestmark = pytest.mark.broker
#: Generated requests per operation (the same ones every run: derandomized).
EXAMPLES = 40

__all__ = [
    "console_process",
    "slack_url",
]  # the module's console, started as the console tests start it


@pytest.fixture(scope="module")
def admin_token(console_process: tuple[ServiceProcess, dict[str, str], Path]) -> str:
    _, env, data = console_process
    made = subprocess.run(
        [sys.executable, "-m", "services.cli", "tokens", "create", "--role", "admin", "--json"],
        env=env,
        cwd=data,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return str(json.loads(made.stdout)["token"])


@pytest.fixture(scope="module")
def console_schema(
    console_process: tuple[ServiceProcess, dict[str, str], Path], admin_token: str
) -> OpenApiSchema:
    process, _, _ = console_process
    return schemathesis.openapi.from_url(f"{process.url}/openapi.json")


def test_no_operation_answers_with_a_server_error(
    console_schema: OpenApiSchema, admin_token: str
) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    results = list(console_schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "the served OpenAPI has operations it cannot read"
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        def no_server_error(case: Case[Any]) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        no_server_error()
