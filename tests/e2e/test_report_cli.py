"""``alertorch report --since 7d`` over the console's read model, as an operator runs it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from services.api import readmodel
from services.api.tables import SCHEMA
from shared.storage import open_database
from tests.procs import cli
from tests.unit.test_api_projection import classified, command, notification, resolution

pytestmark = pytest.mark.e2e


async def test_report_prints_a_window_of_the_read_model(tmp_path: Path) -> None:
    now = time.time()
    hour = now - 3600
    database = await open_database(f"sqlite:///{tmp_path / 'api.db'}", schemas=[SCHEMA])
    try:
        async with database.transaction() as db:
            await readmodel.project(
                db,
                "errors.classified",
                [
                    classified("fp-db", at=hour, count=40, service="billing"),
                    classified("fp-ui", at=hour + 5, count=2, category="code", service="web"),
                    classified("fp-old", at=now - 20 * 86400, count=999, service="legacy"),
                    # in the 7 days before the window: the trend's baseline
                    classified("fp-prev", at=now - 10 * 86400, count=4, service="legacy"),
                ],
            )
            await readmodel.project(
                db,
                "resolutions",
                [
                    resolution("fp-db", at=hour + 1, status="executing", attempt_id="a1",
                               strategy="restart_service"),
                    resolution("fp-db", at=hour + 60, status="succeeded", attempt_id="a1",
                               strategy="restart_service"),
                ],
            )  # fmt: skip
            await readmodel.project(db, "notifications", [notification("fp-db", at=hour + 2)])
            await readmodel.project(db, "commands", [command("fp-db", at=hour + 120, action="ack")])
    finally:
        await database.close()
    env = {"ALERTORCH_STORAGE__DATA_DIRECTORY": str(tmp_path)}

    found = cli("report", "--since", "7d", "--json", env=env)
    assert found.returncode == 0, found.stderr
    report = json.loads(found.stdout)
    assert report["processing"]["events"] == 2  # the 20-day-old one is outside the window
    assert report["top_services"][0] == {"service": "billing", "occurrences": 40, "alerts": 1}
    assert report["resolutions"]["by_strategy"]["restart_service"]["success_rate"] == 1.0
    assert report["mtta_seconds"]["count"] == 1
    assert report["trend"]["events"] == 1
    assert report["trend"]["categories"] == {"database": 4}

    text = cli("report", "--since", "7d", env=env)
    assert text.returncode == 0, text.stderr
    assert "errors processed   2" in text.stdout
    assert "(+100%) on the window before" in text.stdout
    categories = text.stdout.split("errors by category")[1].split("noisiest services")[0]
    assert "40 in 1 problem(s) (+900%)" in categories  # database: 40 against 4
    assert "2 in 1 problem(s) (new)" in categories  # code
    assert "billing" in text.stdout.split("noisiest services")[1]
    assert "restart_service" in text.stdout
    assert "legacy" not in text.stdout

    wrong = cli("report", "--since", "a week", env=env)
    assert wrong.returncode == 2
    assert "is not a duration" in wrong.stderr
