"""The synthesized objects, looked up the way the API server would serve them to a kubelet."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from .processes import SmokeError

__all__ = ["WORKLOAD_KINDS", "Cluster", "Manifest", "ManifestError"]

Manifest = dict[str, Any]
#: Kinds whose pod template the harness runs, in boot order.
WORKLOAD_KINDS = ("StatefulSet", "Job", "Deployment")


class ManifestError(SmokeError):
    """An object the manifests reference does not exist (or is not usable)."""


class Cluster:
    """One namespace's worth of objects (``metadata.namespace`` or ``default``)."""

    def __init__(self, objects: list[Manifest]) -> None:
        self.objects = objects
        namespaces = {o["metadata"].get("namespace") or "default" for o in objects}
        if len(namespaces) != 1:
            raise ManifestError(f"the harness runs one namespace; the manifests use {sorted(namespaces)}")
        self.namespace = namespaces.pop()

    def find(self, kind: str, name: str) -> Manifest | None:
        matches = [o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name]
        if len(matches) > 1:
            raise ManifestError(f"{len(matches)} objects {kind}/{name}")
        return matches[0] if matches else None

    def get(self, kind: str, name: str) -> Manifest:
        obj = self.find(kind, name)
        if obj is None:
            raise ManifestError(f"{kind}/{name} is not in the manifests")
        return obj

    def of_kind(self, kind: str) -> Iterator[Manifest]:
        return (o for o in self.objects if o["kind"] == kind)

    def workloads(self) -> Iterator[Manifest]:
        for kind in WORKLOAD_KINDS:
            yield from self.of_kind(kind)

    def config_map_data(self, name: str) -> dict[str, bytes] | None:
        """A ConfigMap's keys (``data`` and base64 ``binaryData``), or ``None`` if it does not exist."""
        obj = self.find("ConfigMap", name)
        if obj is None:
            return None
        data = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
        data.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
        return data

    def secret_data(self, name: str) -> dict[str, bytes] | None:
        """A Secret's keys (base64 ``data``, then ``stringData`` as the API server merges it)."""
        obj = self.find("Secret", name)
        if obj is None:
            return None
        try:
            data = {k: base64.b64decode(v, validate=True) for k, v in (obj.get("data") or {}).items()}
        except ValueError as exc:
            raise ManifestError(f"Secret/{name}: data is not valid base64: {exc}") from exc
        data.update({k: str(v).encode() for k, v in (obj.get("stringData") or {}).items()})
        return data

    def service_account_exists(self, name: str) -> bool:
        return name == "default" or self.find("ServiceAccount", name) is not None

    def service_account_automounts(self, name: str) -> bool:
        obj = self.find("ServiceAccount", name)
        return bool(obj.get("automountServiceAccountToken", True)) if obj else True
