"""A fake Kubernetes API for Deployments: GET and PATCH (strategic-merge and merge patch), the
scale subresource, ReplicaSets by label selector, bearer-token auth and Status errors, as the
real API answers them. A change of the pod template makes a new ReplicaSet revision, as the
Deployment controller does."""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PATCH_TYPES = {"application/strategic-merge-patch+json", "application/merge-patch+json"}
REVISION = "deployment.kubernetes.io/revision"


def _status(code: int, reason: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        },
        status_code=code,
    )


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


class FakeKubernetes:
    def __init__(self, token: str = "kube-token") -> None:
        self.token = token
        self.deployments: dict[tuple[str, str], dict[str, Any]] = {}
        self.replica_sets: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self.patches: list[tuple[str, str, dict[str, Any]]] = []
        #: Seconds a PATCH takes; how many are being answered now, and the most at once.
        self.patch_delay = 0.0
        self.in_flight = 0
        self.max_in_flight = 0

    def kubeconfig(self, path: Path, url: str) -> Path:
        """Write a kubeconfig for this API served at ``url`` (its token, one context)."""
        path.write_text(
            yaml.safe_dump(
                {
                    "current-context": "test",
                    "contexts": [{"name": "test", "context": {"cluster": "c", "user": "u"}}],
                    "clusters": [{"name": "c", "cluster": {"server": url}}],
                    "users": [{"name": "u", "user": {"token": self.token}}],
                }
            )
        )
        return path

    def add_deployment(
        self, namespace: str, name: str, *, replicas: int = 2, image: str = "web:1"
    ) -> None:
        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "annotations": {}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": name, "image": image}]},
                },
            },
        }
        self.deployments[(namespace, name)] = deployment
        self._new_revision(namespace, name)

    def set_image(self, namespace: str, name: str, image: str) -> None:
        deployment = self.deployments[(namespace, name)]
        deployment["spec"]["template"]["spec"]["containers"][0]["image"] = image
        self._new_revision(namespace, name)

    def _new_revision(self, namespace: str, name: str) -> None:
        deployment = self.deployments[(namespace, name)]
        revision = int(deployment["metadata"]["annotations"].get(REVISION, "0")) + 1
        deployment["metadata"]["annotations"][REVISION] = str(revision)
        template = copy.deepcopy(deployment["spec"]["template"])
        template["metadata"]["labels"]["pod-template-hash"] = f"h{revision}"
        self.replica_sets.append(
            {
                "metadata": {
                    "name": f"{name}-h{revision}",
                    "namespace": namespace,
                    "labels": dict(template["metadata"]["labels"]),
                    "annotations": {REVISION: str(revision)},
                    "ownerReferences": [{"kind": "Deployment", "name": name}],
                },
                "spec": {"template": template},
            }
        )

    def image(self, namespace: str, name: str) -> str:
        containers = self.deployments[(namespace, name)]["spec"]["template"]["spec"]["containers"]
        return str(containers[0]["image"])

    def app(self) -> Starlette:
        async def deployment(request: Request) -> JSONResponse:
            return await self._deployment(request, scale=False)

        async def scale(request: Request) -> JSONResponse:
            return await self._deployment(request, scale=True)

        async def replica_sets(request: Request) -> JSONResponse:
            if (denied := self._auth(request)) is not None:
                return denied
            self.calls["list replicasets"] += 1
            wanted = dict(
                part.split("=", 1)
                for part in request.query_params.get("labelSelector", "").split(",")
                if part
            )
            items = [
                rs
                for rs in self.replica_sets
                if rs["metadata"]["namespace"] == request.path_params["ns"]
                and all(rs["metadata"]["labels"].get(k) == v for k, v in wanted.items())
            ]
            return JSONResponse({"kind": "ReplicaSetList", "items": items})

        prefix = "/apis/apps/v1/namespaces/{ns}"
        return Starlette(
            routes=[
                Route(prefix + "/deployments/{name}", deployment, methods=["GET", "PATCH"]),
                Route(prefix + "/deployments/{name}/scale", scale, methods=["GET", "PATCH"]),
                Route(prefix + "/replicasets", replica_sets, methods=["GET"]),
            ]
        )

    def _auth(self, request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _status(401, "Unauthorized", "Unauthorized")
        return None

    async def _deployment(self, request: Request, *, scale: bool) -> JSONResponse:
        if (denied := self._auth(request)) is not None:
            return denied
        ns, name = request.path_params["ns"], request.path_params["name"]
        kind = "scale" if scale else "deployment"
        self.calls[f"{request.method} {kind}"] += 1
        deployment = self.deployments.get((ns, name))
        if deployment is None:
            return _status(404, "NotFound", f'deployments.apps "{name}" not found')
        if request.method == "PATCH":
            content_type = request.headers.get("content-type", "").split(";")[0]
            if content_type not in PATCH_TYPES:
                return _status(
                    415,
                    "UnsupportedMediaType",
                    f"the body of the request was in an unknown format - "
                    f"accepted media types include: {', '.join(sorted(PATCH_TYPES))}",
                )
            patch = await request.json()
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.patch_delay)
            finally:
                self.in_flight -= 1
            self.patches.append((kind, content_type, patch))
            if scale:
                deployment["spec"]["replicas"] = int(patch["spec"]["replicas"])
            else:
                before = copy.deepcopy(deployment["spec"]["template"])
                _merge(deployment, patch)
                if deployment["spec"]["template"] != before:
                    self._new_revision(ns, name)
        if scale:
            return JSONResponse(
                {
                    "kind": "Scale",
                    "apiVersion": "autoscaling/v1",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": {"replicas": deployment["spec"]["replicas"]},
                    "status": {"replicas": deployment["spec"]["replicas"]},
                }
            )
        return JSONResponse(deployment)
