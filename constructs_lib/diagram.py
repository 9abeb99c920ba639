"""A picture of the synthesized system, drawn from what is synthesized.

:func:`system_graph` reads the objects a chart synthesizes (and, for what lives outside them,
the hosts the configuration names) and derives a graph: workloads, Services, the database and
broker, the ConfigMaps and Secrets the pods mount or read, and arrows for who talks to whom.
Nothing is placed by hand:

- a Service *routes to* the workloads its selector matches; an Ingress to its backends;
- a pod *mounts* the ConfigMaps and Secrets of its volumes and *reads* those of its env;
- a pod *talks to* the database named in the ``dagster.yaml`` it mounts, the code servers of
  the ``workspace.yaml`` it mounts, and the Celery broker in the URL of the Secret it reads
  (a host resolves to a Service of the output, else it is drawn as an external host);
- a pod whose ServiceAccount may create Jobs *launches* the run and step Jobs;
- a KEDA ScaledObject *scales* its Deployment and *reads* its trigger's broker, and its
  TriggerAuthentication the Secret it names.

:meth:`SystemGraph.mermaid` writes Mermaid text; :meth:`SystemGraph.dot` Graphviz DOT, and
:func:`write_diagram` an ``.svg`` through Graphviz (the ``graphviz`` package and its ``dot``
program) or an ``.mmd`` file.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

__all__ = ["Edge", "Node", "SystemGraph", "chart_graph", "config_graph", "system_graph", "write_diagram"]

Manifest = Mapping[str, Any]

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")
#: Component labels of the pods that keep state for the others (drawn as data stores).
DATASTORE_COMPONENTS = ("postgresql", "rabbitmq", "redis")
_BROKER_URL_KEY = "DAGSTER_CELERY_BROKER_URL"
_DEFAULT_PORTS = {"postgresql": 5432, "pyamqp": 5672, "amqp": 5672, "amqps": 5671, "redis": 6379, "rediss": 6379}
#: The node standing for the Jobs the run launcher and Celery workers create at run time.
LAUNCHED_JOBS = "Jobs/launched"

#: Roles of nodes, in the order the pictures group them.
ROLES = ("ingress", "service", "workload", "datastore", "autoscaler", "jobs", "external", "config", "secret")


@dataclass(frozen=True, order=True)
class Node:
    """One box of the picture.

    Attributes:
        id: ``<kind>/<name>`` (``External/<host>:<port>`` for a host outside the output).
        kind: the Kubernetes kind (``External`` or ``Jobs`` for what the output does not hold).
        name: the object's name.
        role: one of :data:`ROLES`.
        note: a second line (``existing`` for a ConfigMap or Secret the output only names).
    """

    id: str
    kind: str
    name: str
    role: str
    note: str = ""


@dataclass(frozen=True, order=True)
class Edge:
    """``source`` -> ``target``: ``routes to``, ``mounts``, ``reads``, ``talks to``,
    ``launches``, ``scales``."""

    source: str
    target: str
    relation: str
    label: str = ""


@dataclass(frozen=True)
class SystemGraph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, id: str) -> Node:
        return next(n for n in self.nodes if n.id == id)

    def relations(self, relation: str) -> set[tuple[str, str]]:
        """``(source id, target id)`` of the edges of one relation."""
        return {(e.source, e.target) for e in self.edges if e.relation == relation}

    def _ids(self) -> dict[str, str]:
        return {n.id: f"n{i}" for i, n in enumerate(self.nodes)}

    def _by_role(self) -> Iterator[tuple[str, list[Node]]]:
        for role in ROLES:
            members = [n for n in self.nodes if n.role == role]
            if members:
                yield role, members

    # ---- Mermaid ------------------------------------------------------------------------------
    def mermaid(self) -> str:
        """Mermaid ``flowchart`` text (renders on GitHub and in most Markdown viewers)."""
        ids = self._ids()
        lines = ["flowchart LR", "  %% solid: talks to, routes to, launches, scales; dotted: mounts or reads env from"]
        for role, members in self._by_role():
            boxed = role in _BOXED
            if boxed:
                lines.append(f"  subgraph group_{role}[\"{_GROUP_TITLES[role]}\"]")
            for n in members:
                left, right = _MERMAID_SHAPES[role]
                text = f"{n.name}<br/><small>{n.kind}</small>" + (f" <i>({n.note})</i>" if n.note else "")
                lines.append(f"  {'  ' if boxed else ''}{ids[n.id]}{left}\"{_mermaid_text(text)}\"{right}:::{role}")
            if boxed:
                lines.append("  end")
        for e in self.edges:
            if e.relation in ("mounts", "reads"):
                lines.append(f"  {ids[e.source]} -.-> {ids[e.target]}")
            else:
                lines.append(f"  {ids[e.source]} -->|\"{_mermaid_text(e.label or e.relation)}\"| {ids[e.target]}")
        lines += [f"  classDef {role} {style}" for role, style in _MERMAID_CLASSES.items()]
        return "\n".join(lines) + "\n"

    # ---- Graphviz -----------------------------------------------------------------------------
    def dot(self) -> str:
        """Graphviz DOT source (left to right, one cluster per role)."""
        ids = self._ids()
        out = ["digraph dagster {",
               '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.9, '
               'newrank=true, splines=true, compound=true];',
               '  node [fontname="Helvetica", fontsize=10, style="filled", penwidth=1.2];',
               '  edge [fontname="Helvetica", fontsize=8, color="#555555", arrowsize=0.7];']
        for role, members in self._by_role():
            boxed = role in _BOXED
            if boxed:
                out.append(f"  subgraph cluster_{role} {{")
                out.append(f"    label={_dot_string(_GROUP_TITLES[role])}; style=\"rounded,dashed\"; "
                           "color=\"#bbbbbb\"; fontcolor=\"#7f7f7f\";")
            for n in members:
                attrs = dict(_DOT_STYLES[role])
                attrs["label"] = f"{n.name}\\n{n.kind}" + (f" ({n.note})" if n.note else "")
                out.append(f"  {'  ' if boxed else ''}{ids[n.id]} [{_dot_attrs(attrs)}];")
            if boxed:
                out.append("  }")
        for e in self.edges:
            attrs = dict(_DOT_EDGES.get(e.relation, {}))
            if e.relation not in ("mounts", "reads"):  # line styles tell those apart (see the legend)
                attrs["label"] = e.label or e.relation
            out.append(f"  {ids[e.source]} -> {ids[e.target]} [{_dot_attrs(attrs)}];")
        out.append('  label="solid: talks to, routes to, launches, scales   dashed: mounts   dotted: reads env from";')
        out.append('  labelloc=b; labeljust=l; fontcolor="#7f7f7f"; fontsize=9;')
        out.append("}")
        return "\n".join(out) + "\n"

    def svg(self) -> str:
        """The picture as SVG, laid out by Graphviz's ``dot`` (the ``graphviz`` package)."""
        import graphviz  # type: ignore[import-untyped]  # only for SVG: pip's graphviz and Graphviz's `dot`

        rendered: bytes = graphviz.Source(self.dot()).pipe(format="svg")
        return rendered.decode()


_GROUP_TITLES = {
    "ingress": "Ingress", "service": "Services", "workload": "Workloads", "datastore": "Database and broker",
    "autoscaler": "Autoscaling (KEDA)", "jobs": "Launched at run time", "external": "Outside the system",
    "config": "ConfigMaps", "secret": "Secrets",
}
_MERMAID_SHAPES = {
    "ingress": ("[/", "/]"), "service": ("([", "])"), "workload": ("[", "]"), "datastore": ("[(", ")]"),
    "autoscaler": ("{{", "}}"), "jobs": ("[[", "]]"), "external": ("[(", ")]"), "config": ("[/", "\\]"),
    "secret": ("[\\", "/]"),
}
_MERMAID_CLASSES = {
    "ingress": "fill:#fde9d9,stroke:#c0504d", "service": "fill:#dbe9f6,stroke:#4f81bd",
    "workload": "fill:#e2efda,stroke:#548235", "datastore": "fill:#fff2cc,stroke:#bf9000",
    "autoscaler": "fill:#ead1f5,stroke:#7030a0", "jobs": "fill:#f2f2f2,stroke:#7f7f7f,stroke-dasharray:4",
    "external": "fill:#ffffff,stroke:#7f7f7f,stroke-dasharray:4", "config": "fill:#f2f2f2,stroke:#a5a5a5",
    "secret": "fill:#fbe5d6,stroke:#c55a11",
}
#: Roles drawn inside a labelled box (the rest flows freely, left to right).
_BOXED = ("config", "secret", "jobs", "external")
_DOT_STYLES: dict[str, dict[str, str]] = {
    "ingress": {"shape": "trapezium", "fillcolor": "#fde9d9", "color": "#c0504d"},
    "service": {"shape": "box", "style": "rounded,filled", "fillcolor": "#dbe9f6", "color": "#4f81bd"},
    "workload": {"shape": "box3d", "fillcolor": "#e2efda", "color": "#548235"},
    "datastore": {"shape": "cylinder", "fillcolor": "#fff2cc", "color": "#bf9000"},
    "autoscaler": {"shape": "hexagon", "fillcolor": "#ead1f5", "color": "#7030a0"},
    "jobs": {"shape": "box3d", "style": "dashed,filled", "fillcolor": "#f2f2f2", "color": "#7f7f7f"},
    "external": {"shape": "cylinder", "style": "dashed,filled", "fillcolor": "#ffffff", "color": "#7f7f7f"},
    "config": {"shape": "note", "fillcolor": "#f2f2f2", "color": "#a5a5a5"},
    "secret": {"shape": "note", "fillcolor": "#fbe5d6", "color": "#c55a11"},
}
_DOT_EDGES: dict[str, dict[str, str]] = {
    "talks to": {"color": "#1f4e79", "penwidth": "1.4"},
    "routes to": {"color": "#4f81bd"},
    "mounts": {"style": "dashed", "color": "#a5a5a5", "fontcolor": "#7f7f7f"},
    "reads": {"style": "dotted", "color": "#a5a5a5", "fontcolor": "#7f7f7f"},
    "launches": {"color": "#7f7f7f", "style": "bold"},
    "scales": {"color": "#7030a0"},
}


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\n", "\\n") + '"'


def _dot_attrs(attrs: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={_dot_string(v)}" for k, v in attrs.items())


# ---- reading the objects --------------------------------------------------------------------------
def _name(obj: Manifest) -> str:
    return str(obj["metadata"]["name"])


def _id(kind: str, name: str) -> str:
    return f"{kind}/{name}"


def _pod(obj: Manifest) -> Mapping[str, Any]:
    spec = obj["spec"]["jobTemplate"]["spec"] if obj["kind"] == "CronJob" else obj["spec"]
    return dict(spec["template"])


def _containers(pod_spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from pod_spec.get("initContainers") or []
    yield from pod_spec.get("containers") or []


def _uses(obj: Manifest) -> Iterator[tuple[str, str, str]]:
    """``(kind, name, relation)`` of the ConfigMaps and Secrets a workload's pods mount
    (``mounts``) or take env from (``reads``)."""
    spec = _pod(obj).get("spec") or {}
    for volume in spec.get("volumes") or []:
        for source in [volume, *((volume.get("projected") or {}).get("sources") or [])]:
            if "configMap" in source:
                yield "ConfigMap", source["configMap"]["name"], "mounts"
            if "secret" in source:
                yield "Secret", source["secret"].get("secretName") or source["secret"].get("name"), "mounts"
    for container in _containers(spec):
        for var in container.get("env") or []:
            value_from = var.get("valueFrom") or {}
            if "configMapKeyRef" in value_from:
                yield "ConfigMap", value_from["configMapKeyRef"]["name"], "reads"
            if "secretKeyRef" in value_from:
                yield "Secret", value_from["secretKeyRef"]["name"], "reads"
        for source in container.get("envFrom") or []:
            if "configMapRef" in source:
                yield "ConfigMap", source["configMapRef"]["name"], "reads"
            if "secretRef" in source:
                yield "Secret", source["secretRef"]["name"], "reads"


#: The Dagster processes (main container's command) that use the Celery broker: workers
#: consume it, Flower watches it, the webserver and daemon revoke tasks of terminated runs.
_BROKER_CLIENTS = ("dagster-celery", "celery", "dagster-webserver", "dagit", "dagster-daemon")


def _main_args(obj: Manifest) -> list[str]:
    containers = (_pod(obj).get("spec") or {}).get("containers") or [{}]
    main = containers[0]
    return [str(a) for a in [*(main.get("command") or []), *(main.get("args") or [])]]


def _process(obj: Manifest) -> str:
    """The program a workload's main container runs (``/bin/sh -c 'exec x ...'`` looked through)."""
    args = _main_args(obj)
    if len(args) >= 3 and args[0].endswith("sh") and args[1] == "-c":
        args = args[2].replace("exec ", "").split()
    return Path(args[0]).name if args else ""


def _decoded(secret: Manifest) -> dict[str, str]:
    out = {str(k): str(v) for k, v in (secret.get("stringData") or {}).items()}
    for key, value in (secret.get("data") or {}).items():
        try:
            out[str(key)] = base64.b64decode(value).decode()
        except (binascii.Error, UnicodeDecodeError):
            continue
    return out


def _url_endpoint(url: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname, port or _DEFAULT_PORTS.get(parts.scheme.split("+")[0], 0)


def _yaml_documents(text: str) -> list[Any]:
    try:
        return list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return []


def _postgres_endpoints(dagster_yaml: Any) -> Iterator[tuple[str, int]]:
    """The ``postgres_db`` hosts of a ``dagster.yaml`` (storage blocks at any depth)."""
    if isinstance(dagster_yaml, Mapping):
        block = dagster_yaml.get("postgres_db")
        if isinstance(block, Mapping) and isinstance(block.get("hostname"), str):
            yield block["hostname"], int(block.get("port") or 5432)
        url = dagster_yaml.get("postgres_url")
        if isinstance(url, str) and (endpoint := _url_endpoint(url)):
            yield endpoint
        for value in dagster_yaml.values():
            yield from _postgres_endpoints(value)
    elif isinstance(dagster_yaml, list):
        for value in dagster_yaml:
            yield from _postgres_endpoints(value)


def _workspace_endpoints(workspace_yaml: Any) -> Iterator[tuple[str, int]]:
    """``(host, port)`` of the gRPC servers a ``workspace.yaml`` lists."""
    if not isinstance(workspace_yaml, Mapping):
        return
    for entry in workspace_yaml.get("load_from") or []:
        server = (entry or {}).get("grpc_server") if isinstance(entry, Mapping) else None
        if isinstance(server, Mapping) and server.get("host") and server.get("port"):
            yield str(server["host"]), int(server["port"])


@dataclass
class _Builder:
    objects: Sequence[Manifest]
    namespace: str | None
    broker: tuple[str, int] | None = None
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], Edge] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_kind: dict[str, dict[str, Manifest]] = {}
        for obj in self.objects:
            self.by_kind.setdefault(str(obj["kind"]), {})[_name(obj)] = obj

    def of(self, kind: str) -> dict[str, Manifest]:
        return self.by_kind.get(kind, {})

    def add_node(self, kind: str, name: str, role: str, note: str = "") -> str:
        id = _id(kind, name)
        self.nodes.setdefault(id, Node(id=id, kind=kind, name=name, role=role, note=note))
        return id

    def add_edge(self, source: str, target: str, relation: str, label: str = "") -> None:
        key = (source, target, relation)
        if key in self.edges and label and label not in self.edges[key].label.split(", "):
            label = ", ".join(sorted({*self.edges[key].label.split(", "), label} - {""}))
        self.edges[key] = Edge(source=source, target=target, relation=relation, label=label)

    # -- who is who --
    def workload_role(self, obj: Manifest) -> str:
        labels = (_pod(obj).get("metadata") or {}).get("labels") or {}
        return "datastore" if labels.get("component") in DATASTORE_COMPONENTS else "workload"

    def endpoint(self, host: str, port: int) -> str:
        """The node a ``host:port`` reaches: a Service of the output, else an external host."""
        service_name, _, rest = host.partition(".")
        service = self.of("Service").get(service_name)
        local = rest == "" or (self.namespace is not None and re.fullmatch(
            rf"{re.escape(self.namespace)}(\.svc(\.cluster\.local)?)?", rest) is not None)
        if service is not None and local:
            ports = [p.get("port") for p in service["spec"].get("ports") or []]
            if not ports or port in ports or port == 0:
                return _id("Service", service_name)
        return self.add_node("External", f"{host}:{port}" if port else host, "external")

    # -- the picture --
    def build(self) -> SystemGraph:
        workloads = [o for kind in WORKLOAD_KINDS for o in self.of(kind).values()]
        for obj in workloads:
            self.add_node(obj["kind"], _name(obj), self.workload_role(obj))
        for name, service in self.of("Service").items():
            if service["spec"].get("clusterIP") == "None":
                continue  # a StatefulSet's headless Service: its pods' DNS names, not a way in
            self.add_node("Service", name, "service")
            selector = service["spec"].get("selector") or {}
            for obj in workloads:
                labels = (_pod(obj).get("metadata") or {}).get("labels") or {}
                if selector and all(labels.get(k) == v for k, v in selector.items()):
                    self.add_edge(_id("Service", name), _id(obj["kind"], _name(obj)), "routes to")
        for name, ingress in self.of("Ingress").items():
            self.add_node("Ingress", name, "ingress")
            for rule in ingress["spec"].get("rules") or []:
                for path in (rule.get("http") or {}).get("paths") or []:
                    backend = (path.get("backend") or {}).get("service") or {}
                    if backend.get("name") in self.of("Service"):
                        self.add_edge(_id("Ingress", name), _id("Service", backend["name"]), "routes to",
                                      f"{rule.get('host', '')}{path.get('path', '')}")
        self.configuration(workloads)
        self.launched_jobs(workloads)
        self.autoscaling()
        return SystemGraph(nodes=tuple(sorted(self.nodes.values(), key=lambda n: (ROLES.index(n.role), n.id))),
                           edges=tuple(sorted(self.edges.values())))

    def configuration(self, workloads: list[Manifest]) -> None:
        for obj in workloads:
            source = _id(obj["kind"], _name(obj))
            for kind, name, relation in _uses(obj):
                role = "config" if kind == "ConfigMap" else "secret"
                present = name in self.of(kind)
                target = self.add_node(kind, name, role, "" if present else "existing")
                self.add_edge(source, target, relation)
                if not present:
                    continue
                if kind == "ConfigMap":
                    data = self.of(kind)[name].get("data") or {}
                    for key, text in data.items():
                        if key.endswith("dagster.yaml"):
                            for host, port in _postgres_endpoints(yaml.safe_load(text)):
                                self.add_edge(source, self.endpoint(host, port), "talks to", "storage")
                        elif key.endswith("workspace.yaml"):
                            for host, port in _workspace_endpoints(yaml.safe_load(text)):
                                self.add_edge(source, self.endpoint(host, port), "talks to", "gRPC")
                elif _process(obj) in _BROKER_CLIENTS:
                    url = _decoded(self.of(kind)[name]).get(_BROKER_URL_KEY)
                    endpoint = _url_endpoint(url) if url else None
                    if endpoint is not None:
                        self.add_edge(source, self.endpoint(*endpoint), "talks to", "Celery")
            broker = self.broker
            has_broker = any(e.source == source and e.label == "Celery" for e in self.edges.values())
            if broker is not None and not has_broker and _process(obj) in _BROKER_CLIENTS and any(
                    kind == "Secret" and name not in self.of("Secret") for kind, name, _ in _uses(obj)):
                # The URL is in a Secret the output only names: the configuration says where it points.
                self.add_edge(source, self.endpoint(*broker), "talks to", "Celery")

    def launched_jobs(self, workloads: list[Manifest]) -> None:
        """Who creates Jobs at run time, per the ``dagster.yaml`` a pod mounts: a Kubernetes run
        launcher's runs are launched by the daemon (queued runs) or the webserver (direct), the
        Celery workers of ``CeleryK8sRunLauncher`` launch a Job per step."""
        for obj in workloads:
            instance = self.instance_of(obj)
            launcher = instance.get("run_launcher") if isinstance(instance, Mapping) else None
            module = str((launcher or {}).get("module", "")) if isinstance(launcher, Mapping) else ""
            if module not in ("dagster_k8s", "dagster_celery_k8s"):
                continue
            coordinator = instance.get("run_coordinator") or {}
            queued = str(coordinator.get("class", "")) in ("QueuedRunCoordinator", "")
            process, args = _process(obj), _main_args(obj)
            what = None
            if (process == "dagster-daemon" and queued) or (
                    process in ("dagster-webserver", "dagit") and not queued and "--read-only" not in args):
                what = "runs"
            elif process == "dagster-celery" and module == "dagster_celery_k8s":
                what = "steps"
            if what:
                target = self.add_node("Jobs", "runs and steps", "jobs")
                self.add_edge(_id(obj["kind"], _name(obj)), target, "launches", what)

    def instance_of(self, obj: Manifest) -> Any:
        """The parsed ``dagster.yaml`` of the first ConfigMap with one that ``obj`` mounts."""
        for kind, name, relation in _uses(obj):
            data = (self.of(kind).get(name) or {}).get("data") or {} if kind == "ConfigMap" else {}
            for key, text in data.items():
                if relation == "mounts" and key.endswith("dagster.yaml"):
                    return yaml.safe_load(text)
        return {}

    def autoscaling(self) -> None:
        for name, scaled in self.of("ScaledObject").items():
            source = self.add_node("ScaledObject", name, "autoscaler")
            target = scaled["spec"]["scaleTargetRef"]
            kind = target.get("kind", "Deployment")
            if target["name"] in self.of(kind):
                self.add_edge(source, _id(kind, target["name"]), "scales")
            for trigger in scaled["spec"].get("triggers") or []:
                metadata = trigger.get("metadata") or {}
                endpoint = (_url_endpoint(metadata["host"]) if "host" in metadata and "://" in metadata["host"]
                            else _url_endpoint(f"{trigger['type']}://{metadata['address']}")
                            if "address" in metadata else None)
                if endpoint is not None:
                    self.add_edge(source, self.endpoint(*endpoint), "talks to", f"{trigger['type']} queue length")
                auth = (trigger.get("authenticationRef") or {}).get("name")
                if auth:
                    auth_id = self.add_node("TriggerAuthentication", auth, "autoscaler")
                    self.add_edge(source, auth_id, "reads")
        for name, auth in self.of("TriggerAuthentication").items():
            source = self.add_node("TriggerAuthentication", name, "autoscaler")
            for ref in auth["spec"].get("secretTargetRef") or []:
                present = ref["name"] in self.of("Secret")
                target = self.add_node("Secret", ref["name"], "secret", "" if present else "existing")
                self.add_edge(source, target, "reads", ref["key"])


def system_graph(objects: Iterable[Manifest], *, namespace: str | None = None,
                 broker: tuple[str, int] | None = None) -> SystemGraph:
    """The picture of the synthesized ``objects`` (the chart's ``to_json()``).

    Args:
        namespace: the system's (hosts ``<service>.<namespace>.svc`` resolve to its Services).
            @default the one namespace the objects carry
        broker: ``(host, port)`` of the Celery broker, for when its URL is in a Secret the
            output does not hold (the configuration's ``BrokerConnection``). @default none
    """
    objects = list(objects)
    if namespace is None:
        namespaces = {o["metadata"].get("namespace") for o in objects} - {None}
        namespace = next(iter(namespaces)) if len(namespaces) == 1 else None
    return _Builder(objects, namespace, broker).build()


def chart_graph(chart: Any) -> SystemGraph:
    """The picture of a :class:`~constructs_lib.DagsterChart`: its objects, and its configuration
    for what lives outside them."""
    secret = getattr(chart, "celery_secret", None)
    connection = getattr(secret, "broker", None)
    broker = (connection.host, connection.port) if connection is not None and connection.host and connection.port \
        else None
    return system_graph(chart.to_json(), namespace=chart.namespace, broker=broker)


def config_graph(config: Any) -> SystemGraph:
    """The picture of the system a :class:`~constructs_lib.DagsterSystemConfig` synthesizes to."""
    import cdk8s

    from .system import DagsterChart

    return chart_graph(DagsterChart(cdk8s.App(), "dagster", config=config))


def write_diagram(graph: SystemGraph, path: str | Path) -> Path:
    """Write ``graph`` to ``path``: ``.svg`` (Graphviz), ``.mmd`` (Mermaid) or ``.dot`` (Graphviz
    source)."""
    from .errors import ConfigError

    path = Path(path)
    writers = {".svg": graph.svg, ".mmd": graph.mermaid, ".dot": graph.dot}
    if path.suffix not in writers:
        raise ConfigError("--diagram", str(path), "a file name ending in .svg (Graphviz), .mmd (Mermaid) or .dot")
    text = writers[path.suffix]()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
