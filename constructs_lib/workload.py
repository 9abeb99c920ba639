"""Pod and container building blocks shared by every workload construct.

:class:`WorkloadOptions` carries the knobs every Deployment, StatefulSet and Job of the
library accepts (resources, scheduling, security contexts, labels, env, volumes, probes...).
The builders here turn them, plus a construct's own containers, into a pod template.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import jsii
from constructs import Construct

from ._manifest import Json, manifest
from .apiserver import annotation_problems, check_block, check_blocks, label_problems, raise_first
from .errors import (
    ConfigError,
    check_dns1123_label,
    check_dns1123_subdomain,
    check_env_name,
    check_str_mapping,
)
from .images import Image
from .security_profile import ProcessNeeds, apply_security_profile, check_security_profile, restricted_violations

__all__ = [
    "SecretKeyRef",
    "WorkloadOptions",
    "build_container",
    "build_init_container",
    "build_pod_template",
    "env_from_config_map",
    "env_from_secret",
    "init_construct",
    "env_value",
    "normalize_env",
    "replace_options",
    "tcp_check_command",
    "wait_for_tcp_container",
]


@dataclass(frozen=True, kw_only=True)
class SecretKeyRef:
    """One key of one Secret (a password that never leaves Secrets)."""

    name: str
    key: str

    def __post_init__(self) -> None:
        check_dns1123_subdomain("SecretKeyRef.name", self.name)
        if not isinstance(self.key, str) or not self.key:
            raise ConfigError("SecretKeyRef.key", self.key, "a non-empty Secret key")

    def env(self, env_name: str) -> Json:
        """An env var whose value the kubelet reads from this Secret key."""
        return {"name": env_name, "valueFrom": {"secretKeyRef": {"name": self.name, "key": self.key}}}


def init_construct(obj: Construct, owner: type[Construct], scope: Construct, id: str) -> None:
    """``super(owner, obj).__init__(scope, id)`` in a construct ``owner`` whose ``__init__`` is
    :func:`~._checked.checked` (``scope: Construct, id: str``, so both were checked already): when
    that is ``Construct.__init__``, its ``jsii.create`` without the generated constructor's second
    run-time type check of the two (typeguard, tens of microseconds per construct, and a large
    system makes hundreds); anything else in between runs as it is."""
    init: Any = super(owner, obj).__init__
    if getattr(init, "__func__", None) is _CONSTRUCT_INIT:
        jsii.create(obj.__class__, obj, [scope, id])
    else:
        init(scope, id)


_CONSTRUCT_INIT = Construct.__init__


def canonical(value: Any) -> Any:
    """Mappings with sorted keys, recursively; list order is kept (it means something)."""
    if isinstance(value, Mapping):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


def env_value(name: str, value: str) -> Json:
    return {"name": name, "value": value}


def env_from_config_map(name: str) -> Json:
    return {"configMapRef": {"name": name}}


def env_from_secret(name: str, *, optional: bool = False) -> Json:
    ref: Json = {"name": name}
    if optional:
        ref["optional"] = True
    return {"secretRef": ref}


def normalize_env(field_name: str, env: Mapping[str, str] | Sequence[Mapping[str, Any]]) -> list[Json]:
    """Accept ``{"NAME": "value"}`` or Kubernetes ``EnvVar`` dicts (``value``/``valueFrom``)."""
    if isinstance(env, Mapping):
        out = []
        for name, value in env.items():
            check_env_name(f"{field_name}.{name}", name)
            if not isinstance(value, str):
                raise ConfigError(f"{field_name}.{name}", value, "a string value (quote numbers)")
            out.append(env_value(name, value))
        return out
    if isinstance(env, (str, bytes)) or not isinstance(env, Sequence):
        raise ConfigError(field_name, env, "a mapping NAME: value or a list of EnvVar objects")
    result = []
    for index, item in enumerate(env):
        where = f"{field_name}[{index}]"
        if not isinstance(item, Mapping):
            raise ConfigError(where, item, "an EnvVar object with 'name' and 'value' or 'valueFrom'")
        check_env_name(f"{where}.name", item.get("name"))
        if ("value" in item) == ("valueFrom" in item):
            raise ConfigError(where, dict(item), "exactly one of 'value' or 'valueFrom'")
        if "value" in item and not isinstance(item["value"], str):
            raise ConfigError(f"{where}.value", item["value"], "a string value (quote numbers)")
        result.append(dict(item))
    return result


def _mapping(field_name: str, value: object) -> Json:
    if not isinstance(value, Mapping):
        raise ConfigError(field_name, value, "a mapping (Kubernetes object fields)")
    return dict(value)


def _mapping_list(field_name: str, value: object) -> list[Json]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise ConfigError(field_name, value, "a list of mappings")
    return [_mapping(f"{field_name}[{i}]", item) for i, item in enumerate(value)]


def _names(field_name: str, value: object) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ConfigError(field_name, value, "a list of object names")
    return [check_dns1123_subdomain(f"{field_name}[{i}]", v) for i, v in enumerate(value)]


@dataclass(frozen=True, kw_only=True)
class WorkloadOptions:
    """Settings every workload (Deployment, StatefulSet, Job) of the library accepts.

    Probe fields: ``None`` keeps the construct's default probe, ``{}`` removes it, a mapping
    with a handler (``exec``, ``httpGet``, ``tcpSocket``, ``grpc``) replaces it, and a mapping
    of timings only (``periodSeconds`` ...) adjusts the default probe (Kubernetes ``Probe``
    fields, camelCase).

    Args:
        resources: container ``resources``. @default none
        init_container_resources: ``resources`` of the construct's wait-for init containers.
            @default none
        node_selector: pod ``nodeSelector``. @default none
        affinity: pod ``affinity``. @default none
        tolerations: pod ``tolerations``. @default none
        pod_security_context: pod ``securityContext``. @default none
        security_context: container ``securityContext``. @default none
        labels: extra labels on the pods (and on the workload object). @default none
        annotations: extra annotations on the pods. @default none
        workload_labels: extra labels on the workload object only. @default none
        workload_annotations: annotations on the workload object only. @default none
        env: extra container env: ``{"NAME": "value"}`` or a list of ``EnvVar`` dicts, which
            may use ``valueFrom``. @default none
        env_config_maps: ConfigMaps loaded whole into the env (``envFrom``). @default none
        env_secrets: Secrets loaded whole into the env (``envFrom``). @default none
        volumes: extra pod volumes. @default none
        volume_mounts: extra container volume mounts; each must name a volume. @default none
        readiness_probe / liveness_probe / startup_probe: see above. @default the construct's
        scheduler_name: pod ``schedulerName``. @default the cluster default
        image_pull_secrets: names of Secrets for pulling images. @default none
        security_profile: ``default`` or ``hardened`` (see :mod:`constructs_lib.security_profile`);
            ``None`` takes the system's (``DagsterSystemConfig.security_profile``), ``default``
            for a construct used on its own. What is set explicitly here (security contexts,
            resources) wins over the profile; under ``hardened``, a value here that breaks Pod
            Security "restricted" is a :class:`ConfigError`. @default ``None``
    """

    resources: Mapping[str, Any] = field(default_factory=dict)
    init_container_resources: Mapping[str, Any] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    affinity: Mapping[str, Any] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, Any]] = ()
    pod_security_context: Mapping[str, Any] = field(default_factory=dict)
    security_context: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    workload_labels: Mapping[str, str] = field(default_factory=dict)
    workload_annotations: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] | Sequence[Mapping[str, Any]] = ()
    env_config_maps: Sequence[str] = ()
    env_secrets: Sequence[str] = ()
    volumes: Sequence[Mapping[str, Any]] = ()
    volume_mounts: Sequence[Mapping[str, Any]] = ()
    readiness_probe: Mapping[str, Any] | None = None
    liveness_probe: Mapping[str, Any] | None = None
    startup_probe: Mapping[str, Any] | None = None
    scheduler_name: str | None = None
    image_pull_secrets: Sequence[str] = ()
    security_profile: str | None = None

    def __post_init__(self) -> None:
        # Canonical form: mappings sorted (recursively), so input order never shows in the output.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping) or (isinstance(value, Sequence) and not isinstance(value, str)):
                object.__setattr__(self, f.name, canonical(value))
        self._validate(None)

    def _validate(self, changed: frozenset[str] | None) -> None:
        """Every check of the fields in ``changed`` (``None``: all), in the one fixed order, so
        the first problem raised is the one a check of every field would raise first when the
        other fields are known to pass (see :func:`replace_options`)."""
        if changed is None:
            for _, check in _CHECKS:
                check(self)
        else:
            for _, check in sorted(c for name in changed for c in _CHECKS_BY_FIELD[name]):
                check(self)
        if self.security_profile == "hardened" and (changed is None or not changed.isdisjoint(_RESTRICTED_FIELDS)):
            self.check_restricted()

    def check_restricted(self) -> None:
        """Raise the first of the user's own settings that would break Pod Security "restricted"
        (the ``hardened`` profile's promise); see :func:`~.security_profile.restricted_violations`."""
        for field_name, value, expected in restricted_violations(
                pod_security_context=self.pod_security_context, security_context=self.security_context,
                volumes=self.volumes):
            raise ConfigError(f"WorkloadOptions.{field_name}", value,
                              f'{expected} (the hardened security profile passes Pod Security "restricted")')

    @property
    def profile(self) -> str:
        """The security profile in force (``default`` unless one was chosen)."""
        return self.security_profile or "default"


_P = "WorkloadOptions"


def _check_volumes(o: WorkloadOptions) -> None:
    for i, volume in enumerate(_mapping_list(f"{_P}.volumes", o.volumes)):
        check_dns1123_label(f"{_P}.volumes[{i}].name", volume.get("name"))


def _check_volume_mounts(o: WorkloadOptions) -> None:
    for i, mount in enumerate(_mapping_list(f"{_P}.volume_mounts", o.volume_mounts)):
        if not isinstance(mount.get("mountPath"), str) or not mount["mountPath"].startswith("/"):
            raise ConfigError(f"{_P}.volume_mounts[{i}].mountPath", mount.get("mountPath"), "an absolute path")


def _check_optional_mapping(name: str) -> Callable[[WorkloadOptions], None]:
    def check(o: WorkloadOptions) -> None:
        value = getattr(o, name)
        if value is not None:
            _mapping(f"{_P}.{name}", value)
    return check


def _check_env_blocks(o: WorkloadOptions) -> None:
    if not isinstance(o.env, Mapping):
        check_blocks(f"{_P}.env", o.env, "EnvVar")


def _attr_check(name: str, check: Callable[[str, Any], object]) -> Callable[[WorkloadOptions], None]:
    def run(o: WorkloadOptions) -> None:
        check(f"{_P}.{name}", getattr(o, name))
    return run


def _block_check(name: str, type_name: str) -> Callable[[WorkloadOptions], None]:
    def run(o: WorkloadOptions) -> None:
        check_block(f"{_P}.{name}", getattr(o, name), type_name)
    return run


def _blocks_check(name: str, type_name: str) -> Callable[[WorkloadOptions], None]:
    def run(o: WorkloadOptions) -> None:
        check_blocks(f"{_P}.{name}", getattr(o, name), type_name)
    return run


def _problems_check(name: str, problems: Callable[[str, Any], Iterator[Any]]) -> Callable[[WorkloadOptions], None]:
    def run(o: WorkloadOptions) -> None:
        raise_first(problems(f"{_P}.{name}", getattr(o, name)))
    return run


def _check_scheduler_name(o: WorkloadOptions) -> None:
    if o.scheduler_name is not None:
        check_dns1123_subdomain(f"{_P}.scheduler_name", o.scheduler_name)


def _check_profile(o: WorkloadOptions) -> None:
    if o.security_profile is not None:
        check_security_profile(f"{_P}.security_profile", o.security_profile)


#: The checks of each field, by itself (its type and shape), in the order they run.
_FIELD_CHECKS: tuple[tuple[str, Callable[[WorkloadOptions], None]], ...] = (
    *((name, _attr_check(name, _mapping)) for name in (
        "resources", "init_container_resources", "affinity", "pod_security_context", "security_context")),
    *((name, _attr_check(name, check_str_mapping)) for name in (
        "node_selector", "labels", "annotations", "workload_labels", "workload_annotations")),
    ("tolerations", _attr_check("tolerations", _mapping_list)),
    ("env", _attr_check("env", normalize_env)),
    *((name, _attr_check(name, _names)) for name in ("env_config_maps", "env_secrets", "image_pull_secrets")),
    ("volumes", _check_volumes),
    ("volume_mounts", _check_volume_mounts),
    *((name, _check_optional_mapping(name)) for name in ("readiness_probe", "liveness_probe", "startup_probe")),
    ("scheduler_name", _check_scheduler_name),
    ("security_profile", _check_profile),
)
#: Then the Kubernetes type of each block, strictly, and the API server's rules (apiserver.py).
_API_SERVER_CHECKS: tuple[tuple[str, Callable[[WorkloadOptions], None]], ...] = (
    *((name, _block_check(name, type_name)) for name, type_name in (
        ("resources", "ResourceRequirements"), ("init_container_resources", "ResourceRequirements"),
        ("affinity", "Affinity"), ("pod_security_context", "PodSecurityContext"),
        ("security_context", "SecurityContext"), ("readiness_probe", "Probe"), ("liveness_probe", "Probe"),
        ("startup_probe", "Probe"))),
    *((name, _blocks_check(name, type_name)) for name, type_name in (
        ("tolerations", "Toleration"), ("volumes", "Volume"), ("volume_mounts", "VolumeMount"))),
    ("env", _check_env_blocks),
    *((name, _problems_check(name, label_problems)) for name in ("node_selector", "labels", "workload_labels")),
    *((name, _problems_check(name, annotation_problems)) for name in ("annotations", "workload_annotations")),
)
#: Every check, numbered in order, and each field's.
_CHECKS = tuple(enumerate(check for _, check in (*_FIELD_CHECKS, *_API_SERVER_CHECKS)))
_CHECKS_BY_FIELD: dict[str, list[tuple[int, Callable[[WorkloadOptions], None]]]] = {
    f.name: [numbered for numbered, (name, _) in zip(_CHECKS, (*_FIELD_CHECKS, *_API_SERVER_CHECKS), strict=True)
             if name == f.name] for f in fields(WorkloadOptions)}
#: The fields :meth:`WorkloadOptions.check_restricted` reads (with ``security_profile``).
_RESTRICTED_FIELDS = frozenset({"pod_security_context", "security_context", "volumes", "security_profile"})


def replace_options(options: WorkloadOptions, **changes: Any) -> WorkloadOptions:
    """``dataclasses.replace(options, **changes)``, checking only what changed.

    ``options`` passed every check when it was made (its fields are canonical and immutable by
    convention), so the replaced object differs only in ``changes``: those are canonicalized and
    checked here, in the order :meth:`WorkloadOptions.__post_init__` checks every field, with
    the same errors; fields the changes leave alone are not checked again. The library derives
    each workload's options this way (the system's security profile, a Celery queue's labels)."""
    if type(options) is not WorkloadOptions:  # a subclass may check more: its own __post_init__ decides
        return dataclasses.replace(options, **changes)
    unknown = set(changes) - _CHECKS_BY_FIELD.keys()
    if unknown:
        raise TypeError(f"WorkloadOptions has no field {sorted(unknown)[0]!r}")
    new = object.__new__(type(options))
    new.__dict__.update(options.__dict__)
    for name, value in changes.items():
        if isinstance(value, Mapping) or (isinstance(value, Sequence) and not isinstance(value, str)):
            value = canonical(value)
        object.__setattr__(new, name, value)
    new._validate(frozenset(changes))
    return new


_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")


def _probe(default: Json | None, override: Mapping[str, Any] | None) -> Json | None:
    if override is None:
        return default
    if override and default and not any(h in override for h in _PROBE_HANDLERS):
        # Timing only (periodSeconds ...): keep the default probe's check.
        return {**default, **override}
    return dict(override) or None


def build_container(
    *,
    name: str,
    image: Image,
    options: WorkloadOptions,
    command: Sequence[str] | None = None,
    args: Sequence[str] | None = None,
    env: Sequence[Json] = (),
    env_from: Sequence[Json] = (),
    ports: Sequence[Json] = (),
    volume_mounts: Sequence[Json] = (),
    readiness_probe: Json | None = None,
    liveness_probe: Json | None = None,
    startup_probe: Json | None = None,
) -> Json:
    """The main container of a workload: the construct's wiring first, then the user's extras."""
    container: Json = {"name": name, "image": image.ref, "imagePullPolicy": image.pull_policy}
    if command:
        container["command"] = list(command)
    if args:
        container["args"] = list(args)
    all_env = [*env, *normalize_env("WorkloadOptions.env", options.env)]
    names = [e["name"] for e in all_env]
    for index, env_name in enumerate(names):
        if env_name in names[:index]:
            raise ConfigError("WorkloadOptions.env", env_name,
                              f"a variable not already set by the {name} container's wiring")
    if all_env:
        container["env"] = all_env
    all_env_from = [
        *env_from,
        *(env_from_config_map(n) for n in options.env_config_maps),
        *(env_from_secret(n) for n in options.env_secrets),
    ]
    if all_env_from:
        container["envFrom"] = all_env_from
    if ports:
        container["ports"] = list(ports)
    mounts = [*volume_mounts, *(dict(m) for m in options.volume_mounts)]
    if mounts:
        container["volumeMounts"] = mounts
    if options.resources:
        container["resources"] = dict(options.resources)
    if options.security_context:
        container["securityContext"] = dict(options.security_context)
    for key, default, override in (
        ("readinessProbe", readiness_probe, options.readiness_probe),
        ("livenessProbe", liveness_probe, options.liveness_probe),
        ("startupProbe", startup_probe, options.startup_probe),
    ):
        probe = _probe(default, override)
        if probe:
            container[key] = probe
    return container


def tcp_check_command(targets: Sequence[tuple[str, int]]) -> list[str]:
    """A command (for an exec probe) that succeeds when every ``host:port`` accepts TCP
    connections, with Python's standard library (every Dagster image has Python)."""
    script = (
        "import socket\n"
        f"for host, port in {json.dumps([[h, p] for h, p in targets])}:\n"
        "    socket.create_connection((host, port), timeout=5).close()\n"
    )
    return ["python", "-c", script]


def wait_for_tcp_container(
    *, name: str, image: Image, targets: Sequence[tuple[str, int]], what: str, options: WorkloadOptions
) -> Json:
    """An init container that waits until every ``host:port`` accepts TCP connections.

    It runs Python's standard library in the workload's own image (every Dagster image has
    Python), so no extra image is pulled and no credential appears on a command line.
    """
    script = (
        "import socket, sys, time\n"
        f"targets = {json.dumps([[h, p] for h, p in targets])}\n"
        "for host, port in targets:\n"
        "    while True:\n"
        "        try:\n"
        "            socket.create_connection((host, port), timeout=2).close()\n"
        "            break\n"
        "        except OSError as exc:\n"
        f"            print(f'waiting for {what} {{host}}:{{port}}: {{exc}}', flush=True)\n"
        "            time.sleep(2)\n"
    )
    return build_init_container(name=name, image=image, command=["python", "-c", script], options=options)


def build_init_container(*, name: str, image: Image, command: Sequence[str], options: WorkloadOptions) -> Json:
    """An init container a construct adds (a wait-for): the one place such containers are
    finished with the workload's init resources and container security context."""
    container: Json = {"name": name, "image": image.ref, "imagePullPolicy": image.pull_policy,
                       "command": list(command)}
    if options.init_container_resources:
        container["resources"] = dict(options.init_container_resources)
    if options.security_context:
        container["securityContext"] = dict(options.security_context)
    return container


def build_pod_template(
    *,
    selector: Mapping[str, str],
    options: WorkloadOptions,
    containers: Sequence[Json],
    init_containers: Sequence[Json] = (),
    volumes: Sequence[Json] = (),
    service_account_name: str | None = None,
    automount_service_account_token: bool | None = None,
    annotations: Mapping[str, str] | None = None,
    restart_policy: str | None = None,
    image_pull_secrets: Sequence[str] = (),
    claim_names: Sequence[str] = (),
    needs: ProcessNeeds | None = None,
) -> Json:
    """A pod template whose labels are the selector plus the user's extra labels.

    ``claim_names`` are volumes a StatefulSet's claim templates provide. ``needs`` says what
    the workload's process needs; with it, the security profile of ``options`` is applied
    here, the one place every pod of the library is built (:func:`apply_security_profile`).
    """
    for key, value in options.labels.items():
        if key in selector and selector[key] != value:
            raise ConfigError(f"WorkloadOptions.labels.{key}", value,
                              f"{selector[key]!r} or no value: this label is part of the selector")
    labels = {**selector, **options.labels}
    metadata: Json = {"labels": labels}
    pod_annotations = {**(annotations or {}), **options.annotations}
    if pod_annotations:
        metadata["annotations"] = pod_annotations
    all_volumes = [*volumes, *(dict(v) for v in options.volumes)]
    volume_names = [*claim_names, *(v["name"] for v in all_volumes)]
    for index, volume_name in enumerate(volume_names):
        if volume_name in volume_names[:index]:
            raise ConfigError("WorkloadOptions.volumes", volume_name,
                              "a volume name not already used by the workload")
    for container in [*init_containers, *containers]:
        for mount in container.get("volumeMounts", []):
            if mount["name"] not in volume_names:
                raise ConfigError("WorkloadOptions.volume_mounts", mount["name"],
                                  "the name of a volume of the pod: " + ", ".join(volume_names or ["(none)"]))
    spec: Json = {}
    if service_account_name:
        spec["serviceAccountName"] = service_account_name
    if automount_service_account_token is not None:
        spec["automountServiceAccountToken"] = automount_service_account_token
    pull_secrets = [*image_pull_secrets, *options.image_pull_secrets]
    if pull_secrets:
        spec["imagePullSecrets"] = [{"name": n} for n in dict.fromkeys(pull_secrets)]
    if options.pod_security_context:
        spec["securityContext"] = dict(options.pod_security_context)
    if init_containers:
        spec["initContainers"] = list(init_containers)
    spec["containers"] = list(containers)
    if all_volumes:
        spec["volumes"] = all_volumes
    if options.node_selector:
        spec["nodeSelector"] = dict(options.node_selector)
    if options.affinity:
        spec["affinity"] = dict(options.affinity)
    if options.tolerations:
        spec["tolerations"] = [dict(t) for t in options.tolerations]
    if options.scheduler_name:
        spec["schedulerName"] = options.scheduler_name
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    if needs is None:
        needs = ProcessNeeds(api_access=automount_service_account_token is True)
    apply_security_profile(spec, profile=options.profile, needs=needs)
    return {"metadata": metadata, "spec": spec}


def add_deployment(
    scope: Any,
    id: str,
    *,
    name: str,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    replicas: int | None,
    template: Json,
    options: WorkloadOptions,
    strategy: Json | None = None,
) -> Any:
    """A Deployment whose selector is exactly ``selector`` (which the pod template carries);
    ``replicas=None`` leaves the count to an autoscaler."""
    spec: Json = {} if replicas is None else {"replicas": replicas}
    if strategy:
        spec["strategy"] = strategy
    spec["selector"] = {"matchLabels": dict(selector)}
    spec["template"] = template
    return manifest(scope, id, "Deployment", name=name,
                    labels={**labels, **options.workload_labels},
                    annotations=options.workload_annotations or None, body={"spec": spec})


def add_service(
    scope: Any,
    id: str,
    *,
    name: str,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    ports: Sequence[Json],
    service_type: str = "ClusterIP",
    annotations: Mapping[str, str] | None = None,
) -> Any:
    """A Service selecting exactly the pods of one workload."""
    return manifest(scope, id, "Service", name=name, labels=labels, annotations=annotations or None,
                    body={"spec": {"type": service_type, "ports": list(ports), "selector": dict(selector)}})


SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
