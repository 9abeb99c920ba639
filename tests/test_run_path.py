"""Issue #8: what launched runs get, as the official chart 1.9.3 gives it.

* A Celery queue's ``additionalCeleryArgs`` follow ``--`` (``dagster-celery worker start`` is a
  click command: extra Celery arguments are its ``additional_args`` after ``--``; without it,
  click exits ``No such option``). Checked against the pinned ``dagster-celery`` CLI itself.
* A code location's container context (``DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT``, or
  ``DAGSTER_CONTAINER_CONTEXT`` under ``dagster code-server start``) carries everything the
  chart's ``dagsterUserDeployments.k8sContainerContext`` carries, so a run pod gets the
  location's env, mounted files, labels, resources, scheduler and pull secrets.
* The K8s and CeleryK8s run launchers get the top-level ``imagePullSecrets``
  (``helpers/instance/_run-launcher.tpl``), and that ``dagster.yaml`` passes Dagster's own checks.

The expected container contexts below are what the chart renders for the same values (the
template's keys, compared parsed).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib import (
    CeleryK8sRunLauncher,
    CeleryQueue,
    CeleryWorkersSettings,
    CodeLocationSettings,
    DagsterInstance,
    DagsterSystemConfig,
    Image,
    K8sRunLauncher,
    PostgresConnection,
    PostgreSqlSettings,
    RabbitMqSettings,
    SecretKeyRef,
    UserCodeDeployment,
    WorkloadOptions,
)
from constructs_lib.helm import from_helm_values

from .conftest import Manifest, config_map_yaml, container, find, synth_chart, synth_config
from .test_validate_dagster import DAGSTER_PYTHON, MISSING_VENV, ConfigFile, run_dagster_check

PG = PostgreSqlSettings(password="pw")


def env_value(obj: Manifest, name: str) -> str:
    [var] = [e for c in obj["spec"]["template"]["spec"]["containers"] for e in c.get("env") or [] if e["name"] == name]
    return str(var["value"])


def helm_objects(values: dict[str, Any]) -> list[Manifest]:
    return synth_config(from_helm_values(values, release="dagster"))


# ---- Celery: additional args after `--` --------------------------------------------------------
CELERY_QUEUES = CeleryWorkersSettings(queues=[
    CeleryQueue(name="dagster"),
    CeleryQueue(name="io", additional_celery_args=["--concurrency", "16", "--prefetch-multiplier", "1"]),
])


def celery_objects() -> list[Manifest]:
    return synth_config(DagsterSystemConfig(postgresql=PG, broker=RabbitMqSettings(password="mq"),
                                            celery_workers=CELERY_QUEUES))


def test_additional_celery_args_follow_a_double_dash() -> None:
    objects = celery_objects()
    io = container(find(objects, "Deployment", "dagster-celery-workers-io"))
    assert io["args"] == ["worker", "start", "-A", "dagster_celery_k8s.app", "-y",
                          "/opt/dagster/dagster_home/celery-config.yaml", "-q", "io",
                          "--", "--concurrency", "16", "--prefetch-multiplier", "1"]
    plain = container(find(objects, "Deployment", "dagster-celery-workers-dagster"))
    assert plain["args"][-2:] == ["-q", "dagster"]  # no `--` without extra arguments, as in the chart


def test_additional_celery_args_from_helm_values_render_as_the_chart_does() -> None:
    objects = helm_objects({
        "runLauncher": {"type": "CeleryK8sRunLauncher", "config": {"celeryK8sRunLauncher": {"workerQueues": [
            {"name": "dagster", "replicaCount": 1},
            {"name": "io", "replicaCount": 1, "additionalCeleryArgs": ["--concurrency", "16"]}]}}},
        "rabbitmq": {"enabled": True, "rabbitmq": {"password": "mq"}},
        "postgresql": {"postgresqlPassword": "pw"},
    })
    # chart: args: [..., "-q", "io", "--", "--concurrency","16"]
    assert container(find(objects, "Deployment", "dagster-celery-workers-io"))["args"][-5:] == [
        "-q", "io", "--", "--concurrency", "16"]


CLICK_PARSE = """
import json, sys
from dagster_celery.cli import worker_start_command
args = json.loads(sys.argv[1])
context = worker_start_command.make_context("start", args)
print(json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in context.params.items()}))
"""


def test_celery_worker_args_parse_under_the_pinned_dagster_celery_cli(tmp_path: Path) -> None:
    """The worker's args as ``dagster-celery worker start`` (click) parses them: the extra
    Celery arguments arrive as ``additional_args`` instead of a ``No such option`` exit."""
    if not DAGSTER_PYTHON.exists():
        pytest.fail(MISSING_VENV, pytrace=False)
    config = tmp_path / "celery-config.yaml"
    config.write_text("execution: {}\n")
    io = container(find(celery_objects(), "Deployment", "dagster-celery-workers-io"))
    args = [str(config) if a.endswith("/celery-config.yaml") else a for a in io["args"][2:]]  # after `worker start`
    parsed = subprocess.run([str(DAGSTER_PYTHON), "-I", "-c", CLICK_PARSE, json.dumps(args)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert parsed.returncode == 0, parsed.stderr[-2000:]
    params = json.loads(parsed.stdout.splitlines()[-1])
    assert params["queue"] == ["io"] and params["app"] == "dagster_celery_k8s.app", params
    assert params["additional_args"] == ["--concurrency", "16", "--prefetch-multiplier", "1"], params


# ---- the code locations' container context ------------------------------------------------------
LOCATION_OPTIONS = WorkloadOptions(
    env=[{"name": "FROM_LIST", "value": "1"},
         {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}}],
    env_config_maps=["shared-settings"],
    env_secrets=["code-secret"],
    volumes=[{"name": "data", "configMap": {"name": "code-data"}}],
    volume_mounts=[{"name": "data", "mountPath": "/data", "readOnly": True}],
    labels={"team": "analytics"},
    annotations={"owner": "analytics@example.com"},
    resources={"limits": {"memory": "1Gi"}, "requests": {"cpu": "250m"}},
    scheduler_name="batch-scheduler",
    image_pull_secrets=["code-registry"],
)
SIDECAR = {"name": "proxy", "image": "envoyproxy/envoy:v1.30.1"}
INIT = {"name": "fetch", "image": "busybox:1.36", "command": ["true"]}

#: What the chart 1.9.3 renders for a deployment with these settings (subchart
#: ``imagePullSecrets: [{name: code-registry}]``, release ``dagster``, namespace ``runs``).
CHART_CONTEXT = {"k8s": {
    "image_pull_policy": "Always",
    "image_pull_secrets": [{"name": "code-registry"}],
    "env_config_maps": ["dagster-dagster-user-deployments-my-code-user-env", "shared-settings"],
    "env_secrets": ["code-secret"],
    "volume_mounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
    "volumes": [{"name": "data", "configMap": {"name": "code-data"}}],
    "labels": {"team": "analytics"},
    "resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "250m"}},
    "scheduler_name": "batch-scheduler",
    "namespace": "runs",
    "service_account_name": "sa",
    "env": [{"name": "FROM_LIST", "value": "1"},
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}}],
    "run_k8s_config": {
        "pod_spec_config": {"automount_service_account_token": True, "containers": [SIDECAR],
                            "init_containers": [INIT]},
        "pod_template_spec_metadata": {"annotations": {"owner": "analytics@example.com"}},
    },
}}


def location_objects(**settings: Any) -> list[Manifest]:
    location = CodeLocationSettings(
        name="my-code", image=Image(repository="r.example/code", tag="v1", pull_policy="Always"),
        options=LOCATION_OPTIONS, sidecar_containers=[SIDECAR], init_containers=[INIT], **settings)
    return synth_chart(lambda chart: UserCodeDeployment(
        chart, "code", instance=runs_instance(chart), settings=location, service_account_name="sa"), namespace="runs")


def runs_instance(chart: Any) -> DagsterInstance:
    """A Dagster instance launching runs in namespace ``runs``."""
    connection = PostgresConnection(host="db", database="d", username="u",
                                    password_secret=SecretKeyRef(name="s", key="postgresql-password"))
    return DagsterInstance(chart, "instance", postgres=connection, run_launcher=K8sRunLauncher(),
                           job_namespace="runs")


def test_container_context_carries_what_the_chart_passes() -> None:
    objects = location_objects(grpc_args=["--module-name", "my_code"])
    deployment = find(objects, "Deployment", "dagster-dagster-user-deployments-my-code")
    assert json.loads(env_value(deployment, "DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT")) == CHART_CONTEXT


def test_code_server_gets_its_container_context_in_the_variable_it_reads() -> None:
    """``dagster code-server start`` reads ``DAGSTER_CONTAINER_CONTEXT`` (its click option's
    envvar); the chart sets that one for ``codeServerArgs``."""
    deployment = find(location_objects(code_server_args=["--module-name", "my_code"]), "Deployment",
                      "dagster-dagster-user-deployments-my-code")
    names = [e["name"] for e in container(deployment, "dagster-user-deployments")["env"]]
    assert "DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT" not in names
    assert json.loads(env_value(deployment, "DAGSTER_CONTAINER_CONTEXT")) == CHART_CONTEXT


def test_minimal_container_context_is_unchanged() -> None:
    objects = synth_chart(lambda chart: UserCodeDeployment(
        chart, "code", instance=runs_instance(chart), settings=CodeLocationSettings(name="plain",
                                                                                    grpc_args=["-f", "/r.py"])))
    context = json.loads(env_value(find(objects, "Deployment", "dagster-dagster-user-deployments-plain"),
                                   "DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT"))
    assert context == {"k8s": {
        "env_config_maps": ["dagster-dagster-user-deployments-plain-user-env"], "image_pull_policy": "IfNotPresent",
        "namespace": "runs", "run_k8s_config": {"pod_spec_config": {"automount_service_account_token": True}}}}


HELM_LOCATION = {
    "name": "my-code",
    "image": {"repository": "r.example/code", "tag": "v1", "pullPolicy": "Always"},
    "dagsterApiGrpcArgs": ["--module-name", "my_code"],
    "port": 3030,
    "env": [{"name": "FROM_LIST", "value": "1"},
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}}],
    "envConfigMaps": [{"name": "shared-settings"}],
    "envSecrets": [{"name": "code-secret"}],
    "volumes": [{"name": "data", "configMap": {"name": "code-data"}}],
    "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
    "labels": {"team": "analytics"},
    "annotations": {"owner": "analytics@example.com"},
    "resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "250m"}},
    "schedulerName": "batch-scheduler",
    "sidecarContainers": [SIDECAR],
    "initContainers": [INIT],
}


def test_container_context_from_helm_values_equals_the_charts() -> None:
    objects = synth_config(from_helm_values({
        "postgresql": {"postgresqlPassword": "pw"},
        "dagster-user-deployments": {"imagePullSecrets": [{"name": "code-registry"}],
                                     "deployments": [HELM_LOCATION]},
    }, release="dagster", namespace="runs"))
    context = json.loads(env_value(find(objects, "Deployment", "dagster-dagster-user-deployments-my-code"),
                                   "DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT"))
    expected = json.loads(json.dumps(CHART_CONTEXT))
    expected["k8s"]["service_account_name"] = "dagster-dagster-user-deployments-user-deployments"
    # Without an explicit job namespace runs go to the launcher's own namespace (issue #9).
    del expected["k8s"]["namespace"]
    assert context == expected


def test_env_given_as_a_mapping_reaches_runs_through_the_locations_config_map() -> None:
    """Helm's map-form ``env`` goes to the location's env ConfigMap (listed first in
    ``env_config_maps``), not into the context's ``env`` (the chart's ``kindIs "slice"``)."""
    objects = synth_config(from_helm_values({
        "postgresql": {"postgresqlPassword": "pw"},
        "dagster-user-deployments": {"deployments": [
            {"name": "m", "image": {"repository": "r.example/code", "tag": "v1", "pullPolicy": "Always"},
             "dagsterApiGrpcArgs": ["-f", "/r.py"], "port": 3030, "env": {"MODE": "prod"}}]},
    }, release="dagster"))
    context = json.loads(env_value(find(objects, "Deployment", "dagster-dagster-user-deployments-m"),
                                   "DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT"))["k8s"]
    assert "env" not in context
    assert context["env_config_maps"] == ["dagster-dagster-user-deployments-m-user-env"]
    assert find(objects, "ConfigMap", "dagster-dagster-user-deployments-m-user-env")["data"] == {"MODE": "prod"}


# ---- the run launchers' image pull secrets -------------------------------------------------------
@pytest.mark.parametrize("launcher", [K8sRunLauncher(), CeleryK8sRunLauncher(image_pull_secrets=["own", "regcred"])],
                         ids=["k8s", "celery-k8s"])
def test_run_launchers_get_the_top_level_image_pull_secrets(launcher: Any) -> None:
    broker = RabbitMqSettings(password="mq") if launcher.uses_celery else None
    objects = synth_config(DagsterSystemConfig(postgresql=PG, run_launcher=launcher, broker=broker,
                                               image_pull_secrets=["regcred"]))
    config = config_map_yaml(objects, "dagster-instance", "dagster.yaml")["run_launcher"]["config"]
    expected = ["regcred", *(n for n in launcher.image_pull_secrets if n != "regcred")]
    assert config["image_pull_secrets"] == [{"name": n} for n in expected]


@pytest.mark.parametrize("launcher", ["K8sRunLauncher", "CeleryK8sRunLauncher"])
def test_run_launchers_get_image_pull_secrets_from_helm_values(launcher: str) -> None:
    values: dict[str, Any] = {"postgresql": {"postgresqlPassword": "pw"}, "runLauncher": {"type": launcher},
                              "imagePullSecrets": [{"name": "regcred"}, {"name": "mirror"}]}
    if launcher == "CeleryK8sRunLauncher":
        values["rabbitmq"] = {"enabled": True, "rabbitmq": {"password": "mq"}}
    instance = config_map_yaml(helm_objects(values), "dagster-instance", "dagster.yaml")
    # chart: image_pull_secrets: {{ .Values.imagePullSecrets | toYaml }}
    assert instance["run_launcher"]["config"]["image_pull_secrets"] == [{"name": "regcred"}, {"name": "mirror"}]


def test_launchers_with_image_pull_secrets_pass_dagsters_checks(tmp_path: Path) -> None:
    files = []
    for launcher in (K8sRunLauncher(), CeleryK8sRunLauncher()):
        broker = RabbitMqSettings(password="mq") if launcher.uses_celery else None
        objects = synth_config(DagsterSystemConfig(postgresql=PG, run_launcher=launcher, broker=broker,
                                                   image_pull_secrets=["regcred"]))
        text = find(objects, "ConfigMap", "dagster-instance")["data"]["dagster.yaml"]
        assert yaml.safe_load(text)["run_launcher"]["config"]["image_pull_secrets"] == [{"name": "regcred"}]
        path = tmp_path / type(launcher).__name__ / "dagster.yaml"
        path.parent.mkdir()
        path.write_text(text)
        files.append(ConfigFile(type(launcher).__name__, "instance", "ConfigMap/dagster-instance[dagster.yaml]", path))
    run = run_dagster_check(files, tmp_path).require()
    for file in files:
        result = run.results[str(file.path)]
        assert result["errors"] == [], (file.origin, result["errors"])
        assert any(line.startswith("run_launcher: dagster_") and file.origin in line
                   for line in result["checked"]), result["checked"]
