"""The one way this library emits a Kubernetes object.

Objects are ``cdk8s.ApiObject`` instances whose ``apiVersion``/``kind`` come from the typed
``cdk8s_plus_25.k8s`` bindings and whose body is plain JSON built by the constructs, so every
field is under the library's control (no hidden defaults, no hashed names).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

import cdk8s
from cdk8s_plus_25 import k8s
from constructs import Construct

from .errors import ConfigError

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
    "NetworkPolicy": k8s.KubeNetworkPolicy.GVK,
    "PodDisruptionBudget": k8s.KubePodDisruptionBudget.GVK,
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
    _check_name(kind, name)
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


# What the API server accepts as a name, per kind: Services are DNS-1035 labels; a
# StatefulSet's name goes into its pods' controller-revision-hash label (name + 11 chars)
# and a Job's into its pods' job-name label, both at most 63 characters.
_NAME_RULES = {
    "Service": (63, re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$"), "a DNS-1035 label (starting with a letter)"),
    "StatefulSet": (52, re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), "a DNS-1123 label"),
    "Job": (63, re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), "a DNS-1123 label"),
}
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _check_name(kind: str, name: str) -> None:
    limit, pattern, what = _NAME_RULES.get(kind, (253, _SUBDOMAIN, "a DNS-1123 subdomain"))
    if len(name) > limit or not pattern.match(name):
        raise ConfigError(f"{kind} name", name,
                          f"{what} of at most {limit} characters: shorten Release.name (or set "
                          "Release.fullname_override) or the component's name")


def secret_data(values: Mapping[str, str]) -> Json:
    """Secret ``data``: base64 of each value, keys in the given order."""
    return {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
