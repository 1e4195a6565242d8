"""Built-in strategies against local servers that speak the real APIs (Kubernetes, GitHub, a
runbook URL)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.resolver.catalog import CatalogError, load_catalog
from services.resolver.executors.deployments import (
    RESTARTED_AT,
    RestartService,
    RollbackDeployment,
    ScaleUp,
)
from services.resolver.executors.kube import KubeClient, KubeConfig, load_kube_config
from services.resolver.executors.web import CreateGithubIssue, HttpAction, render
from services.resolver.strategy import ErrorContext
from tests.fakes.github import FakeGitHub
from tests.fakes.kubernetes import FakeKubernetes
from tests.fakes.server import serving
from tests.resolver_helpers import error_context


def _context(**changes: Any) -> ErrorContext:
    return error_context(**{"target": {"namespace": "prod", "deployment": "web"}, **changes})


def _kube(url: str, token: str = "kube-token") -> Callable[[], KubeClient]:
    return lambda: KubeClient(KubeConfig(server=url, token=token))


async def test_restart_makes_the_rollout_restart_patch() -> None:
    fake = FakeKubernetes()
    fake.add_deployment("prod", "web")
    with serving(fake.app()) as url:
        result = await RestartService(_kube(url)).execute(_context())
    assert result.success, result.message
    kind, content_type, patch = fake.patches[-1]
    assert (kind, content_type) == ("deployment", "application/strategic-merge-patch+json")
    annotations = patch["spec"]["template"]["metadata"]["annotations"]
    assert annotations[RESTARTED_AT] == result.details["restartedAt"]
    assert (
        fake.deployments[("prod", "web")]["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"
        ]
        == "2"
    )


async def test_restart_reports_the_api_error() -> None:
    fake = FakeKubernetes()
    with serving(fake.app()) as url:
        missing = await RestartService(_kube(url)).execute(_context())
        denied = await RestartService(_kube(url, token="wrong")).execute(_context())
    assert not missing.success
    assert 'deployments.apps "web" not found' in missing.message
    assert not denied.success
    assert "401" in denied.message


async def test_scale_up_within_the_ceiling_and_roll_back() -> None:
    fake = FakeKubernetes()
    fake.add_deployment("prod", "web", replicas=3)
    with serving(fake.app()) as url:
        strategy = ScaleUp(_kube(url))
        context = _context(params={"step": 2, "max_replicas": 4})
        result = await strategy.execute(context)
        assert result.success, result.message
        assert fake.deployments[("prod", "web")]["spec"]["replicas"] == 4
        at_ceiling = await strategy.execute(context)
        assert not at_ceiling.success
        assert "ceiling of 4" in at_ceiling.message
        undone = await strategy.rollback(context, result)
    assert undone.success
    assert fake.deployments[("prod", "web")]["spec"]["replicas"] == 3
    assert fake.patches[0][1] == "application/merge-patch+json"
    assert fake.patches[0][0] == "scale"


async def test_rollback_deployment_restores_the_previous_revision_and_back() -> None:
    fake = FakeKubernetes()
    fake.add_deployment("prod", "web", image="web:1")
    fake.set_image("prod", "web", "web:2")
    with serving(fake.app()) as url:
        strategy = RollbackDeployment(_kube(url))
        result = await strategy.execute(_context())
        assert result.success, result.message
        assert fake.image("prod", "web") == "web:1"
        assert (
            "pod-template-hash"
            not in fake.deployments[("prod", "web")]["spec"]["template"]["metadata"]["labels"]
        )
        undone = await strategy.rollback(_context(), result)
    assert undone.success
    assert fake.image("prod", "web") == "web:2"


async def test_rollback_without_history_fails_cleanly() -> None:
    fake = FakeKubernetes()
    fake.add_deployment("prod", "web")
    with serving(fake.app()) as url:
        result = await RollbackDeployment(_kube(url)).execute(_context())
    assert not result.success
    assert "no previous revision" in result.message


def _runbook(received: list[dict[str, Any]]) -> Starlette:
    async def handle(request: Request) -> JSONResponse:
        received.append(
            {
                "path": request.url.path,
                "raw": request.scope["raw_path"] + b"?" + request.scope["query_string"],
                "body": await request.json(),
                "auth": request.headers.get("x-runbook-token"),
            }
        )
        status = 500 if request.url.path == "/broken" else 202
        return JSONResponse({"ok": status == 202}, status_code=status)

    return Starlette(routes=[Route("/{path:path}", handle, methods=["POST", "PUT"])])


async def test_http_action_sends_the_templated_body_and_its_rollback() -> None:
    received: list[dict[str, Any]] = []
    with serving(_runbook(received)) as url:
        target = {
            "url": url + "/cache/flush",
            "method": "POST",
            "headers": {"X-Runbook-Token": "t0k"},
            "body": {
                "reason": "alertorch ${attempt_id}",
                "problem": "${fingerprint}",
                "tags": ["${service}", "fixed"],
            },
        }
        rollback = {"url": url + "/cache/unflush", "body": {"problem": "${fingerprint}"}}
        context = _context(target=target, params={"rollback": rollback})
        async with httpx.AsyncClient(timeout=5) as client:
            strategy = HttpAction(client)
            result = await strategy.execute(context)
            undone = await strategy.rollback(context, result)
            broken = await strategy.execute(_context(target={"url": url + "/broken"}))
            no_url = await strategy.execute(_context(target={}))
    assert result.success
    assert undone.success
    assert {k: v for k, v in received[0].items() if k != "raw"} == {
        "path": "/cache/flush",
        "auth": "t0k",
        "body": {"reason": "alertorch att-1", "problem": "fp-42", "tags": ["web", "fixed"]},
    }
    assert received[1]["body"] == {"problem": "fp-42"}
    assert not broken.success
    assert "500" in broken.message
    assert not no_url.success


async def test_http_action_keeps_error_text_inside_its_path_segment_and_header() -> None:
    received: list[dict[str, Any]] = []
    with serving(_runbook(received)) as url:
        target = {
            "url": url + "/services/${service}/restart?env=${environment}",
            "headers": {"X-Runbook-Token": "t0k ${service}"},
            "body": {"service": "${service}"},
        }
        hostile = "../../admin?x=1#"
        context = _context(target=target, service=hostile, environment="prod&force=true")
        async with httpx.AsyncClient(timeout=5) as client:
            result = await HttpAction(client).execute(context)
            dotted = await HttpAction(client).execute(_context(target=target, service=".."))
    assert result.success, result.message
    [request] = received
    # As sent: the hostile name is one encoded path segment, the query keeps its one parameter.
    assert request["raw"] == b"/services/..%2F..%2Fadmin%3Fx%3D1%23/restart?env=prod%26force%3Dtrue"
    assert request["auth"] == "t0k ../../admin?x=1#"
    assert request["body"] == {"service": hostile}
    assert not dotted.success
    assert "path segment" in dotted.message


def test_a_templated_host_is_refused_when_the_catalog_is_loaded() -> None:
    with pytest.raises(CatalogError, match="scheme and host cannot be templated"):
        load_catalog(
            {
                "restart": {
                    "executor": "http_action",
                    "target": {"url": "https://${service}.runbooks.internal/restart"},
                }
            }
        )


def test_render_leaves_unknown_names() -> None:
    assert render("${title} / ${nope}", _context()) == "OutOfMemoryError: Java heap space / ${nope}"


async def test_github_issue_is_opened_and_closed() -> None:
    fake = FakeGitHub()
    with serving(fake.app()) as url:
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            strategy = CreateGithubIssue(client, token="ghp_test", labels=["bug", "alertorch"])
            context = _context(target={"repository": "acme/web"})
            result = await strategy.execute(context)
            assert result.success, result.message
            issue = fake.issues[("acme/web", 1)]
            assert issue["title"] == "[high] OutOfMemoryError: Java heap space"
            assert "fp-42" in issue["body"]
            assert [label["name"] for label in issue["labels"]] == ["bug", "alertorch"]
            closed = await strategy.rollback(context, result)
    assert closed.success
    assert fake.issues[("acme/web", 1)]["state"] == "closed"


async def test_the_resolvers_github_issue_keeps_error_text_in_code() -> None:
    fake = FakeGitHub()
    with serving(fake.app()) as url:
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            strategy = CreateGithubIssue(client, token="ghp_test", labels=[])
            context = _context(
                target={"repository": "acme/web"},
                service="@acme/oncall",
                environment="[prod](https://evil.example)",
                category="#1 `x`",
            )
            assert (await strategy.execute(context)).success
    body = fake.issues[("acme/web", 1)]["body"]
    assert "- service: `@acme/oncall`" in body
    assert "- environment: `[prod](https://evil.example)`" in body
    assert "- category: `` #1 `x` ``" in body


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda fake: fake.disabled.add("acme/web"), "410: Issues are disabled for this repo"),
        (lambda fake: setattr(fake, "remaining", 0), "403: API rate limit exceeded"),
        (lambda fake: setattr(fake, "token", "other"), "401: Bad credentials"),
    ],
)
async def test_github_errors_are_reported(
    setup: Callable[[FakeGitHub], object], expected: str
) -> None:
    fake = FakeGitHub()
    setup(fake)
    with serving(fake.app()) as url:
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            result = await CreateGithubIssue(client, token="ghp_test", labels=[]).execute(
                _context(target={"repository": "acme/web"})
            )
    assert not result.success
    assert expected in result.message


def test_kubeconfig_current_context_with_token(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(
        yaml.safe_dump(
            {
                "current-context": "prod",
                "contexts": [
                    {"name": "prod", "context": {"cluster": "c1", "user": "u1"}},
                    {"name": "dev", "context": {"cluster": "c2", "user": "u1"}},
                ],
                "clusters": [
                    {
                        "name": "c1",
                        "cluster": {
                            "server": "https://k8s.example:6443/",
                            "insecure-skip-tls-verify": True,
                        },
                    },
                    {"name": "c2", "cluster": {"server": "https://dev:6443"}},
                ],
                "users": [{"name": "u1", "user": {"token": "abc"}}],
            }
        )
    )
    config = load_kube_config(str(path))
    assert config.server == "https://k8s.example:6443"
    assert config.token == "abc"
    assert config.verify is False
