"""The DNS/Service map: the one place where cluster addresses become local ones.

In the cluster every pod has its own IP, and a client reaches a pod through a Service name
(``dagster-postgresql``, ``dagster-postgresql.<ns>.svc.cluster.local`` ...) and a Service port,
which the Service's selector and ``targetPort`` route to a pod's ``containerPort``. The harness
runs every pod on this machine's loopback, so:

* each ``(workload, containerPort)`` gets its own free local port (:class:`PodPorts`);
* each Service port resolves, through the Service's selector (which must select the pod
  template of exactly one workload) and its ``targetPort`` (a number or a container port
  name), to that local port (:meth:`ServiceMap.resolve`);
* the addresses in what a container sees are rewritten before it starts, by these rules:

  - everywhere (env values, mounted files, commands): URLs ``scheme://[user@]host[:port]`` and
    ``host:port`` words whose host is a Service. A URL host that is neither a Service nor a
    loopback/IP address is an error (:class:`UnknownServiceHost`);
  - YAML files: every mapping with a ``host``/``hostname`` and a ``port`` key (``postgres_db``
    blocks of ``dagster.yaml``, ``grpc_server`` entries of ``workspace.yaml``); a host that is
    not a Service is an error;
  - commands, args and exec probes (including ``sh -c`` scripts): a Service name as a word
    becomes ``127.0.0.1`` and that Service's port numbers in the same string its local ports;
    the pod's own ``containerPort`` numbers become their local ports (a server's ``-p 80``);
    ``0.0.0.0`` becomes ``127.0.0.1`` (a pod's "all interfaces" is its own network namespace;
    the harness never listens on the machine's public interfaces); a ``-h``/``--host`` value
    that is no Service is an error.

Service links (``<SVC>_SERVICE_HOST`` ...) carry the local addresses too; the API server
(``kubernetes.default``) is an address nothing listens on.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from .manifests import Cluster, Manifest, ManifestError
from .processes import PortAllocator, SmokeError

__all__ = ["LOOPBACK", "Endpoint", "PodPorts", "ServiceMap", "UnknownServiceHost"]

LOOPBACK = "127.0.0.1"
_BIND_ANY = ("0.0.0.0", "::", "[::]")
_DEFAULT_PORTS = {"amqp": 5672, "pyamqp": 5672, "amqps": 5671, "redis": 6379, "rediss": 6379,
                  "postgres": 5432, "postgresql": 5432, "http": 80, "https": 443}
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^\s/?#'\"\\]*)")
_HOST_PORT = re.compile(r"(?<![\w.@:/-])(?P<host>[a-z0-9][a-z0-9.-]*):(?P<port>\d{1,5})(?![\w.])")
_WORD = re.compile(r"(?<![\w.-])[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?![\w.-])")
_NUMBER = re.compile(r"(?<![\w.])\d{1,5}(?![\w.])")
_HOST_OPTION = re.compile(r"(?:^|[\s;|&(])(?:-h|--host|--hostname)(?:=|\s+)([^\s;|&)'\"]+)")


class UnknownServiceHost(SmokeError):
    """A host name that is no Service of the manifests: in the cluster it would not resolve."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class PodPorts:
    """The local port standing in for each ``(workload, containerPort)``: the pod's IP:port."""

    def __init__(self, allocator: PortAllocator) -> None:
        self._allocator = allocator
        self._ports: dict[tuple[str, int], int] = {}

    def local_port(self, workload: str, container_port: int) -> int:
        key = (workload, container_port)
        if key not in self._ports:
            self._ports[key] = self._allocator.allocate()
        return self._ports[key]


def workload_key(obj: Manifest) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def _is_address(host: str) -> bool:
    if host in ("localhost", *_BIND_ANY):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class ServiceMap:
    """Service names and ports of the manifests -> local endpoints (see the module docstring)."""

    def __init__(self, cluster: Cluster, ports: PodPorts, api_server_port: int) -> None:
        self.cluster = cluster
        self.api_server = Endpoint(LOOPBACK, api_server_port)
        self._endpoints: dict[tuple[str, int], Endpoint] = {}
        self._service_ports: dict[str, list[int]] = {}
        self._names: dict[str, str] = {}
        ns = cluster.namespace
        for service in cluster.of_kind("Service"):
            name = service["metadata"]["name"]
            for alias in (name, f"{name}.{ns}", f"{name}.{ns}.svc", f"{name}.{ns}.svc.cluster.local"):
                self._names[alias] = name
            spec = service.get("spec") or {}
            if spec.get("type") == "ExternalName":
                raise ManifestError(f"Service/{name}: ExternalName Services are not emulated")
            workload = self._selected_workload(name, spec.get("selector") or {})
            self._service_ports[name] = []
            for port in spec.get("ports") or []:
                container_port = self._target_port(name, workload, port)
                self._service_ports[name].append(int(port["port"]))
                self._endpoints[(name, int(port["port"]))] = Endpoint(
                    LOOPBACK, ports.local_port(workload_key(workload), container_port))

    # ---- Services -> pods ------------------------------------------------------------------
    def _selected_workload(self, service: str, selector: Mapping[str, str]) -> Manifest:
        if not selector:
            raise ManifestError(f"Service/{service} has no selector (manual Endpoints are not emulated)")
        selected = [w for w in self.cluster.workloads()
                    if selector.items() <= ((w["spec"]["template"].get("metadata") or {}).get("labels") or {}).items()]
        if len(selected) != 1:
            found = ", ".join(workload_key(w) for w in selected) or "no pod template"
            raise ManifestError(f"Service/{service} selector {dict(selector)} must select the pods of exactly one "
                                f"workload, selects: {found}")
        return selected[0]

    @staticmethod
    def _target_port(service: str, workload: Manifest, port: Manifest) -> int:
        target = port.get("targetPort", port["port"])
        if isinstance(target, int):
            return target
        if str(target).isdigit():
            return int(str(target))
        containers = workload["spec"]["template"]["spec"]["containers"]
        for container in containers:
            for container_port in container.get("ports") or []:
                if container_port.get("name") == target:
                    return int(container_port["containerPort"])
        raise ManifestError(f"Service/{service} port {port['port']}: targetPort {target!r} names no container "
                            f"port of {workload_key(workload)}")

    # ---- lookups -----------------------------------------------------------------------------
    @property
    def service_names(self) -> list[str]:
        return sorted(self._service_ports)

    def service_of(self, host: str) -> str | None:
        return self._names.get(host)

    def resolve(self, host: str, port: int | None, where: str) -> Endpoint:
        """The local endpoint of Service ``host`` at Service port ``port`` (``None``: its only port)."""
        service = self.service_of(host)
        if service is None:
            raise UnknownServiceHost(
                f"{where} names host {host!r}, which is not a Service in the manifests; in the cluster it would "
                f"not resolve (Services: {', '.join(self.service_names)})")
        ports = self._service_ports[service]
        if port is None:
            if len(ports) != 1:
                raise SmokeError(f"{where}: Service {service} has ports {ports}; the address names none")
            port = ports[0]
        endpoint = self._endpoints.get((service, port))
        if endpoint is None:
            raise SmokeError(f"{where} connects to {host}:{port}, but Service {service} has no port {port} "
                             f"(ports: {ports})")
        return endpoint

    def endpoint(self, service: str, port: int) -> Endpoint:
        """How the test itself reaches Service ``service`` at ``port`` (as a pod in the cluster would)."""
        return self.resolve(service, port, "the smoke test")

    # ---- Service links -------------------------------------------------------------------------
    def service_link_env(self) -> dict[str, str]:
        """The ``<SVC>_SERVICE_HOST``/``_PORT`` variables a kubelet gives every pod
        (``enableServiceLinks``), with the local endpoints; plus the API server's."""
        env: dict[str, str] = {}
        api = self.api_server
        services: list[tuple[str, list[tuple[str | None, int, str, Endpoint]]]] = [
            ("kubernetes", [("https", 443, "TCP", api)])]
        for service in self.cluster.of_kind("Service"):
            spec = service.get("spec") or {}
            if spec.get("clusterIP") == "None":
                continue  # headless Services get no links
            name = service["metadata"]["name"]
            services.append((name, [(p.get("name"), int(p["port"]), p.get("protocol", "TCP"),
                                     self._endpoints[(name, int(p["port"]))]) for p in spec.get("ports") or []]))
        for name, ports in services:
            if not ports:
                continue
            prefix = name.upper().replace("-", "_")
            first = ports[0][3]
            env[f"{prefix}_SERVICE_HOST"] = first.host
            env[f"{prefix}_SERVICE_PORT"] = str(first.port)
            env[f"{prefix}_PORT"] = f"{ports[0][2].lower()}://{first}"
            for port_name, number, protocol, endpoint in ports:
                if port_name:
                    env[f"{prefix}_SERVICE_PORT_{port_name.upper().replace('-', '_')}"] = str(endpoint.port)
                link = f"{prefix}_PORT_{number}_{protocol.upper()}"
                env[link] = f"{protocol.lower()}://{endpoint}"
                env[f"{link}_PROTO"] = protocol.lower()
                env[f"{link}_PORT"] = str(endpoint.port)
                env[f"{link}_ADDR"] = endpoint.host
        return env

    # ---- rewriting -------------------------------------------------------------------------------
    def _url(self, match: re.Match[str], where: str) -> str:
        scheme, authority = match["scheme"], match["authority"]
        userinfo, at, hostport = authority.rpartition("@")
        host, port_text = hostport, ""
        if hostport.startswith("["):
            host, _, rest = hostport.partition("]")
            host, port_text = host + "]", rest.lstrip(":")
        elif ":" in hostport:
            host, _, port_text = hostport.partition(":")
        if not host or _is_address(host) or "$" in host:
            return match.group(0)
        if not port_text.isdigit() and port_text:
            return match.group(0)
        port = int(port_text) if port_text else _DEFAULT_PORTS.get(scheme.lower())
        endpoint = self.resolve(host, port, f"{where} (URL {scheme}://…@{host})")
        return f"{scheme}://{userinfo}{at}{endpoint}"

    def _host_port(self, match: re.Match[str], where: str) -> str:
        if self.service_of(match["host"]) is None:
            return match.group(0)
        return str(self.resolve(match["host"], int(match["port"]), where))

    def rewrite_value(self, text: str, where: str) -> str:
        """An env value or a scalar in a file: URLs and ``host:port`` naming Services."""
        text = _URL.sub(lambda m: self._url(m, where), text)
        return _HOST_PORT.sub(lambda m: self._host_port(m, where), text)

    def rewrite_command(self, argv: Sequence[str], where: str, own_ports: Mapping[int, int]) -> list[str]:
        """A command (command + args, or an exec probe) as the pod runs it (see the module docstring).

        A Service named anywhere in ``argv`` makes its port numbers mapped in every element
        (``--host svc -p 3030`` as well as one ``sh -c`` script)."""
        hosts = [m.group(1) for element in argv for m in _HOST_OPTION.finditer(element)]
        hosts += [value for option, value in itertools.pairwise(argv) if option in ("-h", "--host", "--hostname")]
        for host in hosts:
            if not (_is_address(host) or self.service_of(host) or "$" in host):
                raise UnknownServiceHost(
                    f"{where} connects to host {host!r}, which is not a Service in the manifests; in the cluster it "
                    f"would not resolve (Services: {', '.join(self.service_names)})")
        mapped = [self.rewrite_value(element, where) for element in argv]
        named = {self._names[w] for element in mapped for w in _WORD.findall(element) if w in self._names}
        numbers: dict[int, int] = {}
        for service in sorted(named):
            for port in self._service_ports[service]:
                local = self._endpoints[(service, port)].port
                if numbers.setdefault(port, local) != local:
                    raise SmokeError(f"{where}: port {port} is ambiguous (several Services named in one command)")
        for port, local in own_ports.items():
            if numbers.setdefault(port, local) != local:
                raise SmokeError(f"{where}: port {port} is both a named Service's port and the pod's own")

        def words(match: re.Match[str]) -> str:
            return LOOPBACK if match.group(0) in self._names or match.group(0) == "0.0.0.0" else match.group(0)

        def number(match: re.Match[str]) -> str:
            return str(numbers.get(int(match.group(0)), match.group(0)))

        return [_NUMBER.sub(number, _WORD.sub(words, element)) for element in mapped]

    def rewrite_file(self, content: bytes, where: str) -> bytes:
        """A mounted ConfigMap/Secret key: YAML-aware when it parses as a YAML mapping or list."""
        try:
            text = content.decode()
        except UnicodeDecodeError:
            return content
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            document = None
        if isinstance(document, (dict, list)):
            rewritten = self._rewrite_yaml(document, where)
            if rewritten != document:
                return yaml.safe_dump(rewritten, sort_keys=False, default_flow_style=False, width=1000).encode()
            return content
        return self.rewrite_value(text, where).encode()

    def _rewrite_yaml(self, node: Any, where: str) -> Any:
        if isinstance(node, dict):
            out = {k: self._rewrite_yaml(v, f"{where}: {k}") for k, v in node.items()}
            for key in ("host", "hostname"):
                host = node.get(key)
                if isinstance(host, str) and not _is_address(host) and "$" not in host:
                    port = node.get("port")
                    number = int(str(port)) if str(port).isdigit() else None
                    endpoint = self.resolve(host, number, f"{where}: {key}")
                    out[key], out["port"] = endpoint.host, endpoint.port
            return out
        if isinstance(node, list):
            return [self._rewrite_yaml(v, where) for v in node]
        if isinstance(node, str):
            return self.rewrite_value(node, where)
        return node
