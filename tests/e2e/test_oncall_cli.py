"""``alertorch oncall`` as an operator runs it: a config folder with a rotation (and an override)
and a schedule read from an iCalendar feed on a calendar host; who is on call at a time, per
service, as JSON; a time without its offset is one clear error and exit 2 (the other forms of
TIME are unit-tested in tests/unit/test_oncall.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from subprocess import CompletedProcess

import pytest

from tests.fakes.calendar import FakeCalendarHost
from tests.fakes.server import serving
from tests.procs import cli

pytestmark = pytest.mark.e2e

CONFIG = """\
oncall:
  schedules:
    - name: platform
      time_zone: Europe/Berlin
      services: [checkout-api]
      layers:
        - name: primary
          handover: weekly
          handover_time: "09:00"
          start: 2025-03-03
          participants:
            - {{slack_user: U0ALICE, name: Alice}}
            - U0BOB
      overrides:
        - slack_user: U0ERIN1
          name: Erin
          start: 2025-03-29T18:00:00+01:00
          end: 2025-03-30T12:00:00+02:00
    - name: calendar
      time_zone: Europe/Berlin
      ical_url: "{feed}"
      people:
        alice: U0ALICE
        bob@example.com: {{slack_user: U0BOB, name: Bob}}
"""


#: The runs the tests look at, by name: each a real ``alertorch oncall`` process, run side by
#: side (each process spends seconds importing).
RUNS: dict[str, tuple[str, ...]] = {
    "text": ("--at", "2025-03-29T20:00:00+01:00"),
    "json": ("--at", "2025-03-30T12:00:00+02:00", "--service", "checkout-api", "--json"),
    "naive": ("--at", "2025-03-29T20:00"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, CompletedProcess[str]]]:
    folder = tmp_path_factory.mktemp("oncall")
    host = FakeCalendarHost()
    with serving(host.app()) as url, ThreadPoolExecutor(len(RUNS)) as pool:
        (folder / "config.yaml").write_text(CONFIG.format(feed=f"{url}{host.path()}"))
        started = {
            name: pool.submit(cli, "oncall", "--config-dir", str(folder), *argv)
            for name, argv in RUNS.items()
        }
        yield {name: future.result() for name, future in started.items()}


def test_who_is_on_call_at_a_time(runs: dict[str, CompletedProcess[str]]) -> None:
    shown = runs["text"]
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        "on call at 2025-03-29T19:00:00+00:00:",
        "platform (checkout-api; @oncall): Erin (U0ERIN1) until Sun 30 Mar 2025 12:00 CEST "
        "[override]",
        "calendar (default; @oncall): Bob (U0BOB) until Mon 31 Mar 2025 09:00 CEST [calendar]",
    ]


def test_json_for_one_service(runs: dict[str, CompletedProcess[str]]) -> None:
    shown = runs["json"]
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    assert found["service"] == "checkout-api"
    [platform] = found["items"]
    assert platform["people"] == [{"slack_user": "U0BOB", "name": None}]
    assert platform["until_local"] == "2025-03-31T09:00:00+02:00"


def test_a_bad_time_is_one_clear_error(runs: dict[str, CompletedProcess[str]]) -> None:
    shown = runs["naive"]
    assert shown.returncode == 2
    assert shown.stderr.splitlines()[-1] == (
        "alertorch oncall: error: argument --at: 2025-03-29T20:00:00 has no UTC offset: "
        "add one (+02:00, Z)"
    )
