"""The official Dagster chart 1.9.3 as a live test oracle.

The chart is rendered from ``../shared/reference/official-chart-1.9.3/chart/`` (or from the
directory ``DAGSTER_CHART_DIR`` names) with ``helm-python-sdk`` (Helm's Go SDK, offline) and the
library's output for the same values is compared with it *semantically*: per object, a flat
map of "fields" (commands, env, mounts as the files a container sees, ports with named ports
resolved, probes, RBAC rules, Ingress rules, ConfigMap data parsed, ...), so that a difference
is reported as ``(kind, name, field, chart, library)``. Which differences are deliberate is
the test's business (``DEVIATIONS`` in ``test_chart_oracle.py``).
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib import DAGSTER_VERSION
from constructs_lib.images import default_flower_image, default_postgres_image

ROOT = Path(__file__).resolve().parent.parent
CHART_VERSION = "1.9.3"
SHARED_CHART = ROOT.parent / "shared" / "reference" / f"official-chart-{CHART_VERSION}" / "chart"
HOW_TO_GET_IT = (f"the official Dagster chart {CHART_VERSION} is not at {SHARED_CHART}: get it with "
                 f"`helm pull dagster/dagster --version {CHART_VERSION} --untar` and set DAGSTER_CHART_DIR to the "
                 "`dagster` directory it creates")
#: Only the chart gets this: an offline render has no cluster capabilities to pick the v1 Ingress.
CHART_ONLY_VALUES = {"ingress": {"apiVersion": "networking.k8s.io/v1/Ingress"}}
SUBCHARTS = ("postgresql", "rabbitmq", "redis")

Manifest = dict[str, Any]


def chart_dir() -> Path | None:
    """Where the official chart is, or None."""
    configured = os.environ.get("DAGSTER_CHART_DIR")
    path = Path(configured) if configured else SHARED_CHART
    return path if (path / "Chart.yaml").is_file() else None


def require_chart() -> Path:
    """The chart's directory; skips the test where it is absent (fails under ``CI=true``)."""
    path = chart_dir()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(HOW_TO_GET_IT)
        pytest.skip(HOW_TO_GET_IT)
    return path


def chart_values_yaml() -> Path:
    """The chart's own ``values.yaml`` (skips/fails like :func:`require_chart`)."""
    return require_chart() / "values.yaml"


def subchart_values_yaml() -> Path:
    return require_chart() / "charts" / "dagster-user-deployments" / "values.yaml"


@dataclass(frozen=True)
class Rendered:
    """One object of the chart's render and the template that produced it."""

    template: str
    obj: Manifest

    @property
    def from_bitnami_subchart(self) -> bool:
        return any(f"/charts/{sub}/" in self.template for sub in SUBCHARTS)


@functools.cache
def _render_cached(values_json: str, release: str, namespace: str) -> tuple[Rendered, ...]:
    from helm_python import Chart

    values = json.loads(values_json)
    # A fresh load per render: Helm drops disabled subcharts from the loaded chart in place.
    with Chart.load(str(require_chart())) as chart:
        rendered = chart.render(values, name=release, namespace=namespace)
    out: list[Rendered] = []
    for template, text in sorted(rendered.items()):
        if not template.endswith((".yaml", ".yml")):
            continue
        out.extend(Rendered(template, doc) for doc in yaml.safe_load_all(text) if doc)
    return tuple(out)


def render_chart(values: Mapping[str, Any], *, release: str, namespace: str) -> tuple[Rendered, ...]:
    """What ``helm template`` renders for the user's ``values`` (cached per session)."""
    merged = json.loads(json.dumps(values))
    ingress = merged.setdefault("ingress", {})
    if isinstance(ingress, dict):
        ingress.update(CHART_ONLY_VALUES["ingress"])
    return _render_cached(json.dumps(merged, sort_keys=True), release, namespace)


# ---- semantic views ------------------------------------------------------------------------------
#: Labels that say who rendered an object (Helm vs cdk8s, chart version), not what it is.
PROVENANCE_LABELS = ("app.kubernetes.io/managed-by", "app.kubernetes.io/version", "helm.sh/chart", "chart",
                     "heritage")
#: Container-context env vars whose value is JSON: compared parsed.
JSON_ENV = ("DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT", "DAGSTER_CONTAINER_CONTEXT")
#: The chart's default third-party images and what the library deploys for them (README: "Images").
CHART_DEFAULT_IMAGES = {
    "library/postgres:14.6": default_postgres_image().ref,
    "docker.io/mher/flower:0.9.5": default_flower_image().ref,
}


def same_version(value: Any) -> Any:
    """The chart's Dagster version reads as the library's pinned one (image tags)."""
    if isinstance(value, str):
        if value in CHART_DEFAULT_IMAGES:
            return CHART_DEFAULT_IMAGES[value]
        return value.replace(f":{CHART_VERSION}", f":{DAGSTER_VERSION}")
    if isinstance(value, list):
        return [same_version(v) for v in value]
    if isinstance(value, dict):
        return {k: same_version(v) for k, v in value.items()}
    return value


def prune(value: Any) -> Any:
    """Empty maps, empty lists and nulls mean "not set" in a manifest."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def _command(container: Manifest) -> list[str]:
    full = [str(x) for x in (*(container.get("command") or []), *(container.get("args") or []))]
    if len(full) == 3 and full[:2] in (["/bin/bash", "-c"], ["sh", "-c"], ["/bin/sh", "-c"]):
        # The chart wraps commands in a shell; the library runs them directly.
        return shlex.split(full[2].strip().rstrip(";"))
    return full


def _named_ports(container: Manifest) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container.get("ports") or [] if "name" in p}


def _probe(probe: Any, ports: Mapping[str, int]) -> Any:
    if not probe:
        return None
    probe = prune(json.loads(json.dumps(probe)))
    for handler in ("httpGet", "tcpSocket", "grpc"):
        if handler in probe and isinstance(probe[handler].get("port"), str):
            name = probe[handler]["port"]
            probe[handler]["port"] = ports.get(name, int(name) if name.isdigit() else name)
    if "exec" in probe:
        probe["exec"]["command"] = _command({"command": probe["exec"]["command"]})
    return probe


def _env(container: Manifest) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in container.get("env") or []:
        if "valueFrom" in item:
            out[item["name"]] = {"valueFrom": prune(item["valueFrom"])}
        else:
            value = item.get("value")
            if item["name"] in JSON_ENV and isinstance(value, str):
                value = json.loads(value)
            out[item["name"]] = same_version(value)
    return out


def _env_from(container: Manifest) -> list[tuple[str, str, bool]]:
    refs = []
    for item in container.get("envFrom") or []:
        for kind in ("configMapRef", "secretRef"):
            if kind in item:
                refs.append((kind, str(item[kind]["name"]), bool(item[kind].get("optional", False))))
    return sorted(refs)


def _mounts(container: Manifest, volumes: Mapping[str, Any]) -> dict[str, Any]:
    """mountPath -> where its files come from (the volume's source, subPath, read-only)."""
    out: dict[str, Any] = {}
    for mount in container.get("volumeMounts") or []:
        source = volumes.get(mount["name"], {"undeclared volume": mount["name"]})
        out[mount["mountPath"]] = prune({"source": source, "subPath": mount.get("subPath"),
                                         "readOnly": mount.get("readOnly") or None})
    return out


def _container_fields(prefix: str, container: Manifest, volumes: Mapping[str, Any]) -> dict[str, Any]:
    ports = _named_ports(container)
    return {
        f"{prefix}.command": _command(container),
        f"{prefix}.image": same_version(container.get("image")),
        f"{prefix}.imagePullPolicy": container.get("imagePullPolicy"),
        f"{prefix}.env": _env(container),
        f"{prefix}.envFrom": _env_from(container),
        f"{prefix}.mounts": _mounts(container, volumes),
        f"{prefix}.ports": sorted((p["containerPort"], p.get("protocol", "TCP")) for p in container.get("ports") or []),
        f"{prefix}.readinessProbe": _probe(container.get("readinessProbe"), ports),
        f"{prefix}.livenessProbe": _probe(container.get("livenessProbe"), ports),
        f"{prefix}.startupProbe": _probe(container.get("startupProbe"), ports),
        f"{prefix}.resources": prune(container.get("resources")),
        f"{prefix}.securityContext": prune(container.get("securityContext")),
    }


def _labels(meta: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (meta.get("labels") or {}).items() if k not in PROVENANCE_LABELS}


def _annotations(meta: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (meta.get("annotations") or {}).items() if not k.startswith("checksum/")}


def _workload_fields(obj: Manifest) -> dict[str, Any]:
    template = obj["spec"]["template"]
    spec = template["spec"]
    volumes = {v["name"]: prune({k: val for k, val in v.items() if k != "name"}) for v in spec.get("volumes") or []}
    fields: dict[str, Any] = {
        "replicas": obj["spec"].get("replicas", 1) if obj["kind"] != "Job" else None,
        "labels": _labels(obj["metadata"]),
        "annotations": _annotations(obj["metadata"]),
        "pod.labels": _labels(template.get("metadata") or {}),
        "pod.annotations": _annotations(template.get("metadata") or {}),
        "serviceAccountName": spec.get("serviceAccountName"),
        "automountServiceAccountToken": spec.get("automountServiceAccountToken"),
        "imagePullSecrets": sorted(s["name"] for s in spec.get("imagePullSecrets") or []),
        "podSecurityContext": prune(spec.get("securityContext")),
        "nodeSelector": prune(spec.get("nodeSelector")),
        "affinity": prune(spec.get("affinity")),
        "tolerations": prune(spec.get("tolerations")),
        "schedulerName": spec.get("schedulerName"),
        "volumes": sorted(json.dumps(v, sort_keys=True) for v in volumes.values()),
        "initContainers": [c["name"] for c in spec.get("initContainers") or []],
        "sidecars": [c["name"] for c in spec["containers"][1:]],
    }
    containers = spec["containers"]
    fields.update(_container_fields("main", containers[0], volumes))
    for c in containers[1:]:
        fields.update(_container_fields(f"sidecar[{c['name']}]", c, volumes))
    for c in spec.get("initContainers") or []:
        fields.update(_container_fields(f"init[{c['name']}]", c, volumes))
    return fields


def _parsed(key: str, value: Any) -> Any:
    if isinstance(value, str) and key.endswith((".yaml", ".yml")):
        return yaml.safe_load(value)
    if isinstance(value, str) and key.endswith(".json"):
        return json.loads(value)
    return value


def _rules(rules: Iterable[Mapping[str, Any]]) -> list[Any]:
    return sorted([sorted(r.get("apiGroups") or []), sorted(r.get("resources") or []), sorted(r.get("verbs") or [])]
                  for r in rules)


def _secret_data(obj: Manifest) -> dict[str, Any]:
    data = {k: base64.b64decode(val).decode() for k, val in (obj.get("data") or {}).items()}
    data.update(obj.get("stringData") or {})
    return data


def object_fields(obj: Manifest, pods: list[Manifest]) -> dict[str, Any]:
    """The fields of ``obj`` that the comparison looks at. ``pods``: every workload (for targetPorts)."""
    kind = obj["kind"]
    meta = obj["metadata"]
    fields: dict[str, Any] = {}
    if kind in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
        fields.update(_workload_fields(obj))
    elif kind == "ConfigMap":
        for key, value in (obj.get("data") or {}).items():
            fields[f"data.{key}"] = _parsed(str(key), value)
    elif kind == "Secret":
        for key, value in _secret_data(obj).items():
            fields[f"data.{key}"] = value
        fields["type"] = obj.get("type", "Opaque")
    elif kind == "Service":
        spec = obj["spec"]
        selected = [p for p in pods if _selects(spec.get("selector") or {}, p)]
        named: dict[str, int] = {}
        for p in selected:
            for c in p["spec"]["template"]["spec"]["containers"]:
                named.update(_named_ports(c))
        fields["type"] = spec.get("type", "ClusterIP")
        fields["ports"] = sorted((p.get("name"), p["port"], named.get(str(p.get("targetPort")), p.get("targetPort",
                                  p["port"])), p.get("protocol", "TCP")) for p in spec.get("ports") or [])
        fields["annotations"] = _annotations(meta)
        fields["selects"] = sorted(p["metadata"]["name"] for p in selected)
    elif kind in ("Role", "ClusterRole"):
        fields["rules"] = _rules(obj.get("rules") or [])
    elif kind in ("RoleBinding", "ClusterRoleBinding"):
        fields["subjects"] = sorted((s["kind"], s["name"], s.get("namespace")) for s in obj.get("subjects") or [])
        fields["roleRef"] = prune(obj.get("roleRef"))
    elif kind == "ServiceAccount":
        fields["annotations"] = _annotations(meta)
        fields["imagePullSecrets"] = sorted(s["name"] for s in obj.get("imagePullSecrets") or [])
    elif kind == "Ingress":
        spec = obj["spec"]
        fields["ingressClassName"] = spec.get("ingressClassName")
        fields["annotations"] = _annotations(meta)
        fields["labels"] = _labels(meta)
        fields["rules"] = prune(spec.get("rules"))
        fields["tls"] = prune(spec.get("tls"))
    fields["namespace"] = meta.get("namespace")
    pruned = {k: prune(v) for k, v in fields.items()}
    return {k: v for k, v in pruned.items() if v not in (None, {}, [])}


#: Pod labels a bitnami subchart or the library sets for itself (selectors, provenance), not the user.
OWN_POD_LABELS = ("app", "release", "role", "component", "chart", "heritage")


def _data_volume(obj: Manifest) -> Any:
    """Where a bundled service keeps its data: a claim template, an existing claim or an emptyDir."""
    claims = obj["spec"].get("volumeClaimTemplates") or []
    if claims:
        spec = claims[0]["spec"]
        return prune({"claim": {"accessModes": spec.get("accessModes"),
                                "size": spec["resources"]["requests"]["storage"],
                                "storageClassName": spec.get("storageClassName")}})
    volumes = obj["spec"]["template"]["spec"].get("volumes") or []
    for volume in volumes:
        if "persistentVolumeClaim" in volume:
            return {"existingClaim": volume["persistentVolumeClaim"]["claimName"]}
    data = [v["name"] for v in volumes if v["name"] in ("data", "redis-data") and "emptyDir" in v]
    return {"emptyDir": True} if data else None


def bundled_fields(obj: Manifest) -> dict[str, Any]:
    """What a bitnami subchart's StatefulSet and the library's own one for the same values have in
    common: the subchart keys the library supports (placement, the user's pod labels and
    annotations, the data volume, the main container's resources, the UID/groups it runs as)."""
    template = obj["spec"]["template"]
    spec = template["spec"]
    main = spec["containers"][0]
    pod_sc, sc = spec.get("securityContext") or {}, main.get("securityContext") or {}
    labels = {k: v for k, v in _labels(template.get("metadata") or {}).items()
              if k not in OWN_POD_LABELS and not k.startswith(("app.kubernetes.io/", "helm.sh/"))}
    fields = {
        "nodeSelector": prune(spec.get("nodeSelector")),
        "affinity": prune(spec.get("affinity")),
        "tolerations": prune(spec.get("tolerations")),
        "pod.labels": labels,
        "pod.annotations": _annotations(template.get("metadata") or {}),
        "data": _data_volume(obj),
        "main.resources": prune(main.get("resources")),
        "runAsUser": sc.get("runAsUser", pod_sc.get("runAsUser")),
        "fsGroup": pod_sc.get("fsGroup"),
        "supplementalGroups": pod_sc.get("supplementalGroups"),
        "namespace": obj["metadata"].get("namespace"),
    }
    return {k: v for k, v in fields.items() if v not in (None, {}, [])}


def _selects(selector: Mapping[str, str], workload: Manifest) -> bool:
    labels = (workload["spec"]["template"].get("metadata") or {}).get("labels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


@dataclass(frozen=True)
class Difference:
    kind: str
    name: str
    field: str
    chart: Any
    library: Any

    def __str__(self) -> str:
        return (f"{self.kind}/{self.name} {self.field}:\n  chart:   {json.dumps(self.chart, sort_keys=True)}\n"
                f"  library: {json.dumps(self.library, sort_keys=True)}")


def _deep_diff(path: str, chart: Any, ours: Any) -> Iterable[tuple[str, Any, Any]]:
    """Differences between two parsed documents, one per differing map key (lists compared whole)."""
    if isinstance(chart, dict) and isinstance(ours, dict):
        for key in sorted(set(chart) | set(ours), key=str):
            yield from _deep_diff(f"{path}.{key}", chart.get(key), ours.get(key))
    elif chart != ours:
        yield path, chart, ours


def _workloads(objs: Iterable[Manifest]) -> list[Manifest]:
    return [o for o in objs if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet")]


def compare(chart: Iterable[Rendered], ours: Iterable[Manifest], namespace: str) -> list[Difference]:
    """Every semantic difference between the chart's render and the library's output.

    Objects of the bitnami subcharts are compared by kind and name only (the library deploys
    the official images' StatefulSets instead), except their Services, which are an interface,
    and their StatefulSets, compared on what the supported subchart keys mean (:func:`bundled_fields`).
    """
    chart = list(chart)
    ours = list(ours)
    chart_objs = [r.obj for r in chart]
    for obj in chart_objs:  # `helm template` leaves the namespace to `helm install`
        if obj["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
            obj["metadata"].setdefault("namespace", namespace)
    shallow = {(r.obj["kind"], r.obj["metadata"]["name"]) for r in chart
               if r.from_bitnami_subchart and r.obj["kind"] != "Service"}
    ref = {(o["kind"], o["metadata"]["name"]): o for o in chart_objs}
    # The library's migrate Job ends in a hash of its spec (so a changed Job can be applied).
    out = {(o["kind"], re.sub(r"(-instance-migrate)-[0-9a-f]{8}$", r"\1", o["metadata"]["name"])
            if o["kind"] == "Job" else o["metadata"]["name"]): o for o in ours}
    chart_pods, our_pods = _workloads(chart_objs), _workloads(ours)
    diffs: list[Difference] = []
    for key in sorted(set(ref) | set(out)):
        kind, name = key
        if key not in out or key not in ref:
            diffs.append(Difference(kind, name, "exists", key in ref, key in out))
            continue
        if key in shallow and kind != "StatefulSet":
            continue
        if key in shallow:  # a bundled service: what its subchart keys mean, not how it is built
            mine, theirs = bundled_fields(out[key]), bundled_fields(ref[key])
        else:
            mine, theirs = object_fields(out[key], our_pods), object_fields(ref[key], chart_pods)
        for field in sorted(set(mine) | set(theirs)):
            a, b = same_version(theirs.get(field)), mine.get(field)
            if a == b:
                continue
            if isinstance(a, dict) and isinstance(b, dict) and field.startswith(("data.", "main.env", "sidecar")):
                diffs.extend(Difference(kind, name, sub, x, y) for sub, x, y in _deep_diff(field, a, b))
            else:
                diffs.append(Difference(kind, name, field, a, b))
    return diffs


# ---- the matrix --------------------------------------------------------------------------------
MATRIX = Path(__file__).parent / "values_matrix"
_HEADER = re.compile(r"^#\s*oracle:\s*(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class MatrixCase:
    name: str
    path: Path
    release: str = "dagster"
    namespace: str = "default"

    @property
    def values(self) -> dict[str, Any]:
        loaded = yaml.safe_load(self.path.read_text()) or {}
        assert isinstance(loaded, dict)
        return loaded


def matrix_cases() -> list[MatrixCase]:
    """Every values file of the matrix; a ``# oracle: release=R namespace=N`` line sets the release."""
    cases = []
    for path in sorted(MATRIX.glob("*.yaml")):
        options: dict[str, str] = {}
        header = _HEADER.search(path.read_text())
        if header:
            options = dict(item.split("=", 1) for item in header.group(1).split())
        cases.append(MatrixCase(name=path.stem, path=path, **options))
    return cases
