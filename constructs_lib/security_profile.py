"""Security profiles: what every pod of the library runs with, decided in one place.

Two profiles, chosen per workload (``WorkloadOptions.security_profile``) or for the whole
system (``DagsterSystemConfig.security_profile``):

``default``
    Works with the stock images and sets everything that does not break them: no privilege
    escalation, the runtime's default seccomp profile, every capability dropped, a read-only
    root filesystem with an ``emptyDir`` at each path the process writes
    (:attr:`ProcessNeeds.writable_paths`), CPU and memory requests and limits on every
    container (generous limits: raise them with ``WorkloadOptions.resources``). Every process
    runs as a non-root user: the bundled PostgreSQL, RabbitMQ and Redis as their official
    images' user (999), Dagster's processes (whose images define no such user) as
    :data:`NON_ROOT_UID`, with ``fsGroup`` on their volumes; a process listening on a port
    below 1024 (the webserver's 80) gets the safe sysctl ``net.ipv4.ip_unprivileged_port_start``
    instead of a capability. A Secret reaches an image that reads ``<NAME>_FILE`` (PostgreSQL)
    as a file. The ServiceAccount token is mounted only in pods whose process calls the
    Kubernetes API.

``hardened``
    Everything of ``default``, and passes the Pod Security Standards "restricted" profile on
    every pod: ``runAsNonRoot`` with a numeric UID/GID (:data:`HARDENED_UID`, above 10000 so
    it never collides with a host user) for every process, the bundled services' included,
    images pulled ``Always`` unless referenced by digest, every Secret as a file (a ``sh``
    wrapper exports them for processes that only read env), and the ServiceAccount token
    (where needed) as an explicit projected volume instead of the automatic mount.

A workload states what its process needs (:class:`ProcessNeeds`); :func:`apply_security_profile`
turns that and the profile into the pod's settings.

Precedence: everything the user set explicitly (``WorkloadOptions.pod_security_context``,
``security_context``, ``resources``; from Helm values a workload's ``podSecurityContext`` /
``securityContext`` / ``resources``, a bundled service's subchart keys) wins key by key; the
profile fills in only what is missing (a given ``capabilities`` replaces the profile's whole;
a default limit never undercuts the user's request). Under ``hardened`` a user value that would
break Pod Security "restricted" (``runAsUser: 0``, ``privileged: true``, capabilities that keep
more than ``NET_BIND_SERVICE`` or do not drop ``ALL``, an ``Unconfined`` seccomp profile, a
``hostPath`` volume ...) is a :class:`ConfigError` naming the field
(:func:`restricted_violations`), not a pod the admission controller rejects later.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ._manifest import Json
from .errors import ConfigError

__all__ = [
    "DEFAULT_SECURITY_PROFILE",
    "HARDENED_UID",
    "NON_ROOT_UID",
    "SECURITY_PROFILES",
    "ProcessNeeds",
    "apply_security_profile",
    "check_security_profile",
    "parse_quantity",
    "restricted_violations",
]

_T = TypeVar("_T")

SECURITY_PROFILES = ("default", "hardened")
DEFAULT_SECURITY_PROFILE = "default"
#: UID and GID of every hardened pod: numeric (the kubelet can verify ``runAsNonRoot``) and
#: above 10000 (no collision with users of the node).
HARDENED_UID = 10001
#: UID and GID of a process whose image defines no non-root user (Dagster's images), in both profiles.
NON_ROOT_UID = HARDENED_UID
#: UID and GID of the ``postgres``, ``rabbitmq`` and ``redis`` users of the official images.
OFFICIAL_IMAGE_UID = 999
#: Where the kubelet mounts the ServiceAccount token; clients read it from here.
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
_TOKEN_VOLUME = "kube-api-access"
_TOKEN_EXPIRATION_SECONDS = 3607

#: The sysctl that lets a process without ``NET_BIND_SERVICE`` bind a port below 1024.
UNPRIVILEGED_PORT_SYSCTL = "net.ipv4.ip_unprivileged_port_start"
#: Requests and limits of the short-lived wait-for init containers.
INIT_REQUESTS = {"cpu": "10m", "memory": "32Mi"}
INIT_LIMITS = {"cpu": "200m", "memory": "128Mi"}


def check_security_profile(field_name: str, value: object) -> str:
    if value not in SECURITY_PROFILES:
        raise ConfigError(field_name, value, "one of " + ", ".join(SECURITY_PROFILES))
    return str(value)


@dataclass(frozen=True, kw_only=True)
class ProcessNeeds:
    """What a workload's image and process need; the profiles derive the pod settings from it.

    Args:
        image_user: the non-root UID (and GID) the image is built to run as; the ``default``
            profile runs it as that user. ``None``: the image defines no such user (it runs
            as root unless told otherwise), and both profiles run it as :data:`NON_ROOT_UID`.
            @default ``None``
        writable_paths: directories the process writes outside its volumes (an ``emptyDir``
            is mounted at each; the rest of the root filesystem is read-only). @default ``("/tmp",)``
        listen_port: the port the main process binds; below 1024, the pod gets the sysctl
            ``net.ipv4.ip_unprivileged_port_start`` at that port (a non-root process without
            capabilities may bind it; a safe sysctl since Kubernetes 1.22). @default none
        api_access: the process calls the Kubernetes API (it gets the ServiceAccount token).
            @default ``False``
        requests / limits: CPU and memory of the main containers. @default 100m/256Mi, 1/1Gi
        home: the process writes under ``$HOME`` (Dagster's user-level telemetry id in
            ``~/.dagster``), which a read-only root filesystem (and a UID without a home)
            forbids: both profiles set ``HOME`` to this path (one of ``writable_paths``) in
            the main container (the first) unless it sets ``HOME`` itself. @default none
        file_env: the image reads a Secret from the file named by ``<NAME>_FILE`` (the Docker
            library convention): both profiles mount the Secret as a file and set
            ``<NAME>_FILE`` instead of the variable.
            @default ``False``
    """

    image_user: int | None = None
    writable_paths: tuple[str, ...] = ("/tmp",)
    listen_port: int | None = None
    api_access: bool = False
    requests: Mapping[str, str] = field(default_factory=lambda: {"cpu": "100m", "memory": "256Mi"})
    limits: Mapping[str, str] = field(default_factory=lambda: {"cpu": "1", "memory": "1Gi"})
    home: str | None = None
    file_env: bool = False


_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_SUFFIX = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def parse_quantity(value: object) -> float | None:
    """A Kubernetes resource quantity as a number, or ``None`` if it is not one we can read."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if type(value) is str:
        return _parse_quantity_str(value)
    return _parse_quantity_text(str(value)) if isinstance(value, str) else None


@functools.lru_cache(maxsize=1024)  # the same few quantities in every container: parsed once
def _parse_quantity_str(value: str) -> float | None:
    return _parse_quantity_text(value)


def _parse_quantity_text(text: str) -> float | None:
    match = _QUANTITY.match(text)
    if not match:
        return None
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def _fill(given: Mapping[str, Any], defaults: Mapping[str, str], bound: Mapping[str, Any], *, at_most: bool) -> Json:
    """``given`` plus each default it lacks; a default beyond ``bound`` (the user's limit when
    ``at_most``, else the user's request) is replaced by the bound."""
    out = dict(given)
    for name, value in defaults.items():
        if name in out:
            continue
        if name not in bound:  # (no bound: the default as it is)
            out[name] = value
            continue
        edge, wanted = parse_quantity(bound.get(name)), parse_quantity(value)
        beyond = edge is not None and wanted is not None and (wanted > edge if at_most else wanted < edge)
        out[name] = bound[name] if beyond else value
    return out


def _resources(given: Mapping[str, Any], requests: Mapping[str, str], limits: Mapping[str, str]) -> Json:
    """The user's resources, with the profile's requests and limits where the user set none.

    A profile default never contradicts the user: a default request is lowered to the user's
    limit, a default limit raised to the (resulting) request.
    """
    out: Json = {k: dict(v) if isinstance(v, Mapping) else v for k, v in given.items()}
    user_limits = dict(given.get("limits") or {})
    out["requests"] = _fill(given.get("requests") or {}, requests, user_limits, at_most=True)
    out["limits"] = _fill(user_limits, limits, out["requests"], at_most=False)
    return out


def _under(defaults: Mapping[str, Any], given: Mapping[str, Any] | None) -> Json:
    """``defaults`` with ``given`` on top (the user's keys win; nested mappings merge)."""
    out: Json = dict(defaults)
    for key, value in (given or {}).items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _under(out[key], value)
        else:
            out[key] = value
    return out


#: Pod Security "restricted": the only volume sources a pod may use.
_RESTRICTED_VOLUMES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                                 "projected", "secret"})
#: Pod Security "baseline": the sysctls a pod may set.
_SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes"})
_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})


def _context_violations(where: str, sc: Mapping[str, Any], *, container: bool) -> list[tuple[str, object, str]]:
    """What in security context ``sc`` (pod or container) breaks Pod Security "restricted"."""
    out: list[tuple[str, object, str]] = []
    if sc.get("runAsUser") == 0:
        out.append((f"{where}.runAsUser", 0, "a non-zero UID"))
    if sc.get("runAsNonRoot") is False:
        out.append((f"{where}.runAsNonRoot", False, "true or unset"))
    seccomp = (sc.get("seccompProfile") or {}).get("type")
    if seccomp is not None and seccomp not in ("RuntimeDefault", "Localhost"):
        out.append((f"{where}.seccompProfile.type", seccomp, "RuntimeDefault or Localhost"))
    apparmor = (sc.get("appArmorProfile") or {}).get("type")
    if apparmor is not None and apparmor not in ("RuntimeDefault", "Localhost"):
        out.append((f"{where}.appArmorProfile.type", apparmor, "RuntimeDefault or Localhost"))
    selinux = sc.get("seLinuxOptions") or {}
    if selinux.get("type", "") not in _SELINUX_TYPES:
        out.append((f"{where}.seLinuxOptions.type", selinux["type"],
                    "one of " + ", ".join(repr(t) for t in sorted(_SELINUX_TYPES - {""}))))
    for key in ("user", "role"):
        if selinux.get(key):
            out.append((f"{where}.seLinuxOptions.{key}", selinux[key], "unset"))
    if (sc.get("windowsOptions") or {}).get("hostProcess"):
        out.append((f"{where}.windowsOptions.hostProcess", True, "false or unset"))
    if not container:
        for i, sysctl in enumerate(sc.get("sysctls") or []):
            if sysctl.get("name") not in _SAFE_SYSCTLS:
                out.append((f"{where}.sysctls[{i}].name", sysctl.get("name"), "a sysctl of the safe set"))
        return out
    if sc.get("privileged"):
        out.append((f"{where}.privileged", sc["privileged"], "false or unset"))
    if sc.get("allowPrivilegeEscalation"):
        out.append((f"{where}.allowPrivilegeEscalation", sc["allowPrivilegeEscalation"], "false or unset"))
    if sc.get("procMount", "Default") != "Default":
        out.append((f"{where}.procMount", sc["procMount"], "Default or unset"))
    if "capabilities" in sc:  # the user's capabilities replace the profile's: they must do what it does
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            out.append((f"{where}.capabilities.drop", caps.get("drop"), "a list with ALL"))
        extra = sorted(set(caps.get("add") or []) - {"NET_BIND_SERVICE"})
        if extra:
            out.append((f"{where}.capabilities.add", caps.get("add"), "no capability but NET_BIND_SERVICE"))
    return out


def restricted_violations(*, pod_security_context: Mapping[str, Any] | None = None,
                          security_context: Mapping[str, Any] | None = None,
                          volumes: Sequence[Mapping[str, Any]] = ()) -> list[tuple[str, object, str]]:
    """What of the user's own pod settings would keep a ``hardened`` pod from passing Pod
    Security "restricted": ``(field, value, expected)`` with ``field`` relative to the
    settings (``security_context.privileged``, ``volumes[0]``). The profile fills in every
    setting the user leaves out, so only values the user gave can break it."""
    out = _context_violations("pod_security_context", pod_security_context or {}, container=False)
    out += _context_violations("security_context", security_context or {}, container=True)
    for i, volume in enumerate(volumes):
        sources = sorted(set(volume) - {"name"} - _RESTRICTED_VOLUMES)
        if sources:
            allowed = ", ".join(sorted(_RESTRICTED_VOLUMES))
            out.append((f"volumes[{i}]", volume.get("name"),
                        f"a volume of a type Pod Security \"restricted\" allows ({allowed}), not {', '.join(sources)}"))
    return out


@functools.lru_cache(maxsize=256)  # a few paths (/tmp ...), in every pod
def _volume_name(path: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"
    name = f"rw-{slug}"
    if len(name) > 63:
        name = f"{name[:54]}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"
    return name


def _token_volume() -> Json:
    """The volume the kubelet mounts for ``automountServiceAccountToken``, spelled out."""
    return {"name": _TOKEN_VOLUME, "projected": {"defaultMode": 0o444, "sources": [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": _TOKEN_EXPIRATION_SECONDS}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace",
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}}


def apply_security_profile(spec: Json, *, profile: str, needs: ProcessNeeds) -> None:
    """Give pod ``spec`` (containers already built, the user's settings in them) the profile's
    settings wherever the user set none. Init containers get the same treatment and
    :data:`INIT_REQUESTS` / :data:`INIT_LIMITS`."""
    check_security_profile("WorkloadOptions.security_profile", profile)
    hardened = profile == "hardened"
    uid = HARDENED_UID if hardened or needs.image_user is None else needs.image_user
    pod: Json = {"seccompProfile": {"type": "RuntimeDefault"},
                 "runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid}
    if needs.listen_port is not None and needs.listen_port < 1024:
        # Lets the (non-root, capability-less) process bind its port; a namespaced, "safe" sysctl.
        pod["sysctls"] = [{"name": UNPRIVILEGED_PORT_SYSCTL, "value": str(needs.listen_port)}]
    given_pod = spec.get("securityContext") or {}
    if given_pod.get("runAsUser") == 0:
        pod.pop("runAsNonRoot")  # the user asked for root: say nothing that contradicts them
    spec["securityContext"] = _under(pod, given_pod)
    if "sysctls" in given_pod and "sysctls" in pod:
        names = {s.get("name") for s in given_pod["sysctls"]}
        spec["securityContext"]["sysctls"] = [*given_pod["sysctls"],
                                              *(s for s in pod["sysctls"] if s["name"] not in names)]

    volumes: list[Json] = list(spec.get("volumes", []))
    rw_mounts: list[Json] = []
    # Both profiles: a read-only root filesystem, writable exactly where the process writes.
    for path in needs.writable_paths:
        name = _volume_name(path)
        if not any(v.get("name") == name for v in volumes):
            volumes.append({"name": name, "emptyDir": {}})
        rw_mounts.append({"name": name, "mountPath": path})
    token_mount: Json | None = None
    if needs.api_access and hardened and spec.get("automountServiceAccountToken") is not False:
        spec["automountServiceAccountToken"] = False
        volumes.append(_token_volume())
        token_mount = {"name": _TOKEN_VOLUME, "mountPath": SERVICE_ACCOUNT_DIR, "readOnly": True}
    elif not needs.api_access:
        spec["automountServiceAccountToken"] = False

    for kind in ("initContainers", "containers"):
        init = kind == "initContainers"
        for index, container in enumerate(spec.get(kind, [])):
            caps: Json = {"drop": ["ALL"]}
            sc: Json = {"allowPrivilegeEscalation": False, "capabilities": caps, "readOnlyRootFilesystem": True}
            if hardened:
                sc.update({"privileged": False, "runAsNonRoot": True})
            given_sc = container.get("securityContext") or {}
            merged = _under(sc, {k: v for k, v in given_sc.items() if k != "capabilities"})
            if "capabilities" in given_sc:  # the user's capabilities replace the profile's
                merged["capabilities"] = dict(given_sc["capabilities"])
            container["securityContext"] = merged
            container["resources"] = _resources(
                container.get("resources") or {},
                INIT_REQUESTS if init else needs.requests,
                INIT_LIMITS if init else needs.limits)
            if hardened and "@" not in str(container.get("image", "")):
                # A tag can move: the kubelet re-checks it against the registry on every start.
                container["imagePullPolicy"] = "Always"
            sets_home = any(e.get("name") == "HOME" for e in container.get("env") or [])
            if not init and index == 0 and needs.home is not None and not sets_home:  # the process, not sidecars
                container["env"] = [*(container.get("env") or []), {"name": "HOME", "value": needs.home}]
            given_mounts = list(container.get("volumeMounts", []))
            taken = {m.get("mountPath") for m in given_mounts}
            # A writable directory before the files mounted into it (DAGSTER_HOME/dagster.yaml).
            mounts = [dict(m) for m in rw_mounts if m["mountPath"] not in taken] + given_mounts
            if token_mount is not None and not init and token_mount["mountPath"] not in taken:
                mounts.append(dict(token_mount))
            if mounts:
                container["volumeMounts"] = mounts
            if hardened or needs.file_env:
                volume = _secrets_as_files(container, f"secret-env-{len(volumes)}", needs)
                if volume is not None:
                    volumes.append(volume)
    if volumes:
        spec["volumes"] = volumes


#: Where the hardened profile mounts a container's Secret-sourced variables, one file each.
SECRET_ENV_DIR = "/var/run/secrets/dagster-env"
#: ``sh -c`` script: export each file of the directory ``$0`` as a variable, then exec ``$@``.
SECRET_ENV_WRAPPER = 'for f in "$0"/*; do [ -f "$f" ] && export "${f##*/}=$(cat "$f")"; done; exec "$@"'


def _secrets_as_files(container: Json, volume_name: str, needs: ProcessNeeds) -> Json | None:
    """Secrets reach the process as files, not as container env (which the API shows to anyone
    who can read the pod): each ``secretKeyRef`` variable and each ``envFrom`` Secret becomes
    files of a projected volume; the command (and every exec probe) runs under a ``sh``
    wrapper that exports them, or, for an image that reads ``<NAME>_FILE``, ``<NAME>_FILE``
    points at the file. Returns the volume, or ``None`` when nothing was moved (no Secret env,
    no command to wrap, or a ``$(NAME)`` reference the kubelet must expand)."""
    env = list(container.get("env") or [])
    env_from = list(container.get("envFrom") or [])
    secret_env = [e for e in env if "secretKeyRef" in (e.get("valueFrom") or {})]
    secret_from = [e for e in env_from if "secretRef" in e and not e.get("prefix")]
    if not secret_env and not secret_from:
        return None
    names = {e["name"] for e in secret_env}
    text = repr([container.get("command"), container.get("args")])
    if any(f"$({n})" in text for n in names):
        return None
    wrap = not needs.file_env
    if wrap and not container.get("command") and not container.get("args"):
        return None
    sources: list[Json] = []
    new_env: list[Json] = []
    for e in env:
        ref = (e.get("valueFrom") or {}).get("secretKeyRef")
        if ref is None:
            new_env.append(e)
            continue
        source: Json = {"name": ref["name"], "items": [{"key": ref["key"], "path": e["name"]}]}
        if ref.get("optional"):
            source["optional"] = True
        sources.append({"secret": source})
        if not wrap:
            new_env.append({"name": f"{e['name']}_FILE", "value": f"{SECRET_ENV_DIR}/{e['name']}"})
    for e in secret_from:
        source = {"name": e["secretRef"]["name"]}
        if e["secretRef"].get("optional"):
            source["optional"] = True
        sources.append({"secret": source})
    if wrap:
        prefix = ["/bin/sh", "-c", SECRET_ENV_WRAPPER, SECRET_ENV_DIR]
        command = [*(container.get("command") or []), *(container.get("args") or [])]
        container["command"] = [*prefix, *command]
        container.pop("args", None)
        for key in ("readinessProbe", "livenessProbe", "startupProbe"):
            probe = container.get(key)
            if probe and "exec" in probe:
                probe["exec"] = {"command": [*prefix, *probe["exec"]["command"]]}
    if new_env:
        container["env"] = new_env
    else:
        container.pop("env", None)
    rest = [e for e in env_from if e not in secret_from]
    if rest:
        container["envFrom"] = rest
    else:
        container.pop("envFrom", None)
    container["volumeMounts"] = [*container.get("volumeMounts", []),
                                 {"name": volume_name, "mountPath": SECRET_ENV_DIR, "readOnly": True}]
    return {"name": volume_name, "projected": {"defaultMode": 0o440, "sources": sources}}


def with_security_profile(settings: _T, profile: str) -> _T:
    """``settings`` (a frozen settings dataclass) with ``profile`` in every ``options`` that has
    no profile of its own, one level down (``webserver.options``, ``code_locations[i].options``...).
    The system's profile thus reaches every workload while a per-workload choice wins."""
    import dataclasses

    from .user_code_deployment import CodeLocationSettings
    from .workload import WorkloadOptions, replace_options

    derived: dict[int, tuple[WorkloadOptions, WorkloadOptions]] = {}  # id -> (options, with the profile)

    def one(value: Any) -> Any:
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            return value
        options = getattr(value, "options", None)
        if isinstance(options, WorkloadOptions) and options.security_profile is None:
            known = derived.get(id(options))
            if known is None or known[0] is not options:  # options shared by settings: derived once
                known = derived[id(options)] = (options, replace_options(options, security_profile=profile))
            options = known[1]
            if type(value) is CodeLocationSettings:  # (hundreds of them) its checks do not read options:
                new = object.__new__(CodeLocationSettings)  # as replace, without checking the rest again
                new.__dict__.update(value.__dict__)
                object.__setattr__(new, "options", options)
                return new
            return dataclasses.replace(value, options=options)
        return value

    assert dataclasses.is_dataclass(settings) and not isinstance(settings, type)
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, (list, tuple)):
            items = [one(v) for v in value]
            # (a replaced item differs from the original in its options' profile, unless that is None)
            if any(new is not old for new, old in zip(items, value, strict=True)) and (
                    profile is not None or type(value)(items) != value):
                changes[f.name] = type(value)(items)
        else:
            new = one(value)
            if new is not value and new != value:
                changes[f.name] = new
    return dataclasses.replace(settings, **changes) if changes else settings
