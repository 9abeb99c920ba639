"""The one way this library emits a Kubernetes object.

Objects are ``cdk8s.ApiObject`` instances whose ``apiVersion``/``kind`` come from the typed
``cdk8s_plus_25.k8s`` bindings and whose body is plain JSON built by the constructs, so every
field is under the library's control (no hidden defaults, no hashed names).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import cdk8s
from cdk8s_plus_25 import k8s
from constructs import Construct

Json = dict[str, Any]

GVK = {
    "ConfigMap": k8s.KubeConfigMap.GVK,
    "Secret": k8s.KubeSecret.GVK,
    "Service": k8s.KubeService.GVK,
    "ServiceAccount": k8s.KubeServiceAccount.GVK,
    "Role": k8s.KubeRole.GVK,
    "RoleBinding": k8s.KubeRoleBinding.GVK,
    "Deployment": k8s.KubeDeployment.GVK,
    "StatefulSet": k8s.KubeStatefulSet.GVK,
    "Job": k8s.KubeJob.GVK,
    "Ingress": k8s.KubeIngress.GVK,
}


def manifest(
    scope: Construct,
    id: str,
    kind: str,
    *,
    name: str,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    namespace: str | None = None,
    body: Mapping[str, Any] | None = None,
) -> cdk8s.ApiObject:
    """Add one object of ``kind`` named ``name`` with top-level fields ``body``."""
    gvk = GVK[kind]
    obj = cdk8s.ApiObject(
        scope,
        id,
        api_version=gvk.api_version,
        kind=gvk.kind,
        metadata=cdk8s.ApiObjectMetadata(
            name=name,
            namespace=namespace,
            labels=dict(labels) if labels else None,
            annotations=dict(annotations) if annotations else None,
        ),
    )
    for key, value in (body or {}).items():
        obj.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", value))
    return obj


def secret_data(values: Mapping[str, str]) -> Json:
    """Secret ``data``: base64 of each value, keys in the given order."""
    return {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
