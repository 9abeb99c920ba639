"""NetworkPolicies: each component of the system accepts only the connections it needs.

=====================  =====================================================================
component              accepts (ingress; everything else is dropped)
=====================  =====================================================================
PostgreSQL (bundled)   the webserver, daemon, Celery workers, code locations, migrate Job, runs
broker (bundled)       the Celery workers, Flower, the launchers (webserver, daemon), runs,
                       KEDA's operator when a queue is autoscaled
code locations         the webserver, daemon, runs
webserver, Flower      every pod of the namespace, and the configured ingress peers
daemon, workers, Job   nothing
=====================  =====================================================================

"Runs" are the pods Dagster launches (run and step workers): Dagster labels them
``app.kubernetes.io/part-of: dagster`` and ``app.kubernetes.io/component: run_worker`` or
``step_worker``; in another namespace than the system's they are selected there by name.
Only ingress is restricted (egress stays open: runs reach whatever the user's code needs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from constructs import Construct

from ._checked import checked
from ._manifest import Json, manifest
from .apiserver import check_block
from .errors import ConfigError
from .naming import DEFAULT_RELEASE, Release

__all__ = ["KEDA_OPERATOR_PEER", "RUN_POD_SELECTOR", "NetworkPolicies", "NetworkPolicySettings", "Peer"]

#: Pods Dagster launches for runs and steps (``dagster_k8s.job``'s labels).
RUN_POD_SELECTOR: Json = {
    "matchLabels": {"app.kubernetes.io/part-of": "dagster"},
    "matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "In",
                          "values": ["run_worker", "step_worker"]}],
}
_NAMESPACE_LABEL = "kubernetes.io/metadata.name"
#: KEDA's operator (its chart's pod label), in whatever namespace it runs: it reads the queue
#: lengths of autoscaled Celery queues from the broker.
KEDA_OPERATOR_PEER: Json = {"namespaceSelector": {},
                            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "keda-operator"}}}


@dataclass(frozen=True, kw_only=True)
class NetworkPolicySettings:
    """The NetworkPolicies of the system (one switch).

    Args:
        enabled: create them. @default ``True``
        ingress_peers: who else may reach the webserver and Flower (Kubernetes
            ``NetworkPolicyPeer`` objects, e.g. the Ingress controller's namespace:
            ``{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}``).
            @default none while no Ingress is configured; with an Ingress, every namespace
            (the controller's is unknown: name it here to narrow this)
    """

    enabled: bool = True
    ingress_peers: Sequence[Mapping[str, Any]] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise ConfigError("NetworkPolicySettings.enabled", self.enabled, "true or false")
        if self.ingress_peers is not None:
            if isinstance(self.ingress_peers, (str, Mapping)) or not isinstance(self.ingress_peers, Sequence):
                raise ConfigError("NetworkPolicySettings.ingress_peers", self.ingress_peers,
                                  "a list of NetworkPolicyPeer objects")
            for i, peer in enumerate(self.ingress_peers):
                if not isinstance(peer, Mapping) or not peer or not set(peer) <= {
                        "podSelector", "namespaceSelector", "ipBlock"}:
                    raise ConfigError(f"NetworkPolicySettings.ingress_peers[{i}]", peer,
                                      "a NetworkPolicyPeer: podSelector, namespaceSelector and/or ipBlock")
                check_block(f"NetworkPolicySettings.ingress_peers[{i}]", peer, "NetworkPolicyPeer")


@dataclass(frozen=True, kw_only=True)
class Peer:
    """Pods allowed to connect: a label selector, in this namespace unless ``namespace`` is given."""

    pod_selector: Mapping[str, Any]
    namespace: str | None = None

    def json(self) -> Json:
        peer: Json = {"podSelector": dict(self.pod_selector)}
        if self.namespace is not None:
            peer["namespaceSelector"] = {"matchLabels": {_NAMESPACE_LABEL: self.namespace}}
        return peer


def match(labels: Mapping[str, str]) -> Json:
    return {"matchLabels": dict(labels)}


class NetworkPolicies(Construct):
    """One NetworkPolicy per component (``<fullname>-<component>``), from the components'
    pod selectors and ports (given by reference by :class:`DagsterChart`).

    Args:
        targets: ``(name, pod selector, ports, peers)`` per component: its pods accept TCP on
            ``ports`` (container port names or numbers) from ``peers``; no ports and no peers
            means it accepts nothing.

    Attributes:
        policy_names.
    """

    @checked
    def __init__(self, scope: Construct, id: str, *, release: Release = DEFAULT_RELEASE,
                 targets: Sequence[tuple[str, Mapping[str, str], Sequence[int | str], Sequence[Json]]]) -> None:
        super().__init__(scope, id)
        self.policy_names: list[str] = []
        for component, selector, ports, peers in targets:
            name = f"{release.fullname}-{component}"
            ingress: list[Json] = []
            if peers:
                rule: Json = {"from": [dict(p) for p in peers]}
                if ports:
                    rule["ports"] = [{"protocol": "TCP", "port": port} for port in ports]
                ingress.append(rule)
            manifest(self, component, "NetworkPolicy", name=name, labels=release.labels(), body={"spec": {
                "podSelector": match(selector),
                "policyTypes": ["Ingress"],
                "ingress": ingress,
            }})
            self.policy_names.append(name)
