"""Cross-reference checks over the objects of one synthesized output.

Each ``check_*`` function takes the objects (and, where the output may point outside itself,
the :class:`Externals` the configuration declares) and returns a list of problems, one
:class:`~.findings.Finding` each (a readable string naming the object, the field and the
value); an empty list means the check passed.

Namespaces: an object without ``metadata.namespace`` lands where ``kubectl apply`` puts it;
the checks assume that is ``default`` (:data:`~.manifests.DEFAULT_NAMESPACE`), the namespace
Dagster launches runs in when none is configured.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from constructs_lib import (
    BACKEND_URL_ENV,
    BROKER_URL_ENV,
    BrokerConnection,
    CeleryK8sRunLauncher,
    CodeLocationSettings,
    DagsterSystemConfig,
    ExternalPostgreSqlSettings,
    K8sRunLauncher,
    RabbitMqSettings,
    RedisSettings,
    WorkloadOptions,
)
from constructs_lib.rabbitmq import RABBITMQ_CONF_KEY

from .findings import Finding
from .manifests import (
    DEFAULT_NAMESPACE,
    UNSELECTED_KINDS,
    Index,
    Manifest,
    container_paths,
    containers,
    embedded_yaml_files,
    env_refs,
    iter_mappings_with_key,
    namespace_of,
    object_data_keys,
    pod_labels,
    pod_spec,
    pod_template_path,
    ref,
    secret_value,
    selector_matches,
    url_endpoint,
    workloads,
)

__all__ = [
    "LAUNCHED_RUN",
    "LAUNCHER_NEEDS",
    "Externals",
    "check_ingress_backends",
    "check_launcher_rbac",
    "check_mounted_config_env",
    "check_network_endpoints",
    "check_object_references",
    "check_service_selectors",
    "check_workload_selectors",
    "declared_externals",
    "launched_run_jobs",
]

_ALL = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_READ = ("get", "list", "watch")
#: ``(apiGroup, resource) -> verbs`` Dagster's K8s run launchers and executors use. Written out
#: here, independently of the library's own rules, so the check is not a tautology.
LAUNCHER_NEEDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("batch", "jobs"): _ALL,
    ("batch", "jobs/status"): _READ,
    ("", "pods"): _ALL,
    ("", "events"): _ALL,
    ("", "pods/log"): _READ,
    ("", "pods/status"): _READ,
}
#: Run launchers (``module`` of dagster.yaml's ``run_launcher``) that launch Kubernetes Jobs.
K8S_LAUNCHER_MODULES = ("dagster_k8s", "dagster_celery_k8s")
#: The Secret key dagster-k8s reads ``postgres_password_secret`` from (dagster_k8s/job.py).
DAGSTER_K8S_PG_PASSWORD_KEY = "postgresql-password"
_CONTAINER_CONTEXT_ENV = "DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT"


# ---- what the configuration declares to exist outside the output -----------------------------
@dataclass(frozen=True)
class Externals:
    """Objects and hosts the configuration says exist outside the synthesized output."""

    config_maps: frozenset[str] = frozenset()
    secrets: frozenset[str] = frozenset()
    service_accounts: frozenset[str] = frozenset()
    persistent_volume_claims: frozenset[str] = frozenset()
    hosts: frozenset[tuple[str, int]] = frozenset()
    #: ``(Secret, key)`` the configuration says an external Secret holds (where it says so).
    secret_keys: frozenset[tuple[str, str]] = frozenset()

    def names(self, kind: str) -> frozenset[str]:
        return {
            "ConfigMap": self.config_maps,
            "Secret": self.secrets,
            "ServiceAccount": self.service_accounts,
            "PersistentVolumeClaim": self.persistent_volume_claims,
        }.get(kind, frozenset())

    def keys(self, kind: str, name: str) -> frozenset[str] | None:
        """The keys an external object is declared to hold, ``None`` if the config does not say."""
        keys = frozenset(k for s, k in self.secret_keys if s == name) if kind == "Secret" else frozenset()
        return keys or None


def _dataclasses_in(value: Any) -> Iterator[Any]:
    """Every dataclass instance in a configuration tree (``value`` included)."""
    if is_dataclass(value) and not isinstance(value, type):
        yield value
        for f in fields(value):
            yield from _dataclasses_in(getattr(value, f.name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _dataclasses_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _dataclasses_in(item)


def _volume_sources(volumes: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, str, bool]]:
    """``(kind, name, optional)`` of every ConfigMap, Secret and PVC pod volumes name."""
    for volume in volumes:
        sources = [volume, *((volume.get("projected") or {}).get("sources") or [])]
        for source in sources:
            if "configMap" in source:
                yield "ConfigMap", source["configMap"]["name"], bool(source["configMap"].get("optional"))
            if "secret" in source:
                secret = source["secret"]
                yield "Secret", secret.get("secretName") or secret.get("name"), bool(secret.get("optional"))
        if "persistentVolumeClaim" in volume:
            yield "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"], False


def _volume_item_keys(volume: Mapping[str, Any], kind: str, name: str | None) -> list[str | None]:
    """The keys the ``items`` of ``volume``'s source ``kind``/``name`` project (none: every key)."""
    field = {"ConfigMap": "configMap", "Secret": "secret"}.get(kind)
    keys: list[str | None] = []
    for source in [volume, *((volume.get("projected") or {}).get("sources") or [])]:
        ref = source.get(field) if field else None
        if ref is not None and (ref.get("secretName") or ref.get("name")) == name:
            keys += [item.get("key") for item in ref.get("items") or []]
    return keys


def _container_references(container: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(kind, name)`` of the ConfigMaps and Secrets a container's ``env`` and ``envFrom`` name."""
    for var in container.get("env") or []:
        value_from = var.get("valueFrom") or {}
        for kind, field in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
            if field in value_from:
                yield kind, value_from[field]["name"]
    for source in container.get("envFrom") or []:
        for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if field in source:
                yield kind, source[field]["name"]


def declared_externals(config: DagsterSystemConfig) -> Externals:
    """What ``config`` names that the library does not create: existing Secrets and
    ServiceAccounts, external databases, brokers and code servers, the user's own ConfigMaps,
    Secrets and volumes (of workloads and of extra containers)."""
    config_maps: set[str] = set()
    secrets: set[str] = set(config.image_pull_secrets)
    service_accounts: set[str] = set()
    claims: set[str] = set()
    hosts: set[tuple[str, int]] = set()
    secret_keys: set[tuple[str, str]] = set()

    postgres = config.postgresql
    if postgres.existing_secret is not None:
        secrets.add(postgres.existing_secret.name)
        secret_keys.add((postgres.existing_secret.name, postgres.existing_secret.key))
    if isinstance(postgres, ExternalPostgreSqlSettings):
        hosts.add((postgres.host, postgres.port))
    broker = config.broker
    if isinstance(broker, BrokerConnection):
        for url in (broker.broker_url, broker.backend_url):
            endpoint = url_endpoint(url)
            if endpoint is not None:
                hosts.add(endpoint)
        if broker.host is not None and broker.port is not None:
            hosts.add((broker.host, broker.port))
    if isinstance(broker, RedisSettings) and not broker.bundled and broker.host is not None:
        hosts.add((broker.host, broker.port))
    if isinstance(broker, (RabbitMqSettings, RedisSettings)) and broker.existing_secret is not None:
        existing = broker.existing_secret
        secrets.add(existing.name)
        secret_keys.add((existing.name, existing.key))
        if isinstance(broker, RabbitMqSettings):
            if broker.existing_secret_username_key:
                secret_keys.add((existing.name, broker.existing_secret_username_key))
            secret_keys.add((existing.name, RABBITMQ_CONF_KEY))  # read only under the hardened profile
    if config.celery_config_secret_name is not None:
        secrets.add(config.celery_config_secret_name)
        secret_keys |= {(config.celery_config_secret_name, key) for key in (BROKER_URL_ENV, BACKEND_URL_ENV)}
    if config.external_workspace_config_map is not None:
        config_maps.add(config.external_workspace_config_map)
    hosts.update((location.host, location.port) for location in config.workspace_locations or ())
    if not config.rbac.create_service_account:
        service_accounts.add(config.rbac.service_account_name or config.release.service_account)
        service_accounts.add(config.release.user_code_service_account)
    launcher = config.run_launcher
    if isinstance(launcher, (K8sRunLauncher, CeleryK8sRunLauncher)):
        if launcher.service_account_name:
            service_accounts.add(launcher.service_account_name)
        config_maps.update(launcher.env_config_maps)
        secrets.update(launcher.env_secrets)
        secrets.update(launcher.image_pull_secrets)
    by_kind = {"ConfigMap": config_maps, "Secret": secrets, "PersistentVolumeClaim": claims}
    for settings in _dataclasses_in(config):
        if isinstance(settings, WorkloadOptions):
            config_maps.update(settings.env_config_maps)
            secrets.update(settings.env_secrets)
            secrets.update(settings.image_pull_secrets)
            env = [] if isinstance(settings.env, Mapping) else settings.env
            for kind, name in _container_references({"env": env}):
                by_kind[kind].add(name)
            for kind, name, _ in _volume_sources(settings.volumes):
                by_kind[kind].add(name)
        if isinstance(settings, CodeLocationSettings):
            for container in [*settings.init_containers, *settings.sidecar_containers]:
                for kind, name in _container_references(container):
                    by_kind[kind].add(name)
    return Externals(frozenset(config_maps), frozenset(secrets), frozenset(service_accounts),
                     frozenset(claims), frozenset(hosts), frozenset(secret_keys))


# ---- selectors --------------------------------------------------------------------------------
def check_workload_selectors(objects: list[Manifest]) -> list[Finding]:
    """Each workload's selector matches its own pod template and no other workload's pods.

    A Job (or CronJob) without ``spec.selector`` gets a unique generated one, so it is only
    checked as a target of the other workloads' selectors.
    """
    problems: list[Finding] = []
    all_workloads = workloads(objects)
    for workload in all_workloads:
        selector = workload["spec"].get("selector")
        if selector is None:
            if workload["kind"] not in UNSELECTED_KINDS:
                problems.append(Finding(f"{ref(workload)}: no spec.selector", object=ref(workload),
                                        field="spec.selector", value=None))
            continue
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            problems.append(Finding(f"{ref(workload)}: empty selector (it selects every pod)", object=ref(workload),
                                    field="spec.selector", value=selector))
            continue
        if not selector_matches(selector, pod_labels(workload)):
            problems.append(Finding(f"{ref(workload)}: selector {selector} does not match its own pod template "
                                    f"labels {pod_labels(workload)}", object=ref(workload), field="spec.selector",
                                    value=selector))
        for other in all_workloads:
            if other is not workload and namespace_of(other) == namespace_of(workload) \
                    and selector_matches(selector, pod_labels(other)):
                problems.append(Finding(f"{ref(workload)}: selector {selector} also matches the pods of {ref(other)}",
                                        object=ref(workload), field="spec.selector", value=selector))
    return problems


def check_service_selectors(objects: list[Manifest]) -> list[Finding]:
    """Each Service selects the pods of exactly one workload, and each of its ports targets a
    port (by number or name) that workload's containers declare."""
    problems: list[Finding] = []
    all_workloads = workloads(objects)
    for service in Index(objects).of_kind("Service"):
        spec = service["spec"]
        if spec.get("type") == "ExternalName":
            continue
        selector = spec.get("selector") or {}
        if not selector:
            problems.append(Finding(f"{ref(service)}: no selector", object=ref(service), field="spec.selector",
                                    value=None))
            continue
        selected = [w for w in all_workloads if namespace_of(w) == namespace_of(service)
                    and all(pod_labels(w).get(k) == v for k, v in selector.items())]
        if len(selected) != 1:
            problems.append(Finding(f"{ref(service)}: selector {selector} selects {len(selected)} workloads "
                                    f"({', '.join(ref(w) for w in selected) or 'none'}), expected exactly one",
                                    object=ref(service), field="spec.selector", value=selector))
            continue
        workload = selected[0]
        declared = [p for c in containers(pod_spec(workload), init=False) for p in c.get("ports") or []]
        for number, port in enumerate(spec.get("ports") or []):
            target = port.get("targetPort", port["port"])
            field = "containerPort" if isinstance(target, int) else "name"
            if not any(p.get(field) == target for p in declared):
                problems.append(Finding(
                    f"{ref(service)}: port {port.get('name', port['port'])!r} targets {target!r}, which no "
                    f"container of {ref(workload)} declares (declared: "
                    f"{[(p.get('name'), p['containerPort']) for p in declared]})",
                    object=ref(service), field=f"spec.ports[{number}].targetPort", value=target))
    return problems


def check_ingress_backends(objects: list[Manifest]) -> list[Finding]:
    """Each Ingress backend is a Service of the output with that port (number or name)."""
    index = Index(objects)
    problems: list[Finding] = []
    for ingress in index.of_kind("Ingress"):
        spec = ingress["spec"]
        backends = [("spec.defaultBackend", spec["defaultBackend"])] if "defaultBackend" in spec else []
        backends += [(f"spec.rules[{r}].http.paths[{p}].backend", path["backend"])
                     for r, rule in enumerate(spec.get("rules") or [])
                     for p, path in enumerate((rule.get("http") or {}).get("paths") or [])]
        for at, backend in backends:
            if "service" not in backend:
                continue
            name, port = backend["service"]["name"], backend["service"]["port"]
            service = index.get("Service", namespace_of(ingress), name)
            if service is None:
                problems.append(Finding(f"{ref(ingress)}: backend Service {name!r} is not in the output",
                                        object=ref(ingress), field=f"{at}.service.name", value=name))
            elif not any(("number" in port and p["port"] == port["number"])
                         or ("name" in port and p.get("name") == port["name"])
                         for p in service["spec"].get("ports") or []):
                problems.append(Finding(f"{ref(ingress)}: backend port {port} is not a port of Service {name!r}",
                                        object=ref(ingress), field=f"{at}.service.port", value=port))
    return problems


# ---- object references ----------------------------------------------------------------------
class _References:
    """Checks one pod's references against the output and the declared externals."""

    def __init__(self, index: Index, externals: Externals, problems: list[Finding]) -> None:
        self.index = index
        self.externals = externals
        self.problems = problems

    def require(self, where: str, namespace: str, kind: str, name: str | None, *, via: str, obj: str,
                field: str, optional: bool = False, key: str | None = None, key_field: str = "") -> None:
        """``field``: the path of the field naming the object (``key_field``: of the key read)."""
        if not name:
            self.problems.append(Finding(f"{where}: {via} names no {kind}", object=obj, field=field, value=name))
            return
        found = self.index.get(kind, namespace, name)
        if found is None and not optional and name not in self.externals.names(kind):
            self.problems.append(Finding(f"{where}: {via} refers to {kind} {name!r}, which is neither in the output "
                                         f"(namespace {namespace}) nor declared external by the configuration",
                                         object=obj, field=field, value=name))
            return
        keys = object_data_keys(found) if found is not None else self.externals.keys(kind, name)
        if key is not None and keys is not None and key not in keys and not optional:
            self.problems.append(Finding(
                f"{where}: {via} reads key {key!r} of {kind} {name!r}, which has no such key "
                f"(keys{'' if found is not None else ' the configuration declares'}: {sorted(keys)})",
                object=obj, field=key_field, value=key))

    def pod(self, workload: Manifest) -> None:
        where, namespace, spec = ref(workload), namespace_of(workload), pod_spec(workload)
        pod = f"{pod_template_path(workload)}.spec"
        if spec.get("serviceAccountName"):
            self.require(where, namespace, "ServiceAccount", spec["serviceAccountName"], via="serviceAccountName",
                         obj=where, field=f"{pod}.serviceAccountName")
        for number, pull_secret in enumerate(spec.get("imagePullSecrets") or []):
            self.require(where, namespace, "Secret", pull_secret.get("name"), via="imagePullSecrets",
                         obj=where, field=f"{pod}.imagePullSecrets[{number}].name")
        volumes = spec.get("volumes") or []
        for number, volume in enumerate(volumes):
            for kind, name, optional in _volume_sources([volume]):
                keys = _volume_item_keys(volume, kind, name) or [None]
                for key in keys:  # each key of `items` (a missing one fails the pod's volume set-up)
                    self.require(where, namespace, kind, name, via=f"volume {volume['name']!r}", optional=optional,
                                 obj=where, field=f"{pod}.volumes[{number}]", key=key,
                                 key_field=f"{pod}.volumes[{number}]")
                    if key is not None and self.index.get(kind, namespace, name) is None:
                        break  # the object itself is missing: said once
        claims = [t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates") or []]
        mountable = {v["name"] for v in volumes} | set(claims)
        for path, container in container_paths(spec):
            at, path = f"{where} container {container['name']!r}", f"{pod}.{path}"
            for number, mount in enumerate(container.get("volumeMounts") or []):
                if mount["name"] not in mountable:
                    self.problems.append(Finding(f"{at}: volumeMount {mount['name']!r} is neither a volume nor a "
                                                 f"volumeClaimTemplate of the pod", object=where,
                                                 field=f"{path}.volumeMounts[{number}].name", value=mount["name"]))
            for number, var in enumerate(container.get("env") or []):
                value_from = var.get("valueFrom") or {}
                for kind, field in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    if field in value_from:
                        key_ref, ref_path = value_from[field], f"{path}.env[{number}].valueFrom.{field}"
                        self.require(at, namespace, kind, key_ref.get("name"), via=f"env {var['name']}",
                                     optional=bool(key_ref.get("optional")), key=key_ref.get("key"),
                                     obj=where, field=f"{ref_path}.name", key_field=f"{ref_path}.key")
            for number, source in enumerate(container.get("envFrom") or []):
                for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    if field in source:
                        self.require(at, namespace, kind, source[field].get("name"), via="envFrom",
                                     optional=bool(source[field].get("optional")), obj=where,
                                     field=f"{path}.envFrom[{number}].{field}.name")


def check_object_references(objects: list[Manifest], externals: Externals) -> list[Finding]:
    """Every ConfigMap, Secret, ServiceAccount and PVC a pod names (volumes, env ``valueFrom``,
    ``envFrom``, ``serviceAccountName``, ``imagePullSecrets``) exists in the output (with the key
    read) or is declared external; ``optional: true`` references may be missing. Volume mounts
    name a volume or a StatefulSet ``volumeClaimTemplate``.

    Includes the pods launched runs get (:func:`launched_run_jobs`): what the run launcher
    names must exist in the namespace runs are launched in.
    """
    problems: list[Finding] = []
    checker = _References(Index(objects), externals, problems)
    for workload in _pods(objects):
        checker.pod(workload)
    return problems


# ---- env that mounted config files read -------------------------------------------------------
def _env_names(container: Manifest, index: Index, namespace: str, externals: Externals) -> set[str]:
    """Env var names a container gets: ``env``, and the keys of its ``envFrom`` objects (those
    of the output, and those the configuration declares for external ones)."""
    names = {var["name"] for var in container.get("env") or []}
    for source in container.get("envFrom") or []:
        for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if field in source:
                name = source[field].get("name", "")
                obj = index.get(kind, namespace, name)
                keys = object_data_keys(obj) if obj is not None else externals.keys(kind, name) or set()
                names |= {source.get("prefix", "") + key for key in keys}
    return names


def _mounted_yaml(workload: Manifest, container: Manifest, index: Index) -> Iterator[tuple[str, set[str]]]:
    """``(file, env names it reads)`` for each YAML ConfigMap key the container mounts."""
    volumes = {v["name"]: v for v in pod_spec(workload).get("volumes") or []}
    for mount in container.get("volumeMounts") or []:
        source = volumes.get(mount["name"], {}).get("configMap")
        config_map = index.get("ConfigMap", namespace_of(workload), source["name"]) if source else None
        if source is None or config_map is None:
            continue
        keys = [mount["subPath"]] if mount.get("subPath") else \
            [item["key"] for item in source.get("items") or []] or list(config_map.get("data") or {})
        for file in embedded_yaml_files([config_map]):
            if file.key in keys:
                yield file.where, env_refs(file.load())


def check_mounted_config_env(objects: list[Manifest], externals: Externals) -> list[Finding]:
    """Every env var a mounted config file (``dagster.yaml``, ``celery.yaml``, ...) reads with
    ``{env: NAME}`` is set in the container that mounts it: by ``env`` or by the ``envFrom`` of
    a ConfigMap or Secret of the output whose data has that key (or an external Secret the
    configuration declares that key of). Includes the pods launched runs get
    (:func:`launched_run_jobs`)."""
    index = Index(objects)
    problems: list[Finding] = []
    for workload in _pods(objects):
        for path, container in container_paths(pod_spec(workload)):
            provided = _env_names(container, index, namespace_of(workload), externals)
            for file, needed in _mounted_yaml(workload, container, index):
                for name in sorted(needed - provided):
                    problems.append(Finding(f"{ref(workload)} container {container['name']!r}: {file} reads env "
                                            f"{name}, which the container does not set", object=ref(workload),
                                            field=f"{pod_template_path(workload)}.spec.{path}.env", value=name))
    return problems


# ---- hosts and ports --------------------------------------------------------------------------
#: ``(where, field, host, port, holder)``: ``field`` is the ConfigMap's or Secret's data key.
_Endpoint = tuple[str, str, str, str | int, Manifest]


def _endpoints(objects: list[Manifest]) -> Iterator[_Endpoint]:
    """Every network endpoint the config files and the Celery config Secret name."""
    for file in embedded_yaml_files(objects):
        content, field = file.load(), f"data[{file.key}]"
        for block in iter_mappings_with_key(content, "postgres_db"):
            db = block["postgres_db"]
            yield f"{file.where} postgres_db", field, db.get("hostname", ""), db.get("port", 5432), file.config_map
        for block in iter_mappings_with_key(content, "grpc_server"):
            server = block["grpc_server"]
            yield (f"{file.where} grpc_server {server.get('location_name')!r}", field, server.get("host", ""),
                   server.get("port", ""), file.config_map)
        for key in ("broker", "backend", "postgres_url"):
            for block in iter_mappings_with_key(content, key):
                if isinstance(block[key], str):
                    yield from _url_endpoints(f"{file.where} {key}", field, block[key], file.config_map)
    for secret in Index(objects).of_kind("Secret"):
        for key in (BROKER_URL_ENV, BACKEND_URL_ENV):
            value = secret_value(secret, key)
            if value is not None:
                yield from _url_endpoints(f"{ref(secret)}[{key}]", f"data[{key}]", value, secret)


def _url_endpoints(where: str, field: str, url: str, holder: Manifest) -> Iterator[_Endpoint]:
    try:
        endpoint = url_endpoint(url)
    except ValueError as error:  # the message names the scheme, never the credentials
        yield f"{where} ({error})", field, "", "", holder
        return
    if endpoint is not None:
        yield where, field, endpoint[0], endpoint[1], holder


def _service_for_host(host: str, namespace: str) -> tuple[str, str] | None:
    """``(namespace, name)`` of the Service a cluster DNS name denotes, if it is one."""
    parts = host.split(".")
    if len(parts) == 1:
        return namespace, parts[0]
    if len(parts) == 2 or parts[2] == "svc":
        return parts[1], parts[0]
    return None


def check_network_endpoints(objects: list[Manifest], externals: Externals) -> list[Finding]:
    """Every host and port in ``dagster.yaml`` (PostgreSQL), ``workspace.yaml`` (gRPC) and the
    Celery broker/backend URLs is a Service of the output with that port, or declared external."""
    services = {(namespace_of(s), s["metadata"]["name"]): {p["port"] for p in s["spec"].get("ports") or []}
                for s in Index(objects).of_kind("Service")}
    problems: list[Finding] = []
    for where, field, host, port, holder in _endpoints(objects):
        if not host or not isinstance(port, int) or isinstance(port, bool):
            problems.append(Finding(f"{where}: no valid host and port (host {host!r}, port {port!r})",
                                    object=ref(holder), field=field, value=f"{host}:{port}"))
            continue
        if (host, port) in externals.hosts:
            continue
        service = _service_for_host(host, namespace_of(holder))
        if service is None or service not in services:
            problems.append(Finding(f"{where}: {host}:{port} is neither a Service of the output nor a declared "
                                    "external host", object=ref(holder), field=field, value=f"{host}:{port}"))
        elif port not in services[service]:
            problems.append(Finding(f"{where}: Service {service[1]!r} has no port {port} (ports: "
                                    f"{sorted(services[service])})", object=ref(holder), field=field,
                                    value=f"{host}:{port}"))
    return problems


# ---- what launched runs get -------------------------------------------------------------------
#: Annotation marking the Job objects :func:`launched_run_jobs` models (they are not synthesized).
LAUNCHED_RUN = "validation.dagster-cdk8s/launched-run"


def _mounts_instance(workload: Manifest, index: Index) -> bool:
    return any(file.endswith("[dagster.yaml]") for c in containers(pod_spec(workload))
               for file, _ in _mounted_yaml(workload, c, index))


def _k8s_launcher_config(objects: list[Manifest], index: Index) -> dict[str, Any] | None:
    """The config of dagster.yaml's run launcher if it launches Kubernetes Jobs (plus its
    ``module``), each ``{env: NAME}`` resolved to the literal value the launcher's pods (those
    mounting dagster.yaml) set (a ``fieldRef`` to ``metadata.namespace``: the pod's namespace),
    ``None`` where they set none."""
    instance_files = embedded_yaml_files(objects, "dagster.yaml")
    if len(instance_files) != 1:
        return None
    launcher = instance_files[0].load().get("run_launcher") or {}
    if launcher.get("module") not in K8S_LAUNCHER_MODULES:
        return None
    env: dict[str, str] = {}
    for workload in workloads(objects):
        if not _mounts_instance(workload, index):
            continue
        for container in containers(pod_spec(workload), init=False):
            for source in container.get("envFrom") or []:
                name = (source.get("configMapRef") or {}).get("name", "")
                env.update((index.get("ConfigMap", namespace_of(workload), name) or {}).get("data") or {})
            env.update({v["name"]: v["value"] for v in container.get("env") or [] if "value" in v})
            # the downward API: the pod's own namespace (where the run launcher then launches)
            env.update({v["name"]: namespace_of(workload) for v in container.get("env") or []
                        if ((v.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath") == "metadata.namespace"})

    def resolve(value: Any) -> Any:
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return env.get(value["env"]) if isinstance(value, Mapping) and set(value) == {"env"} else value

    config = {key: resolve(value) for key, value in (launcher.get("config") or {}).items()}
    return {**config, "module": launcher["module"]}


def _container_contexts(objects: list[Manifest]) -> list[tuple[str, Mapping[str, Any]]]:
    """``(code location workload name, k8s container context)`` of each code server passing one."""
    contexts = []
    for workload in workloads(objects):
        for container in containers(pod_spec(workload), init=False):
            for var in container.get("env") or []:
                if var["name"] == _CONTAINER_CONTEXT_ENV and "value" in var:
                    contexts.append((workload["metadata"]["name"], json.loads(var["value"]).get("k8s") or {}))
    return contexts


#: ``run_k8s_config`` parts (Dagster's ``UserDefinedDagsterK8sConfig``, camelCase here) and their Kubernetes types.
_RUN_K8S_PARTS = {"containerConfig": "Container", "podSpecConfig": "PodSpec", "podTemplateSpecMetadata": "ObjectMeta",
                  "jobConfig": "Job", "jobMetadata": "ObjectMeta", "jobSpecConfig": "JobSpec"}
#: ``run_k8s_config`` keys of dagster.yaml and container contexts -> the parts above.
_RUN_K8S_CONFIG_KEYS = {"container_config": "containerConfig", "pod_spec_config": "podSpecConfig",
                        "pod_template_spec_metadata": "podTemplateSpecMetadata", "job_config": "jobConfig",
                        "job_metadata": "jobMetadata", "job_spec_config": "jobSpecConfig"}


#: Lists Dagster's deep merge replaces instead of concatenating (``ALWAYS_SHALLOW_MERGE_LIST_FIELDS``).
_REPLACED_LISTS = ("command", "args")


def _deep_merge(onto: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Dagster's default (``DEEP``) merge of two k8s configs: mappings merged, lists concatenated
    without duplicates, scalars (and ``command``/``args``) replaced by ``given``'s."""
    out = dict(onto)
    for key, value in given.items():
        if key in out and isinstance(value, list) and key not in _REPLACED_LISTS and isinstance(out[key], list):
            out[key] = [*out[key], *(v for v in value if v not in out[key])]
        elif key in out and isinstance(value, Mapping) and isinstance(out[key], Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _user_defined_k8s_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A run launcher's config or a code location's container context as the k8s config it becomes
    for a run (``K8sContainerContext``: its top-level fields as container, pod spec and metadata
    config, merged with its ``run_k8s_config``), in the API's camelCase."""
    from ..apiserver import dagster_k8s_camel_case

    container: dict[str, Any] = {}
    pod: dict[str, Any] = {}
    labels = dict(config.get("labels") or {})
    if config.get("volume_mounts"):
        container["volumeMounts"] = [dagster_k8s_camel_case(m, "VolumeMount") for m in config["volume_mounts"]]
    if config.get("resources"):
        container["resources"] = dagster_k8s_camel_case(config["resources"], "ResourceRequirements")
    if config.get("image_pull_policy"):
        container["imagePullPolicy"] = config["image_pull_policy"]
    if config.get("security_context"):
        container["securityContext"] = dagster_k8s_camel_case(config["security_context"], "SecurityContext")
    env_from = [*({"configMapRef": {"name": n}} for n in config.get("env_config_maps") or []),
                *({"secretRef": {"name": n}} for n in config.get("env_secrets") or [])]
    if env_from:
        container["envFrom"] = env_from
    env = [{"name": v.partition("=")[0], "value": v.partition("=")[2]} for v in config.get("env_vars") or []]
    env += [dagster_k8s_camel_case(v, "EnvVar") for v in config.get("env") or []]
    if env:
        container["env"] = env
    if config.get("image_pull_secrets"):
        pod["imagePullSecrets"] = [dict(s) for s in config["image_pull_secrets"]]
    if config.get("volumes"):
        pod["volumes"] = [dagster_k8s_camel_case(v, "Volume") for v in config["volumes"]]
    if config.get("service_account_name"):
        pod["serviceAccountName"] = config["service_account_name"]
    if config.get("scheduler_name"):
        pod["schedulerName"] = config["scheduler_name"]
    top: dict[str, Any] = {"containerConfig": container, "podSpecConfig": pod,
                           "podTemplateSpecMetadata": {"labels": labels} if labels else {},
                           "jobMetadata": {"labels": labels} if labels else {}}
    run_k8s = {_RUN_K8S_CONFIG_KEYS.get(key, key): value for key, value in (config.get("run_k8s_config") or {}).items()}
    run = {key: dagster_k8s_camel_case(value, _RUN_K8S_PARTS[key])
           for key, value in run_k8s.items() if key in _RUN_K8S_PARTS and value}
    return _deep_merge(top, run)


def launched_run_jobs(objects: list[Manifest]) -> list[Manifest]:
    """The run worker pods a K8s run launcher will create, as Job objects (annotated
    :data:`LAUNCHED_RUN`); empty without a K8s launcher. ``K8sRunLauncher`` merges each code
    location's container context over its own config (``K8sContainerContext.create_for_run``):
    one Job per code location. ``CeleryK8sRunLauncher`` uses its own config only: one Job.

    Modelled on ``dagster_k8s``: each config becomes a k8s config (``K8sContainerContext``: env
    ConfigMaps and Secrets as ``envFrom``, ``env_vars`` and ``env`` as ``env``, volumes and mounts,
    labels on the pod and the Job, resources, security context, pull policy and secrets,
    ServiceAccount, scheduler), merged with its ``run_k8s_config`` and the location's over the
    launcher's (Dagster's deep merge); then ``construct_dagster_k8s_job`` puts
    ``DAGSTER_PG_PASSWORD`` (key ``postgresql-password`` of ``postgres_password_secret``) first in
    the env, mounts ``instance_config_map`` as the ``dagster.yaml`` the run reads, adds the sidecar
    containers of ``pod_spec_config`` and keeps the rest of each part. Field names are the API's
    camelCase, whichever spelling the configuration used.
    """
    index = Index(objects)
    base = _k8s_launcher_config(objects, index)
    if base is None:
        return []
    contexts = _container_contexts(objects) if base["module"] == "dagster_k8s" else []
    jobs = []
    for origin, context in contexts or [("run-launcher", {})]:
        merged = _deep_merge(_user_defined_k8s_config(base), _user_defined_k8s_config(context))
        container_config = dict(merged.get("containerConfig") or {})
        pod_config = dict(merged.get("podSpecConfig") or {})
        env: list[Manifest] = []
        if base.get("postgres_password_secret"):
            env.append({"name": "DAGSTER_PG_PASSWORD", "valueFrom": {"secretKeyRef": {
                "name": base["postgres_password_secret"], "key": DAGSTER_K8S_PG_PASSWORD_KEY}}})
        container: Manifest = {
            **container_config,
            "name": "dagster",
            "env": [*env, *(container_config.get("env") or [])],
            "envFrom": list(container_config.get("envFrom") or []),
            "volumeMounts": [{"name": "instance", "mountPath": "/dagster.yaml", "subPath": "dagster.yaml"},
                             *(container_config.get("volumeMounts") or [])],
        }
        spec: Manifest = {
            **pod_config,
            "containers": [container, *(pod_config.get("containers") or [])],
            "volumes": [{"name": "instance", "configMap": {"name": base.get("instance_config_map")}},
                        *(pod_config.get("volumes") or [])],
            "imagePullSecrets": list(pod_config.get("imagePullSecrets") or []),
            "automountServiceAccountToken": pod_config.get("automountServiceAccountToken", True),
        }
        namespace = context.get("namespace") or base.get("job_namespace") or DEFAULT_NAMESPACE
        pod_labels = (merged.get("podTemplateSpecMetadata") or {}).get("labels") or {}
        template_metadata = {**(merged.get("podTemplateSpecMetadata") or {}), "labels": dict(pod_labels)}
        job_metadata = merged.get("jobMetadata") or {}
        jobs.append({"apiVersion": "batch/v1", "kind": "Job",
                     "metadata": {**job_metadata, "name": f"run-of-{origin}", "namespace": namespace,
                                  "annotations": {**(job_metadata.get("annotations") or {}), LAUNCHED_RUN: "true"}},
                     "spec": {**(merged.get("jobSpecConfig") or {}),
                              "template": {"metadata": template_metadata, "spec": spec}}})
    return jobs


def _pods(objects: list[Manifest]) -> list[Manifest]:
    """The workloads of the output and the Jobs its run launcher will create."""
    return [*workloads(objects), *launched_run_jobs(objects)]


def _is_launched_run(workload: Manifest) -> bool:
    return LAUNCHED_RUN in (workload["metadata"].get("annotations") or {})


# ---- RBAC -------------------------------------------------------------------------------------
def _launcher_identities(objects: list[Manifest], index: Index) -> set[tuple[str, str, str]]:
    """``(ServiceAccount namespace, name, namespace it launches Jobs in)`` of every identity that
    runs a run launcher or K8s executor: pods mounting ``dagster.yaml`` with an API token, and
    the pods launched runs get (:func:`launched_run_jobs`)."""
    launcher = _k8s_launcher_config(objects, index) or {}
    identities = set()
    for workload in _pods(objects):
        spec, namespace = pod_spec(workload), namespace_of(workload)
        account = spec.get("serviceAccountName") or "default"
        account_object = index.get("ServiceAccount", namespace, account) or {}
        token = spec.get("automountServiceAccountToken", account_object.get("automountServiceAccountToken", True))
        if _is_launched_run(workload):
            launches_in = namespace
        elif _mounts_instance(workload, index):
            launches_in = str(launcher.get("job_namespace") or namespace)
        else:
            continue
        if token:
            identities.add((namespace, account, launches_in))
    return identities


def _bound_rules(index: Index, account_namespace: str, account: str, namespace: str) -> list[Manifest]:
    """The rules of the Roles bound in ``namespace`` to the ServiceAccount (a subject without a
    namespace is in its RoleBinding's). Rules limited by ``resourceNames`` are left out: runs'
    Jobs and pods get new names, so only a rule for any name serves the launcher."""
    rules = []
    for binding in index.of_kind("RoleBinding"):
        if namespace_of(binding) != namespace or binding["roleRef"]["kind"] != "Role":
            continue
        if any(s.get("kind") == "ServiceAccount" and s.get("name") == account
               and (s.get("namespace") or namespace_of(binding)) == account_namespace
               for s in binding.get("subjects") or []):
            role = index.get("Role", namespace, binding["roleRef"]["name"]) or {}
            rules += [rule for rule in role.get("rules") or [] if not rule.get("resourceNames")]
    return rules


def _grants(rule: Manifest, group: str, resource: str, verb: str) -> bool:
    return all(value in (rule.get(field) or []) or "*" in (rule.get(field) or [])
               for field, value in (("apiGroups", group), ("resources", resource), ("verbs", verb)))


def check_launcher_rbac(objects: list[Manifest]) -> list[Finding]:
    """The Role bound to each launcher identity grants :data:`LAUNCHER_NEEDS` in the namespace
    runs are launched in; no cluster-wide RBAC; no rule on Secrets; no ``*``."""
    index = Index(objects)
    problems = [Finding(f"{ref(o)}: cluster-wide RBAC (only namespaced Roles are allowed)", object=ref(o),
                        field="kind", value=o["kind"])
                for o in index.of_kind("ClusterRole", "ClusterRoleBinding")]
    problems += [Finding(f"{ref(b)}: binds ClusterRole {b['roleRef']['name']!r} (only namespaced Roles are allowed)",
                         object=ref(b), field="roleRef", value=b["roleRef"])
                 for b in index.of_kind("RoleBinding") if b["roleRef"]["kind"] != "Role"]
    for role in index.of_kind("Role"):
        for number, rule in enumerate(role.get("rules") or []):
            for field in ("apiGroups", "resources", "verbs"):
                if "*" in (rule.get(field) or []):
                    problems.append(Finding(f"{ref(role)}: rule {number} has '*' in {field}", object=ref(role),
                                            field=f"rules[{number}].{field}", value=rule[field]))
            if any(r == "secrets" or r.startswith("secrets/") for r in rule.get("resources") or []):
                problems.append(Finding(f"{ref(role)}: rule {number} grants access to secrets", object=ref(role),
                                        field=f"rules[{number}].resources", value=rule["resources"]))
    identities = _launcher_identities(objects, index)
    if not identities:
        problems.append(Finding("no pod runs the run launcher with a ServiceAccount token", object="<output>",
                                field="spec.template.spec.serviceAccountName", value=None))
    for account_namespace, account, namespace in sorted(identities):
        rules = _bound_rules(index, account_namespace, account, namespace)
        missing = [f"{group or 'core'}/{resource}:{verb}" for (group, resource), verbs in LAUNCHER_NEEDS.items()
                   for verb in verbs if not any(_grants(rule, group, resource, verb) for rule in rules)]
        if missing:
            problems.append(Finding(f"ServiceAccount {account_namespace}/{account} may not, in namespace "
                                    f"{namespace}: " + ", ".join(missing), object=f"ServiceAccount/{account}",
                                    field=f"rules of the Roles bound in namespace {namespace}", value=missing))
    return problems
