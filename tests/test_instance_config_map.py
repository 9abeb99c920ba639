"""InstanceConfigMap: dagster.yaml parsed and compared, and what a mounting pod needs."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest
import yaml

from constructs_lib import (
    BrokerConnection,
    CeleryConfigSecret,
    CeleryK8sRunLauncher,
    ConfigError,
    CustomRunLauncher,
    DaemonScheduler,
    Image,
    InstanceConfigMap,
    InstanceSettings,
    K8sRunLauncher,
    PostgresConnection,
    QueuedRunCoordinator,
    Release,
    Retention,
    RunRetries,
    S3ComputeLogs,
    SecretKeyRef,
)

from .conftest import find, synth_chart

PG = PostgresConnection(
    host="dagster-postgresql",
    database="test",
    username="test",
    password_secret=SecretKeyRef(name="dagster-postgresql-secret", key="postgresql-password"),
)
# The chart's postgres_db block, plus the explicit psycopg2 scheme the library adds (SQLAlchemy
# 2.1 would otherwise pick psycopg 3, which Dagster's images do not ship).
POSTGRES_DB = {
    "username": "test",
    "password": {"env": "DAGSTER_PG_PASSWORD"},
    "hostname": "dagster-postgresql",
    "db_name": "test",
    "port": 5432,
    "params": {},
    "scheme": "postgresql+psycopg2",
}


def dagster_yaml(**kwargs: Any) -> dict[str, Any]:
    def build(chart: cdk8s.Chart) -> None:
        secret = None
        if kwargs.get("run_launcher") is None or getattr(kwargs["run_launcher"], "uses_celery", False):
            secret = CeleryConfigSecret(chart, "celery", broker=BrokerConnection(broker_url="pyamqp://x@h:5672//"))
        InstanceConfigMap(chart, "instance", postgres=kwargs.pop("postgres", PG), celery_secret=secret, **kwargs)

    objects = synth_chart(build)
    return dict(yaml.safe_load(find(objects, "ConfigMap", "dagster-instance")["data"]["dagster.yaml"]))


def test_celery_k8s_instance_equals_official_chart_content() -> None:
    # The official chart 1.9.3's dagster-instance for CeleryK8sRunLauncher, as data.
    config = dagster_yaml(service_account_name="dagster", run_image_pull_policy="Always")
    storage = {"config": {"postgres_db": POSTGRES_DB}}
    assert config == {
        "scheduler": {"module": "dagster.core.scheduler", "class": "DagsterDaemonScheduler"},
        "schedule_storage": {
            "module": "dagster_postgres.schedule_storage",
            "class": "PostgresScheduleStorage",
            **storage,
        },
        "run_launcher": {
            "module": "dagster_celery_k8s",
            "class": "CeleryK8sRunLauncher",
            "config": {
                "dagster_home": "/opt/dagster/dagster_home",
                "instance_config_map": "dagster-instance",
                "postgres_password_secret": "dagster-postgresql-secret",
                "job_namespace": "default",
                "broker": {"env": "DAGSTER_CELERY_BROKER_URL"},
                "backend": {"env": "DAGSTER_CELERY_BACKEND_URL"},
                "env_config_maps": [{"env": "DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP"}],
                "env_secrets": ["dagster-celery-config-secret"],
                "service_account_name": "dagster",
                "image_pull_policy": "Always",
            },
        },
        "run_storage": {"module": "dagster_postgres.run_storage", "class": "PostgresRunStorage", **storage},
        "event_log_storage": {"module": "dagster_postgres.event_log", "class": "PostgresEventLogStorage", **storage},
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {"max_concurrent_runs": -1, "dequeue_use_threads": True, "dequeue_num_workers": 4},
        },
        "compute_logs": {"module": "dagster.core.storage.noop_compute_log_manager", "class": "NoOpComputeLogManager"},
        "run_monitoring": {
            "enabled": True,
            "start_timeout_seconds": 300,
            "max_resume_run_attempts": 0,
            "poll_interval_seconds": 120,
            "free_slots_after_run_end_seconds": 0,
        },
        "run_retries": {"enabled": True},
        "sensors": {"use_threads": True, "num_workers": 4},
        "schedules": {"use_threads": True, "num_workers": 4},
        "telemetry": {"enabled": True},
    }


def test_k8s_run_launcher_block_equals_official_chart() -> None:
    config = dagster_yaml(run_launcher=K8sRunLauncher(), service_account_name="dagster", run_image_pull_policy="Always")
    assert config["run_launcher"] == {
        "module": "dagster_k8s",
        "class": "K8sRunLauncher",
        "config": {
            "load_incluster_config": True,
            # The chart writes its release namespace; the library the namespace the launching
            # pod runs in (set from the downward API), which launched runs copy (env_vars).
            "job_namespace": {"env": "DAGSTER_K8S_PIPELINE_RUN_NAMESPACE"},
            "image_pull_policy": "Always",
            "service_account_name": "dagster",
            "dagster_home": "/opt/dagster/dagster_home",
            "instance_config_map": "dagster-instance",
            "postgres_password_secret": "dagster-postgresql-secret",
            "env_vars": ["DAGSTER_K8S_PIPELINE_RUN_NAMESPACE"],
        },
    }


def test_k8s_run_launcher_every_option() -> None:
    launcher = K8sRunLauncher(
        load_incluster_config=False,
        kubeconfig_file="/etc/kube/config",
        job_namespace="runs",
        image_pull_policy="Never",
        image_pull_secrets=["regcred"],
        service_account_name="runner",
        job_image=Image(repository="r.example/job", tag="1"),
        env_config_maps=["cm"],
        env_secrets=["sec"],
        env_vars=["A=1", "B"],
        volumes=[{"name": "v", "config_map": {"name": "cm"}}],
        volume_mounts=[{"name": "v", "mount_path": "/v"}],
        labels={"team": "data"},
        resources={"limits": {"cpu": "1"}},
        fail_pod_on_run_failure=True,
        scheduler_name="sched",
        security_context={"run_as_user": 1000},
        run_k8s_config={"pod_spec_config": {"priority_class_name": "hi"}},
    )
    config = dagster_yaml(run_launcher=launcher, namespace="ignored-by-launcher")["run_launcher"]["config"]
    assert config == {
        "load_incluster_config": False,
        "kubeconfig_file": "/etc/kube/config",
        "job_namespace": "runs",
        "image_pull_policy": "Never",
        "service_account_name": "runner",
        "job_image": "r.example/job:1",
        "dagster_home": "/opt/dagster/dagster_home",
        "instance_config_map": "dagster-instance",
        "postgres_password_secret": "dagster-postgresql-secret",
        "env_config_maps": ["cm"],
        "env_secrets": ["sec"],
        "env_vars": ["A=1", "B"],
        "image_pull_secrets": [{"name": "regcred"}],
        "volumes": [{"name": "v", "config_map": {"name": "cm"}}],
        "volume_mounts": [{"name": "v", "mount_path": "/v"}],
        "labels": {"team": "data"},
        "fail_pod_on_run_failure": True,
        "resources": {"limits": {"cpu": "1"}},
        "scheduler_name": "sched",
        "security_context": {"run_as_user": 1000},
        "run_k8s_config": {"pod_spec_config": {"priority_class_name": "hi"}},
    }


def test_celery_launcher_options_extend_the_wiring() -> None:
    launcher = CeleryK8sRunLauncher(
        job_namespace="runs",
        config_source={"task_acks_late": True},
        env_config_maps=["extra-cm"],
        env_secrets=["extra-secret"],
        image_pull_secrets=["regcred"],
        labels={"a": "b"},
        fail_pod_on_run_failure=True,
        volumes=[{"name": "v", "empty_dir": {}}],
        volume_mounts=[{"name": "v", "mount_path": "/v"}],
    )
    config = dagster_yaml(run_launcher=launcher)["run_launcher"]["config"]
    assert config["job_namespace"] == "runs"
    assert config["config_source"] == {"task_acks_late": True}
    assert config["env_config_maps"] == [{"env": "DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP"}, "extra-cm"]
    assert config["env_secrets"] == ["extra-secret", "dagster-celery-config-secret"]  # the chart's order
    assert config["image_pull_secrets"] == [{"name": "regcred"}]
    assert config["labels"] == {"a": "b"} and config["fail_pod_on_run_failure"] is True
    assert config["volumes"] == [{"name": "v", "empty_dir": {}}]


def test_custom_launcher_and_instance_settings() -> None:
    config = dagster_yaml(
        run_launcher=CustomRunLauncher(module="my.launchers", class_name="MyLauncher", config={"x": 1}),
        settings=InstanceSettings(
            scheduler=DaemonScheduler(max_catchup_runs=2, max_tick_retries=3),
            run_coordinator=QueuedRunCoordinator(
                max_concurrent_runs=10, dequeue_interval_seconds=5, tag_concurrency_limits=[{"key": "db", "limit": 2}]
            ),
            compute_logs=S3ComputeLogs(bucket="logs", prefix="dagster", region="eu-west-1"),
            run_retries=RunRetries(max_retries=3),
            run_monitoring=None,
            telemetry=False,
            retention=Retention(schedule=30),
            python_logs={"python_log_level": "INFO", "managed_python_loggers": ["my_logger"]},
            additional_config={"concurrency": {"default_op_concurrency_limit": 5}},
        ),
    )
    assert config["run_launcher"] == {"module": "my.launchers", "class": "MyLauncher", "config": {"x": 1}}
    assert config["scheduler"]["config"] == {"max_catchup_runs": 2, "max_tick_retries": 3}
    assert config["run_coordinator"]["config"] == {
        "max_concurrent_runs": 10,
        "tag_concurrency_limits": [{"key": "db", "limit": 2}],
        "dequeue_interval_seconds": 5,
        "dequeue_use_threads": True,
        "dequeue_num_workers": 4,
    }
    assert config["compute_logs"] == {
        "module": "dagster_aws.s3.compute_log_manager",
        "class": "S3ComputeLogManager",
        "config": {"bucket": "logs", "prefix": "dagster", "region": "eu-west-1"},
    }
    assert config["run_retries"] == {"enabled": True, "max_retries": 3}
    assert "run_monitoring" not in config
    assert config["telemetry"] == {"enabled": False}
    assert config["retention"]["schedule"] == {"purge_after_days": 30}
    assert config["retention"]["sensor"]["purge_after_days"]["skipped"] == 7
    assert config["python_logs"]["managed_python_loggers"] == ["my_logger"]
    assert config["concurrency"] == {"default_op_concurrency_limit": 5}


def test_postgres_params_and_scheme_are_written() -> None:
    pg = PostgresConnection(
        host="db.example.com",
        port=6543,
        database="d",
        username="u",
        params={"sslmode": "require"},
        scheme="postgresql+psycopg2",
        password_secret=SecretKeyRef(name="pg", key="postgresql-password"),
    )
    config = dagster_yaml(postgres=pg)
    assert config["run_storage"]["config"]["postgres_db"] == {
        "username": "u",
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "hostname": "db.example.com",
        "db_name": "d",
        "port": 6543,
        "params": {"sslmode": "require"},
        "scheme": "postgresql+psycopg2",
    }


def test_k8s_launcher_with_a_non_default_password_key_passes_it_as_container_env() -> None:
    pg = PostgresConnection(host="db", database="d", username="u", password_secret=SecretKeyRef(name="creds", key="pw"))
    config = dagster_yaml(postgres=pg, run_launcher=K8sRunLauncher())["run_launcher"]["config"]
    assert "postgres_password_secret" not in config
    assert config["run_k8s_config"]["container_config"]["env"] == [
        {"name": "DAGSTER_PG_PASSWORD", "value_from": {"secret_key_ref": {"name": "creds", "key": "pw"}}}
    ]


def test_celery_launcher_rejects_a_password_key_dagster_k8s_cannot_read() -> None:
    pg = PostgresConnection(host="db", database="d", username="u", password_secret=SecretKeyRef(name="creds", key="pw"))
    with pytest.raises(ConfigError, match=r"password_secret.key: invalid value 'pw'.*'postgresql-password'"):
        dagster_yaml(postgres=pg)


def test_pod_wiring_attributes() -> None:
    built: dict[str, InstanceConfigMap] = {}

    def build(chart: cdk8s.Chart) -> None:
        secret = CeleryConfigSecret(
            chart, "celery", release=Release(name="prod"), broker=BrokerConnection(broker_url="redis://r:6379/0")
        )
        built["i"] = InstanceConfigMap(
            chart,
            "instance",
            release=Release(name="prod"),
            postgres=PG,
            celery_secret=secret,
            dagster_home="/home/dagster/",
        )

    synth_chart(build)
    instance = built["i"]
    assert instance.name == "prod-dagster-instance"
    assert instance.volume_mount() == {
        "name": "dagster-instance",
        "mountPath": "/home/dagster/dagster.yaml",
        "subPath": "dagster.yaml",
    }
    assert instance.volume() == {"name": "dagster-instance", "configMap": {"name": "prod-dagster-instance"}}
    assert instance.pod_env() == [
        {
            "name": "DAGSTER_PG_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "dagster-postgresql-secret", "key": "postgresql-password"}},
        }
    ]
    assert instance.pod_env_from() == [{"secretRef": {"name": "prod-dagster-celery-config-secret"}}]
    assert set(instance.env_names) == {
        "DAGSTER_PG_PASSWORD",
        "DAGSTER_CELERY_BROKER_URL",
        "DAGSTER_CELERY_BACKEND_URL",
        "DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP",
    }


def test_additional_config_cannot_override_a_typed_block() -> None:
    with pytest.raises(ConfigError, match=r"additional_config.run_launcher"):
        dagster_yaml(
            run_launcher=K8sRunLauncher(),
            settings=InstanceSettings(additional_config={"run_launcher": {"module": "x"}}),
        )


def test_dump_yaml_serves_plain_data_it_wrote_before_and_nothing_else() -> None:
    from constructs_lib.instance_config_map import dump_yaml

    def reference(data: Any) -> str:
        return yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=True, default_flow_style=False, width=1000)

    data = {"b": [1, 1.0, True, None, "1", "x: y"], "a": {"z": -0.0, "y": 0.0}}
    assert dump_yaml(data) == dump_yaml(dict(reversed(list(data.items())))) == reference(data)
    # the same repr from other values: each written as itself
    assert dump_yaml({"a": 1}) != dump_yaml({"a": True}) != dump_yaml({"a": "1"})
    shared = {"k": "v"}
    assert dump_yaml({"x": shared, "y": shared}) == reference({"x": shared, "y": shared})  # anchors, not cached
    assert "&id001" in dump_yaml({"x": shared, "y": shared})

    class Text(str):
        pass

    assert dump_yaml({"a": "b"}) == "a: b\n"
    with pytest.raises(yaml.representer.RepresenterError):  # what the dumper says of it, cached or not
        dump_yaml({"a": Text("b")})
