"""The official Dagster Helm chart's values (1.9.x), as a typed pydantic model.

Field names are the chart's keys; defaults are the chart's defaults, except that no password
has a default. Unknown keys are errors. The JSON schema of what this library accepts is
generated from this model (``values.schema.json`` beside it).
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Obj = dict[str, Any]
PullPolicy = Literal["Always", "IfNotPresent", "Never"]


def to_camel(name: str) -> str:
    """``run_k8s_config`` -> ``runK8sConfig`` (the chart's spelling)."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


@functools.cache
def _admits(annotation: Any) -> frozenset[type]:
    """The scalar types among ``bool``, ``int``, ``str`` an annotation accepts (unions unwrapped)."""
    if annotation in (bool, int, str):
        return frozenset({annotation})
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return frozenset().union(*(_admits(arg) for arg in typing.get_args(annotation)))
    if typing.get_origin(annotation) is Literal:
        return frozenset(type(arg) for arg in typing.get_args(annotation))
    return frozenset()


@functools.cache
def _items_annotation(annotation: Any) -> Any:
    """The value annotation of ``dict[K, V]`` (``V``), else ``None``."""
    return typing.get_args(annotation)[1] if typing.get_origin(annotation) is dict else None


def _no_guess(value: Any, annotation: Any) -> None:
    """Refuse what pydantic's lax mode would guess: ``'false'`` or ``0`` for a boolean (Helm reads
    a non-empty string as true), ``true`` for an integer."""
    admits = _admits(annotation)
    if not admits:
        items = _items_annotation(annotation)
        if items is not None and isinstance(value, dict):
            for item in value.values():
                _no_guess(item, items)
        return
    if isinstance(value, bool) and bool not in admits:
        hint = ": expected an integer" if int in admits and str not in admits else ""
        raise ValueError(f"a boolean is not valid here{hint}")
    if bool in admits and not isinstance(value, bool) and type(value) not in admits:
        raise ValueError("expected true or false (a quoted 'false' is a non-empty string, which Helm reads as true)"
                         if isinstance(value, str) else "expected true or false")


@functools.cache
def _annotation(model: type[BaseModel], field_name: str) -> Any:
    return model.model_fields[field_name].annotation


def _fresh(empty: Obj | list[Any]) -> Any:
    """An empty ``{}`` or ``[]`` default, made fresh for each model by its type (pydantic would
    deep-copy a default it cannot hash, thousands of times for a values file of many code
    locations); the JSON schema shows it as the default, as for any other default."""
    return Field(default_factory=type(empty), json_schema_extra={"default": empty})


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False,
                              validate_default=False)

    @field_validator("*", mode="before")
    @classmethod
    def _strict_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is not None:
            _no_guess(value, _annotation(cls, info.field_name))
        return value


class Image(Model):
    repository: str
    tag: str | int | None = None
    pull_policy: PullPolicy = "Always"


class ExternalImage(Model):
    repository: str
    tag: str | int
    pull_policy: PullPolicy = "IfNotPresent"


class Service(Model):
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    port: int
    annotations: dict[str, str] = _fresh({})


class Global(Model):
    fullname_override: str = ""
    name_override: str = ""
    postgresql_secret_name: str = "dagster-postgresql-secret"
    dagster_home: str = "/opt/dagster/dagster_home"
    service_account_name: str = ""
    celery_config_secret_name: str = "dagster-celery-config-secret"


class Server(Model):
    host: str
    port: int
    name: str | None = None
    ssl: bool | None = None


class Workspace(Model):
    enabled: bool = False
    servers: list[Server] = [Server(host="k8s-example-user-code-1", port=3030, name="user-code-example")]
    external_configmap: str | None = None


class PodSettings(Model):
    """Keys every Dagster workload of the chart shares."""

    env: Obj | list[Obj] = _fresh([])
    env_config_maps: list[Obj] = _fresh([])
    env_secrets: list[Obj] = _fresh([])
    deployment_labels: dict[str, str] = _fresh({})
    labels: dict[str, str] = _fresh({})
    volumes: list[Obj] | None = _fresh([])
    volume_mounts: list[Obj] | None = _fresh([])
    annotations: dict[str, str] = _fresh({})
    node_selector: dict[str, str] = _fresh({})
    affinity: Obj = _fresh({})
    tolerations: list[Obj] = _fresh([])
    pod_security_context: Obj = _fresh({})
    security_context: Obj = _fresh({})
    resources: Obj = _fresh({})
    init_container_resources: Obj | None = _fresh({})
    scheduler_name: str | None = None


WEBSERVER_READINESS: Obj = {"httpGet": {"path": "/server_info", "port": 80}, "periodSeconds": 20,
                            "timeoutSeconds": 10, "successThreshold": 1, "failureThreshold": 3}


class Webserver(PodSettings):
    replica_count: int = 1
    image: Image = Image(repository="docker.io/dagster/dagster-celery-k8s")
    name_override: str = "dagster-webserver"
    path_prefix: str | None = None
    service: Service = Service(port=80)
    workspace: Workspace = Workspace()
    enable_read_only: bool = False
    db_statement_timeout: int | None = None
    db_pool_recycle: int | None = None
    log_level: str | None = None
    readiness_probe: Obj = WEBSERVER_READINESS
    liveness_probe: Obj = _fresh({})
    startup_probe: Obj = {"enabled": False}


class ConfigurableClass(Model):
    module: str
    class_: str = Field(alias="class")
    config: Obj = _fresh({})


class AzureBlobComputeLogManager(Model):
    storage_account: str | Obj
    container: str | Obj
    secret_key: str | Obj | None = None
    default_azure_credential: Obj | None = None
    local_dir: str | Obj | None = None
    prefix: str | Obj | None = None
    upload_interval: int | None = None


class GCSComputeLogManager(Model):
    bucket: str | Obj
    local_dir: str | Obj | None = None
    prefix: str | Obj | None = None
    json_credentials_envvar: str | Obj | None = None
    upload_interval: int | None = None
    show_url_only: bool | None = None


class S3ComputeLogManager(Model):
    bucket: str | Obj
    local_dir: str | Obj | None = None
    prefix: str | Obj | None = None
    use_ssl: bool | None = None
    verify: bool | None = None
    verify_cert_path: str | Obj | None = None
    endpoint_url: str | Obj | None = None
    skip_empty_files: bool | None = None
    upload_interval: int | None = None
    upload_extra_args: Obj | None = None
    show_url_only: bool | None = None
    region: str | Obj | None = None


class ComputeLogManagerConfig(Model):
    azure_blob_compute_log_manager: AzureBlobComputeLogManager | None = None
    gcs_compute_log_manager: GCSComputeLogManager | None = None
    s3_compute_log_manager: S3ComputeLogManager | None = None
    custom_compute_log_manager: ConfigurableClass | None = None


class ComputeLogManager(Model):
    type: Literal["NoOpComputeLogManager", "AzureBlobComputeLogManager", "GCSComputeLogManager",
                  "S3ComputeLogManager", "CustomComputeLogManager"] = "NoOpComputeLogManager"
    config: ComputeLogManagerConfig = ComputeLogManagerConfig()


class PythonLogs(Model):
    python_log_level: Literal["CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET"] | None = None
    managed_python_loggers: list[str] | None = None
    dagster_handler_config: Obj | None = None


class ReadinessProbeWithEnabled(Model):
    model_config = ConfigDict(extra="allow", alias_generator=to_camel, populate_by_name=False)
    enabled: bool = True


class IncludeConfigInLaunchedRuns(Model):
    enabled: bool = True


class UserDeployment(PodSettings):
    name: str
    image: Image
    dagster_api_grpc_args: list[str] | None = None
    code_server_args: list[str] | None = None
    include_config_in_launched_runs: IncludeConfigInLaunchedRuns | None = None
    deployment_namespace: str | None = None
    port: int = 3030
    env: Obj | list[Obj] | None = _fresh([])  # type: ignore[assignment]
    readiness_probe: Obj | None = None
    liveness_probe: Obj | None = None
    startup_probe: Obj | None = None
    init_containers: list[Obj] | None = _fresh([])
    sidecar_containers: list[Obj] | None = _fresh([])
    service: dict[str, dict[str, str]] | None = None
    replica_count: int = 1


def _default_deployments() -> list[UserDeployment]:
    return [UserDeployment.model_validate({
        "name": "k8s-example-user-code-1",
        "image": {"repository": "docker.io/dagster/user-code-example", "tag": None, "pullPolicy": "Always"},
        "dagsterApiGrpcArgs": ["--python-file", "/example_project/example_repo/repo.py"],
        "port": 3030,
        "includeConfigInLaunchedRuns": {"enabled": True},
        "readinessProbe": {"enabled": True, "periodSeconds": 20, "timeoutSeconds": 10, "successThreshold": 1,
                           "failureThreshold": 1},
        "startupProbe": {"enabled": False},
    })]


class UserDeploymentsServiceAccount(Model):
    create: bool = True
    name: str = ""
    annotations: dict[str, str] = _fresh({})


class UserDeployments(Model):
    enabled: bool = True
    enable_subchart: bool = True
    image_pull_secrets: list[Obj] = _fresh([])
    deployments: list[UserDeployment] = Field(default_factory=_default_deployments)
    # Keys of the subchart's own values, accepted when set through the parent chart.
    service_account: UserDeploymentsServiceAccount | None = None
    rbac_enabled: bool | None = None
    global_: Obj | None = Field(default=None, alias="global")
    dagster_home: str | None = None
    postgresql_secret_name: str | None = None
    celery_config_secret_name: str | None = None
    extra_manifests: list[Obj] | None = None


class SchedulerConfig(Model):
    daemon_scheduler: dict[str, int | None] | None = None
    custom_scheduler: ConfigurableClass | None = None


class Scheduler(Model):
    type: Literal["DagsterDaemonScheduler", "CustomScheduler"] = "DagsterDaemonScheduler"
    config: SchedulerConfig = SchedulerConfig()


class RunK8sConfig(Model):
    """``runK8sConfig``: raw Kubernetes config for launched runs, camelCase keys as the chart spells them."""

    container_config: Obj | None = None
    pod_spec_config: Obj | None = None
    pod_template_spec_metadata: Obj | None = None
    job_spec_config: Obj | None = None
    job_metadata: Obj | None = None


class K8sRunLauncherConfig(Model):
    image: Image | None = None
    image_pull_policy: PullPolicy = "Always"
    job_namespace: str | None = None
    load_incluster_config: bool = True
    kubeconfig_file: str | None = None
    env_config_maps: list[Obj] = _fresh([])
    env_secrets: list[Obj] = _fresh([])
    env_vars: list[str] = _fresh([])
    volumes: list[Obj] = _fresh([])
    volume_mounts: list[Obj] = _fresh([])
    labels: dict[str, str] | None = _fresh({})
    resources: Obj | None = _fresh({})
    fail_pod_on_run_failure: bool | None = False
    scheduler_name: str | None = None
    security_context: Obj | None = None
    run_k8s_config: RunK8sConfig | None = RunK8sConfig()


class QueueAutoscaling(Model):
    """Extension of this library (not in the official chart): KEDA scales the queue's workers
    with the queue's length. Unset keys take the defaults of ``QueueAutoscaling``."""

    enabled: bool = Field(True, description="false keeps a fixed replicaCount")
    min_replica_count: int | None = Field(None, description="workers when idle; 0 allowed (default 0)")
    max_replica_count: int | None = Field(None, description="at most this many workers (default 10)")
    queue_length: int | None = Field(None, description="waiting messages per worker KEDA aims for (default 5)")
    activation_queue_length: int | None = Field(
        None, description="scale up from zero only above this queue length (default 0)")
    polling_interval: int | None = Field(None, description="seconds between looks at the queue (default 30)")
    cooldown_period: int | None = Field(
        None, description="seconds after the queue was last busy before scaling to zero (default 300)")


class CeleryWorkerQueue(Model):
    name: str
    replica_count: int = 1
    labels: dict[str, str] | None = _fresh({})
    node_selector: dict[str, str] | None = _fresh({})
    config_source: Obj | None = _fresh({})
    additional_celery_args: list[str] | None = _fresh([])
    autoscaling: QueueAutoscaling | None = None


CELERY_LIVENESS: Obj = {"initialDelaySeconds": 15, "periodSeconds": 10, "timeoutSeconds": 10,
                        "successThreshold": 1, "failureThreshold": 3}


class CeleryK8sRunLauncherConfig(PodSettings):
    image: Image = Image(repository="docker.io/dagster/dagster-celery-k8s")
    image_pull_policy: PullPolicy | None = "Always"
    job_namespace: str | None = None
    name_override: str = "celery-workers"
    config_source: Obj = _fresh({})
    worker_queues: list[CeleryWorkerQueue] = [CeleryWorkerQueue.model_validate({"name": "dagster", "replicaCount": 2})]
    env: Obj = _fresh({})
    liveness_probe: Obj = CELERY_LIVENESS
    fail_pod_on_run_failure: bool | None = False


class RunLauncherConfig(Model):
    celery_k8s_run_launcher: CeleryK8sRunLauncherConfig = CeleryK8sRunLauncherConfig()
    k8s_run_launcher: K8sRunLauncherConfig = K8sRunLauncherConfig()
    custom_run_launcher: ConfigurableClass | None = None


class RunLauncher(Model):
    type: Literal["K8sRunLauncher", "CeleryK8sRunLauncher", "CustomRunLauncher"] = "K8sRunLauncher"
    config: RunLauncherConfig = RunLauncherConfig()


class BundledPersistence(Model):
    enabled: bool = True
    size: str = "8Gi"
    storage_class: str | None = None
    access_modes: list[str] | None = None
    access_mode: str | None = None  # the rabbitmq subchart's spelling
    existing_claim: str | None = None


class BundledPlacement(Model):
    """Where the pod runs and how it is labelled (bitnami postgresql spells these under ``master``)."""

    node_selector: dict[str, str] = _fresh({})
    tolerations: list[Obj] = _fresh([])
    affinity: Obj = _fresh({})
    pod_annotations: dict[str, str] = _fresh({})
    pod_labels: dict[str, str] = _fresh({})


class BundledPod(BundledPlacement):
    """Keys of the bitnami subcharts that keep their meaning on the library's own StatefulSet."""

    persistence: BundledPersistence = BundledPersistence()
    resources: Obj = _fresh({})
    security_context: Obj = _fresh({})
    pod_security_context: Obj = _fresh({})
    container_security_context: Obj = _fresh({})


class PostgreSQL(BundledPod):
    enabled: bool = True
    image: ExternalImage = ExternalImage(repository="library/postgres", tag="14.6")
    postgresql_host: str = ""
    postgresql_username: str = "test"
    postgresql_password: str | None = None
    postgresql_database: str = "test"
    postgresql_params: Obj = _fresh({})
    postgresql_scheme: str | None = ""
    service: dict[str, int] = {"port": 5432}
    master: BundledPlacement | None = None


class RabbitMQCredentials(Model):
    username: str = "test"
    password: str | None = None
    # The bitnami subchart's spelling: a Secret holding key rabbitmq-password.
    existing_password_secret: str | None = None


class VolumePermissions(Model):
    enabled: bool = True
    image: ExternalImage = ExternalImage(repository="bitnami/minideb", tag="stretch")


class RabbitMQ(BundledPod):
    enabled: bool = False
    image: ExternalImage = ExternalImage(repository="bitnami/rabbitmq", tag="3.8.12")
    rabbitmq: RabbitMQCredentials = RabbitMQCredentials()
    service: dict[str, int] = {"port": 5672}
    volume_permissions: VolumePermissions = VolumePermissions()


class RedisClaim(Model):
    """The redis subchart spells the existing claim outside ``master.persistence``."""

    existing_claim: str | None = None


class Redis(Model):
    enabled: bool = False
    internal: bool = False
    use_password: bool = False
    password: str | None = None
    # The bitnami subchart's spellings: a Secret and its key (default redis-password).
    existing_secret: str | None = None
    existing_secret_password_key: str | None = None
    host: str = ""
    port: int = 6379
    broker_db_number: int = 0
    backend_db_number: int = 0
    broker_url: str = ""
    backend_url: str = ""
    master: BundledPod = BundledPod()
    security_context: Obj = _fresh({})
    container_security_context: Obj = _fresh({})
    persistence: RedisClaim = RedisClaim()


FLOWER_LIVENESS: Obj = {"tcpSocket": {"port": "flower"}, "periodSeconds": 20, "failureThreshold": 3}
FLOWER_STARTUP: Obj = {"tcpSocket": {"port": "flower"}, "periodSeconds": 10, "failureThreshold": 6}


class Flower(Model):
    enabled: bool = False
    image: ExternalImage = ExternalImage.model_validate(
        {"repository": "docker.io/mher/flower", "tag": "0.9.5", "pullPolicy": "Always"})
    service: Service = Service(port=5555)
    annotations: dict[str, str] | None = _fresh({})
    node_selector: dict[str, str] = _fresh({})
    affinity: Obj = _fresh({})
    tolerations: list[Obj] = _fresh([])
    pod_security_context: Obj = _fresh({})
    security_context: Obj = _fresh({})
    resources: Obj = _fresh({})
    liveness_probe: Obj = FLOWER_LIVENESS
    startup_probe: Obj = FLOWER_STARTUP
    scheduler_name: str | None = None


class IngressTLS(Model):
    enabled: bool = False
    secret_name: str = ""


class IngressPath(Model):
    path: str
    path_type: Literal["Exact", "Prefix", "ImplementationSpecific"]
    service_name: str
    service_port: str | int


class IngressRoute(Model):
    host: str = ""
    path: str = "/*"
    path_type: Literal["Exact", "Prefix", "ImplementationSpecific"] = "ImplementationSpecific"
    tls: IngressTLS = IngressTLS()
    preceding_paths: list[IngressPath] = _fresh([])
    succeeding_paths: list[IngressPath] = _fresh([])


class Ingress(Model):
    enabled: bool = False
    api_version: str | None = None
    annotations: dict[str, str] = _fresh({})
    labels: dict[str, str] = _fresh({})
    ingress_class_name: str | None = None
    dagster_webserver: IngressRoute = IngressRoute()
    read_only_dagster_webserver: IngressRoute = IngressRoute()
    flower: IngressRoute = IngressRoute(path="")


class NetworkPolicy(Model):
    """Extension: the system's NetworkPolicies (constructs_lib.network_policies)."""

    enabled: bool = Field(default=True,
                          description="Extension: each component accepts only the connections it needs.")
    ingress_peers: list[Obj] | None = Field(
        default=None, description="Extension: NetworkPolicyPeers that may also reach the webserver and Flower "
                                  "(default: none, or every namespace while the Ingress is enabled).")


class PodDisruptionBudget(Model):
    """Extension, shaped like the Redis subchart's podDisruptionBudget."""

    enabled: bool = Field(default=False, description="Extension: PodDisruptionBudgets for the webserver, "
                                                     "code locations and Celery queues.")
    min_available: int | str | None = None
    max_unavailable: int | str | None = None


class QueuedRunCoordinatorConfig(Model):
    max_concurrent_runs: int | dict[str, str] | None = None
    tag_concurrency_limits: list[Obj] | None = _fresh([])
    dequeue_interval_seconds: int | dict[str, str] | None = None
    dequeue_use_threads: bool | None = True
    dequeue_num_workers: int | dict[str, str] | None = 4
    block_op_concurrency_limited_runs: Obj | None = None


class RunCoordinatorConfig(Model):
    queued_run_coordinator: QueuedRunCoordinatorConfig | None = QueuedRunCoordinatorConfig()
    custom_run_coordinator: ConfigurableClass | None = None


class RunCoordinator(Model):
    enabled: bool = True
    type: Literal["QueuedRunCoordinator", "CustomRunCoordinator"] = "QueuedRunCoordinator"
    config: RunCoordinatorConfig = RunCoordinatorConfig()


class RunMonitoring(Model):
    enabled: bool = True
    start_timeout_seconds: int | None = 300
    cancel_timeout_seconds: int | None = None
    max_runtime_seconds: int | None = None
    poll_interval_seconds: int | None = 120
    max_resume_run_attempts: int | None = 0
    free_slots_after_run_end_seconds: int | None = 0


class RunRetries(Model):
    enabled: bool = True
    max_retries: int | None = 0
    retry_on_asset_or_op_failure: bool | None = None


class Threads(Model):
    use_threads: bool = True
    num_workers: int | None = 4
    num_submit_workers: int | None = None


class Daemon(PodSettings):
    enabled: bool = True
    image: Image = Image(repository="docker.io/dagster/dagster-celery-k8s")
    heartbeat_tolerance: int = 1800
    run_coordinator: RunCoordinator = RunCoordinator()
    run_monitoring: RunMonitoring = RunMonitoring()
    run_retries: RunRetries = RunRetries()
    sensors: Threads = Threads()
    schedules: Threads = Threads()
    liveness_probe: Obj = _fresh({})
    readiness_probe: Obj = _fresh({})
    startup_probe: Obj = _fresh({})


class Busybox(Model):
    image: ExternalImage = ExternalImage(repository="docker.io/busybox", tag="1.28")


class Enabled(Model):
    enabled: bool = False


class Telemetry(Model):
    enabled: bool = True


class ServiceAccount(Model):
    create: bool = True
    name: str = ""
    annotations: dict[str, str] = _fresh({})


class TickRetention(Model):
    purge_after_days: int | dict[Literal["failure", "skipped", "started", "success"], int]


_TICKS = {"failure": -1, "skipped": 7, "started": -1, "success": -1}


class Retention(Model):
    enabled: bool = False
    schedule: TickRetention = TickRetention.model_validate({"purgeAfterDays": -1})
    sensor: TickRetention = TickRetention.model_validate({"purgeAfterDays": dict(_TICKS)})
    auto_materialize: TickRetention | None = TickRetention.model_validate({"purgeAfterDays": dict(_TICKS)})


class PipelineRun(Model):
    image: Image = Image(repository="docker.io/dagster/user-code-example")
    env: Obj | list[Obj] = _fresh({})


class HelmValues(Model):
    """Values of the official ``dagster/dagster`` chart, 1.9.x."""

    global_: Global = Field(default_factory=Global, alias="global")
    name_override: str = ""
    fullname_override: str = ""
    rbac_enabled: bool = True
    image_pull_secrets: list[Obj] = _fresh([])
    dagster_webserver: Webserver = Webserver()
    compute_log_manager: ComputeLogManager = ComputeLogManager()
    python_logs: PythonLogs = PythonLogs()
    dagster_user_deployments: UserDeployments = Field(default_factory=UserDeployments,
                                                      alias="dagster-user-deployments")
    scheduler: Scheduler = Scheduler()
    run_launcher: RunLauncher = RunLauncher()
    postgresql: PostgreSQL = PostgreSQL()
    generate_postgresql_password_secret: bool = True
    generate_celery_config_secret: bool = True
    rabbitmq: RabbitMQ = RabbitMQ()
    redis: Redis = Redis()
    flower: Flower = Flower()
    ingress: Ingress = Ingress()
    dagster_daemon: Daemon = Daemon()
    busybox: Busybox = Busybox()
    extra_manifests: list[Obj] | None = None
    migrate: Enabled = Enabled()
    telemetry: Telemetry = Telemetry()
    service_account: ServiceAccount = ServiceAccount()
    retention: Retention = Retention()
    additional_instance_config: Obj = _fresh({})
    pipeline_run: PipelineRun = PipelineRun()
    # Extensions of this library (not keys of the official chart).
    security_profile: Literal["default", "hardened"] = Field(
        "default", description="Extension: the security profile of every pod (default or hardened).")
    network_policy: NetworkPolicy = NetworkPolicy()
    pod_disruption_budget: PodDisruptionBudget = PodDisruptionBudget()
    render_secrets: bool = Field(
        True, description="Extension: false renders no Secret at all (external-secrets, sealed-secrets): every "
        "credential then comes from a Secret you create (generatePostgresqlPasswordSecret=false, "
        "generateCeleryConfigSecret=false, rabbitmq.rabbitmq.existingPasswordSecret, redis.existingSecret).")
