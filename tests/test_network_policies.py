"""Issue #11: NetworkPolicies and PodDisruptionBudgets.

The reachability table is computed from the synthesized NetworkPolicies and the pods'
labels (as a NetworkPolicy implementation evaluates them: a pod selected by a policy accepts
only what a rule's peers match, on the rule's ports), then compared with what each component
needs."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from constructs_lib import ConfigError, build_variant
from constructs_lib.helm import from_helm_values
from constructs_lib.network_policies import NetworkPolicySettings
from constructs_lib.pod_disruption_budgets import PodDisruptionBudgetSettings
from constructs_lib.testing.k8s_schema import KUBERNETES_VERSIONS, schema_problems

from .conftest import TEST_PASSWORDS, Manifest, find, synth_config
from .validation.manifests import pod_labels, pod_spec, selector_matches, workloads

#: Dagster's labels on the pods it launches (dagster_k8s.job.construct_dagster_k8s_job).
RUN_POD = {"app.kubernetes.io/name": "dagster", "app.kubernetes.io/instance": "dagster",
           "app.kubernetes.io/part-of": "dagster", "app.kubernetes.io/component": "run_worker"}
OTHER_POD = {"app": "something-else"}
NAMESPACE = "dagster"


@dataclasses.dataclass(frozen=True)
class Pod:
    name: str
    labels: dict[str, str]
    namespace: str = NAMESPACE
    namespace_labels: dict[str, str] = dataclasses.field(default_factory=dict)
    ports: dict[str, int] = dataclasses.field(default_factory=dict)


def pods_of(objects: list[Manifest]) -> list[Pod]:
    out = []
    for w in workloads(objects):
        ports = {p["name"]: p["containerPort"] for c in pod_spec(w)["containers"] for p in c.get("ports", [])
                 if "name" in p}
        out.append(Pod(w["metadata"]["name"], pod_labels(w), ports=ports))
    return out


def _peer_matches(peer: dict[str, Any], source: Pod, policy_namespace: str) -> bool:
    if "namespaceSelector" in peer:
        ns_labels = {"kubernetes.io/metadata.name": source.namespace, **source.namespace_labels}
        if not selector_matches(peer["namespaceSelector"], ns_labels):
            return False
    elif source.namespace != policy_namespace:
        return False
    return "podSelector" not in peer or selector_matches(peer["podSelector"], source.labels)


def reachable(policies: list[Manifest], source: Pod, target: Pod, namespace: str = NAMESPACE) -> set[str]:
    """Named container ports of ``target`` that ``source`` may connect to (all: ``{"*"}``)."""
    selecting = [p for p in policies if selector_matches(p["spec"]["podSelector"], target.labels)
                 and "Ingress" in p["spec"]["policyTypes"]]
    if not selecting:
        return {"*"}
    allowed: set[str] = set()
    for policy in selecting:
        for rule in policy["spec"].get("ingress") or []:
            if rule.get("from") and not any(_peer_matches(peer, source, namespace) for peer in rule["from"]):
                continue
            if not rule.get("ports"):
                return {"*"}
            allowed |= {str(p["port"]) for p in rule["ports"]}
    return allowed


def table(objects: list[Manifest], extra_sources: list[Pod],
          namespace: str = NAMESPACE) -> dict[tuple[str, str], set[str]]:
    """Who reaches whom (and on which ports), the system's pods living in ``namespace``."""
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    targets = [dataclasses.replace(p, namespace=namespace) for p in pods_of(objects)]
    sources = [*targets, *extra_sources]
    return {(s.name, t.name): reachable(policies, s, t, namespace) for s in sources for t in targets
            if s.name != t.name and reachable(policies, s, t, namespace)}


RUN = Pod("run", RUN_POD)
NEIGHBOUR = Pod("neighbour", OTHER_POD)
INGRESS_CONTROLLER = Pod("ingress-controller", {"app": "ingress-nginx"}, namespace="ingress-nginx")


def test_reachability_celery_rabbitmq_flower() -> None:
    config = dataclasses.replace(build_variant("celery-rabbitmq", TEST_PASSWORDS), namespace=NAMESPACE)
    objects = synth_config(config)
    got = table(objects, [RUN, NEIGHBOUR, INGRESS_CONTROLLER])
    web, daemon, workers = "dagster-dagster-webserver", "dagster-daemon", "dagster-celery-workers-dagster"
    flower, location = "dagster-flower", "dagster-dagster-user-deployments-k8s-example-user-code-1"
    migrate = next(o["metadata"]["name"] for o in objects if o["kind"] == "Job")
    pg, mq = "dagster-postgresql", "dagster-rabbitmq"
    expected = {
        **{(s, pg): {"tcp-postgresql"} for s in (web, daemon, workers, location, migrate, "run")},
        **{(s, mq): {"amqp"} for s in (workers, flower, web, daemon, "run")},
        **{(s, location): {"grpc"} for s in (web, daemon, "run")},
        **{(s, web): {"http"} for s in (daemon, workers, flower, location, migrate, pg, mq, "run", "neighbour")},
        **{(s, flower): {"flower"} for s in (web, daemon, workers, location, migrate, pg, mq, "run", "neighbour")},
    }
    assert got == expected
    # Every workload's pods are selected by a policy (checkov CKV2_K8S_6), and every named
    # port a policy opens exists on the pods it selects.
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    for pod in pods_of(objects):
        selecting = [p for p in policies if selector_matches(p["spec"]["podSelector"], pod.labels)]
        assert selecting, pod.name
        for policy in selecting:
            for rule in policy["spec"]["ingress"]:
                assert {p["port"] for p in rule.get("ports", [])} <= set(pod.ports), (policy, pod)


def test_ingress_opens_the_webserver_to_the_ingress_controller() -> None:
    objects = synth_config(dataclasses.replace(build_variant("multi-location", TEST_PASSWORDS), namespace=NAMESPACE))
    got = table(objects, [INGRESS_CONTROLLER])
    assert got[("ingress-controller", "dagster-dagster-webserver")] == {"http"}
    assert ("ingress-controller", "dagster-postgresql") not in got
    peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    narrowed = synth_config(from_helm_values({
        "postgresql": {"postgresqlPassword": "pw"}, "ingress": {"enabled": True},
        "networkPolicy": {"ingressPeers": [peer]}}, namespace=NAMESPACE))
    elsewhere = Pod("elsewhere", {"app": "x"}, namespace="other")
    got = table(narrowed, [INGRESS_CONTROLLER, elsewhere])
    assert got[("ingress-controller", "dagster-dagster-webserver")] == {"http"}
    assert ("elsewhere", "dagster-dagster-webserver") not in got


def test_runs_in_another_namespace_are_selected_there() -> None:
    objects = synth_config(from_helm_values({
        "postgresql": {"postgresqlPassword": "pw"},
        "runLauncher": {"config": {"k8sRunLauncher": {"jobNamespace": "runs"}}}}, namespace=NAMESPACE))
    got = table(objects, [dataclasses.replace(RUN, namespace="runs"), RUN])
    assert got[("run", "dagster-postgresql")] == {"tcp-postgresql"}
    assert sum(1 for (s, t) in got if s == "run" and t == "dagster-postgresql") == 1  # only the "runs" one
    policy = find(objects, "NetworkPolicy", "dagster-postgresql")
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "runs"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "dagster"}, "matchExpressions": [
                {"key": "app.kubernetes.io/component", "operator": "In", "values": ["run_worker", "step_worker"]}]},
            } in policy["spec"]["ingress"][0]["from"]


def test_one_switch_turns_them_off() -> None:
    objects = synth_config(from_helm_values({"postgresql": {"postgresqlPassword": "pw"},
                                             "networkPolicy": {"enabled": False}}))
    assert not [o for o in objects if o["kind"] == "NetworkPolicy"]


# ---- PodDisruptionBudgets --------------------------------------------------------------------
def test_pod_disruption_budgets() -> None:
    config = dataclasses.replace(build_variant("celery-redis", TEST_PASSWORDS),
                                 pod_disruption_budgets=PodDisruptionBudgetSettings(min_available="50%"))
    objects = synth_config(config)
    budgets = {o["metadata"]["name"]: o for o in objects if o["kind"] == "PodDisruptionBudget"}
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
    assert set(budgets) == {n for n in deployments if "webserver" in n or "celery-workers" in n
                            or "user-deployments" in n}
    for name, budget in budgets.items():
        assert budget["spec"]["minAvailable"] == "50%"
        # Each budget selects exactly its Deployment's pods.
        matched = [d for d in deployments.values() if selector_matches(budget["spec"]["selector"], pod_labels(d))]
        assert [d["metadata"]["name"] for d in matched] == [name]
    assert not [o for o in synth_config(build_variant("celery-redis", TEST_PASSWORDS))
                if o["kind"] == "PodDisruptionBudget"]


def test_pod_disruption_budgets_from_helm_values() -> None:
    objects = synth_config(from_helm_values({"postgresql": {"postgresqlPassword": "pw"},
                                             "podDisruptionBudget": {"enabled": True}}))
    budgets = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
    assert {b["metadata"]["name"] for b in budgets} == {
        "dagster-dagster-webserver", "dagster-dagster-user-deployments-k8s-example-user-code-1"}
    assert all(b["spec"]["maxUnavailable"] == 1 for b in budgets)


@pytest.mark.parametrize(("build", "field"), [
    (lambda: PodDisruptionBudgetSettings(min_available=1, max_unavailable=1), "max_unavailable"),
    (lambda: PodDisruptionBudgetSettings(max_unavailable="150%"), "max_unavailable"),
    (lambda: PodDisruptionBudgetSettings(min_available=-1), "min_available"),
    (lambda: NetworkPolicySettings(ingress_peers=[{"pods": {}}]), r"ingress_peers\[0\]"),
    (lambda: NetworkPolicySettings(ingress_peers={"podSelector": {}}), "ingress_peers"),
])
def test_bad_settings(build: Any, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        build()


def test_bad_values_name_the_values_path() -> None:
    with pytest.raises(ConfigError, match=r"^podDisruptionBudget\.maxUnavailable"):
        from_helm_values({"postgresql": {"postgresqlPassword": "pw"}, "podDisruptionBudget": {
            "enabled": True, "minAvailable": 1, "maxUnavailable": 1}})


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_policies_and_budgets_are_valid_kubernetes(version: str) -> None:
    objects = synth_config(from_helm_values({
        "postgresql": {"postgresqlPassword": "pw"}, "ingress": {"enabled": True},
        "runLauncher": {"type": "CeleryK8sRunLauncher"}, "rabbitmq": {"enabled": True, "rabbitmq": {"password": "x"}},
        "flower": {"enabled": True}, "podDisruptionBudget": {"enabled": True, "maxUnavailable": "25%"},
        "networkPolicy": {"ingressPeers": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}}))
    kinds = {o["kind"] for o in objects}
    assert {"NetworkPolicy", "PodDisruptionBudget"} <= kinds
    problems = [p for obj in objects for p in schema_problems(obj, version)]
    assert not problems, "\n".join(problems)


def test_keda_reaches_the_broker_of_autoscaled_queues() -> None:
    objects = synth_config(build_variant("celery-autoscaling", TEST_PASSWORDS))
    namespace = next(o["metadata"]["namespace"] for o in objects if o["kind"] == "NetworkPolicy")
    keda = Pod("keda", {"app.kubernetes.io/name": "keda-operator"}, namespace="keda")
    got = table(objects, [keda], namespace=namespace)
    reached = {t for (s, t) in got if s == "keda"}
    brokers = {o["metadata"]["name"] for o in objects if o["kind"] == "StatefulSet"} - {"dagster-postgresql"}
    assert reached == brokers and len(brokers) == 1
    # Without autoscaling, KEDA reaches nothing.
    plain = synth_config(dataclasses.replace(build_variant("celery-redis", TEST_PASSWORDS), namespace=namespace))
    assert not [t for (s, t) in table(plain, [keda], namespace=namespace) if s == "keda"]
