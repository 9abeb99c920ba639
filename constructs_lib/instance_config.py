"""Typed blocks of Dagster's instance configuration (``dagster.yaml``).

Each class renders one block exactly as Dagster's own config schema accepts it; field names
follow Dagster's keys. ``None`` means "leave the key out and take Dagster's default".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from .apiserver import MAX_CONFIG_BYTES, check_dagster_block, label_problems, raise_first
from .errors import (
    ConfigError,
    check_dns1123_label,
    check_dns1123_subdomain,
    check_env_name,
    check_non_empty,
    check_one_of,
)
from .images import PULL_POLICIES, Image

__all__ = [
    "AzureBlobComputeLogs",
    "CeleryK8sRunLauncher",
    "ComputeLogs",
    "CustomComputeLogs",
    "CustomRunCoordinator",
    "CustomRunLauncher",
    "CustomScheduler",
    "DaemonScheduler",
    "DefaultRunCoordinator",
    "GCSComputeLogs",
    "InstanceSettings",
    "K8sRunLauncher",
    "LocalComputeLogs",
    "NoOpComputeLogs",
    "QueuedRunCoordinator",
    "Retention",
    "RunCoordinator",
    "RunLauncher",
    "RunMonitoring",
    "RunRetries",
    "S3ComputeLogs",
    "Scheduler",
    "Threading",
]

Json = dict[str, Any]


def _plugin(module: str, class_name: str, config: Mapping[str, Any] | None) -> Json:
    block: Json = {"module": module, "class": class_name}
    if config:
        block["config"] = dict(config)
    return block


def _present(obj: Any, *, skip: Sequence[str] = ()) -> Json:
    """The dataclass's fields that are set (not ``None``), in declaration order."""
    out: Json = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name in skip or value is None:
            continue
        if isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _check_custom(owner: str, module: str, class_name: str, config: object) -> None:
    check_non_empty(f"{owner}.module", module)
    if not isinstance(class_name, str) or not class_name.isidentifier():
        raise ConfigError(f"{owner}.class_name", class_name, "a Python class name")
    if not isinstance(config, Mapping):
        raise ConfigError(f"{owner}.config", config, "a mapping")


def _check_str_or_env(field: str, value: object) -> None:
    """A non-empty string, or ``{"env": "VAR"}`` (Dagster reads it from the environment)."""
    if isinstance(value, Mapping):
        if set(value) == {"env"} and isinstance(value["env"], str):
            return
    elif isinstance(value, str) and value.strip():
        return
    raise ConfigError(field, value, 'a non-empty string or {"env": "VAR_NAME"}')


def _check_int(field: str, value: object, minimum: int) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < minimum):
        raise ConfigError(field, value, f"an integer >= {minimum} or None")


# ---- scheduler --------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class DaemonScheduler:
    """``DagsterDaemonScheduler``: schedules run by the daemon.

    Args:
        max_catchup_runs: @default Dagster's (5)
        max_tick_retries: @default Dagster's (0)
    """

    max_catchup_runs: int | None = None
    max_tick_retries: int | None = None

    def __post_init__(self) -> None:
        _check_int("DaemonScheduler.max_catchup_runs", self.max_catchup_runs, 0)
        _check_int("DaemonScheduler.max_tick_retries", self.max_tick_retries, 0)

    def block(self) -> Json:
        return _plugin("dagster.core.scheduler", "DagsterDaemonScheduler", _present(self))


@dataclass(frozen=True, kw_only=True)
class CustomScheduler:
    module: str
    class_name: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_custom("CustomScheduler", self.module, self.class_name, self.config)

    def block(self) -> Json:
        return _plugin(self.module, self.class_name, self.config)


Scheduler = DaemonScheduler | CustomScheduler


# ---- run launchers ----------------------------------------------------------------------------
def _checklauncher_common_config(owner: str, launcher: Any) -> None:
    if launcher.job_namespace is not None:
        check_dns1123_label(f"{owner}.job_namespace", launcher.job_namespace)
    if launcher.image_pull_policy is not None:
        check_one_of(f"{owner}.image_pull_policy", launcher.image_pull_policy, PULL_POLICIES)
    if launcher.service_account_name is not None:
        check_dns1123_subdomain(f"{owner}.service_account_name", launcher.service_account_name)
    for name in ("env_config_maps", "env_secrets", "image_pull_secrets"):
        values = getattr(launcher, name)
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise ConfigError(f"{owner}.{name}", values, "a list of object names")
        for i, value in enumerate(values):
            check_dns1123_subdomain(f"{owner}.{name}[{i}]", value)
    for name, type_name in (("volumes", "Volume"), ("volume_mounts", "VolumeMount")):
        values = getattr(launcher, name)
        if isinstance(values, (str, Mapping)) or not isinstance(values, Sequence) or not all(
            isinstance(v, Mapping) for v in values
        ):
            raise ConfigError(f"{owner}.{name}", values, "a list of mappings")
        # What reaches the run pods is checked as the API server would check it there.
        for i, value in enumerate(values):
            check_dagster_block(f"{owner}.{name}[{i}]", value, type_name)
    if not isinstance(launcher.labels, Mapping):
        raise ConfigError(f"{owner}.labels", launcher.labels, "a mapping of strings to strings")
    raise_first(label_problems(f"{owner}.labels", launcher.labels))


def launcher_common_config(launcher: Any, image_pull_secrets: Sequence[str] = ()) -> Json:
    """Keys both Kubernetes launchers share; ``image_pull_secrets`` (the system's) come first."""
    out: Json = {}
    pull_secrets = list(dict.fromkeys([*image_pull_secrets, *launcher.image_pull_secrets]))
    if pull_secrets:
        out["image_pull_secrets"] = [{"name": n} for n in pull_secrets]
    for name in ("volumes", "volume_mounts"):
        if getattr(launcher, name):
            out[name] = [dict(v) for v in getattr(launcher, name)]
    if launcher.labels:
        out["labels"] = dict(launcher.labels)
    if launcher.fail_pod_on_run_failure is not None:
        out["fail_pod_on_run_failure"] = launcher.fail_pod_on_run_failure
    return out


@dataclass(frozen=True, kw_only=True)
class CeleryK8sRunLauncher:
    """``CeleryK8sRunLauncher``: each run's steps go through Celery queues to Kubernetes Jobs.

    The broker and backend always come from the Celery config Secret (``{env: ...}``); the
    instance ConfigMap, postgres Secret, Dagster home and ServiceAccount are wired by the
    system.

    Args:
        job_namespace: namespace of the launched Jobs. @default the system's namespace
        image_pull_policy: of launched Jobs. @default the run image's pull policy
        image_pull_secrets: for launched Jobs. @default none
        service_account_name: of launched Jobs. @default the run launcher's ServiceAccount
        config_source: extra Celery settings shared by every queue. @default none
        env_config_maps: extra ConfigMaps loaded into launched Jobs. @default none
        env_secrets: extra Secrets loaded into launched Jobs. @default none
        volumes / volume_mounts: added to launched Jobs (Dagster's snake_case keys).
            @default none
        labels: added to launched Jobs. @default none
        fail_pod_on_run_failure: @default Dagster's (False)
    """

    job_namespace: str | None = None
    image_pull_policy: str | None = None
    image_pull_secrets: Sequence[str] = ()
    service_account_name: str | None = None
    config_source: Mapping[str, Any] = field(default_factory=dict)
    env_config_maps: Sequence[str] = ()
    env_secrets: Sequence[str] = ()
    volumes: Sequence[Mapping[str, Any]] = ()
    volume_mounts: Sequence[Mapping[str, Any]] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    fail_pod_on_run_failure: bool | None = None

    uses_celery = True

    def __post_init__(self) -> None:
        _checklauncher_common_config("CeleryK8sRunLauncher", self)
        if not isinstance(self.config_source, Mapping):
            raise ConfigError("CeleryK8sRunLauncher.config_source", self.config_source, "a mapping")


#: ``run_k8s_config`` keys and the Kubernetes type Dagster merges each into (``dagster_k8s.job``).
_RUN_K8S_CONFIG = {"container_config": "Container", "pod_template_spec_metadata": "ObjectMeta",
                   "pod_spec_config": "PodSpec", "job_config": "Job", "job_metadata": "ObjectMeta",
                   "job_spec_config": "JobSpec"}


@dataclass(frozen=True, kw_only=True)
class K8sRunLauncher:
    """``K8sRunLauncher``: each run in one Kubernetes Job (Celery-less).

    Args:
        load_incluster_config: use the pod's ServiceAccount. @default ``True``
        kubeconfig_file: a kubeconfig path instead (needs ``load_incluster_config=False``).
            @default none
        job_namespace: @default the system's namespace
        image_pull_policy: @default the run image's pull policy
        image_pull_secrets: @default none
        service_account_name: @default the run launcher's ServiceAccount
        job_image: image of launched runs when the code location gives none. @default none
        env_config_maps / env_secrets: extra env sources of launched Jobs. @default none
        env_vars: ``KEY=VALUE`` (or ``KEY``, copied from the launcher's env). @default none
        volumes / volume_mounts / labels: added to launched Jobs. @default none
        resources: of launched run pods. @default none
        fail_pod_on_run_failure: @default Dagster's (False)
        scheduler_name: of launched pods. @default none
        security_context: container security context of launched pods. @default none
        run_k8s_config: raw ``run_k8s_config`` (container_config, pod_spec_config ...).
            @default none
    """

    load_incluster_config: bool = True
    kubeconfig_file: str | None = None
    job_namespace: str | None = None
    image_pull_policy: str | None = None
    image_pull_secrets: Sequence[str] = ()
    service_account_name: str | None = None
    job_image: Image | None = None
    env_config_maps: Sequence[str] = ()
    env_secrets: Sequence[str] = ()
    env_vars: Sequence[str] = ()
    volumes: Sequence[Mapping[str, Any]] = ()
    volume_mounts: Sequence[Mapping[str, Any]] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    resources: Mapping[str, Any] = field(default_factory=dict)
    fail_pod_on_run_failure: bool | None = None
    scheduler_name: str | None = None
    security_context: Mapping[str, Any] = field(default_factory=dict)
    run_k8s_config: Mapping[str, Any] = field(default_factory=dict)

    uses_celery = False

    def __post_init__(self) -> None:
        _checklauncher_common_config("K8sRunLauncher", self)
        if self.kubeconfig_file is not None and self.load_incluster_config:
            raise ConfigError("K8sRunLauncher.kubeconfig_file", self.kubeconfig_file,
                              "no kubeconfig file while load_incluster_config is True")
        if isinstance(self.env_vars, str) or not all(isinstance(v, str) and v for v in self.env_vars):
            raise ConfigError("K8sRunLauncher.env_vars", self.env_vars, "a list of 'KEY=VALUE' or 'KEY' strings")
        for i, env_var in enumerate(self.env_vars):
            check_env_name(f"K8sRunLauncher.env_vars[{i}]", env_var.split("=", 1)[0])
        if self.scheduler_name is not None:
            check_dns1123_subdomain("K8sRunLauncher.scheduler_name", self.scheduler_name)
        check_dagster_block("K8sRunLauncher.resources", self.resources, "ResourceRequirements")
        check_dagster_block("K8sRunLauncher.security_context", self.security_context, "SecurityContext")
        if not isinstance(self.run_k8s_config, Mapping):
            raise ConfigError("K8sRunLauncher.run_k8s_config", self.run_k8s_config, "a mapping")
        for key, value in self.run_k8s_config.items():
            if key not in _RUN_K8S_CONFIG:
                raise ConfigError(f"K8sRunLauncher.run_k8s_config.{key}", value,
                                  "a key among " + ", ".join(sorted(_RUN_K8S_CONFIG)))
            # Merged by Dagster into the run's Job, pod and container: their own required fields may be missing.
            check_dagster_block(f"K8sRunLauncher.run_k8s_config.{key}", value, _RUN_K8S_CONFIG[key], partial=True)


@dataclass(frozen=True, kw_only=True)
class CustomRunLauncher:
    """Any run launcher class: ``module``, ``class_name`` and its ``config``.

    Args:
        uses_celery: deploy the Celery workers, broker and Celery Secret for it. @default False
    """

    module: str
    class_name: str
    config: Mapping[str, Any] = field(default_factory=dict)
    uses_celery: bool = False

    def __post_init__(self) -> None:
        _check_custom("CustomRunLauncher", self.module, self.class_name, self.config)


RunLauncher = CeleryK8sRunLauncher | K8sRunLauncher | CustomRunLauncher


# ---- run coordinator --------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class QueuedRunCoordinator:
    """``QueuedRunCoordinator``: the daemon dequeues runs under concurrency limits.

    Args:
        max_concurrent_runs: ``-1`` for no limit. @default -1
        tag_concurrency_limits: ``[{"key": ..., "value": ..., "limit": N}]``. @default none
        dequeue_interval_seconds: @default Dagster's
        dequeue_use_threads: @default ``True``
        dequeue_num_workers: @default 4
        block_op_concurrency_limited_runs: ``{"enabled": ..., "op_concurrency_slot_buffer": N}``.
            @default Dagster's

    The integer fields also accept ``{"env": "VAR"}`` to read the value from the environment.
    """

    max_concurrent_runs: int | Mapping[str, str] = -1
    tag_concurrency_limits: Sequence[Mapping[str, Any]] = ()
    dequeue_interval_seconds: int | Mapping[str, str] | None = None
    dequeue_use_threads: bool = True
    dequeue_num_workers: int | Mapping[str, str] | None = 4
    block_op_concurrency_limited_runs: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        for name, minimum in (("max_concurrent_runs", -1), ("dequeue_interval_seconds", 1),
                              ("dequeue_num_workers", 1)):
            value = getattr(self, name)
            if isinstance(value, Mapping):
                if set(value) != {"env"} or not isinstance(value["env"], str):
                    raise ConfigError(f"QueuedRunCoordinator.{name}", dict(value), '{"env": "VAR_NAME"}')
            else:
                _check_int(f"QueuedRunCoordinator.{name}", value, minimum)
        for i, limit in enumerate(self.tag_concurrency_limits):
            where = f"QueuedRunCoordinator.tag_concurrency_limits[{i}]"
            if not isinstance(limit, Mapping) or not isinstance(limit.get("key"), str):
                raise ConfigError(where, limit, "a mapping with 'key', 'limit' and optional 'value'")
            _check_int(f"{where}.limit", limit.get("limit"), 0)
            if limit.get("limit") is None:
                raise ConfigError(f"{where}.limit", None, "an integer >= 0")

    def block(self) -> Json:
        config = _present(self)
        for name in ("max_concurrent_runs", "dequeue_interval_seconds", "dequeue_num_workers"):
            if isinstance(config.get(name), Mapping):
                config[name] = dict(config[name])
        if not self.tag_concurrency_limits:
            config.pop("tag_concurrency_limits")
        else:
            config["tag_concurrency_limits"] = [dict(t) for t in self.tag_concurrency_limits]
        return _plugin("dagster.core.run_coordinator", "QueuedRunCoordinator", config)


@dataclass(frozen=True, kw_only=True)
class DefaultRunCoordinator:
    """``DefaultRunCoordinator``: runs are launched at once by the process that submits them."""

    def block(self) -> Json:
        return _plugin("dagster.core.run_coordinator", "DefaultRunCoordinator", None)


@dataclass(frozen=True, kw_only=True)
class CustomRunCoordinator:
    module: str
    class_name: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_custom("CustomRunCoordinator", self.module, self.class_name, self.config)

    def block(self) -> Json:
        return _plugin(self.module, self.class_name, self.config)


RunCoordinator = QueuedRunCoordinator | DefaultRunCoordinator | CustomRunCoordinator


# ---- compute logs -----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class NoOpComputeLogs:
    """Do not capture step stdout/stderr."""

    def block(self) -> Json:
        return _plugin("dagster.core.storage.noop_compute_log_manager", "NoOpComputeLogManager", None)


@dataclass(frozen=True, kw_only=True)
class LocalComputeLogs:
    """Keep captured logs on the pod's local disk (``base_dir``)."""

    base_dir: str
    polling_timeout: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.base_dir, str) or not self.base_dir.startswith("/"):
            raise ConfigError("LocalComputeLogs.base_dir", self.base_dir, "an absolute path")

    def block(self) -> Json:
        return _plugin("dagster.core.storage.local_compute_log_manager", "LocalComputeLogManager",
                       _present(self))


@dataclass(frozen=True, kw_only=True)
class S3ComputeLogs:
    """``dagster_aws.s3.compute_log_manager.S3ComputeLogManager``; ``None`` fields are omitted."""

    bucket: str | Mapping[str, str]
    local_dir: str | Mapping[str, str] | None = None
    prefix: str | Mapping[str, str] | None = None
    use_ssl: bool | None = None
    verify: bool | None = None
    verify_cert_path: str | None = None
    endpoint_url: str | None = None
    skip_empty_files: bool | None = None
    upload_interval: int | None = None
    upload_extra_args: Mapping[str, Any] | None = None
    show_url_only: bool | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        _check_str_or_env("S3ComputeLogs.bucket", self.bucket)
        _check_int("S3ComputeLogs.upload_interval", self.upload_interval, 1)

    def block(self) -> Json:
        return _plugin("dagster_aws.s3.compute_log_manager", "S3ComputeLogManager", _present(self))


@dataclass(frozen=True, kw_only=True)
class GCSComputeLogs:
    """``dagster_gcp.gcs.compute_log_manager.GCSComputeLogManager``."""

    bucket: str | Mapping[str, str]
    local_dir: str | Mapping[str, str] | None = None
    prefix: str | Mapping[str, str] | None = None
    json_credentials_envvar: str | None = None
    upload_interval: int | None = None
    show_url_only: bool | None = None

    def __post_init__(self) -> None:
        _check_str_or_env("GCSComputeLogs.bucket", self.bucket)
        _check_int("GCSComputeLogs.upload_interval", self.upload_interval, 1)

    def block(self) -> Json:
        return _plugin("dagster_gcp.gcs.compute_log_manager", "GCSComputeLogManager", _present(self))


@dataclass(frozen=True, kw_only=True)
class AzureBlobComputeLogs:
    """``dagster_azure.blob.compute_log_manager.AzureBlobComputeLogManager``.

    Credentials: ``default_azure_credential`` or a ``secret_credential`` whose values should be
    ``{"env": "VAR"}`` references to env loaded from a Secret.
    """

    storage_account: str | Mapping[str, str]
    container: str | Mapping[str, str]
    access_key_or_sas_token: str | Mapping[str, str] | None = None
    secret_credential: Mapping[str, Any] | None = None
    default_azure_credential: Mapping[str, Any] | None = None
    local_dir: str | None = None
    prefix: str | None = None
    upload_interval: int | None = None
    show_url_only: bool | None = None

    def __post_init__(self) -> None:
        _check_str_or_env("AzureBlobComputeLogs.storage_account", self.storage_account)
        _check_str_or_env("AzureBlobComputeLogs.container", self.container)
        _check_int("AzureBlobComputeLogs.upload_interval", self.upload_interval, 1)

    def block(self) -> Json:
        return _plugin("dagster_azure.blob.compute_log_manager", "AzureBlobComputeLogManager",
                       _present(self))


@dataclass(frozen=True, kw_only=True)
class CustomComputeLogs:
    module: str
    class_name: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_custom("CustomComputeLogs", self.module, self.class_name, self.config)

    def block(self) -> Json:
        return _plugin(self.module, self.class_name, self.config)


ComputeLogs = (
    NoOpComputeLogs | LocalComputeLogs | S3ComputeLogs | GCSComputeLogs | AzureBlobComputeLogs | CustomComputeLogs
)


# ---- daemon features --------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RunMonitoring:
    """``run_monitoring``: detect and fail (or resume) runs whose workers died."""

    enabled: bool = True
    start_timeout_seconds: int | None = 300
    cancel_timeout_seconds: int | None = None
    max_runtime_seconds: int | None = None
    max_resume_run_attempts: int | None = 0
    poll_interval_seconds: int | None = 120
    free_slots_after_run_end_seconds: int | None = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name != "enabled":
                _check_int(f"RunMonitoring.{f.name}", getattr(self, f.name), 0)

    def block(self) -> Json:
        return _present(self)


@dataclass(frozen=True, kw_only=True)
class RunRetries:
    """``run_retries``: retry failed runs (per-job ``dagster/max_retries`` tags still apply)."""

    enabled: bool = True
    max_retries: int = 0
    retry_on_asset_or_op_failure: bool | None = None

    def __post_init__(self) -> None:
        _check_int("RunRetries.max_retries", self.max_retries, 0)

    def block(self) -> Json:
        block = _present(self)
        if not self.max_retries:
            block.pop("max_retries")
        return block


@dataclass(frozen=True, kw_only=True)
class Threading:
    """``sensors`` / ``schedules``: evaluate ticks in a thread pool."""

    use_threads: bool = True
    num_workers: int | None = 4
    num_submit_workers: int | None = None

    def __post_init__(self) -> None:
        _check_int("Threading.num_workers", self.num_workers, 1)
        _check_int("Threading.num_submit_workers", self.num_submit_workers, 1)

    def block(self) -> Json:
        return _present(self)


_TICK_STATUSES = ("failure", "skipped", "started", "success")


@dataclass(frozen=True, kw_only=True)
class Retention:
    """``retention``: days to keep schedule, sensor and auto-materialize ticks (``-1`` = forever).

    Each value is a number of days for all tick statuses, or a mapping per status
    (``failure``, ``skipped``, ``started``, ``success``).
    """

    schedule: int | Mapping[str, int] = -1
    sensor: int | Mapping[str, int] = field(
        default_factory=lambda: {"failure": -1, "skipped": 7, "started": -1, "success": -1})
    auto_materialize: int | Mapping[str, int] = field(
        default_factory=lambda: {"failure": -1, "skipped": 7, "started": -1, "success": -1})

    def __post_init__(self) -> None:
        for name in ("schedule", "sensor", "auto_materialize"):
            value = getattr(self, name)
            if isinstance(value, Mapping):
                for status, days in value.items():
                    check_one_of(f"Retention.{name}", status, _TICK_STATUSES)
                    _check_int(f"Retention.{name}.{status}", days, -1)
            else:
                _check_int(f"Retention.{name}", value, -1)

    def block(self) -> Json:
        def days(value: int | Mapping[str, int]) -> Any:
            return dict(value) if isinstance(value, Mapping) else value

        return {name: {"purge_after_days": days(getattr(self, name))}
                for name in ("schedule", "sensor", "auto_materialize")}


_PYTHON_LOGS_KEYS = ("python_log_level", "managed_python_loggers", "dagster_handler_config")


# ---- everything else of the instance ----------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class InstanceSettings:
    """The instance-wide settings of ``dagster.yaml`` other than storage and the run launcher.

    Args:
        scheduler: @default :class:`DaemonScheduler`
        run_coordinator: @default :class:`QueuedRunCoordinator`
        compute_logs: @default :class:`NoOpComputeLogs`
        run_monitoring: ``None`` leaves the block out. @default :class:`RunMonitoring`
        run_retries: @default :class:`RunRetries`
        sensors / schedules: @default :class:`Threading`
        telemetry: send Dagster's anonymous usage statistics. @default ``True``
        retention: ``None`` leaves the block out. @default none
        python_logs: ``python_log_level``, ``managed_python_loggers``,
            ``dagster_handler_config``. @default none
        additional_config: further top-level keys (``concurrency``, ``nux`` ...); a key the
            library already writes is an error. @default none
    """

    scheduler: Scheduler = field(default_factory=DaemonScheduler)
    run_coordinator: RunCoordinator = field(default_factory=QueuedRunCoordinator)
    compute_logs: ComputeLogs = field(default_factory=NoOpComputeLogs)
    run_monitoring: RunMonitoring | None = field(default_factory=RunMonitoring)
    run_retries: RunRetries | None = field(default_factory=RunRetries)
    sensors: Threading | None = field(default_factory=Threading)
    schedules: Threading | None = field(default_factory=Threading)
    telemetry: bool = True
    retention: Retention | None = None
    python_logs: Mapping[str, Any] = field(default_factory=dict)
    additional_config: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key in self.python_logs:
            check_one_of("InstanceSettings.python_logs", key, _PYTHON_LOGS_KEYS)
        if not isinstance(self.telemetry, bool):
            raise ConfigError("InstanceSettings.telemetry", self.telemetry, "True or False")
        size = len(json.dumps(self.additional_config, default=str))
        if size > MAX_CONFIG_BYTES:
            raise ConfigError("InstanceSettings.additional_config", f"<{size:,} bytes>",
                              f"at most {MAX_CONFIG_BYTES:,} bytes: it goes into a ConfigMap (1 MiB at most)")
