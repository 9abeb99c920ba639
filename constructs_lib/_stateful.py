"""A single-replica StatefulSet with its Services: the shape of every bundled backing service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from constructs import Construct

from ._manifest import Json, manifest
from .security_profile import ProcessNeeds
from .workload import WorkloadOptions, build_pod_template


def stateful_service(
    scope: Construct,
    *,
    name: str,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    container: Json,
    service_ports: Sequence[Json],
    data_mount_path: str,
    storage_size: str,
    storage_class: str | None,
    options: WorkloadOptions,
    needs: ProcessNeeds,
    image_pull_secrets: Sequence[str] = (),
    volumes: Sequence[Json] = (),
) -> None:
    """StatefulSet ``name`` with a ``data`` PVC template, Service ``name`` and ``name-headless``."""
    container = {**container, "volumeMounts": [{"name": "data", "mountPath": data_mount_path},
                                               *container.get("volumeMounts", [])]}
    template = build_pod_template(selector=selector, options=options, containers=[container], volumes=volumes,
                                  automount_service_account_token=False,
                                  image_pull_secrets=image_pull_secrets, claim_names=["data"],
                                  needs=needs)
    claim_spec: Json = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage_size}}}
    if storage_class:
        claim_spec["storageClassName"] = storage_class
    manifest(scope, "headless", "Service", name=f"{name}-headless", labels=labels, body={
        "spec": {"clusterIP": "None", "ports": list(service_ports), "selector": dict(selector)},
    })
    manifest(scope, "service", "Service", name=name, labels=labels, body={
        "spec": {"type": "ClusterIP", "ports": list(service_ports), "selector": dict(selector)},
    })
    manifest(scope, "statefulset", "StatefulSet", name=name,
             labels={**labels, **options.workload_labels},
             annotations=options.workload_annotations or None, body={
        "spec": {
            "serviceName": f"{name}-headless",
            "replicas": 1,
            "selector": {"matchLabels": dict(selector)},
            "template": template,
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": claim_spec}],
        },
    })
