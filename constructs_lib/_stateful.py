"""A single-replica StatefulSet with its Services: the shape of every bundled backing service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from constructs import Construct

from ._manifest import Json, manifest
from .errors import ConfigError, check_dns1123_subdomain, check_non_empty
from .security_profile import ProcessNeeds
from .workload import WorkloadOptions, build_pod_template

__all__ = ["ACCESS_MODES", "Persistence", "stateful_service"]

ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")


@dataclass(frozen=True, kw_only=True)
class Persistence:
    """Where a bundled service keeps its data.

    Args:
        enabled: keep the data on a PersistentVolumeClaim; ``False`` keeps it in an
            ``emptyDir`` (lost with the pod). @default ``True``
        size: size of the claim. @default ``8Gi``
        storage_class: StorageClass of the claim; ``"-"`` asks for none
            (``storageClassName: ""``), as Helm charts spell it. @default the cluster default
        access_modes: @default ``("ReadWriteOnce",)``
        existing_claim: use this existing PersistentVolumeClaim instead of creating one.
            @default none
    """

    enabled: bool = True
    size: str = "8Gi"
    storage_class: str | None = None
    access_modes: Sequence[str] = ("ReadWriteOnce",)
    existing_claim: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise ConfigError("Persistence.enabled", self.enabled, "true or false")
        check_non_empty("Persistence.size", self.size)
        if self.storage_class is not None and self.storage_class != "-":
            check_dns1123_subdomain("Persistence.storage_class", self.storage_class)
        if isinstance(self.access_modes, str) or not self.access_modes:
            raise ConfigError("Persistence.access_modes", self.access_modes,
                              "a non-empty list of " + ", ".join(ACCESS_MODES))
        for mode in self.access_modes:
            if mode not in ACCESS_MODES:
                raise ConfigError("Persistence.access_modes", mode, "one of " + ", ".join(ACCESS_MODES))
        if self.existing_claim is not None:
            check_dns1123_subdomain("Persistence.existing_claim", self.existing_claim)

    def claim_spec(self) -> Json:
        spec: Json = {"accessModes": list(self.access_modes), "resources": {"requests": {"storage": self.size}}}
        if self.storage_class is not None:
            spec["storageClassName"] = "" if self.storage_class == "-" else self.storage_class
        return spec


def stateful_service(
    scope: Construct,
    *,
    name: str,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    container: Json,
    service_ports: Sequence[Json],
    data_mount_path: str,
    persistence: Persistence,
    options: WorkloadOptions,
    needs: ProcessNeeds,
    image_pull_secrets: Sequence[str] = (),
    volumes: Sequence[Json] = (),
) -> None:
    """StatefulSet ``name`` with its ``data`` volume, Service ``name`` and ``name-headless``.

    The data volume is a claim template, the ``existing_claim`` or an ``emptyDir``, by ``persistence``.
    """
    container = {**container, "volumeMounts": [{"name": "data", "mountPath": data_mount_path},
                                               *container.get("volumeMounts", [])]}
    claim_templates: list[Json] = []
    data: list[Json] = []
    if not persistence.enabled:
        data.append({"name": "data", "emptyDir": {}})
    elif persistence.existing_claim:
        data.append({"name": "data", "persistentVolumeClaim": {"claimName": persistence.existing_claim}})
    else:
        claim_templates.append({"metadata": {"name": "data"}, "spec": persistence.claim_spec()})
    template = build_pod_template(selector=selector, options=options, containers=[container],
                                  volumes=[*data, *volumes], automount_service_account_token=False,
                                  image_pull_secrets=image_pull_secrets,
                                  claim_names=["data"] if claim_templates else [], needs=needs)
    manifest(scope, "headless", "Service", name=f"{name}-headless", labels=labels, body={
        "spec": {"clusterIP": "None", "ports": list(service_ports), "selector": dict(selector)},
    })
    manifest(scope, "service", "Service", name=name, labels=labels, body={
        "spec": {"type": "ClusterIP", "ports": list(service_ports), "selector": dict(selector)},
    })
    spec: Json = {
        "serviceName": f"{name}-headless",
        "replicas": 1,
        "selector": {"matchLabels": dict(selector)},
        "template": template,
    }
    if claim_templates:
        spec["volumeClaimTemplates"] = claim_templates
    manifest(scope, "statefulset", "StatefulSet", name=name,
             labels={**labels, **options.workload_labels},
             annotations=options.workload_annotations or None, body={"spec": spec})
