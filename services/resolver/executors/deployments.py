"""Kubernetes Deployment strategies: rollout restart, scale up within a ceiling, roll back to the
previous revision. Targets come from the catalog entry: ``{namespace, deployment}``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from services.resolver.executors.kube import KubeClient, KubeError
from services.resolver.strategy import ErrorContext, ResolutionStrategy, StrategyResult

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
REVISION = "deployment.kubernetes.io/revision"

KubeFactory = Callable[[], KubeClient]


def _target(context: ErrorContext) -> tuple[str, str]:
    namespace = str(context.target.get("namespace", "default"))
    name = context.target.get("deployment")
    if not name:
        raise KubeError("the catalog entry's target needs a 'deployment'")
    return namespace, str(name)


class _KubeStrategy(ResolutionStrategy):
    def __init__(self, name: str, description: str, safety_level: Any, kube: KubeFactory) -> None:
        super().__init__(
            name=name, description=description, confidence=0.8, safety_level=safety_level
        )
        self._kube = kube

    async def _run(self, context: ErrorContext, action: Any) -> StrategyResult:
        client = self._kube()
        try:
            result: StrategyResult = await action(client, *_target(context))
            return result
        except KubeError as exc:
            return StrategyResult(success=False, message=str(exc))
        finally:
            await client.close()


class RestartService(_KubeStrategy):
    """The patch ``kubectl rollout restart deployment/NAME`` makes."""

    def __init__(self, kube: KubeFactory) -> None:
        super().__init__("restart_service", "Rolling restart of a Deployment", "moderate", kube)

    async def execute(self, error_context: ErrorContext) -> StrategyResult:
        async def restart(client: KubeClient, namespace: str, name: str) -> StrategyResult:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
            await client.patch_deployment(namespace, name, patch)
            return StrategyResult(
                success=True,
                message=f"restarted deployment/{name} in {namespace}",
                details={"restartedAt": stamp},
            )

        return await self._run(error_context, restart)


class ScaleUp(_KubeStrategy):
    """Raise replicas by ``params.step`` (default 1), never above ``params.max_replicas``."""

    def __init__(self, kube: KubeFactory) -> None:
        super().__init__("scale_up", "Add replicas to a Deployment", "moderate", kube)

    async def execute(self, error_context: ErrorContext) -> StrategyResult:
        step = int(error_context.params.get("step", 1))
        ceiling = int(error_context.params.get("max_replicas", 10))

        async def scale(client: KubeClient, namespace: str, name: str) -> StrategyResult:
            current = await client.get_scale(namespace, name)
            wanted = min(current + step, ceiling)
            if wanted <= current:
                return StrategyResult(
                    success=False,
                    message=f"deployment/{name} is at its ceiling of {ceiling} replicas",
                )
            now = await client.set_scale(namespace, name, wanted)
            return StrategyResult(
                success=True,
                message=f"scaled deployment/{name} from {current} to {now}",
                rollback_data={"replicas": current},
            )

        return await self._run(error_context, scale)

    async def rollback(self, error_context: ErrorContext, result: StrategyResult) -> StrategyResult:
        previous = result.rollback_data.get("replicas")
        if previous is None:
            return StrategyResult(success=False, message="nothing to restore")

        async def restore(client: KubeClient, namespace: str, name: str) -> StrategyResult:
            await client.set_scale(namespace, name, int(previous))
            return StrategyResult(
                success=True, message=f"restored deployment/{name} to {previous} replicas"
            )

        return await self._run(error_context, restore)


class RollbackDeployment(_KubeStrategy):
    """``kubectl rollout undo``: the pod template of the previous ReplicaSet revision."""

    def __init__(self, kube: KubeFactory) -> None:
        super().__init__(
            "rollback_deployment", "Roll a Deployment back to its previous revision", "risky", kube
        )

    async def execute(self, error_context: ErrorContext) -> StrategyResult:
        async def undo(client: KubeClient, namespace: str, name: str) -> StrategyResult:
            deployment = await client.get_deployment(namespace, name)
            labels = deployment["spec"]["selector"].get("matchLabels", {})
            selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
            current = int(deployment["metadata"].get("annotations", {}).get(REVISION, "0"))
            owned = [
                rs
                for rs in await client.replica_sets(namespace, selector)
                if any(
                    ref.get("kind") == "Deployment" and ref.get("name") == name
                    for ref in rs["metadata"].get("ownerReferences", [])
                )
            ]
            older = sorted(
                (
                    rs
                    for rs in owned
                    if int(rs["metadata"].get("annotations", {}).get(REVISION, "0")) < current
                ),
                key=lambda rs: int(rs["metadata"]["annotations"][REVISION]),
            )
            if not older:
                return StrategyResult(
                    success=False, message=f"deployment/{name} has no previous revision"
                )
            template = older[-1]["spec"]["template"]
            template.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
            await client.patch_deployment(
                namespace, name, {"spec": {"template": template}}, strategic=False
            )
            revision = older[-1]["metadata"]["annotations"][REVISION]
            return StrategyResult(
                success=True,
                message=f"rolled deployment/{name} back to revision {revision}",
                rollback_data={"template": deployment["spec"]["template"]},
            )

        return await self._run(error_context, undo)

    async def rollback(self, error_context: ErrorContext, result: StrategyResult) -> StrategyResult:
        template = result.rollback_data.get("template")
        if not template:
            return StrategyResult(success=False, message="nothing to restore")

        async def redo(client: KubeClient, namespace: str, name: str) -> StrategyResult:
            await client.patch_deployment(
                namespace, name, {"spec": {"template": template}}, strategic=False
            )
            return StrategyResult(success=True, message=f"restored deployment/{name}'s template")

        return await self._run(error_context, redo)
