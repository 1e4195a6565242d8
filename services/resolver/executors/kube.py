"""A small Kubernetes API client for the Deployment operations the strategies need.

Credentials: in-cluster (the pod's service account token and CA) when
``KUBERNETES_SERVICE_HOST`` is set, else a kubeconfig (``$KUBECONFIG`` or ``~/.kube/config``,
current context, bearer token or client certificate). Every call has a timeout; errors carry the
API's own message.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from shared.errors import AlertorchError

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
STRATEGIC_MERGE = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"


class KubeError(AlertorchError):
    """The Kubernetes API refused or failed a call."""


@dataclass(frozen=True)
class KubeConfig:
    server: str
    token: str | None = None
    verify: ssl.SSLContext | bool = True
    cert: tuple[str, str] | None = None


def _ssl(ca_file: str | None, ca_data: str | None, insecure: bool) -> ssl.SSLContext | bool:
    if insecure:
        return False
    if ca_data:
        return ssl.create_default_context(cadata=base64.b64decode(ca_data).decode())
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    return True


def _materialise(data: str | None, path: str | None) -> str | None:
    if path or not data:
        return path
    handle = tempfile.NamedTemporaryFile(delete=False, suffix=".pem")  # noqa: SIM115
    with handle:
        handle.write(base64.b64decode(data))
    return handle.name


def load_kube_config(kubeconfig: str | None = None) -> KubeConfig:
    """In-cluster credentials if present, else the kubeconfig's current context."""
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    if host and kubeconfig is None and (SERVICE_ACCOUNT / "token").exists():
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        return KubeConfig(
            server=f"https://{host}:{port}",
            token=(SERVICE_ACCOUNT / "token").read_text().strip(),
            verify=_ssl(str(SERVICE_ACCOUNT / "ca.crt"), None, False),
        )
    path = Path(kubeconfig or os.environ.get("KUBECONFIG", "~/.kube/config")).expanduser()
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise KubeError(f"no Kubernetes credentials: not in a cluster and {path}: {exc}") from None
    try:
        current = document["current-context"]
        context = next(c["context"] for c in document["contexts"] if c["name"] == current)
        cluster = next(
            c["cluster"] for c in document["clusters"] if c["name"] == context["cluster"]
        )
        user = next(u["user"] for u in document["users"] if u["name"] == context["user"])
    except (KeyError, StopIteration, TypeError) as exc:
        raise KubeError(f"{path}: incomplete kubeconfig ({exc!r})") from None
    cert_file = _materialise(user.get("client-certificate-data"), user.get("client-certificate"))
    key_file = _materialise(user.get("client-key-data"), user.get("client-key"))
    return KubeConfig(
        server=str(cluster["server"]).rstrip("/"),
        token=user.get("token"),
        verify=_ssl(
            cluster.get("certificate-authority"),
            cluster.get("certificate-authority-data"),
            bool(cluster.get("insecure-skip-tls-verify")),
        ),
        cert=(cert_file, key_file) if cert_file and key_file else None,
    )


class KubeClient:
    def __init__(self, config: KubeConfig, *, timeout: float = 10.0) -> None:
        headers = {"Accept": "application/json"}
        if config.token:
            headers["Authorization"] = f"Bearer {config.token}"
        self._http = httpx.AsyncClient(
            base_url=config.server,
            headers=headers,
            timeout=timeout,
            verify=config.verify,
            cert=config.cert,
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        content_type: str | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        headers = {"Content-Type": content_type} if content_type else {}
        try:
            response = await self._http.request(
                method, path, json=body, headers=headers, params=params
            )
        except httpx.HTTPError as exc:
            raise KubeError(f"{method} {path}: {exc!r}") from exc
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise KubeError(f"{method} {path}: {response.status_code} {message}")
        result: dict[str, Any] = response.json()
        return result

    @staticmethod
    def _deployment(namespace: str, name: str) -> str:
        return f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"

    async def get_deployment(self, namespace: str, name: str) -> dict[str, Any]:
        return await self._call("GET", self._deployment(namespace, name))

    async def patch_deployment(
        self, namespace: str, name: str, patch: dict[str, Any], *, strategic: bool = True
    ) -> dict[str, Any]:
        return await self._call(
            "PATCH",
            self._deployment(namespace, name),
            body=patch,
            content_type=STRATEGIC_MERGE if strategic else MERGE,
        )

    async def get_scale(self, namespace: str, name: str) -> int:
        scale = await self._call("GET", self._deployment(namespace, name) + "/scale")
        return int(scale.get("spec", {}).get("replicas", 0))

    async def set_scale(self, namespace: str, name: str, replicas: int) -> int:
        scale = await self._call(
            "PATCH",
            self._deployment(namespace, name) + "/scale",
            body={"spec": {"replicas": replicas}},
            content_type=MERGE,
        )
        return int(scale.get("spec", {}).get("replicas", replicas))

    async def replica_sets(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        listing = await self._call(
            "GET",
            f"/apis/apps/v1/namespaces/{namespace}/replicasets",
            params={"labelSelector": selector},
        )
        items: list[dict[str, Any]] = listing.get("items", [])
        return items
