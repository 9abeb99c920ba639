"""Unit tests of the workload constructs: names, wiring, commands, env, mounts, probes."""

from __future__ import annotations

import json
from typing import Any

import cdk8s
import pytest
import yaml

from constructs_lib import (
    NON_ROOT_UID,
    BrokerConnection,
    CeleryConfigSecret,
    CeleryQueue,
    CeleryWorkerPool,
    CeleryWorkersSettings,
    CodeLocationSettings,
    DaemonSettings,
    DagitService,
    DagsterDaemon,
    DagsterInstance,
    FlowerService,
    GrpcLocation,
    Image,
    K8sRunLauncher,
    MigrateJob,
    MigrateSettings,
    PostgresConnection,
    Release,
    SecretKeyRef,
    UserCodeDeployment,
    WebserverSettings,
    WorkloadOptions,
    WorkspaceConfigMap,
)

from .conftest import Manifest, container, find, pod_spec, synth_chart

PG = PostgresConnection(
    host="dagster-postgresql",
    database="dagster",
    username="dagster",
    password_secret=SecretKeyRef(name="dagster-postgresql-secret", key="postgresql-password"),
)
#: The profile's HOME for Dagster's processes (their ~/.dagster on the writable DAGSTER_HOME).
HOME_ENV = {"name": "HOME", "value": "/opt/dagster/dagster_home"}
PG_ENV = {
    "name": "DAGSTER_PG_PASSWORD",
    "valueFrom": {"secretKeyRef": {"name": "dagster-postgresql-secret", "key": "postgresql-password"}},
}
INSTANCE_MOUNT = {
    "name": "dagster-instance",
    "mountPath": "/opt/dagster/dagster_home/dagster.yaml",
    "subPath": "dagster.yaml",
}
#: The default security profile's emptyDirs of a Dagster pod (read-only root filesystem).
RW_MOUNTS = [{"name": "rw-opt-dagster-dagster-home", "mountPath": "/opt/dagster/dagster_home"},
             {"name": "rw-tmp", "mountPath": "/tmp"}]


class System:
    """The wiring a workload needs, built in a test chart."""

    def __init__(self, chart: cdk8s.Chart, *, celery: bool = True, job_namespace: str | None = None) -> None:
        self.celery_secret = (
            CeleryConfigSecret(
                chart,
                "celery",
                broker=BrokerConnection(
                    broker_url="pyamqp://u:p@dagster-rabbitmq:5672//", host="dagster-rabbitmq", port=5672
                ),
            )
            if celery
            else None
        )
        self.instance = DagsterInstance(
            chart,
            "instance",
            postgres=PG,
            celery_secret=self.celery_secret,
            run_launcher=None if celery else K8sRunLauncher(),
            service_account_name="dagster",
            job_namespace=job_namespace,
        )
        self.workspace = WorkspaceConfigMap(
            chart, "workspace", locations=[GrpcLocation(host="loc", port=3030, location_name="loc")]
        )


def synth_with(build: Any, *, celery: bool = True, job_namespace: str | None = None) -> list[Manifest]:
    def outer(chart: cdk8s.Chart) -> None:
        build(chart, System(chart, celery=celery, job_namespace=job_namespace))

    return synth_chart(outer)


# ---- webserver ---------------------------------------------------------------------------------
def test_webserver_deployment_and_service() -> None:
    objects = synth_with(
        lambda chart, s: DagitService(
            chart,
            "web",
            instance=s.instance,
            workspace=s.workspace,
        )
    )
    deployment = find(objects, "Deployment", "dagster-dagster-webserver")
    main = container(deployment)
    assert main["command"] == [
        "dagster-webserver",
        "-h",
        "0.0.0.0",
        "-p",
        "80",
        "-w",
        "/dagster-workspace/workspace.yaml",
    ]
    assert main["env"] == [PG_ENV, HOME_ENV]
    assert main["envFrom"] == [
        {"configMapRef": {"name": "dagster-webserver-env"}},
        {"secretRef": {"name": "dagster-celery-config-secret"}},
    ]
    assert main["volumeMounts"] == [
        *RW_MOUNTS,
        INSTANCE_MOUNT,
        {"name": "dagster-workspace-yaml", "mountPath": "/dagster-workspace/"},
    ]
    assert main["readinessProbe"]["httpGet"] == {"path": "/server_info", "port": "http"}
    assert main["ports"] == [{"name": "http", "containerPort": 80, "protocol": "TCP"}]
    spec = pod_spec(deployment)
    assert spec["serviceAccountName"] == "dagster" and spec["automountServiceAccountToken"] is True
    assert [c["name"] for c in spec["initContainers"]] == ["check-db-ready"]
    assert "pg_isready -h dagster-postgresql -p 5432 -U dagster" in spec["initContainers"][0]["command"][2]
    config_maps = {v["configMap"]["name"] for v in spec["volumes"] if "configMap" in v}
    assert config_maps == {"dagster-instance", "dagster-workspace-yaml"}
    service = find(objects, "Service", "dagster-dagster-webserver")
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["selector"]["component"] == "dagster-webserver"


def test_webserver_flags_read_only_twin_and_legacy_dagit() -> None:
    settings = WebserverSettings(
        port=8080,
        path_prefix="/dagster",
        log_level="debug",
        db_statement_timeout=15000,
        db_pool_recycle=3600,
        read_only=True,
        legacy_dagit_command=True,
        replicas=3,
    )
    built: dict[str, DagitService] = {}

    def build(chart: cdk8s.Chart, s: System) -> None:
        built["w"] = DagitService(chart, "web", instance=s.instance, workspace=s.workspace, settings=settings)

    objects = synth_with(build)
    flags = [
        "-h",
        "0.0.0.0",
        "-p",
        "8080",
        "-w",
        "/dagster-workspace/workspace.yaml",
        "--db-statement-timeout",
        "15000",
        "--db-pool-recycle",
        "3600",
        "--path-prefix",
        "/dagster",
        "--log-level",
        "debug",
    ]
    main = find(objects, "Deployment", "dagster-dagster-webserver")
    read_only = find(objects, "Deployment", "dagster-dagster-webserver-read-only")
    assert container(main)["command"] == ["dagit", *flags]
    assert container(read_only)["command"] == ["dagit", *flags, "--read-only"]
    assert container(main)["readinessProbe"]["httpGet"]["path"] == "/dagster/server_info"
    assert main["spec"]["replicas"] == 3
    ro_service = find(objects, "Service", "dagster-dagster-webserver-read-only")
    assert ro_service["spec"]["selector"]["component"] == "dagster-webserver-read-only"
    assert ro_service["spec"]["selector"] == read_only["spec"]["selector"]["matchLabels"]
    assert built["w"].read_only_service_name == "dagster-dagster-webserver-read-only"
    assert built["w"].port == 8080 and built["w"].path_prefix == "/dagster"


def test_workload_options_reach_pod_and_container() -> None:
    options = WorkloadOptions(
        resources={"requests": {"cpu": "100m"}},
        node_selector={"pool": "system"},
        affinity={"nodeAffinity": {}},
        tolerations=[{"key": "k", "operator": "Exists"}],
        pod_security_context={"runAsUser": 1000},
        security_context={"readOnlyRootFilesystem": True},
        labels={"team": "data"},
        annotations={"a": "b"},
        workload_labels={"tier": "web"},
        workload_annotations={"note": "x"},
        env=[
            {"name": "EXTRA", "value": "1"},
            {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
        ],
        env_config_maps=["extra-cm"],
        env_secrets=["extra-secret"],
        volumes=[{"name": "scratch", "emptyDir": {}}],
        volume_mounts=[{"name": "scratch", "mountPath": "/scratch"}],
        liveness_probe={"httpGet": {"path": "/server_info", "port": "http"}},
        readiness_probe={},
        scheduler_name="custom-scheduler",
        image_pull_secrets=["regcred"],
    )
    objects = synth_with(
        lambda chart, s: DagitService(
            chart, "web", instance=s.instance, workspace=s.workspace, settings=WebserverSettings(options=options)
        )
    )
    deployment = find(objects, "Deployment", "dagster-dagster-webserver")
    assert deployment["metadata"]["labels"]["tier"] == "web"
    assert deployment["metadata"]["annotations"] == {"note": "x"}
    template = deployment["spec"]["template"]
    assert template["metadata"]["labels"]["team"] == "data"
    assert template["metadata"]["annotations"] == {"a": "b"}
    assert "team" not in deployment["spec"]["selector"]["matchLabels"]
    spec = template["spec"]
    assert spec["nodeSelector"] == {"pool": "system"} and spec["tolerations"] == [{"key": "k", "operator": "Exists"}]
    # The user's settings, on top of the default security profile's.
    assert spec["securityContext"] == {"runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"},
                                       "runAsNonRoot": True, "runAsGroup": NON_ROOT_UID, "fsGroup": NON_ROOT_UID,
                                       "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "80"}]}
    assert spec["schedulerName"] == "custom-scheduler"
    assert spec["imagePullSecrets"] == [{"name": "regcred"}] and spec["affinity"] == {"nodeAffinity": {}}
    main = container(deployment)
    assert main["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"},
                                 "limits": {"cpu": "1", "memory": "2Gi"}}
    assert main["securityContext"] == {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                                       "capabilities": {"drop": ["ALL"]}}
    assert [e["name"] for e in main["env"]] == ["DAGSTER_PG_PASSWORD", "EXTRA", "FROM_SECRET", "HOME"]
    assert main["envFrom"][-2:] == [{"configMapRef": {"name": "extra-cm"}}, {"secretRef": {"name": "extra-secret"}}]
    assert {"name": "scratch", "mountPath": "/scratch"} in main["volumeMounts"]
    assert "readinessProbe" not in main
    assert main["livenessProbe"] == {"httpGet": {"path": "/server_info", "port": "http"}}


# ---- daemon ------------------------------------------------------------------------------------
def test_daemon() -> None:
    objects = synth_with(
        lambda chart, s: DagsterDaemon(
            chart,
            "daemon",
            instance=s.instance,
            workspace=s.workspace,
            settings=DaemonSettings(heartbeat_tolerance=600),
        )
    )
    deployment = find(objects, "Deployment", "dagster-daemon")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert deployment["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "dagster",
        "app.kubernetes.io/instance": "dagster",
        "component": "dagster-daemon",
        "deployment": "daemon",
    }
    main = container(deployment)
    assert main["command"] == ["dagster-daemon", "run", "-w", "/dagster-workspace/workspace.yaml"]
    assert main["env"] == [PG_ENV, {"name": "DAGSTER_DAEMON_HEARTBEAT_TOLERANCE", "value": "600"}, HOME_ENV]
    assert INSTANCE_MOUNT in main["volumeMounts"]


# ---- celery ------------------------------------------------------------------------------------
def test_celery_worker_pool_one_deployment_and_config_per_queue() -> None:
    settings = CeleryWorkersSettings(
        queues=[
            CeleryQueue(name="dagster", replicas=2),
            CeleryQueue(
                name="gpu",
                replicas=1,
                labels={"hw": "gpu"},
                node_selector={"gpu": "true"},
                config_source={"worker_prefetch_multiplier": 1},
                additional_celery_args=["--concurrency", "1"],
            ),
        ]
    )
    built: dict[str, CeleryWorkerPool] = {}

    def build(chart: cdk8s.Chart, s: System) -> None:
        built["p"] = CeleryWorkerPool(
            chart,
            "pool",
            instance=s.instance,
            settings=settings,
            config_source={"task_acks_late": True},
        )

    objects = synth_with(build)
    pool = built["p"]
    assert pool.deployment_names == ["dagster-celery-workers-dagster", "dagster-celery-workers-gpu"]
    gpu = find(objects, "Deployment", "dagster-celery-workers-gpu")
    default = find(objects, "Deployment", "dagster-celery-workers-dagster")
    assert default["spec"]["replicas"] == 2 and gpu["spec"]["replicas"] == 1
    # Each queue's selector matches its own pods only (the official chart's defect, not repeated).
    assert default["spec"]["selector"]["matchLabels"]["queue"] == "dagster"
    assert gpu["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "dagster",
        "app.kubernetes.io/instance": "dagster",
        "component": "celery",
        "queue": "gpu",
    }
    main = container(gpu)
    assert main["command"] == ["dagster-celery"]
    assert main["args"] == [
        "worker",
        "start",
        "-A",
        "dagster_celery_k8s.app",
        "-y",
        "/opt/dagster/dagster_home/celery-config.yaml",
        "-q",
        "gpu",
        "--",
        "--concurrency",
        "1",
    ]
    assert {
        "name": "dagster-celery",
        "mountPath": "/opt/dagster/dagster_home/celery-config.yaml",
        "subPath": "celery.yaml",
    } in main["volumeMounts"]
    assert "dagster-celery status" in main["livenessProbe"]["exec"]["command"][2]
    spec = pod_spec(gpu)
    assert spec["nodeSelector"] == {"gpu": "true"}
    assert gpu["spec"]["template"]["metadata"]["labels"]["hw"] == "gpu"
    assert [c["name"] for c in spec["initContainers"]] == ["check-db-ready", "check-broker-ready"]
    assert '[["dagster-rabbitmq", 5672]]' in spec["initContainers"][1]["command"][2]
    assert {"name": "dagster-celery", "configMap": {"name": "dagster-celery-gpu"}} in spec["volumes"]
    celery_yaml = yaml.safe_load(find(objects, "ConfigMap", "dagster-celery-gpu")["data"]["celery.yaml"])
    assert celery_yaml == {
        "execution": {
            "celery": {
                "broker": {"env": "DAGSTER_CELERY_BROKER_URL"},
                "backend": {"env": "DAGSTER_CELERY_BACKEND_URL"},
                "config_source": {"task_acks_late": True, "worker_prefetch_multiplier": 1},
            }
        }
    }


def test_celery_worker_pool_needs_a_celery_instance() -> None:
    from constructs_lib import ConfigError

    with pytest.raises(ConfigError, match=r"CeleryWorkerPool.instance.*uses Celery"):
        synth_with(lambda chart, s: CeleryWorkerPool(chart, "pool", instance=s.instance), celery=False)


# ---- flower ------------------------------------------------------------------------------------
def test_flower_reads_urls_from_the_celery_secret() -> None:
    objects = synth_with(lambda chart, s: FlowerService(chart, "flower", celery_secret=s.celery_secret))
    deployment = find(objects, "Deployment", "dagster-flower")
    main = container(deployment)
    assert main["command"] == ["celery", "flower", "--port=5555"]
    assert main["env"] == [
        {
            "name": "CELERY_BROKER_URL",
            "valueFrom": {"secretKeyRef": {"name": "dagster-celery-config-secret", "key": "DAGSTER_CELERY_BROKER_URL"}},
        },
        {
            "name": "CELERY_RESULT_BACKEND",
            "valueFrom": {
                "secretKeyRef": {"name": "dagster-celery-config-secret", "key": "DAGSTER_CELERY_BACKEND_URL"}
            },
        },
    ]
    service = find(objects, "Service", "dagster-flower-service")
    assert service["spec"]["ports"][0]["port"] == 5555
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


# ---- code location -----------------------------------------------------------------------------
def test_user_code_deployment() -> None:
    settings = CodeLocationSettings(
        name="my-code",
        image=Image(repository="r.example/code", tag="v1", pull_policy="Always"),
        grpc_args=["--module-name", "my_code"],
        port=4000,
        env={"MODE": "prod"},
        options=WorkloadOptions(env_secrets=["code-secret"]),
    )
    built: dict[str, UserCodeDeployment] = {}

    def build(chart: cdk8s.Chart, s: System) -> None:
        built["u"] = UserCodeDeployment(
            chart,
            "code",
            instance=s.instance,
            settings=settings,
            service_account_name="sa",
        )

    objects = synth_with(build, job_namespace="runs")
    deployment = find(objects, "Deployment", "dagster-dagster-user-deployments-my-code")
    main = container(deployment)
    assert main["args"] == ["dagster", "api", "grpc", "-h", "0.0.0.0", "-p", "4000", "--module-name", "my_code"]
    assert main["readinessProbe"]["exec"]["command"] == ["dagster", "api", "grpc-health-check", "-p", "4000"]
    env = {e["name"]: e for e in main["env"]}
    assert env["DAGSTER_CURRENT_IMAGE"]["value"] == "r.example/code:v1"
    assert env["DAGSTER_PG_PASSWORD"] == PG_ENV
    context = json.loads(env["DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT"]["value"])
    assert context == {
        "k8s": {
            "env_config_maps": ["dagster-dagster-user-deployments-my-code-user-env"],
            "env_secrets": ["code-secret"],
            "image_pull_policy": "Always",
            "namespace": "runs",
            "service_account_name": "sa",
            "run_k8s_config": {"pod_spec_config": {"automount_service_account_token": True}},
        }
    }
    assert {"secretRef": {"name": "dagster-celery-config-secret", "optional": True}} in main["envFrom"]
    env_cm = find(objects, "ConfigMap", "dagster-dagster-user-deployments-my-code-user-env")
    assert env_cm["data"] == {"MODE": "prod"}
    service = find(objects, "Service", "my-code")
    assert service["spec"]["ports"] == [{"name": "grpc", "port": 4000, "targetPort": "grpc", "protocol": "TCP"}]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert built["u"].grpc_location == GrpcLocation(host="my-code", port=4000, location_name="my-code")


def test_code_location_without_launched_run_config() -> None:
    settings = CodeLocationSettings(name="plain", grpc_args=[], include_config_in_launched_runs=False)
    objects = synth_with(lambda chart, s: UserCodeDeployment(chart, "code", instance=s.instance, settings=settings))
    names = [e["name"] for e in container(find(objects, "Deployment", "dagster-dagster-user-deployments-plain"))["env"]]
    assert names == ["DAGSTER_CURRENT_IMAGE", "DAGSTER_PG_PASSWORD", "HOME"]


# ---- workspace, migrate ------------------------------------------------------------------------
def test_workspace_lists_every_location() -> None:
    objects = synth_chart(
        lambda chart: WorkspaceConfigMap(
            chart,
            "ws",
            locations=[
                GrpcLocation(host="a", port=3030, location_name="a"),
                GrpcLocation(host="b", port=4000, location_name="b"),
            ],
        )
    )
    workspace = yaml.safe_load(find(objects, "ConfigMap", "dagster-workspace-yaml")["data"]["workspace.yaml"])
    assert workspace == {
        "load_from": [
            {"grpc_server": {"host": "a", "port": 3030, "location_name": "a"}},
            {"grpc_server": {"host": "b", "port": 4000, "location_name": "b"}},
        ]
    }


def test_external_workspace_config_map_writes_nothing() -> None:
    built: dict[str, WorkspaceConfigMap] = {}

    def build(chart: cdk8s.Chart) -> None:
        built["w"] = WorkspaceConfigMap(chart, "ws", external_config_map="my-workspace")

    assert synth_chart(build) == []
    assert built["w"].name == "my-workspace"


def test_migrate_job() -> None:
    objects = synth_with(
        lambda chart, s: MigrateJob(
            chart, "migrate", instance=s.instance, settings=MigrateSettings(ttl_seconds_after_finished=600)
        )
    )
    (job,) = [o for o in objects if o["kind"] == "Job"]
    assert job["spec"]["ttlSecondsAfterFinished"] == 600
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    main = container(job)
    assert main["command"] == ["dagster", "instance", "migrate"]
    assert main["env"] == [PG_ENV, HOME_ENV]
    # The profile's writable directories first, then the instance file inside DAGSTER_HOME.
    assert main["volumeMounts"] == [*RW_MOUNTS, INSTANCE_MOUNT]


def _migrate_job(settings: MigrateSettings | None = None, release: Release | None = None) -> Manifest:
    def build(chart: cdk8s.Chart) -> None:
        instance = DagsterInstance(chart, "instance", postgres=PG, run_launcher=K8sRunLauncher(),
                                   release=release or Release())
        MigrateJob(chart, "migrate", instance=instance, settings=settings)

    (job,) = [o for o in synth_chart(build) if o["kind"] == "Job"]
    return job


def test_migrate_job_name_follows_its_spec() -> None:
    """A Job's template is immutable: a changed migrate Job gets a new name (so `kubectl apply`
    creates it), an unchanged one keeps its name; it is deleted a day after it finished."""
    default = _migrate_job()
    name = default["metadata"]["name"]
    prefix = "dagster-dagster-webserver-instance-migrate-"
    assert name.startswith(prefix) and len(name) == len(prefix) + 8
    assert default["spec"]["ttlSecondsAfterFinished"] == 86400
    assert _migrate_job()["metadata"]["name"] == name
    other = _migrate_job(MigrateSettings(image=Image(repository="r.example/dagster", tag="v2")))
    assert other["metadata"]["name"] != name
    kept = _migrate_job(MigrateSettings(ttl_seconds_after_finished=None))
    assert "ttlSecondsAfterFinished" not in kept["spec"] and kept["metadata"]["name"] != name


def test_migrate_job_name_of_a_long_release_stays_a_label() -> None:
    job = _migrate_job(release=Release(name="r" * 53))
    name = job["metadata"]["name"]
    assert len(name) <= 63 and name[-9] == "-" and not name[:-9].endswith("-")
    assert name.startswith("r" * 40)


# ---- replace_options: a derived WorkloadOptions checks what changed, as dataclasses.replace would ------------------
_BASE_OPTIONS = dict(resources={"limits": {"cpu": "1"}}, labels={"team": "a"}, node_selector={"pool": "x"},
                     security_context={"runAsUser": 1000}, volumes=[{"name": "data", "emptyDir": {}}],
                     volume_mounts=[{"name": "data", "mountPath": "/data"}], env={"B": "2", "A": "1"})


@pytest.mark.parametrize("changes", [
    {"security_profile": "hardened"}, {"security_profile": "default"}, {"security_profile": None},
    {"labels": {"z": "1", "team": "b"}, "node_selector": {"b": "2", "a": "1"}},
    {"resources": {"requests": {"memory": "1Gi", "cpu": "1"}}}, {"env": [{"name": "X", "value": "1"}]},
    {"volumes": ({"name": "other", "emptyDir": {}},)}, {},
])
def test_replace_options_is_dataclasses_replace(changes: dict[str, Any]) -> None:
    import dataclasses

    from constructs_lib.workload import WorkloadOptions, replace_options

    options = WorkloadOptions(**_BASE_OPTIONS)  # type: ignore[arg-type]
    derived = replace_options(options, **changes)
    assert derived == dataclasses.replace(options, **changes)
    assert type(derived) is WorkloadOptions and derived is not options
    assert json.dumps(vars(derived)) == json.dumps(vars(dataclasses.replace(options, **changes)))  # canonical order


@pytest.mark.parametrize("changes", [
    {"security_profile": "strict"},
    {"labels": {"team": "b-"}},
    {"labels": {"team": 1}},
    {"node_selector": {"pool": "x"}, "labels": {"Bad Key": "v"}, "workload_labels": {"a": "-"}},
    {"labels": {"ok": "v"}, "node_selector": {"pool": ["x"]}},  # the first field's check comes first
    {"resources": {"limits": {"cpu": "lots"}}},
    {"resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}},
    {"resources": {"limit": {}}},
    {"volumes": [{"name": "Data", "emptyDir": {}}]},
    {"volume_mounts": [{"name": "data", "mountPath": "data"}]},
    {"env": {"1A": "x"}},
    {"env": [{"name": "A", "value": 1}]},
    {"security_context": {"privileged": True}, "security_profile": "hardened"},
    {"security_profile": "hardened", "volumes": [{"name": "h", "hostPath": {"path": "/"}}]},
    {"scheduler_name": "Bad_Name"},
    {"readiness_probe": {"exec": {"command": []}}},
    {"tolerations": [{"tolerationSeconds": "long"}]},
])
def test_a_bad_value_in_a_derived_options_raises_what_replace_raises(changes: dict[str, Any]) -> None:
    import dataclasses

    from constructs_lib import ConfigError
    from constructs_lib.workload import WorkloadOptions, replace_options

    options = WorkloadOptions(**_BASE_OPTIONS)  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as expected:
        dataclasses.replace(options, **changes)
    with pytest.raises(ConfigError) as raised:
        replace_options(options, **changes)
    assert (raised.value.field, str(raised.value)) == (expected.value.field, str(expected.value))


def test_hardened_options_derived_again_are_checked_against_restricted() -> None:
    from constructs_lib import ConfigError
    from constructs_lib.workload import WorkloadOptions, replace_options

    options = WorkloadOptions(security_context={"privileged": True})
    with pytest.raises(ConfigError, match=r"security_context\.privileged"):
        replace_options(options, security_profile="hardened")
    hardened = WorkloadOptions(security_profile="hardened")
    with pytest.raises(ConfigError, match=r"security_context\.privileged"):
        replace_options(hardened, security_context={"privileged": True})
    assert replace_options(hardened, labels={"a": "b"}).labels == {"a": "b"}
    with pytest.raises(TypeError, match="no field 'label'"):
        replace_options(hardened, label={"a": "b"})


def test_with_security_profile_is_replacing_each_options_profile() -> None:
    import dataclasses
    import inspect

    from constructs_lib import ConfigError, DagsterSystemConfig, K8sRunLauncher, PostgreSqlSettings
    from constructs_lib.security_profile import with_security_profile
    from constructs_lib.workload import WorkloadOptions

    # CodeLocationSettings are copied with their new options without their own checks again: these
    # must not read the options (else dataclasses.replace would have to run them)
    assert "options" not in inspect.getsource(CodeLocationSettings.__post_init__)
    config = DagsterSystemConfig(postgresql=PostgreSqlSettings(password="x"), run_launcher=K8sRunLauncher(),
                                 code_locations=[
                                     CodeLocationSettings(name="a"),
                                     CodeLocationSettings(name="b",
                                                          options=WorkloadOptions(security_profile="default")),
                                     CodeLocationSettings(name="c", options=WorkloadOptions(labels={"x": "y"}))])

    def reference(settings: Any, profile: str) -> Any:
        def one(value: Any) -> Any:
            options = getattr(value, "options", None)
            if isinstance(options, WorkloadOptions) and options.security_profile is None:
                return dataclasses.replace(value, options=dataclasses.replace(options, security_profile=profile))
            return value
        return dataclasses.replace(settings, **{
            f.name: (type(v)(one(x) for x in v) if isinstance(v, (list, tuple)) else one(v))
            for f in dataclasses.fields(settings) for v in [getattr(settings, f.name)]})

    for profile in ("default", "hardened"):
        derived = with_security_profile(config, profile)
        assert derived == reference(config, profile)
        assert [c.options.security_profile for c in derived.code_locations] == [profile, "default", profile]
        assert derived.code_locations[1] is config.code_locations[1]
    shared = WorkloadOptions(labels={"s": "t"})  # (as the values' translation shares equal options)
    two = with_security_profile(dataclasses.replace(config, code_locations=[
        CodeLocationSettings(name="d", options=shared), CodeLocationSettings(name="e", options=shared)]), "hardened")
    assert two.code_locations[0].options is two.code_locations[1].options
    assert two.code_locations[0].options == dataclasses.replace(shared, security_profile="hardened")
    with pytest.raises(ConfigError, match=r"WorkloadOptions\.security_context\.privileged"):
        with_security_profile(dataclasses.replace(config, code_locations=[CodeLocationSettings(
            name="p", options=WorkloadOptions(security_context={"privileged": True}))]), "hardened")
