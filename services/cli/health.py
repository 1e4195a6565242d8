"""``alertorch health``: is everything up and answering? One line per check, exit 1 on any
problem; ``--json`` for scripts.

Checked: the broker; every service's ``/readyz``; each consumer group's lag (over
``--max-lag`` is a problem); the dead letters waiting on each ``.dlq`` topic; and each
configured integration really answering with its credentials: Sentry (the organisation's
projects), Slack (``auth.test``), GitHub (the configured repository), PagerDuty (a ``resolve``
of a dedup key no incident has: accepted, and it changes nothing), SMTP (connect, STARTTLS, log
in, quit). An unreachable broker or service is a line, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

import httpx
from aiokafka.errors import KafkaError

from services.cli.common import add_config_dir, settings_or_exit
from services.cli.ports import DEFAULT_PORTS
from services.ingest.sentry_api import SentryApi
from services.notifier.delivery.mail import SmtpEmail
from services.notifier.slack import HttpSlackApi
from shared.config import Settings, reveal
from shared.errors import AlertorchError, BrokerUnavailable
from shared.kafka.admin import wait_for_broker
from shared.kafka.lag import consumer_groups, extents
from shared.topics import DLQ_SUFFIX, all_topic_names

TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "health",
        help="check the broker, every service, consumer lag, dead letters and the integrations; "
        "exit 1 on any problem",
    )
    parser.add_argument("--host", default="127.0.0.1", help="where the services answer")
    parser.add_argument(
        "--base-port",
        type=int,
        default=None,
        help="first HTTP port, as given to `alertorch dev` (default: each service's own)",
    )
    parser.add_argument(
        "--services",
        default=",".join(DEFAULT_PORTS),
        help=f"comma-separated services to ask (default: {','.join(DEFAULT_PORTS)})",
    )
    parser.add_argument(
        "--max-lag", type=int, default=1000, help="a consumer group further behind is a problem"
    )
    parser.add_argument("--json", action="store_true", help="one JSON document instead of lines")
    add_config_dir(parser)
    parser.set_defaults(run=run)


async def check_broker(bootstrap: str) -> Check:
    try:
        await wait_for_broker(bootstrap, timeout=TIMEOUT)
    except BrokerUnavailable:
        return Check("broker", False, f"no Kafka broker answers at {bootstrap}")
    return Check("broker", True, f"answers at {bootstrap}")


async def check_service(client: httpx.AsyncClient, name: str, url: str) -> Check:
    try:
        answer = await client.get(f"{url}/readyz")
    except httpx.HTTPError:
        return Check(name, False, f"not answering at {url}")
    if answer.status_code == 200:
        return Check(name, True, f"ready at {url}")
    return Check(name, False, f"not ready at {url} ({answer.status_code}): {_message(answer)}")


async def check_consumers(bootstrap: str, prefix: str, max_lag: int) -> list[Check]:
    checks = []
    for group in await consumer_groups(bootstrap, prefix):
        members = "?" if group.members is None else str(group.members)
        behind = ", ".join(f"{topic} {lag:,}" for topic, lag in group.lag.items()) or "none"
        detail = f"{group.state}, {members} member(s), lag {group.total:,} ({behind})"
        checks.append(Check(f"group {group.group}", group.total <= max_lag, detail))
    return checks


async def check_dead_letters(bootstrap: str) -> list[Check]:
    dlq_names = [name for name in all_topic_names() if name.endswith(DLQ_SUFFIX)]
    partitions, firsts, ends = await extents(bootstrap, dlq_names)
    dlqs = list(dict.fromkeys(tp.topic for tp in partitions))
    checks = []
    for name in dlqs:
        waiting = sum(ends[tp] - firsts[tp] for tp in partitions if tp.topic == name)
        source = name.removesuffix(DLQ_SUFFIX)
        detail = (
            "empty" if not waiting else f"{waiting:,} dead letter(s): alertorch dlq list {source}"
        )
        checks.append(Check(name, waiting == 0, detail))
    return checks


async def check_sentry(settings: Settings) -> Check | None:
    token = reveal(settings.sentry_auth_token)
    if not token:
        return None
    if not settings.sentry_organization:
        return Check("sentry", False, "SENTRY_AUTH_TOKEN is set but SENTRY_ORGANIZATION is not")
    base = settings.sentry.base_url
    async with SentryApi.client(base_url=base, token=token, timeout=TIMEOUT) as http:
        api = SentryApi(
            http=http,
            organization=settings.sentry_organization,
            max_attempts=1,
            backoff_seconds=0.1,
            max_backoff_seconds=0.1,
        )
        try:
            projects = await api.projects()
        except (AlertorchError, httpx.HTTPError) as exc:
            return Check("sentry", False, f"{base}: {exc}")
    return Check(
        "sentry", True, f"{base}: {len(projects)} project(s) in {settings.sentry_organization}"
    )


async def check_slack(settings: Settings) -> Check | None:
    token = reveal(settings.slack_bot_token)
    if not token:
        return None
    api = HttpSlackApi(token=token, base_url=settings.slack.api_url, timeout=TIMEOUT)
    try:
        answer = await api.call("auth.test", {})
    finally:
        await api.aclose()
    if not answer.ok:
        return Check("slack", False, f"auth.test: {answer.error}")
    return Check(
        "slack", True, f"auth.test: {answer.data.get('user')} in {answer.data.get('team')}"
    )


async def check_github(settings: Settings) -> Check | None:
    config, token = settings.integrations.github, reveal(settings.github_token)
    if not config.enabled:
        return None
    if not token or not config.repository:
        return Check(
            "github",
            False,
            "enabled, but GITHUB_TOKEN or integrations.github.repository is not set",
        )
    url = f"{config.api_url.rstrip('/')}/repos/{config.repository}"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        try:
            answer = await client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            return Check("github", False, f"{url}: {type(exc).__name__}")
    if answer.status_code != 200:
        return Check(
            "github", False, f"{config.repository}: {answer.status_code} {_message(answer)}"
        )
    allowed = answer.json().get("permissions", {})
    return Check("github", True, f"{config.repository} visible (push: {allowed.get('push')})")


#: A dedup key no incident has: resolving it is accepted and changes nothing.
PAGERDUTY_PROBE_KEY = "alertorch-health-check"


async def check_pagerduty(settings: Settings) -> Check | None:
    config = settings.integrations.pagerduty
    if not config.enabled:
        return None
    key = config.service_key or reveal(settings.pagerduty_api_key)
    if not key:
        return Check("pagerduty", False, "enabled, but no routing key (PAGERDUTY_API_KEY)")
    event = {"routing_key": key, "event_action": "resolve", "dedup_key": PAGERDUTY_PROBE_KEY}
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        try:
            answer = await client.post(config.events_url, json=event)
        except httpx.HTTPError as exc:
            return Check("pagerduty", False, f"{config.events_url}: {type(exc).__name__}")
    if answer.status_code != 202:
        return Check("pagerduty", False, f"{answer.status_code} {_message(answer)}")
    return Check("pagerduty", True, f"{config.events_url} accepts the routing key")


async def check_email(settings: Settings) -> Check | None:
    config = settings.integrations.email
    if not config.enabled:
        return None
    try:
        greeting = await SmtpEmail(config, password=reveal(settings.smtp_password)).probe()
    except ConnectionError as exc:
        return Check("email", False, str(exc))
    return Check("email", True, greeting)


def _message(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("errors") or body.get("problems") or body)[:200]
    return str(body)[:200]


async def gather_checks(args: argparse.Namespace, settings: Settings) -> list[Check]:
    bootstrap = settings.kafka_bootstrap_servers
    broker = await check_broker(bootstrap)
    checks = [broker]
    names = [name.strip() for name in args.services.split(",") if name.strip()]
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        for index, name in enumerate(names):
            port = args.base_port + index if args.base_port else DEFAULT_PORTS.get(name, 0)
            checks.append(await check_service(client, name, f"http://{args.host}:{port}"))
    if broker.ok:
        for step in (
            lambda: check_consumers(bootstrap, settings.kafka.group_prefix, args.max_lag),
            lambda: check_dead_letters(bootstrap),
        ):
            checks.extend(await _guarded(step))
    for integration in (check_sentry, check_slack, check_github, check_pagerduty, check_email):
        found = await integration(settings)
        if found is not None:
            checks.append(found)
    return checks


async def _guarded(step: Callable[[], Awaitable[list[Check]]]) -> list[Check]:
    try:
        return await asyncio.wait_for(step(), 3 * TIMEOUT)
    except (TimeoutError, KafkaError, OSError) as exc:
        return [Check("broker", False, f"reading from the broker failed: {type(exc).__name__}")]


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config_dir)
    # Each problem is one line below: not aiokafka's log of every refused connection.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    checks = asyncio.run(gather_checks(args, settings))
    problems = [check for check in checks if not check.ok]
    if args.json:
        document = {"ok": not problems, "checks": [asdict(check) for check in checks]}
        print(json.dumps(document, indent=2))
    else:
        for check in checks:
            print(f"{'ok  ' if check.ok else 'FAIL'}  {check.name:<28} {check.detail}")
        print(f"{len(problems)} problem(s)" if problems else "all healthy")
    return 1 if problems else 0
