"""The kubelet stand-in: runs the pod template of a synthesized workload as local processes.

For each pod it does what a kubelet (plus the container runtime) does, in the same order:

* checks the ServiceAccount and projects its token (``automountServiceAccountToken``, the
  pod's setting over the ServiceAccount's): a token bound to the pod, issued by the Kubernetes
  API stand-in (:mod:`.api_server`), with that server's CA and the namespace. The kubernetes
  client reads them at the fixed path ``/var/run/secrets/kubernetes.io/serviceaccount``, so
  that one directory is not re-rooted but bind-mounted (read-only) there in the pod's private
  mount namespace; a pod without the automount gets an empty directory there, as in the
  cluster. ``KUBERNETES_SERVICE_HOST`` and ``_PORT`` point at the stand-in;
* materializes the volumes (ConfigMap and Secret keys, ``items``, ``subPath``, ``optional``;
  ``emptyDir`` and claims as directories) at their mount paths under the pod directory (see
  :mod:`.filesystem`), the addresses inside the files mapped by :mod:`.network`;
* builds each container's environment like ``kubelet_pods.go``: Service links, then
  ``envFrom`` in order (``prefix``, ``optional``), then ``env`` in order with ``$(VAR)``
  expansion over what is defined so far, ``secretKeyRef``/``configMapKeyRef`` (Secret ``data``
  base64-decoded, missing object or key an error unless ``optional``) and ``fieldRef``; the
  runtime adds the image's ``ENV`` underneath and ``HOSTNAME``; every value goes through the
  Service map (:mod:`.network`) and the re-rooting of paths (:mod:`.filesystem`);
* expands ``$(VAR)`` in ``command`` and ``args`` over that environment (``$$`` escapes);
  without ``command`` the image's ENTRYPOINT/CMD apply;
* runs the init containers one after the other to completion, then starts the containers,
  each in its own process group, in private UTS and mount namespaces (``unshare``) whose
  hostname is the pod's, with the image stand-in's ``PATH``, working directory and user;
* runs probes as the kubelet would: ``exec`` (with the probe's ``timeoutSeconds``, no
  ``$(VAR)`` expansion), ``httpGet`` (2xx/3xx), ``tcpSocket``.

The pod's users (when the harness runs as root): each container runs as its ``runAsUser`` /
``runAsGroup`` (container over pod) with ``fsGroup`` and ``supplementalGroups`` as its groups;
``emptyDir`` volumes are world-writable (mode 0777, as the kubelet makes them); with ``fsGroup``,
claims become group-owned and group-writable (setgid) and the files of ConfigMap, Secret and
projected volumes group-owned by it, as the kubelet's volume ownership management does. Image
stand-ins may override the user (PostgreSQL's server runs as this machine's ``postgres``). Such a
process keeps ``CAP_DAC_READ_SEARCH``: it may read any file of this machine (the stand-ins'
programs), but writes only where its user may, so a profile that leaves a path the process
writes read-only or foreign (``HOME``, ``DAGSTER_HOME``, ``/tmp``) fails here as in a cluster.

Not emulated: resource limits, the rest of security contexts (read-only root filesystems,
capabilities, sysctls, seccomp), restarts and back-off (a failure fails the test),
more than one replica per workload, ``downwardAPI`` volumes, ``resourceFieldRef``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .diagnosis import explain
from .filesystem import PodFilesystem
from .manifests import Cluster, Manifest
from .network import LOOPBACK, PodPorts, ServiceMap, workload_key
from .processes import (
    STEP_TIMEOUT,
    Completed,
    PortAllocator,
    Process,
    SmokeError,
    run,
    start,
    tail,
)

if TYPE_CHECKING:
    from .api_server import KubeApi

__all__ = [
    "SA_DIR",
    "Container",
    "ImageStandIn",
    "Node",
    "Pod",
    "PodConfigError",
    "PodFailed",
    "ProbeResult",
    "expand",
]

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
_SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
#: Env vars whose value describes the pods Dagster launches (a code location's container
#: context), not this pod: passed as written, since the kubelet maps addresses and re-roots paths
#: when it runs those pods (mapping them here would point a run at this pod's files).
PASSED_AS_WRITTEN = frozenset({"DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT", "DAGSTER_CONTAINER_CONTEXT"})
#: How often the harness re-runs a probe that has not passed yet (faster than periodSeconds).
PROBE_INTERVAL = 1.0
#: Probe ``timeoutSeconds`` are stretched by this factor (``SMOKE_PROBE_TIMEOUT_SCALE``; 1 means
#: exactly as written). In a cluster each pod has its own CPU; here every container of a system
#: shares the machine's cores, and an exec probe that starts Python (``dagster-celery status``
#: imports Dagster twice: 2-3 s on an idle 2-core machine) takes 10 s and more while the other
#: pods start or a run executes. What the probes check (the command, its exit code) is unchanged.
PROBE_TIMEOUT_SCALE = float(os.environ.get("SMOKE_PROBE_TIMEOUT_SCALE", "3"))


class PodConfigError(SmokeError):
    """The pod cannot be created or a container not configured (CreateContainerConfigError ...)."""


class PodFailed(SmokeError):
    """A container exited, an init container or Job failed, or a probe never passed; the message
    carries the output and, for a known failure signature, what in the manifests causes it."""

    def __init__(self, message: str) -> None:
        super().__init__(message + explain(message))


def expand(text: str, lookup: Callable[[str], str | None]) -> str:
    """Kubernetes' ``$(VAR)`` expansion (``third_party/forked/golang/expansion``): ``$(NAME)``
    becomes the value, or stays ``$(NAME)`` if undefined; ``$$`` is a literal ``$``."""
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            out.append(text[checkpoint:cursor])
            following = text[cursor + 1]
            advance = 1
            if following == "$":
                out.append("$")
            elif following == "(":
                close = text.find(")", cursor + 2)
                if close == -1:
                    out.append("$(")
                else:
                    name = text[cursor + 2:close]
                    value = lookup(name)
                    out.append(value if value is not None else f"$({name})")
                    advance = close - cursor
            else:
                out.append("$" + following)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    out.append(text[checkpoint:])
    return "".join(out)


@dataclass(frozen=True)
class ImageStandIn:
    """What the harness runs in place of a container image.

    Args:
        bin_dirs: the image's executables (prepended to the system ``PATH``).
        env: the image's ``ENV`` (paths re-rooted like the container's env).
        workdir: the image's ``WORKDIR``.
        entrypoint / cmd: the image's ``ENTRYPOINT`` / ``CMD``.
        files: container path -> local file: the image's own files the pod uses.
        adapt: called before a (non-init) container of this image starts: emulates the image's
            entrypoint (``initdb`` ...) and makes an image-default listener use its local port.
    """

    bin_dirs: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    workdir: str = "/"
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    files: Mapping[str, Path] = field(default_factory=dict)
    adapt: Callable[[Pod, Container], None] | None = None


@dataclass
class Container:
    """One container, ready to run: argv, env, working directory as the process gets them."""

    name: str
    spec: Manifest
    image: ImageStandIn
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    init: bool
    user: str | None = None
    process: Process | None = None

    def probe_spec(self, kind: str) -> Manifest | None:
        probe = self.spec.get(kind)
        return dict(probe) if probe else None


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    detail: str


def _ensure_dir(path: Path) -> list[Path]:
    """Create ``path`` (a mount point on this machine) if missing; returns the directories created."""
    missing = [p for p in [path, *path.parents] if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    return list(reversed(missing))


def _pod_name(kind: str, name: str) -> str:
    digest = hashlib.sha256(f"{kind}/{name}".encode()).hexdigest()
    if kind == "StatefulSet":
        return f"{name}-0"
    if kind == "Job":
        return f"{name}-{digest[:5]}"
    return f"{name}-{digest[:10]}-{digest[10:15]}"


class Node:
    """The machine as one Kubernetes node: the cluster's objects, Service map, pods.

    With ``api`` (:class:`.api_server.KubeApi`) the ServiceAccount tokens it projects are that
    API server's and ``KUBERNETES_SERVICE_HOST``/``_PORT`` reach it; without, they reach nothing."""

    def __init__(self, cluster: Cluster, root: Path, images: Mapping[str, ImageStandIn],
                 allocator: PortAllocator, api: KubeApi | None = None) -> None:
        self.cluster = cluster
        self.root = root
        self.images = images
        self.allocator = allocator
        self.api = api
        self.pod_ports = PodPorts(allocator)
        self.services = ServiceMap(cluster, self.pod_ports,
                                   api_server_port=api.port if api is not None else allocator.allocate())
        self.pods: dict[str, Pod] = {}
        self._created_mount_points: list[Path] | None = None
        self._mount_points_lock = threading.Lock()

    def prepare_mount_points(self) -> None:
        """Create the mount point the pods' ServiceAccount directories are bound on, if missing
        (pods start from several threads: the first creates it and remembers what it created)."""
        with self._mount_points_lock:
            if self._created_mount_points is None:
                self._created_mount_points = _ensure_dir(Path(SA_DIR))

    def image(self, ref: str, where: str) -> ImageStandIn:
        repository = ref.split("@", 1)[0]
        last = repository.rsplit("/", 1)[-1]
        if ":" in last:
            repository = repository[: repository.rindex(":")]
        if repository not in self.images:
            raise PodConfigError(f"{where}: no stand-in for image {ref!r} (known: {', '.join(sorted(self.images))})")
        return self.images[repository]

    def pod(self, workload: Manifest) -> Pod:
        key = workload_key(workload)
        if key not in self.pods:
            self.pods[key] = Pod(self, workload)
        return self.pods[key]

    def job_pod(self, job: Manifest) -> Pod:
        """The pod of a Job created through the API (stopped with the node)."""
        pod = Pod(self, job)
        with self._mount_points_lock:
            self.pods[f"{pod.key}#{job['metadata'].get('uid', '')}"] = pod
        return pod

    def stop(self) -> None:
        if self.api is not None:
            self.api.stop()
        for pod in reversed(list(self.pods.values())):
            pod.stop()
        # The mount point the pods' ServiceAccount directories are bound on stays: another smoke
        # session on this machine may be starting pods on it (removing it made theirs fail).


class Pod:
    """One pod of a workload (one replica, whatever ``replicas`` says)."""

    def __init__(self, node: Node, workload: Manifest) -> None:
        self.node = node
        self.workload = workload
        self.key = workload_key(workload)
        self.kind = workload["kind"]
        template = workload["spec"]["template"]
        self.labels: dict[str, str] = dict((template.get("metadata") or {}).get("labels") or {})
        self.spec: Manifest = template["spec"]
        self.name = _pod_name(self.kind, workload["metadata"]["name"])
        self.hostname = (self.spec.get("hostname") or self.name)[:63].rstrip("-.")
        self.fs = PodFilesystem(node.root / "pods" / self.name)
        self.fs.root.mkdir(parents=True, exist_ok=True)
        self.ports: dict[int, int] = {
            int(p["containerPort"]): node.pod_ports.local_port(self.key, int(p["containerPort"]))
            for c in [*self.spec.get("initContainers", []), *self.spec["containers"]] for p in c.get("ports") or []
        }
        self.service_account = self.spec.get("serviceAccountName") or "default"
        self.processes: list[Process] = []
        self.helpers: list[Process] = []
        #: What the tests found out about the pod (e.g. its Celery node name), to ask only once.
        self.facts: dict[str, Any] = {}
        if not node.cluster.service_account_exists(self.service_account):
            raise PodConfigError(f"{self.key}: serviceAccountName {self.service_account!r} is not a ServiceAccount "
                                 "in the manifests (the API server rejects the pod)")
        self._sa_volume: Path | None = None  # a volume mounted at SA_DIR (explicit token projection)
        self._volumes = self._materialize_volumes()
        self._declare_paths()
        self.init_containers = [self._prepare(c, init=True) for c in self.spec.get("initContainers") or []]
        self.containers = {c["name"]: self._prepare(c, init=False) for c in self.spec["containers"]}

    # ---- volumes ------------------------------------------------------------------------------
    @property
    def _kubelet_dir(self) -> Path:
        return self.node.root / "kubelet" / self.name

    def _materialize_volumes(self) -> dict[str, tuple[Path, bool]]:
        """Volume name -> (its directory, whether it is writable and shared rather than copied)."""
        volumes: dict[str, tuple[Path, bool]] = {}
        for volume in self.spec.get("volumes") or []:
            name = volume["name"]
            target = self._kubelet_dir / "volumes" / name
            target.mkdir(parents=True, exist_ok=True)
            where = f"{self.key} volume {name}"
            if "configMap" in volume:
                ref = volume["configMap"]
                self._project(target, "ConfigMap", ref, where)
                volumes[name] = (target, False)
            elif "secret" in volume:
                ref = volume["secret"]
                self._project(target, "Secret", {**ref, "name": ref.get("secretName")}, where)
                volumes[name] = (target, False)
            elif "projected" in volume:
                mode = int(volume["projected"].get("defaultMode", 0o644))
                for source in volume["projected"].get("sources") or []:
                    if "configMap" in source:
                        self._project(target, "ConfigMap", {"defaultMode": mode, **source["configMap"]}, where)
                    elif "secret" in source:
                        self._project(target, "Secret", {"defaultMode": mode, **source["secret"]}, where)
                    elif "serviceAccountToken" in source:  # the hardened profile's explicit token volume
                        self._write(target / source["serviceAccountToken"].get("path", "token"),
                                    self._token(), mode)
                    elif "downwardAPI" in source:
                        for item in source["downwardAPI"].get("items") or []:
                            if "fieldRef" not in item:
                                raise PodConfigError(f"{where}: downwardAPI item {sorted(item)} is not emulated")
                            self._write(target / item["path"], self._field_ref(item["fieldRef"]["fieldPath"], where),
                                        int(item.get("mode", mode)))
                    else:
                        raise PodConfigError(f"{where}: projected source {sorted(source)} is not emulated")
                volumes[name] = (target, False)
            elif "emptyDir" in volume:
                target.chmod(0o777)
                volumes[name] = (target, True)
            elif "persistentVolumeClaim" in volume:
                self._own_claim(target)
                volumes[name] = (target, True)
            else:
                raise PodConfigError(f"{where}: volume type {sorted(set(volume) - {'name'})} is not emulated")
        for claim in self.workload["spec"].get("volumeClaimTemplates") or []:
            name = claim["metadata"]["name"]
            target = self._kubelet_dir / "volumes" / name
            target.mkdir(parents=True, exist_ok=True)
            self._own_claim(target)
            volumes[name] = (target, True)
        for target, _shared in volumes.values():
            ensure_dir_traversable(target, self.node.root)
        return volumes

    def _write(self, path: Path, text: str, mode: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)
        self._own_files(path)

    def _token(self) -> str:
        """A token bound to this pod from the API stand-in (what the kubelet projects)."""
        api = self.node.api
        if api is None:
            return "smoke-test-stand-in-token (no API server)\n"
        return api.issue_token(self.name, self.service_account)

    @property
    def _fs_group(self) -> int | None:
        group = (self.spec.get("securityContext") or {}).get("fsGroup")
        return int(group) if group is not None else None

    def _own_claim(self, target: Path) -> None:
        """A claim under ``fsGroup``: group-owned, group-writable, new files inherit the group."""
        if self._fs_group is not None and os.geteuid() == 0:
            os.chown(target, -1, self._fs_group)
            target.chmod(0o2775)

    def _own_files(self, path: Path) -> None:
        """ConfigMap/Secret/projected files under ``fsGroup``: group-owned (their mode as given)."""
        if self._fs_group is None or os.geteuid() != 0:
            return
        for item in [path, *(path.rglob("*") if path.is_dir() else [])]:
            os.chown(item, -1, self._fs_group)

    def _run_as(self, spec: Manifest) -> str | None:
        """``UID:GID:GROUPS`` the container runs as, or ``None`` (the stand-in's own user: root)."""
        pod_sc = self.spec.get("securityContext") or {}
        sc = spec.get("securityContext") or {}
        uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
        if uid is None or int(uid) == 0:
            return None
        gid = sc.get("runAsGroup", pod_sc.get("runAsGroup", 0))  # no passwd entry: the runtime's GID 0
        groups = [str(g) for g in [pod_sc.get("fsGroup"), *(pod_sc.get("supplementalGroups") or [])]
                  if g is not None]
        return f"{int(uid)}:{int(gid)}:{','.join(groups)}"

    def _project(self, target: Path, kind: str, ref: Manifest, where: str) -> None:
        """Write a ConfigMap's/Secret's keys (or ``items``) into ``target``, addresses mapped."""
        name = str(ref.get("name"))
        cluster = self.node.cluster
        data = cluster.config_map_data(name) if kind == "ConfigMap" else cluster.secret_data(name)
        if data is None and (kind, name) == ("ConfigMap", "kube-root-ca.crt"):
            # The cluster publishes its CA in every namespace: here, the API stand-in's.
            ca = self.node.api.ca_pem if self.node.api is not None else "smoke-test stand-in CA\n"
            data = {"ca.crt": ca.encode()}
        if data is None:
            if ref.get("optional"):
                return
            raise PodConfigError(f"{where}: {kind.lower()} {name!r} not found (MountVolume.SetUp failed)")
        items = ref.get("items") or [{"key": k, "path": k} for k in data]
        mode = int(ref.get("defaultMode", 0o644))
        for item in items:
            key = item["key"]
            if key not in data:
                if ref.get("optional"):
                    continue
                raise PodConfigError(f"{where}: {kind} {name} has no key {key!r} (configured in items)")
            path = target / item["path"]
            path.parent.mkdir(parents=True, exist_ok=True)
            content = self.node.services.rewrite_file(data[key], f"{where} ({kind} {name}, key {key})")
            path.write_bytes(content)
            path.chmod(int(item.get("mode", mode)))
            self._own_files(path)

    def _mounts(self, container: Manifest) -> None:
        for mount in container.get("volumeMounts") or []:
            name = mount["name"]
            if name not in self._volumes:
                raise PodConfigError(f"{self.key} container {container['name']}: volumeMount {name!r} names no volume")
            source, shared = self._volumes[name]
            if mount.get("subPath"):
                source = source / mount["subPath"]
                if not source.exists():
                    source.mkdir(parents=True)  # the kubelet creates a missing subPath as a directory
            if mount["mountPath"] == SA_DIR:
                # Read at this fixed path by the kubernetes client: bound there, not re-rooted.
                self._sa_volume = source
                continue
            dest = self.fs.path(mount["mountPath"])
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.is_symlink() or dest.is_file():
                dest.unlink()
            if shared:
                if dest.is_dir():
                    shutil.rmtree(dest)
                dest.symlink_to(source, target_is_directory=True)
            elif source.is_dir():
                shutil.copytree(source, dest, dirs_exist_ok=True)
                self._own_files(dest)
            else:
                shutil.copy2(source, dest)
                self._own_files(dest)

    def _automount_token(self) -> bool:
        explicit = self.spec.get("automountServiceAccountToken")
        if explicit is not None:
            return bool(explicit)
        return self.node.cluster.service_account_automounts(self.service_account)

    def _declare_paths(self) -> None:
        containers = [*self.spec.get("initContainers", []), *self.spec["containers"]]
        for container in containers:
            image = self.node.image(container["image"], f"{self.key} container {container['name']}")
            self.fs.provide([m["mountPath"] for m in container.get("volumeMounts") or []], with_parent=True)
            self.fs.provide(image.files, with_parent=True)
            self.fs.provide([p for p in (container.get("workingDir"), image.workdir, image.env.get("HOME"))
                             if p and p != "/"])
            for container_path, source in image.files.items():
                dest = self.fs.path(container_path)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest)
            self._mounts(container)
        # The kubernetes client reads the token at this fixed path, not at a path of the
        # manifests, so the directory is bind-mounted there (an empty one without automount).
        sa_dir = self._kubelet_dir / "serviceaccount"
        sa_dir.mkdir(parents=True, exist_ok=True)
        if self._automount_token():
            api = self.node.api
            if api is not None:  # a bound token of this pod, and the API server's CA
                (sa_dir / "token").write_text(api.issue_token(self.name, self.service_account))
                (sa_dir / "ca.crt").write_text(api.ca_pem)
            else:
                (sa_dir / "token").write_text("smoke-test-stand-in-token (no API server)\n")
                (sa_dir / "ca.crt").write_text("smoke-test stand-in CA: there is no API server\n")
            (sa_dir / "namespace").write_text(self.node.cluster.namespace)
        self.binds = [(str(self._sa_volume or sa_dir), SA_DIR)]

    # ---- environment ----------------------------------------------------------------------------
    def _field_ref(self, path: str, where: str) -> str:
        meta = {"metadata.name": self.name, "metadata.namespace": self.node.cluster.namespace,
                "metadata.uid": hashlib.sha256(self.name.encode()).hexdigest()[:32],
                "spec.nodeName": "smoke-node", "spec.serviceAccountName": self.service_account,
                "status.podIP": LOOPBACK, "status.podIPs": LOOPBACK, "status.hostIP": LOOPBACK}
        if path in meta:
            return meta[path]
        if path.startswith("metadata.labels['") and path.endswith("']"):
            return self.labels.get(path[len("metadata.labels['"):-2], "")
        raise PodConfigError(f"{where}: fieldRef {path!r} is not emulated")

    def _key_ref(self, kind: str, ref: Manifest, where: str) -> str | None:
        cluster = self.node.cluster
        data = cluster.secret_data(ref["name"]) if kind == "Secret" else cluster.config_map_data(ref["name"])
        if data is None:
            if ref.get("optional"):
                return None
            raise PodConfigError(f"{where}: {kind.lower()} {ref['name']!r} not found (CreateContainerConfigError)")
        if ref["key"] not in data:
            if ref.get("optional"):
                return None
            raise PodConfigError(f"{where}: couldn't find key {ref['key']} in {kind} "
                                 f"{cluster.namespace}/{ref['name']} (CreateContainerConfigError)")
        return data[ref["key"]].decode()

    def _kube_env(self, container: Manifest, where: str) -> tuple[dict[str, str], dict[str, str]]:
        """The variables the kubelet passes (name -> value) and where each came from."""
        links = self.node.services.service_link_env()
        if not self.spec.get("enableServiceLinks", True):
            links = {k: v for k, v in links.items() if k.startswith("KUBERNETES_")}
        env: dict[str, str] = {}
        origin: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            prefix = source.get("prefix", "")
            for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if key not in source:
                    continue
                ref = source[key]
                cluster = self.node.cluster
                data = cluster.config_map_data(ref["name"]) if kind == "ConfigMap" else cluster.secret_data(ref["name"])
                if data is None:
                    if ref.get("optional"):
                        continue
                    raise PodConfigError(f"{where}: envFrom {kind.lower()} {ref['name']!r} not found "
                                         "(CreateContainerConfigError)")
                for name, raw in data.items():
                    if "=" in name:
                        continue  # not a valid variable name: the kubelet skips it
                    env[prefix + name] = raw.decode()
                    origin[prefix + name] = f"from {kind} {ref['name']}, key {name}, via envFrom"

        def lookup(name: str) -> str | None:
            return env.get(name, links.get(name))

        for var in container.get("env") or []:
            name = var["name"]
            if "valueFrom" in var:
                source = var["valueFrom"]
                value: str | None
                if "secretKeyRef" in source:
                    ref = source["secretKeyRef"]
                    value = self._key_ref("Secret", ref, f"{where}: env {name}")
                    origin[name] = f"from Secret {ref['name']}, key {ref['key']}"
                elif "configMapKeyRef" in source:
                    ref = source["configMapKeyRef"]
                    value = self._key_ref("ConfigMap", ref, f"{where}: env {name}")
                    origin[name] = f"from ConfigMap {ref['name']}, key {ref['key']}"
                elif "fieldRef" in source:
                    value = self._field_ref(source["fieldRef"]["fieldPath"], f"{where}: env {name}")
                    origin[name] = f"fieldRef {source['fieldRef']['fieldPath']}"
                else:
                    raise PodConfigError(f"{where}: env {name}: valueFrom {sorted(source)} is not emulated")
                if value is None:
                    continue  # optional and missing: the variable is not set
            else:
                value = expand(str(var.get("value", "")), lookup)
                origin[name] = "env value"
            env[name] = value
        for name, link in links.items():
            if name not in env:
                env[name] = link
                origin[name] = "Service link"
        return env, origin

    def _prepare(self, spec: Manifest, *, init: bool) -> Container:
        name = spec["name"]
        where = f"{self.key} {'init container' if init else 'container'} {name}"
        image = self.node.image(spec["image"], where)
        kube_env, origin = self._kube_env(spec, where)
        command = spec.get("command")
        args = spec.get("args")
        if command is None:
            command = list(image.entrypoint)
            if args is None:
                args = list(image.cmd)
        argv = [expand(str(a), kube_env.get) for a in [*command, *(args or [])]]
        if not argv:
            raise PodConfigError(f"{where}: neither the container nor the image stand-in gives a command")
        argv = self.map_command(argv, f"{where} command")
        env = {k: self.fs.reroot_text(v) for k, v in image.env.items()}
        env.setdefault("PATH", ":".join([*image.bin_dirs, *_SYSTEM_PATH]))
        env["HOSTNAME"] = self.hostname
        for key, value in kube_env.items():
            if key in PASSED_AS_WRITTEN:
                env[key] = value
                continue
            mapped = self.node.services.rewrite_value(value, f"{where}: env {key} ({origin[key]})")
            env[key] = self.fs.reroot_text(mapped)
        cwd = self.fs.path(spec.get("workingDir") or image.workdir)
        cwd.mkdir(parents=True, exist_ok=True)
        ensure_dir_traversable(cwd, self.node.root)
        return Container(name=name, spec=spec, image=image, argv=argv, env=env, cwd=cwd, init=init,
                         user=self._run_as(spec))

    def map_command(self, argv: Sequence[str], where: str) -> list[str]:
        """A command (or exec probe) as this pod runs it: addresses mapped, paths re-rooted."""
        return [self.fs.reroot_text(a) for a in self.node.services.rewrite_command(argv, where, self.ports)]

    # ---- lifecycle -------------------------------------------------------------------------------
    def log_path(self, container: str) -> Path:
        path = self._kubelet_dir / "logs" / f"{container}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def start_helper(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> Process:
        """A process the image stand-in needs next to its container (RabbitMQ's epmd)."""
        process = start(f"{self.key}/{name}", argv, env=env, cwd=self.fs.root, log_path=self.log_path(name))
        self.helpers.append(process)
        return process

    def run_step(self, name: str, argv: Sequence[str], env: Mapping[str, str], *, user: str | None = None,
                 timeout: float = STEP_TIMEOUT, stdin: str | None = None) -> Completed:
        """A setup command of an image stand-in's entrypoint; a failure fails the pod."""
        result = run(argv, env=env, cwd=self.fs.root, timeout=timeout, user=user, stdin=stdin)
        with self.log_path(name).open("a") as log:
            log.write(f"$ {' '.join(argv)}\n{result.output}\n")
        if not result.ok:
            raise PodFailed(f"{self.key}: {name}: {result.describe()}")
        return result

    def start(self) -> None:
        """Run the init containers to completion, then start the containers."""
        self.node.prepare_mount_points()
        for container in self.init_containers:
            result = run(container.argv, env=container.env, cwd=container.cwd, timeout=STEP_TIMEOUT,
                         hostname=self.hostname, user=container.user, binds=self.binds)
            self.log_path(container.name).write_text(result.output)
            if not result.ok:
                raise PodFailed(f"{self.key}: init container {container.name} {result.describe()}")
        for container in self.containers.values():
            if container.image.adapt is not None:
                container.image.adapt(self, container)
            container.process = start(f"{self.key}/{container.name}", container.argv, env=container.env,
                                      cwd=container.cwd, log_path=self.log_path(container.name),
                                      hostname=self.hostname, user=container.user, binds=self.binds)
            self.processes.append(container.process)

    def container(self, name: str | None = None) -> Container:
        if name is None:
            if len(self.containers) != 1:
                raise SmokeError(f"{self.key} has containers {sorted(self.containers)}; name one")
            return next(iter(self.containers.values()))
        return self.containers[name]

    def check_running(self, container: Container) -> None:
        process = container.process
        if process is None:
            raise PodFailed(f"{self.key}: container {container.name} was never started")
        if not process.alive():
            raise PodFailed(f"{self.key}: container {container.name} exited with code {process.returncode}:\n"
                            f"{process.log_tail()}")

    def wait_completed(self, timeout: float = STEP_TIMEOUT) -> None:
        """A Job's pod: every container exits 0 within ``timeout``."""
        deadline = time.monotonic() + timeout
        for container in self.containers.values():
            assert container.process is not None
            try:
                container.process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except Exception as exc:
                container.process.stop()
                raise PodFailed(f"{self.key}: container {container.name} did not finish within {timeout:.0f}s:\n"
                                f"{container.process.log_tail()}") from exc
            if container.process.returncode != 0:
                raise PodFailed(f"{self.key}: container {container.name} failed with exit code "
                                f"{container.process.returncode}:\n{container.process.log_tail()}")

    # ---- probes ----------------------------------------------------------------------------------
    def _probe_port(self, container: Container, port: Any) -> int:
        if isinstance(port, str) and not port.isdigit():
            for declared in container.spec.get("ports") or []:
                if declared.get("name") == port:
                    return self.ports[int(declared["containerPort"])]
            raise PodConfigError(f"{self.key} container {container.name}: probe port {port!r} names no container port")
        return self.ports.get(int(port), int(port))

    def probe(self, container: Container, kind: str) -> ProbeResult:
        """Run ``kind`` (``readinessProbe`` ...) of ``container`` once, as the kubelet would."""
        spec = container.probe_spec(kind)
        if spec is None:
            raise SmokeError(f"{self.key} container {container.name} has no {kind}")
        timeout = float(spec.get("timeoutSeconds", 1)) * PROBE_TIMEOUT_SCALE
        where = f"{self.key} container {container.name} {kind}"
        self.node.prepare_mount_points()
        if "exec" in spec:
            argv = self.map_command([str(a) for a in spec["exec"]["command"]], where)
            result = run(argv, env=container.env, cwd=container.cwd, timeout=timeout, hostname=self.hostname,
                         user=container.user, binds=self.binds)
            return ProbeResult(result.ok, result.describe())
        if "httpGet" in spec:
            get = spec["httpGet"]
            if get.get("scheme", "HTTP").upper() != "HTTP":
                raise SmokeError(f"{where}: only HTTP probes are emulated")
            url = f"http://{LOOPBACK}:{self._probe_port(container, get['port'])}{get.get('path', '/')}"
            request = urllib.request.Request(url, headers={h["name"]: h["value"] for h in get.get("httpHeaders", [])})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    return ProbeResult(200 <= response.status < 400, f"GET {get.get('path', '/')} -> {response.status}")
            except urllib.error.HTTPError as exc:
                return ProbeResult(False, f"GET {get.get('path', '/')} -> {exc.code}")
            except OSError as exc:
                return ProbeResult(False, f"GET {get.get('path', '/')}: {exc}")
        if "tcpSocket" in spec:
            port = self._probe_port(container, spec["tcpSocket"]["port"])
            try:
                socket.create_connection((LOOPBACK, port), timeout=timeout).close()
            except OSError as exc:
                return ProbeResult(False, f"connect to port {spec['tcpSocket']['port']}: {exc}")
            return ProbeResult(True, f"connected to port {spec['tcpSocket']['port']}")
        raise SmokeError(f"{where}: probe type {sorted(spec)} is not emulated")

    def wait_probe(self, container: Container, kind: str, timeout: float = STEP_TIMEOUT) -> ProbeResult:
        """Re-run a probe until it passes; fail with its last output if it never does."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_running(container)
            result = self.probe(container, kind)
            if result.ok:
                return result
            if time.monotonic() + PROBE_INTERVAL > deadline:
                self.check_running(container)
                log = container.process.log_tail() if container.process else "(not started)"
                raise PodFailed(f"{self.key}: {kind} of container {container.name} did not pass within "
                                f"{timeout:.0f}s; last attempt: {result.detail}\n  container log:\n{log}")
            time.sleep(PROBE_INTERVAL)

    def exec(self, container: Container, argv: Sequence[str], timeout: float = STEP_TIMEOUT) -> Completed:
        """``kubectl exec``: ``argv`` in the container's environment (addresses and paths mapped)."""
        mapped = self.map_command(argv, f"{self.key} exec")
        self.node.prepare_mount_points()
        return run(mapped, env=container.env, cwd=container.cwd, timeout=timeout, hostname=self.hostname,
                   user=container.user, binds=self.binds)

    def log(self, container: Container) -> str:
        return tail(self.log_path(container.name), 60)

    def stop(self) -> None:
        for process in reversed([*self.processes, *self.helpers]):
            if process.alive():
                process.stop()
            else:
                process.stop(grace=0.1)  # reap leftovers of the group


def ensure_dir_traversable(path: Path, stop_at: Path) -> None:
    """Let a dropped-privilege process (PostgreSQL's user) traverse from ``stop_at`` to ``path``."""
    current = path
    while True:
        mode = current.stat().st_mode
        current.chmod(mode | 0o711)
        if current == stop_at or current.parent == current:
            return
        current = current.parent


def chown_tree(path: Path, user: str) -> None:
    import pwd

    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    for dirpath, _dirnames, filenames in os.walk(path):
        os.chown(dirpath, entry.pw_uid, entry.pw_gid)
        for filename in filenames:
            os.chown(os.path.join(dirpath, filename), entry.pw_uid, entry.pw_gid)
