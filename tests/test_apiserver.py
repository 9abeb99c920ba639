"""API-server checks (constructs_lib/apiserver.py): what kubernetes-validate's schema check lets
through but the API server rejects is an error naming the values key (Helm) or the construct
field (typed API); every shipped variant passes them; each rule catches a planted defect."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from constructs_lib import ConfigError, WorkloadOptions
from constructs_lib.apiserver import block_problems, object_problems, parse_quantity, schema_problems

from .conftest import Manifest
from .front_door import assert_clean_error, run_cli, write

PW = ["--set-string", "postgresql.postgresqlPassword=pw"]
ING = ("ingress:\n  enabled: true\n  dagsterWebserver:\n    host: d.example.com\n    precedingPaths:\n"
       "      - {path: /x, pathType: Prefix, serviceName: ssl-redirect, servicePort: %s}\n")

# ---- the fixed corpus: the issue's accepted-but-invalid inputs, through the CLI ---------------------------
CASES: list[tuple[str, str, str]] = [
    ("replicas beyond int32", "dagsterWebserver:\n  replicaCount: 1000000000000\n",
     "dagsterWebserver.replicaCount: invalid value 1000000000000; expected an integer >= 0 (and <= 2147483647"),
    ("a non-ASCII label value", "dagsterWebserver:\n  labels: {team: データ}\n", "dagsterWebserver.labels.team:"),
    ("a 10,000-character label value", "dagsterWebserver:\n  labels: {team: " + "a" * 10_000 + "}\n",
     "dagsterWebserver.labels.team: invalid value 'aaaa"),
    ("a label key with spaces", "dagsterDaemon:\n  deploymentLabels: {'my team': x}\n",
     "dagsterDaemon.deploymentLabels.my team"),
    ("cpu: lots", "dagsterWebserver:\n  resources: {limits: {cpu: lots}}\n",
     "dagsterWebserver.resources.limits.cpu: invalid value 'lots'; expected a quantity"),
    ("requests above limits", "dagsterDaemon:\n  resources: {limits: {memory: 1Gi}, requests: {memory: 2Gi}}\n",
     "dagsterDaemon.resources.requests.memory"),
    ("affinity: {nodeAffinity: 5}", "dagsterWebserver:\n  affinity: {nodeAffinity: 5}\n",
     "dagsterWebserver.affinity.nodeAffinity: invalid value 5; expected a NodeAffinity"),
    ("readinessProbe: {httpGet: 5}", "dagsterWebserver:\n  readinessProbe: {httpGet: 5}\n",
     "dagsterWebserver.readinessProbe.httpGet: invalid value 5"),
    ("securityContext: {runAsUsr: 1000}", "dagsterWebserver:\n  securityContext: {runAsUsr: 1000}\n",
     "dagsterWebserver.securityContext.runAsUsr: invalid value 1000; expected no field 'runAsUsr' in a "
     "SecurityContext; did you mean 'runAsUser'?"),
    ("periodSeconds: -1", "dagsterWebserver:\n  readinessProbe: {periodSeconds: -1}\n",
     "dagsterWebserver.readinessProbe.periodSeconds: invalid value -1"),
    ("a probe with two handlers", "dagsterDaemon:\n  livenessProbe: {exec: {command: [x]}, tcpSocket: {port: 1}}\n",
     "dagsterDaemon.livenessProbe"),
    ("Ingress servicePort: 123456", ING % 123456,
     "ingress.dagsterWebserver.precedingPaths[0].servicePort: invalid value 123456"),
    ("Ingress servicePort name", ING % "'Not A Name'", "ingress.dagsterWebserver.precedingPaths[0].servicePort"),
    ("a 2 MB additionalInstanceConfig", "additionalInstanceConfig:\n  big: " + "x" * 2_000_000 + "\n",
     "additionalInstanceConfig: invalid value '<2,000,011 bytes>'; expected at most 1,048,576 bytes"),
    ("a sidecar with a bad image", "dagster-user-deployments:\n  deployments:\n    - name: loc\n"
     "      image: {repository: r, tag: t}\n      sidecarContainers: [{name: s, image: 'Bad Image'}]\n",
     "dagster-user-deployments.deployments[0].sidecarContainers[0].image"),
    ("a toleration with an unknown field", "dagsterWebserver:\n  tolerations: [{key: k, operater: Exists}]\n",
     "dagsterWebserver.tolerations[0].operater"),
    ("a volume with a bad name", "dagsterWebserver:\n  volumes: [{name: Data_1, emptyDir: {}}]\n",
     "dagsterWebserver.volumes[0].name"),
    ("runAsUser beyond int64", "dagsterWebserver:\n  podSecurityContext: {runAsUser: 99999999999999999999}\n",
     "dagsterWebserver.podSecurityContext.runAsUser"),
    ("a celery queue's label", "runLauncher:\n  type: CeleryK8sRunLauncher\n  config:\n    celeryK8sRunLauncher:\n"
     "      workerQueues: [{name: q, labels: {a: 'b c'}}]\nrabbitmq: {enabled: true, rabbitmq: {password: p}}\n",
     "runLauncher.config.celeryK8sRunLauncher.workerQueues[0].labels.a"),
    ("flower's nodeSelector", "runLauncher: {type: CeleryK8sRunLauncher}\nrabbitmq: {enabled: true, rabbitmq: "
     "{password: p}}\nflower:\n  enabled: true\n  nodeSelector: {disk: 'fast ssd'}\n", "flower.nodeSelector.disk"),
]


@pytest.mark.parametrize(("case", "values", "message"), CASES, ids=[c[0] for c in CASES])
def test_what_the_api_server_rejects_is_an_error_naming_the_key(case: str, values: str, message: str,
                                                                tmp_path: Path) -> None:
    outcome = run_cli("--outdir", str(tmp_path), "-f", write(tmp_path, "values.yaml", values), *PW)
    assert_clean_error(outcome, contains=message)


def test_set_replica_count_beyond_int64_is_an_error_not_1e23(tmp_path: Path) -> None:
    outcome = run_cli("--outdir", str(tmp_path), *PW, "--set", "dagsterWebserver.replicaCount=99999999999999999999999")
    assert_clean_error(outcome, contains="dagsterWebserver.replicaCount: invalid value 99999999999999999999999")
    assert not (tmp_path / "dagster.k8s.yaml").exists()


# ---- the typed API: the construct field ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"affinity": {"nodeAffinity": 5}}, "WorkloadOptions.affinity.nodeAffinity: invalid value 5"),
        ({"security_context": {"runAsUsr": 1}}, "WorkloadOptions.security_context.runAsUsr"),
        ({"resources": {"limits": {"cpu": "lots"}}}, "WorkloadOptions.resources.limits.cpu"),
        ({"liveness_probe": {"grpc": {"port": 0}}}, "WorkloadOptions.liveness_probe.grpc.port"),
        ({"labels": {"team": "データ"}}, "WorkloadOptions.labels.team"),
        ({"annotations": {"a": "x" * 300_000}}, "WorkloadOptions.annotations: invalid value '<300,001 bytes>'"),
        ({"node_selector": {"bad key!": "x"}}, "WorkloadOptions.node_selector.bad key!"),
        ({"env": [{"name": "A", "valueFrom": {"secretKeyRef": {"nme": "s"}}}]}, "WorkloadOptions.env[0].valueFrom"),
    ],
)
def test_typed_api_errors_name_the_construct_field(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        WorkloadOptions(**options)


def test_good_blocks_pass() -> None:
    WorkloadOptions(
        resources={"limits": {"cpu": "1.5", "memory": "1Gi", "nvidia.com/gpu": 1}, "requests": {"cpu": "500m"}},
        affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}},
        tolerations=[{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
        pod_security_context={"runAsUser": 1000, "fsGroup": 1000}, security_context={"readOnlyRootFilesystem": True},
        readiness_probe={"periodSeconds": 5}, liveness_probe={"httpGet": {"path": "/", "port": "http"}},
        labels={"app.kubernetes.io/part-of": "dagster", "empty": ""}, node_selector={"disk": "ssd"},
        volumes=[{"name": "data", "emptyDir": {}}], volume_mounts=[{"name": "data", "mountPath": "/data"}])


# ---- whole objects: every variant passes, each rule catches a planted defect -----------------------------------
def test_every_variant_passes_the_api_server_checks(variant_objects: list[Manifest]) -> None:
    assert [p for o in variant_objects for p in object_problems(o)] == []


def _first(obj: Manifest) -> str:
    problems = object_problems(obj)
    assert problems, "the planted defect was not caught"
    return problems[0][0]


def test_each_object_rule_catches_a_planted_defect(variant_objects: list[Manifest]) -> None:
    deployment = next(o for o in variant_objects if o["kind"] == "Deployment")
    service = next(o for o in variant_objects if o["kind"] == "Service")
    config_map = next(o for o in variant_objects if o["kind"] == "ConfigMap")
    secret = next((o for o in variant_objects if o["kind"] == "Secret"), None)
    plants: list[tuple[Manifest, Any, str]] = []

    def plant(obj: Manifest, change: Any, path: str) -> None:
        planted = copy.deepcopy(obj)
        change(planted)
        plants.append((planted, change, path))

    pod = "spec.template.spec.containers[0]"
    plant(deployment, lambda o: o["spec"].update(replicas=2**31), "spec.replicas")
    plant(deployment, lambda o: o["metadata"].update(name="Bad_Name"), "metadata.name")
    plant(deployment, lambda o: o["metadata"].setdefault("labels", {}).update(x="データ"), "metadata.labels.x")
    plant(deployment, lambda o: o["metadata"].update(annotations={"a": "x" * 262_144}), "metadata.annotations")
    plant(deployment, lambda o: o["spec"]["template"]["spec"]["containers"][0].update(image="Not An Image"),
          f"{pod}.image")
    plant(deployment, lambda o: o["spec"]["template"]["spec"]["containers"][0].update(
        resources={"limits": {"cpu": "lots"}}), f"{pod}.resources.limits.cpu")
    plant(deployment, lambda o: o["spec"]["template"]["spec"]["containers"][0].update(
        readinessProbe={"periodSeconds": 5}), f"{pod}.readinessProbe")
    plant(deployment, lambda o: o["spec"]["template"]["spec"]["containers"][0].update(
        ports=[{"containerPort": 70000}]), f"{pod}.ports[0].containerPort")
    plant(deployment, lambda o: o["spec"]["template"]["spec"]["containers"][0].update(
        env=[{"name": "1 A", "value": "x"}]), f"{pod}.env[0].name")
    plant(service, lambda o: o["spec"]["ports"][0].update(port=0), "spec.ports[0].port")
    plant(service, lambda o: o["spec"]["ports"][0].update(targetPort="Way-Too-Long-Port-Name"),
          "spec.ports[0].targetPort")
    plant(config_map, lambda o: o.update(data={"big": "x" * (1024 * 1024 + 1)}), "data")
    plant(config_map, lambda o: o.update(data={"bad/key": "x"}), "data.bad/key")
    if secret is not None:
        plant(secret, lambda o: o.update(data={"k": "not base64!"}), "data.k")
    for planted, _, path in plants:
        assert _first(planted) == path


def test_ingress_rules() -> None:
    ingress = {"kind": "Ingress", "metadata": {"name": "i"}, "spec": {"rules": [{"host": "Bad Host", "http": {
        "paths": [{"path": "x", "pathType": "Prefix",
                   "backend": {"service": {"name": "s", "port": {"number": 123456}}}}]}}]}}
    assert [p for p, _, _ in object_problems(ingress)] == [
        "spec.rules[0].host", "spec.rules[0].http.paths[0].path",
        "spec.rules[0].http.paths[0].backend.service.port.number"]


def test_quantities() -> None:
    assert parse_quantity("100m") == parse_quantity("0.1") == parse_quantity(0.1)
    assert parse_quantity("1Gi") == 2**30 and parse_quantity("1e3") == parse_quantity("1k") == 1000
    for bad in ("lots", "1.5.2", "1 Gi", "Gi", "", True, None, "1ki"):
        assert parse_quantity(bad) is None, bad


def test_container_block_is_checked_strictly() -> None:
    problems = block_problems("c", {"name": "s", "image": "busybox:1", "imagePullPolicy": "Sometimes",
                                    "ports": [{"containerPort": "80"}]}, "Container")
    assert "c.ports[0].containerPort" in [p for p, _, _ in problems]


def test_the_whole_object_schema_check(variant_objects: list[Manifest]) -> None:
    assert [p for o in variant_objects for p in schema_problems(o)] == []
    deployment = copy.deepcopy(next(o for o in variant_objects if o["kind"] == "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = 5
    deployment["spec"]["replicass"] = 1
    assert [p for p, _, _ in schema_problems(deployment)] == [
        "spec.template.spec.containers[0].imagePullPolicy", "spec.replicass"]


def test_the_schema_check_leaves_custom_resources_to_their_crd() -> None:
    assert schema_problems({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "x"}}) == []
    assert schema_problems({"apiVersion": "apps/v1", "kind": "Deploymnt", "metadata": {"name": "x"}})[0][0] == "kind"
