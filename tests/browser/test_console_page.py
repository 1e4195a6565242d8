"""The console's web page in a real browser (Debian's headless Chromium driven by Playwright),
on the whole pipeline started by ``alertorch dev``: a custom alert published to ``errors.raw``
shows in the inbox after a login with a token; its ``<script>`` is shown as text, never run;
pressing Acknowledge puts an ``ack`` command with the person's name on the broker, and the page
shows the alert acknowledged once the services have acted."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from services.cli.registry import SERVICES
from shared.kafka.embedded import free_port
from shared.kafka.lag import consumer_groups
from shared.topics import ERRORS_RAW
from tests.e2e.test_dev import REPO
from tests.kafka_helpers import first_command, produce
from tests.procs import cli, free_port_block, running_dev, wait_http

CHROMIUM = Path("/usr/bin/chromium")
#: No sandbox as root, and nothing that reaches for the internet (the machine has none).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: The pipeline's consumer groups are ``<PREFIX>-<service>-<group>``.
PREFIX = f"browser-{os.urandom(3).hex()}"
TITLE = "Payment declined <script>window.pwned = true</script> for order 42"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)"
    ),
    # the whole pipeline, started by whichever test comes first, and a browser on it: slower
    # than the suite's default limit
    pytest.mark.timeout(300),
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@dataclass(frozen=True)
class Pipeline:
    console: str
    bootstrap: str
    folder: Path
    #: What the pipeline runs with, whichever test's environment is in force.
    env: dict[str, str]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """``alertorch dev``: the broker and every service, as a user starts them."""
    folder = tmp_path_factory.mktemp("dev")
    broker_port, base_port = free_port(), free_port_block(len(SERVICES))
    console = f"http://127.0.0.1:{base_port + list(SERVICES).index('api')}"
    env = {
        "ALERTORCH_CONFIG_DIR": str(REPO / "config"),
        "ALERTORCH_KAFKA__GROUP_PREFIX": PREFIX,
        "ALERTORCH_STORAGE__DATA_DIRECTORY": str(folder / "data"),
    }
    with (
        (folder / "dev.log").open("w") as log,
        running_dev(broker_port=broker_port, base_port=base_port, cwd=folder, stderr=log, env=env),
    ):
        wait_http(f"{console}/readyz", timeout=120)
        yield Pipeline(console, f"127.0.0.1:{broker_port}", folder, env)


def _token(pipeline: Pipeline, role: str, name: str) -> str:
    """``alertorch tokens create`` as an operator runs it, next to ``alertorch dev``."""
    made = cli(
        *("tokens", "create", "--role", role, "--name", name, "--json"),
        env=pipeline.env,
        cwd=pipeline.folder,
    )
    assert made.returncode == 0, made.stderr
    return str(json.loads(made.stdout)["token"])


def _alert(
    console: str, token: str, title: str, *, notified: bool = True, timeout: float = 90
) -> dict[str, Any]:
    """The alert of ``title`` once the notifier has told someone about it (or, not
    ``notified``, once the resolver has decided on it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = httpx.get(
            f"{console}/api/v1/alerts",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        found = [a for a in answer.json()["items"] if a["title"] == title]
        if found and (
            found[0]["first_notified_at"] if notified else found[0]["resolution"]["status"]
        ):
            return dict(found[0])
        time.sleep(0.5)
    raise AssertionError(f"{title!r} did not reach the console")


async def _logged_in(browser: Browser, console: str, token: str) -> Page:
    """A new page of ``browser``, logged in to the console with ``token``."""
    page = await browser.new_page()
    await page.goto(f"{console}/ui")
    await expect(page).to_have_url(f"{console}/ui/login?next=/ui")
    await page.fill("input[name=token]", token)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(f"{console}/ui")
    return page


async def test_log_in_see_the_alert_inert_and_acknowledge_it(
    pipeline: Pipeline, browser: Browser
) -> None:
    console, bootstrap = pipeline.console, pipeline.bootstrap
    token = _token(pipeline, "operator", "Ana Operator")
    alert = {
        "title": TITLE,
        "severity": "critical",
        "source": "billing",
        "environment": "production",
        "message": "card issuer said no",
    }
    await produce(bootstrap, ERRORS_RAW, [json.dumps(alert).encode()])
    fingerprint = str(_alert(console, token, TITLE)["fingerprint"])

    page = await _logged_in(browser, console, token)
    item = page.locator(f"li.alert[data-fingerprint='{fingerprint}']")
    await expect(item.locator("a.title")).to_have_text(TITLE)  # the markup, as text
    assert await page.evaluate("window.pwned === undefined")
    await expect(item.locator(".status")).to_have_text("open")

    await item.locator("button[data-action=ack]").click()
    await expect(page).to_have_url(f"{console}/ui/alerts/{fingerprint}?sent=ack")
    await expect(page.locator(".notice")).to_contain_text("Acknowledge: sent")
    # the notifier acts on the command; the page refreshes itself and shows it
    await expect(page.locator("dd.status")).to_have_text("acknowledged", timeout=30_000)
    await expect(page.locator("ol.timeline")).to_contain_text("Ana Operator")
    assert await page.evaluate("window.pwned === undefined")

    command = await first_command(bootstrap, fingerprint)
    assert (command.data.action, command.data.actor.name, command.data.actor.via) == (
        "ack",
        "Ana Operator",
        "api",
    )


async def test_a_form_without_the_session_csrf_token_is_refused(pipeline: Pipeline) -> None:
    """A cross-site form post carries the cookie at most, never the CSRF token: refused."""
    viewer = _token(pipeline, "viewer", "Vic Viewer")
    async with httpx.AsyncClient(base_url=pipeline.console, timeout=10) as client:
        # a login form on another site is refused (login CSRF), whatever the token
        for header in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            forged_login = await client.post("/ui/login", data={"token": viewer}, headers=header)
            assert forged_login.status_code == 403
            assert "set-cookie" not in forged_login.headers
        wrong = await client.post("/ui/login", data={"token": "ao_nope"})
        assert wrong.status_code == 401
        assert "unknown or revoked" in wrong.text
        logged = await client.post("/ui/login", data={"token": viewer, "next": "//evil"})
        assert (logged.status_code, logged.headers["location"]) == (303, "/ui")
        cookie = logged.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        page = await client.get("/ui")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        forged = await client.post("/ui/alerts/abc/actions/ack", data={"csrf": "guess"})
        assert forged.status_code == 403
        assert "out of date" in forged.text
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        viewer_act = await client.post("/ui/alerts/abc/actions/ack", data={"csrf": csrf})
        assert viewer_act.status_code == 403
        assert "operator role" in viewer_act.text
        crowded = await client.post("/ui/silences", data={f"f{n}": "x" for n in range(30)})
        assert crowded.status_code == 400  # never a 500
        out = await client.post("/ui/logout", data={"csrf": csrf})
        assert out.status_code == 303
        assert (await client.get("/ui")).headers["location"] == "/ui/login?next=/ui"
    # bad numbers in an operator's silence form are refused, never a 500
    operator = _token(pipeline, "operator", "Olga Operator")
    async with httpx.AsyncClient(base_url=pipeline.console, timeout=10) as client:
        await client.post("/ui/login", data={"token": operator})
        page = await client.get("/ui/silences")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        for hours in ("inf", "nan", "-1", "1e9", "two"):
            form = {"csrf": csrf, "service": "web", "reason": "r", "hours": hours}
            refused = await client.post("/ui/silences", data=form)
            assert refused.status_code == 422, (hours, refused.status_code)


async def test_a_silence_made_in_the_page_holds_back_the_next_alert(
    pipeline: Pipeline, browser: Browser
) -> None:
    console, bootstrap = pipeline.console, pipeline.bootstrap
    token = _token(pipeline, "operator", "Sam Silencer")
    page = await _logged_in(browser, console, token)
    await page.click("nav >> text=Silences")
    await page.fill("input[name=service]", "warehouse")
    await page.fill("input[name=reason]", "maintenance window: <b>shelving</b> upgrade")
    await page.fill("input[name=hours]", "2")
    await page.click("form.silence-form button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/ui/silences\?silenced=sil_"))
    row = page.locator("table.silences tbody tr").first
    for _ in range(60):  # the console lists it once its read model has folded it in
        if "service=warehouse" in (await row.inner_text()):
            break
        await asyncio.sleep(0.5)
        await page.reload()
    await expect(row).to_contain_text("service=warehouse")
    await expect(row).to_contain_text("maintenance window: <b>shelving</b> upgrade")  # as text
    await expect(row.locator(".state")).to_have_text("active", timeout=30_000)
    # the resolver and the notifier have read it before the next alert comes
    await _caught_up(bootstrap, ("resolver-silences", "notifier-silences"))
    title = "Conveyor 7 stopped"
    alert = {"title": title, "severity": "critical", "source": "warehouse"}
    await produce(bootstrap, ERRORS_RAW, [json.dumps(alert).encode()])
    held = _alert(console, token, title, notified=False)
    assert held["resolution"]["status"] == "suppressed"
    await page.goto(f"{console}/ui/alerts/{held['fingerprint']}")
    timeline = page.locator("ol.timeline")
    await expect(timeline).to_contain_text("silenced (service=warehouse)")
    await expect(timeline.locator("li.kind-notification")).to_have_count(0)


async def _caught_up(bootstrap: str, groups: tuple[str, ...], timeout: float = 30) -> None:
    """Until each of ``groups`` (of the pipeline's prefix) has read everything."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = {g.group: g.total for g in await consumer_groups(bootstrap, PREFIX)}
        if all(found.get(f"{PREFIX}-{g}") == 0 for g in groups):
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"{groups} did not catch up")
