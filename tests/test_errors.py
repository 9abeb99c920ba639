"""Bad input fails at construction with a ConfigError naming the field, the value and what is valid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cdk8s
import pytest

from constructs_lib import (
    CeleryK8sRunLauncher,
    CeleryQueue,
    CeleryWorkersSettings,
    CodeLocationSettings,
    ConfigError,
    DagitService,
    DagsterChart,
    DagsterInstance,
    DagsterSystemConfig,
    ExternalPostgreSqlSettings,
    FlowerSettings,
    Image,
    IngressRoute,
    InstanceSettings,
    K8sRunLauncher,
    PostgresConnection,
    PostgreSqlSettings,
    QueuedRunCoordinator,
    RabbitMqSettings,
    RedisSettings,
    Release,
    SecretKeyRef,
    WebserverSettings,
    WorkloadOptions,
    WorkspaceConfigMap,
)

PG = PostgreSqlSettings(password="x")


def _pod_with(options: WorkloadOptions) -> None:
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "t")
    pg = PostgresConnection(host="db", database="d", username="u", password_secret=SecretKeyRef(name="s", key="k"))
    instance = DagsterInstance(chart, "i", postgres=pg, run_launcher=K8sRunLauncher())
    DagitService(
        chart,
        "w",
        instance=instance,
        workspace=WorkspaceConfigMap(chart, "ws"),
        settings=WebserverSettings(options=options),
    )


def _chart(**kwargs: Any) -> None:
    DagsterChart(cdk8s.Testing.app(), "dagster", config=DagsterSystemConfig(**kwargs))


CASES: list[tuple[str, Callable[[], object], str]] = [
    (
        "negative replicas",
        lambda: WebserverSettings(replicas=-1),
        r"WebserverSettings.replicas: invalid value -1; expected an integer >= 0",
    ),
    (
        "replicas as a string",
        lambda: CeleryQueue(name="q", replicas="2"),  # type: ignore[arg-type]
        r"CeleryQueue\(q\).replicas: invalid value '2'; expected an integer >= 0",
    ),
    (
        "invalid DNS-1123 name",
        lambda: CodeLocationSettings(name="My_Code", grpc_args=[]),
        r"CodeLocationSettings.name: invalid value 'My_Code'; expected a DNS-1123 label",
    ),
    (
        "invalid release name",
        lambda: Release(name="Dagster"),
        r"Release.name: invalid value 'Dagster'; expected a DNS-1123 label",
    ),
    (
        "port out of range",
        lambda: WebserverSettings(port=70000),
        r"WebserverSettings.port: invalid value 70000; expected an integer port number from 1 to 65535",
    ),
    (
        "port zero",
        lambda: CodeLocationSettings(name="c", grpc_args=[], port=0),
        r"CodeLocationSettings\(c\).port: invalid value 0; expected an integer port number",
    ),
    (
        "Flower without Celery",
        lambda: DagsterSystemConfig(postgresql=PG, run_launcher=K8sRunLauncher(), flower=FlowerSettings()),
        r"DagsterSystemConfig.flower: invalid value .*; expected None: Flower monitors Celery",
    ),
    (
        "two brokers at once",
        lambda: DagsterSystemConfig(
            postgresql=PG,
            broker=(
                RabbitMqSettings(password="a"),  # type: ignore[arg-type]
                RedisSettings(),
            ),
        ),
        r"DagsterSystemConfig.broker: invalid value .*; expected one broker: RabbitMqSettings, RedisSettings",
    ),
    (
        "Celery without a broker",
        lambda: DagsterSystemConfig(postgresql=PG),
        r"DagsterSystemConfig.broker: invalid value None; expected a broker .*CeleryK8sRunLauncher runs steps",
    ),
    (
        "a broker without Celery",
        lambda: DagsterSystemConfig(postgresql=PG, run_launcher=K8sRunLauncher(), broker=RedisSettings()),
        r"DagsterSystemConfig.broker: invalid value 'RedisSettings'; expected None: K8sRunLauncher does not use",
    ),
    (
        "unknown run launcher",
        lambda: DagsterSystemConfig(postgresql=PG, run_launcher="CeleryK8s"),  # type: ignore[arg-type]
        r"DagsterSystemConfig.run_launcher: invalid value 'CeleryK8s'; expected CeleryK8sRunLauncher, K8sRunLauncher",
    ),
    (
        "empty image repository",
        lambda: Image(repository="", tag="1"),
        r"Image.repository: invalid value ''; expected a non-empty string",
    ),
    (
        "empty image tag",
        lambda: Image(repository="docker.io/dagster/x", tag=""),
        r"Image.tag: invalid value ''; expected a non-empty string",
    ),
    (
        "tag inside the repository",
        lambda: Image(repository="docker.io/dagster/x:1.0", tag="1.0"),
        r"Image.repository: invalid value 'docker.io/dagster/x:1.0'; expected a repository without a tag",
    ),
    (
        "unknown pull policy",
        lambda: Image(repository="r", tag="1", pull_policy="Sometimes"),
        r"Image.pull_policy: invalid value 'Sometimes'; expected one of 'Always', 'IfNotPresent', 'Never'",
    ),
    (
        "queue declared twice",
        lambda: CeleryWorkersSettings(queues=[CeleryQueue(name="dagster"), CeleryQueue(name="dagster")]),
        r"CeleryWorkersSettings.queues.name\[1\]: invalid value 'dagster'; expected a name not already declared",
    ),
    (
        "no queue at all",
        lambda: CeleryWorkersSettings(queues=[]),
        r"CeleryWorkersSettings.queues: invalid value \[\]; expected a non-empty list",
    ),
    (
        "code location declared twice",
        lambda: DagsterSystemConfig(
            postgresql=PG,
            run_launcher=K8sRunLauncher(),
            code_locations=[CodeLocationSettings(name="a", grpc_args=[]), CodeLocationSettings(name="a", grpc_args=[])],
        ),
        r"DagsterSystemConfig.code_locations.name\[1\]: invalid value 'a'",
    ),
    (
        "password and existing secret",
        lambda: PostgreSqlSettings(password="x", existing_secret=SecretKeyRef(name="s", key="k")),
        r"PostgreSqlSettings.password: invalid value '<redacted>'; expected exactly one of password",
    ),
    (
        "no password",
        lambda: ExternalPostgreSqlSettings(host="db"),
        r"ExternalPostgreSqlSettings.password: invalid value None; expected exactly one of password",
    ),
    (
        "unknown log level",
        lambda: WebserverSettings(log_level="verbose"),
        r"WebserverSettings.log_level: invalid value 'verbose'; expected one of 'critical'",
    ),
    (
        "path prefix without a slash",
        lambda: WebserverSettings(path_prefix="dagster"),
        r"WebserverSettings.path_prefix: invalid value 'dagster'; expected a path starting with '/'",
    ),
    (
        "invalid env var name",
        lambda: WorkloadOptions(env={"1BAD": "x"}),
        r"WorkloadOptions.env.1BAD: invalid value '1BAD'; expected an environment variable name",
    ),
    (
        "env var with value and valueFrom",
        lambda: WorkloadOptions(env=[{"name": "A", "value": "1", "valueFrom": {}}]),
        r"WorkloadOptions.env\[0\]: invalid value .*; expected exactly one of 'value' or 'valueFrom'",
    ),
    (
        "mount of a volume that does not exist",
        lambda: _pod_with(WorkloadOptions(volume_mounts=[{"name": "nope", "mountPath": "/x"}])),
        r"WorkloadOptions.volume_mounts: invalid value 'nope'; expected the name of a volume of the pod",
    ),
    (
        "label that would change the selector",
        lambda: _pod_with(WorkloadOptions(labels={"component": "other"})),
        r"WorkloadOptions.labels.component: invalid value 'other'; expected 'dagster-webserver'",
    ),
    (
        "env var the wiring already sets",
        lambda: _pod_with(WorkloadOptions(env={"DAGSTER_PG_PASSWORD": "oops"})),
        r"WorkloadOptions.env: invalid value 'DAGSTER_PG_PASSWORD'; expected a variable not already set",
    ),
    (
        "kubeconfig file with in-cluster config",
        lambda: K8sRunLauncher(kubeconfig_file="/kube"),
        r"K8sRunLauncher.kubeconfig_file: invalid value '/kube'; expected no kubeconfig file",
    ),
    (
        "unknown run_k8s_config key",
        lambda: K8sRunLauncher(run_k8s_config={"pod_config": {}}),
        r"K8sRunLauncher.run_k8s_config.pod_config: invalid value \{\}; expected a key among container_config",
    ),
    (
        "invalid job namespace",
        lambda: CeleryK8sRunLauncher(job_namespace="Runs!"),
        r"CeleryK8sRunLauncher.job_namespace: invalid value 'Runs!'; expected a DNS-1123 label",
    ),
    (
        "queued runs without the daemon",
        lambda: DagsterSystemConfig(
            postgresql=PG,
            run_launcher=K8sRunLauncher(),
            daemon=None,
            instance=InstanceSettings(run_coordinator=QueuedRunCoordinator()),
        ),
        r"DagsterSystemConfig.daemon: invalid value None; expected DaemonSettings: instance.run_coordinator",
    ),
    (
        "external Redis without a host",
        lambda: RedisSettings(bundled=False),
        r"RedisSettings.host: invalid value None; expected the external Redis host name",
    ),
    (
        "TLS without a host",
        lambda: IngressRoute(tls_secret_name="tls"),
        r"IngressRoute.tls_secret_name: invalid value 'tls'; expected TLS only together with a host",
    ),
    (
        "launcher job namespace without a chart namespace",
        lambda: _chart(postgresql=PG, run_launcher=K8sRunLauncher(job_namespace="runs")),
        r"RunLauncherRbac.job_namespace: invalid value 'runs'; expected the chart's own namespace",
    ),
]


@pytest.mark.parametrize(("case", "build", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_config_error(case: str, build: Callable[[], object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        build()
    # A user mistake is a plain Python error, never a jsii/JavaScript stack trace.
    assert "jsii" not in str(raised.value) and raised.value.__cause__ is None


def test_config_error_carries_field_value_and_expectation() -> None:
    with pytest.raises(ConfigError) as raised:
        WebserverSettings(port=0)
    assert (raised.value.field, raised.value.value) == ("WebserverSettings.port", 0)
    assert "1 to 65535" in raised.value.expected


def test_passwords_never_appear_in_error_messages() -> None:
    with pytest.raises(ConfigError) as raised:
        PostgreSqlSettings(password="hunter2", existing_secret=SecretKeyRef(name="s", key="k"))
    assert "hunter2" not in str(raised.value)
    assert "hunter2" not in repr(PostgreSqlSettings(password="hunter2"))
