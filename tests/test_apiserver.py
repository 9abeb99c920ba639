"""API-server checks (constructs_lib/apiserver.py): what kubernetes-validate's schema check lets
through but the API server rejects is an error naming the values key (Helm) or the construct
field (typed API); every shipped variant passes them; each rule catches a planted defect."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from constructs_lib import (
    CeleryK8sRunLauncher,
    CeleryWorkersSettings,
    CodeLocationSettings,
    ConfigError,
    DagsterSystemConfig,
    FlowerSettings,
    IngressSettings,
    K8sRunLauncher,
    PostgreSqlSettings,
    RbacSettings,
    WebserverSettings,
    WorkloadOptions,
)
from constructs_lib.apiserver import block_problems, object_problems, parse_quantity, schema_problems

from .conftest import Manifest
from .front_door import assert_clean_error, run_cli, write

PW = ["--set-string", "postgresql.postgresqlPassword=pw"]
K8S = "runLauncher:\n  type: K8sRunLauncher\n  config:\n    k8sRunLauncher:\n      %s\n"
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
    # What reaches only the run pods (dagster.yaml's run launcher): checked at construction, not by the API
    # server when the first run starts.
    *[(f"the K8sRunLauncher's {what}", K8S % given, f"runLauncher.config.k8sRunLauncher.{key}")
      for what, given, key in (
        ("label value", "labels: {team: 'b c'}", "labels.team: invalid value 'b c'; expected a label value"),
        ("label key", "labels: {'my team': x}", "labels.my team"),
        ("resources", "resources: {limits: {cpu: lots}}", "resources.limits.cpu: invalid value 'lots'"),
        ("securityContext", "securityContext: {runAsUsr: 1}", "securityContext.runAsUsr"),
        ("schedulerName", "schedulerName: 'My Scheduler'", "schedulerName: invalid value 'My Scheduler'"),
        ("volume", "volumes: [{name: v, emptyDirr: {}}]", "volumes[0].emptyDirr"),
        ("volume mount", "volumeMounts: [{name: v, mountPath: data}]", "volumeMounts[0].mountPath"),
        ("envVars", "envVars: ['1BAD=x']", "envVars[0]: invalid value '1BAD'"),
        ("runK8sConfig.containerConfig", "runK8sConfig: {containerConfig: {resources: {limits: {cpu: lots}}}}",
         "runK8sConfig.containerConfig.resources.limits.cpu"),
        ("runK8sConfig.podSpecConfig", "runK8sConfig: {podSpecConfig: {nodeSelector: {disk: 'fast ssd'}}}",
         "runK8sConfig.podSpecConfig.nodeSelector.disk"),
        ("runK8sConfig.podTemplateSpecMetadata", "runK8sConfig: {podTemplateSpecMetadata: {labels: {a: 'b c'}}}",
         "runK8sConfig.podTemplateSpecMetadata.labels.a"),
        ("runK8sConfig.jobMetadata", "runK8sConfig: {jobMetadata: {annotations: {'my key': x}}}",
         "runK8sConfig.jobMetadata.annotations.my key"),
        ("runK8sConfig.jobSpecConfig", "runK8sConfig: {jobSpecConfig: {backoffLimit: -1}}",
         "runK8sConfig.jobSpecConfig.backoffLimit: invalid value -1"),
    )],
    ("a negative fsGroup (bitnami form)", "postgresql:\n  securityContext: {enabled: true, fsGroup: -1}\n",
     "postgresql.securityContext.fsGroup: invalid value -1"),
    ("the CeleryK8sRunLauncher's label value", "runLauncher:\n  type: CeleryK8sRunLauncher\n  config:\n"
     "    celeryK8sRunLauncher:\n      labels: {team: 'b c'}\nrabbitmq: {enabled: true, rabbitmq: {password: p}}\n",
     "runLauncher.config.celeryK8sRunLauncher.labels.team: invalid value 'b c'"),
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
        ({"pod_security_context": {"fsGroup": -1}}, "WorkloadOptions.pod_security_context.fsGroup: invalid value -1"),
        ({"security_context": {"runAsUser": 2**31}}, "WorkloadOptions.security_context.runAsUser"),
        ({"env": [{"name": "A", "valueFrom": {"secretKeyRef": {"nme": "s"}}}]}, "WorkloadOptions.env[0].valueFrom"),
    ],
)
def test_typed_api_errors_name_the_construct_field(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        WorkloadOptions(**options)


@pytest.mark.parametrize(
    ("launcher", "settings", "message"),
    [
        (K8sRunLauncher, {"labels": {"team": "データ"}}, "K8sRunLauncher.labels.team"),
        (CeleryK8sRunLauncher, {"labels": {"a b": "x"}}, "CeleryK8sRunLauncher.labels.a b"),
        (CeleryK8sRunLauncher, {"volumes": [{"name": "v", "config_map": {"nme": "c"}}]},
         "CeleryK8sRunLauncher.volumes[0].config_map.nme"),
        (K8sRunLauncher, {"volume_mounts": [{"name": "v", "mount_path": "/x", "sub_pth": "y"}]},
         "K8sRunLauncher.volume_mounts[0].sub_pth"),
        (K8sRunLauncher, {"resources": {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}},
         "K8sRunLauncher.resources.requests.memory"),
        (K8sRunLauncher, {"security_context": {"run_as_user": -1.5}}, "K8sRunLauncher.security_context.run_as_user"),
        (K8sRunLauncher, {"scheduler_name": "Bad_Name"}, "K8sRunLauncher.scheduler_name"),
        (K8sRunLauncher, {"env_vars": ["A B=1"]}, "K8sRunLauncher.env_vars[0]: invalid value 'A B'"),
        (K8sRunLauncher, {"run_k8s_config": {"container_config": {"env": [{"name": "1A", "value": "x"}]}}},
         "K8sRunLauncher.run_k8s_config.container_config.env[0].name"),
        (K8sRunLauncher, {"run_k8s_config": {"pod_spec_config": {"node_selector": {"a": "b c"}}}},
         "K8sRunLauncher.run_k8s_config.pod_spec_config.node_selector.a"),
        (K8sRunLauncher, {"run_k8s_config": {"pod_template_spec_metadata": {"labels": {"a": "-x"}}}},
         "K8sRunLauncher.run_k8s_config.pod_template_spec_metadata.labels.a"),
        (K8sRunLauncher, {"run_k8s_config": {"job_config": {"metadata": {"labels": {"a": "b c"}}}}},
         "K8sRunLauncher.run_k8s_config.job_config.metadata.labels.a"),
        (K8sRunLauncher, {"run_k8s_config": {"job_spec_config": {"ttl_seconds_after_finished": "soon"}}},
         "K8sRunLauncher.run_k8s_config.job_spec_config.ttl_seconds_after_finished"),
    ],
)
def test_what_run_pods_get_from_the_launcher_is_checked_at_construction(
        launcher: type[Any], settings: dict[str, Any], message: str) -> None:
    """The launcher's settings go into dagster.yaml and from there into every run pod: the API
    server would reject them only when a run starts. Dagster takes each field in snake_case or
    camelCase; errors name it as given."""
    with pytest.raises(ConfigError, match=re.escape(message)):
        launcher(**settings)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: CodeLocationSettings(name="loc", env={"MY VAR": "x"}), "CodeLocationSettings(loc).env.MY VAR"),
        (lambda: CodeLocationSettings(name="loc", service_annotations={"a b": "x"}),
         "CodeLocationSettings(loc).service_annotations.a b"),
        (lambda: CeleryWorkersSettings(env={"1X": "x"}), "CeleryWorkersSettings.env.1X"),
        (lambda: CodeLocationSettings(name="loc", env={"A": "x" * 1_100_000}),
         "CodeLocationSettings(loc).env: invalid value '<1,100,001 bytes>'"),
        (lambda: WebserverSettings(service_annotations={"a": 1}), "WebserverSettings.service_annotations"),
        (lambda: FlowerSettings(service_annotations={"-a": "x"}), "FlowerSettings.service_annotations.-a"),
        (lambda: IngressSettings(labels={"team": "データ"}), "IngressSettings.labels.team"),
        (lambda: RbacSettings(service_account_annotations={"a b": "x"}),
         "RbacSettings.service_account_annotations.a b"),
        (lambda: DagsterSystemConfig(postgresql=PostgreSqlSettings(password="pw"), run_launcher=K8sRunLauncher(),
                                     pipeline_run_env={"A-B C": "x"}),
         "DagsterSystemConfig.pipeline_run_env.A-B C"),
    ],
)
def test_settings_that_become_metadata_or_env_are_checked_at_construction(build: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        build()


def test_good_launcher_blocks_pass_in_either_spelling() -> None:
    K8sRunLauncher(
        labels={"team": "data", "app.kubernetes.io/part-of": "dagster"}, scheduler_name="my-scheduler",
        env_vars=["A=1", "B"], resources={"limits": {"cpu": "1", "nvidia.com/gpu": 1}},
        security_context={"run_as_user": 1000, "readOnlyRootFilesystem": True},
        volumes=[{"name": "v", "config_map": {"name": "c", "default_mode": 420}}, {"name": "w", "emptyDir": {}}],
        volume_mounts=[{"name": "v", "mount_path": "/x"}, {"name": "w", "mountPath": "/y", "readOnly": True}],
        run_k8s_config={"container_config": {"resources": {"limits": {"cpu": "2"}}, "env": [
                            {"name": "A", "value_from": {"secret_key_ref": {"name": "s", "key": "k"}}}]},
                        "pod_spec_config": {"node_selector": {"disk": "ssd"}, "containers": [
                            {"name": "side", "image": "busybox:1.36"}]},
                        "pod_template_spec_metadata": {"annotations": {"a/b": "c"}},
                        "job_config": {"metadata": {"labels": {"x": "y"}}},
                        "job_metadata": {"labels": {"x": "y"}},
                        "job_spec_config": {"ttlSecondsAfterFinished": 60, "backoff_limit": 0}})
    CeleryK8sRunLauncher(labels={"team": "data"}, volumes=[{"name": "v", "secret": {"secret_name": "s"}}],
                         volume_mounts=[{"name": "v", "mount_path": "/s"}])


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
    plant(deployment, lambda o: o["spec"]["template"]["spec"].update(securityContext={"fsGroup": -1}),
          "spec.template.spec.securityContext.fsGroup")
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


# ---- the checks' caches (each valid value is checked once): a bad value is never taken for a cached good one --------
def test_a_cached_valid_label_does_not_pass_a_lookalike() -> None:
    from constructs_lib.apiserver import label_problems

    class Sneaky(str):  # equal to a cached valid value, but not a str the API server would get
        pass

    assert list(label_problems("l", {"app": "dagster", "tier": "web"})) == []  # cached as valid
    assert list(label_problems("l", {"app": "dagster"})) == []
    assert [p for p, _, _ in label_problems("l", {"app": "dagster-", "tier": 1})] == ["l.app", "l.tier"]
    assert list(label_problems("l", {Sneaky("app"): "dagster"})) == []  # a str subclass is a string: still valid
    assert [p for p, _, _ in label_problems("l", {"app": ["dagster"]})] == ["l.app"]


def test_cached_valid_resources_do_not_pass_other_types_or_bad_pairs() -> None:
    from constructs_lib.apiserver import resources_problems

    good = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "256Mi"}}
    assert list(resources_problems("r", good)) == [] and list(resources_problems("r", copy.deepcopy(good))) == []
    # the same quantities as other types (a bool equals 1, a float): checked, not taken from the cache
    assert [p for p, _, _ in resources_problems("r", {"limits": {"cpu": True}})] == ["r.limits.cpu"]
    assert list(resources_problems("r", {"limits": {"cpu": 1}})) == []
    assert [p for p, _, _ in resources_problems("r", {"limits": {"cpu": 1}, "requests": {"cpu": 2}})] == [
        "r.requests.cpu"]
    assert [p for p, _, _ in resources_problems("r", {"limits": {"cpu": "1"}, "requests": {"cpu": "2"}})] == [
        "r.requests.cpu"]  # and again, from the same key: problems are never cached
    assert [p for p, _, _ in resources_problems("r", {"limits": {"cpu": "1"}, "requests": {"cpu": "2"}})] == [
        "r.requests.cpu"]


def test_cached_names_images_and_ports_do_not_pass_lookalikes() -> None:
    from constructs_lib.apiserver import container_problems

    ok: dict[str, Any] = {"name": "app", "image": "busybox:1", "ports": [{"containerPort": 80, "name": "http"}],
                          "env": [{"name": "A_B", "value": "1"}]}
    assert list(container_problems("c", ok)) == [] and list(container_problems("c", ok)) == []
    bad = {"name": "App", "image": "Busybox:1", "ports": [{"containerPort": True, "name": "http--x"},
                                                          {"containerPort": 80, "hostPort": 0}],
           "env": [{"name": "1-A B"}]}
    assert [p for p, _, _ in container_problems("c", bad)] == [
        "c.name", "c.image", "c.ports[0].containerPort", "c.ports[0].name", "c.ports[1].hostPort", "c.env[0].name"]
