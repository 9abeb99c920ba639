"""dagster-cdk8s: the Dagster-on-Kubernetes system as typed cdk8s constructs."""

# First: _quiet silences jsii's Node end-of-life banner, _kernel_start (after _quiet) starts jsii's kernel
# so that Node starts while Python imports the rest.
from . import _kernel_start, _quiet  # noqa: F401
from ._release import released
from ._stateful import Persistence
from .celery_autoscaler import CeleryAutoscaler, QueueAutoscaling, ScaledQueue
from .celery_config_secret import BACKEND_URL_ENV, BROKER_URL_ENV, CeleryConfigSecret
from .celery_worker_pool import CeleryQueue, CeleryWorkerPool, CeleryWorkersSettings
from .connections import PG_PASSWORD_ENV, BrokerConnection, PostgresConnection
from .daemon import DaemonSettings, DagsterDaemon
from .dagit_service import DagitService, WebserverSettings
from .dagster_instance import DagsterInstance
from .env_config_map import EnvConfigMap
from .errors import ConfigError
from .flower import FlowerService, FlowerSettings
from .images import DAGSTER_VERSION, Image, dagster_image
from .ingress import DagsterIngress, IngressRoute, IngressSettings
from .instance_config import (
    AzureBlobComputeLogs,
    CeleryK8sRunLauncher,
    CustomComputeLogs,
    CustomRunCoordinator,
    CustomRunLauncher,
    CustomScheduler,
    DaemonScheduler,
    DefaultRunCoordinator,
    GCSComputeLogs,
    InstanceSettings,
    K8sRunLauncher,
    LocalComputeLogs,
    NoOpComputeLogs,
    QueuedRunCoordinator,
    Retention,
    RunMonitoring,
    RunRetries,
    S3ComputeLogs,
    Threading,
)
from .instance_config_map import DEFAULT_DAGSTER_HOME, InstanceConfigMap
from .migrate_job import MigrateJob, MigrateSettings
from .naming import DEFAULT_RELEASE, Release
from .network_policies import NetworkPolicies, NetworkPolicySettings
from .pod_disruption_budgets import PodDisruptionBudgets, PodDisruptionBudgetSettings
from .postgresql import ExternalPostgreSql, ExternalPostgreSqlSettings, PostgreSql, PostgreSqlSettings
from .rabbitmq import RabbitMq, RabbitMqSettings
from .redis import Redis, RedisSettings
from .run_launcher_rbac import LAUNCHER_RULES, RunLauncherRbac
from .security_profile import HARDENED_UID, NON_ROOT_UID, SECURITY_PROFILES, ProcessNeeds
from .system import DagsterChart, DagsterSystemConfig, RbacSettings, example_code_location
from .user_code_deployment import CodeLocationSettings, UserCodeDeployment
from .variants import DEFAULT_VARIANT, VARIANTS, Passwords, build_variant
from .workload import SecretKeyRef, WorkloadOptions
from .workspace_config_map import GrpcLocation, WorkspaceConfigMap

__all__ = [
    "BACKEND_URL_ENV",
    "BROKER_URL_ENV",
    "DAGSTER_VERSION",
    "DEFAULT_DAGSTER_HOME",
    "DEFAULT_RELEASE",
    "DEFAULT_VARIANT",
    "LAUNCHER_RULES",
    "HARDENED_UID",
    "NON_ROOT_UID",
    "PG_PASSWORD_ENV",
    "SECURITY_PROFILES",
    "VARIANTS",
    "AzureBlobComputeLogs",
    "BrokerConnection",
    "CeleryAutoscaler",
    "CeleryConfigSecret",
    "CeleryK8sRunLauncher",
    "CeleryQueue",
    "CeleryWorkerPool",
    "CeleryWorkersSettings",
    "CodeLocationSettings",
    "ConfigError",
    "CustomComputeLogs",
    "CustomRunCoordinator",
    "CustomRunLauncher",
    "CustomScheduler",
    "DaemonScheduler",
    "DaemonSettings",
    "DagitService",
    "DagsterChart",
    "DagsterDaemon",
    "DagsterIngress",
    "DagsterInstance",
    "DagsterSystemConfig",
    "DefaultRunCoordinator",
    "EnvConfigMap",
    "ExternalPostgreSql",
    "ExternalPostgreSqlSettings",
    "FlowerService",
    "FlowerSettings",
    "GCSComputeLogs",
    "GrpcLocation",
    "Image",
    "IngressRoute",
    "IngressSettings",
    "InstanceConfigMap",
    "InstanceSettings",
    "K8sRunLauncher",
    "LocalComputeLogs",
    "MigrateJob",
    "MigrateSettings",
    "NetworkPolicies",
    "NetworkPolicySettings",
    "NoOpComputeLogs",
    "Passwords",
    "Persistence",
    "PodDisruptionBudgetSettings",
    "PodDisruptionBudgets",
    "PostgreSql",
    "PostgreSqlSettings",
    "PostgresConnection",
    "ProcessNeeds",
    "QueueAutoscaling",
    "QueuedRunCoordinator",
    "RabbitMq",
    "RabbitMqSettings",
    "RbacSettings",
    "Redis",
    "RedisSettings",
    "Release",
    "Retention",
    "RunLauncherRbac",
    "RunMonitoring",
    "RunRetries",
    "S3ComputeLogs",
    "ScaledQueue",
    "SecretKeyRef",
    "Threading",
    "UserCodeDeployment",
    "WebserverSettings",
    "WorkloadOptions",
    "WorkspaceConfigMap",
    "build_variant",
    "dagster_image",
    "example_code_location",
    "released",
]
