"""Reading synthesized Kubernetes objects: workloads, pod specs, env, embedded YAML files."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import yaml

Manifest = dict[str, Any]

#: Kinds that run pods from a pod template (a CronJob's is ``spec.jobTemplate.spec.template``).
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")
#: Workload kinds without a selector of their own (the Job controller generates one).
UNSELECTED_KINDS = ("Job", "CronJob")
#: Where kubectl puts an object without ``metadata.namespace`` (no ``-n``, default context).
DEFAULT_NAMESPACE = "default"
#: Ports a URL without an explicit port connects to.
DEFAULT_PORTS = {"amqp": 5672, "pyamqp": 5672, "amqps": 5671, "redis": 6379, "rediss": 6379,
                 "postgresql": 5432, "postgres": 5432, "http": 80, "https": 443}


def ref(obj: Manifest) -> str:
    """``Kind/name`` of an object, for messages."""
    return f"{obj.get('kind', '<no kind>')}/{(obj.get('metadata') or {}).get('name', '<no name>')}"


def namespace_of(obj: Manifest) -> str:
    return str(obj["metadata"].get("namespace") or DEFAULT_NAMESPACE)


class Index:
    """The objects of one output, looked up by kind, namespace and name."""

    def __init__(self, objects: list[Manifest]) -> None:
        self.objects = objects
        self._by_key = {(o["kind"], namespace_of(o), o["metadata"]["name"]): o for o in objects}

    def get(self, kind: str, namespace: str, name: str) -> Manifest | None:
        return self._by_key.get((kind, namespace, name))

    def of_kind(self, *kinds: str) -> list[Manifest]:
        return [o for o in self.objects if o["kind"] in kinds]


def workloads(objects: list[Manifest]) -> list[Manifest]:
    return [o for o in objects if o["kind"] in WORKLOAD_KINDS]


def pod_template_path(workload: Manifest) -> str:
    """Where the workload's pod template is: ``spec.template``, a CronJob's
    ``spec.jobTemplate.spec.template``."""
    return "spec.jobTemplate.spec.template" if workload["kind"] == "CronJob" else "spec.template"


def pod_template(workload: Manifest) -> Manifest:
    """The workload's pod template (the object itself, not a copy)."""
    template: Manifest = workload
    for step in pod_template_path(workload).split("."):
        template = template[step]
    return template


def pod_labels(workload: Manifest) -> dict[str, str]:
    return dict(pod_template(workload).get("metadata", {}).get("labels") or {})


def pod_spec(workload: Manifest) -> Manifest:
    """The workload's pod spec (the object itself, not a copy)."""
    spec: Manifest = pod_template(workload)["spec"]
    return spec


def containers(spec: Mapping[str, Any], *, init: bool = True) -> list[Manifest]:
    """The containers of a pod spec, init containers first (when ``init``)."""
    return [*(spec.get("initContainers") or [] if init else []), *(spec.get("containers") or [])]


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether a ``LabelSelector`` (``matchLabels`` and ``matchExpressions``) selects ``labels``.

    An empty selector selects everything, as in Kubernetes.
    """
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def object_data_keys(obj: Manifest) -> set[str]:
    """Keys of a ConfigMap's or Secret's data."""
    return {*(obj.get("data") or {}), *(obj.get("binaryData") or {}), *(obj.get("stringData") or {})}


def secret_value(secret: Manifest, key: str) -> str | None:
    if key in (secret.get("stringData") or {}):
        return str(secret["stringData"][key])
    if key in (secret.get("data") or {}):
        return base64.b64decode(secret["data"][key]).decode()
    return None


@dataclass(frozen=True)
class EmbeddedYaml:
    """A YAML file carried in a ConfigMap key (``dagster.yaml``, ``workspace.yaml``, ...)."""

    config_map: Manifest
    key: str
    text: str

    @property
    def where(self) -> str:
        return f"{ref(self.config_map)}[{self.key}]"

    def load(self) -> Any:
        return yaml.safe_load(self.text)


def embedded_yaml_files(objects: list[Manifest], key: str | None = None) -> list[EmbeddedYaml]:
    """Every ``*.yaml`` key of every ConfigMap (or only keys named ``key``)."""
    return [EmbeddedYaml(o, k, v) for o in objects if o["kind"] == "ConfigMap"
            for k, v in (o.get("data") or {}).items()
            if (k == key if key is not None else k.endswith((".yaml", ".yml")))]


def env_refs(value: Any) -> set[str]:
    """Names of the env vars Dagster config reads: every ``{env: NAME}`` in ``value``."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        if set(value) == {"env"} and isinstance(value["env"], str):
            found.add(value["env"])
        else:
            for item in value.values():
                found |= env_refs(item)
    elif isinstance(value, list):
        for item in value:
            found |= env_refs(item)
    return found


def iter_mappings_with_key(value: Any, key: str) -> Iterator[Mapping[str, Any]]:
    """Every mapping anywhere in ``value`` that has ``key``."""
    if isinstance(value, Mapping):
        if key in value:
            yield value
        for item in value.values():
            yield from iter_mappings_with_key(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from iter_mappings_with_key(item, key)


def url_endpoint(url: str) -> tuple[str, int] | None:
    """``(host, port)`` a URL connects to; ``None`` for host-less URLs such as ``rpc://``.

    Raises ``ValueError`` when the URL has a host but no port can be derived.
    """
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    port = parts.port or DEFAULT_PORTS.get(parts.scheme.split("+")[0])
    if port is None:
        raise ValueError(f"no port in {parts.scheme}:// URL and no default known")
    return parts.hostname, port


def container_paths(spec: Mapping[str, Any], *, init: bool = True) -> Iterator[tuple[str, Manifest]]:
    """``(path in the pod spec, container)`` in :func:`containers`' order: ``initContainers[0]``..."""
    for field in ("initContainers", "containers") if init else ("containers",):
        for number, container in enumerate(spec.get(field) or []):
            yield f"{field}[{number}]", container
