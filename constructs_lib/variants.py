"""The deployment variants the project ships, synthesizes and snapshot-tests.

Each variant is a :class:`DagsterSystemConfig`. Passwords are never defaults of the
library: the caller passes them in (``main.py`` reads them from the environment).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .celery_autoscaler import QueueAutoscaling
from .celery_worker_pool import CeleryQueue, CeleryWorkersSettings
from .connections import BrokerConnection
from .dagit_service import WebserverSettings
from .flower import FlowerSettings
from .images import default_user_code_image
from .ingress import IngressRoute, IngressSettings
from .instance_config import CeleryK8sRunLauncher, CustomRunLauncher, K8sRunLauncher
from .migrate_job import MigrateSettings
from .postgresql import ExternalPostgreSqlSettings, PostgreSqlSettings
from .rabbitmq import RabbitMqSettings
from .redis import RedisSettings
from .system import DagsterSystemConfig, example_code_location
from .user_code_deployment import CodeLocationSettings
from .workload import SecretKeyRef

__all__ = ["DEFAULT_VARIANT", "VARIANTS", "Passwords", "build_variant"]


@dataclass(frozen=True, kw_only=True)
class Passwords:
    """Credentials the variants put into the Secrets they create."""

    postgresql: str = field(repr=False)
    rabbitmq: str = field(repr=False)
    redis: str = field(repr=False)


def celery_rabbitmq(p: Passwords) -> DagsterSystemConfig:
    """The seed's default system: CeleryK8sRunLauncher, RabbitMQ, Flower, bundled PostgreSQL."""
    return DagsterSystemConfig(
        postgresql=PostgreSqlSettings(password=p.postgresql),
        run_launcher=CeleryK8sRunLauncher(),
        broker=RabbitMqSettings(password=p.rabbitmq),
        flower=FlowerSettings(),
        migrate=MigrateSettings(),
    )


def celery_redis(p: Passwords) -> DagsterSystemConfig:
    """Celery-on-K8s with a bundled Redis as broker and backend, and two queues (one with extra
    Celery worker arguments)."""
    return DagsterSystemConfig(
        postgresql=PostgreSqlSettings(password=p.postgresql),
        run_launcher=CeleryK8sRunLauncher(),
        broker=RedisSettings(password=p.redis, broker_db=0, backend_db=1),
        celery_workers=CeleryWorkersSettings(queues=[
            CeleryQueue(name="dagster", replicas=2),
            CeleryQueue(name="high-priority", replicas=1, config_source={"worker_prefetch_multiplier": 1},
                        additional_celery_args=["--concurrency", "2"]),
        ]),
        flower=FlowerSettings(),
        migrate=MigrateSettings(),
    )


def celery_autoscaling(p: Passwords) -> DagsterSystemConfig:
    """Celery-on-K8s with RabbitMQ whose queues' workers KEDA scales with the queues' length."""
    return DagsterSystemConfig(
        namespace="dagster",
        postgresql=PostgreSqlSettings(password=p.postgresql),
        run_launcher=CeleryK8sRunLauncher(),
        broker=RabbitMqSettings(password=p.rabbitmq),
        celery_workers=CeleryWorkersSettings(queues=[
            CeleryQueue(name="dagster", autoscaling=QueueAutoscaling(min_replicas=1, max_replicas=10)),
            CeleryQueue(name="backfills", autoscaling=QueueAutoscaling(
                min_replicas=0, max_replicas=20, target_queue_length=10, activation_queue_length=2,
                polling_interval=15, cooldown_period=600)),
        ]),
        flower=FlowerSettings(),
        migrate=MigrateSettings(),
    )


def k8s(p: Passwords) -> DagsterSystemConfig:
    """Celery-less: K8sRunLauncher, one Kubernetes Job per run."""
    return DagsterSystemConfig(
        postgresql=PostgreSqlSettings(password=p.postgresql),
        run_launcher=K8sRunLauncher(),
        migrate=MigrateSettings(),
    )


def custom_launcher(p: Passwords) -> DagsterSystemConfig:
    """A custom run launcher: Dagster's DefaultRunLauncher (runs inside the code servers)."""
    return DagsterSystemConfig(
        postgresql=PostgreSqlSettings(password=p.postgresql),
        run_launcher=CustomRunLauncher(module="dagster.core.launcher", class_name="DefaultRunLauncher"),
    )


def external(p: Passwords) -> DagsterSystemConfig:
    """External PostgreSQL (password in an existing Secret) and an external Redis broker."""
    return DagsterSystemConfig(
        namespace="dagster",
        postgresql=ExternalPostgreSqlSettings(
            host="dagster-db.postgres.svc.cluster.local", database="dagster", username="dagster",
            params={"sslmode": "require"}, scheme="postgresql+psycopg2",
            existing_secret=SecretKeyRef(name="dagster-db-credentials", key="postgresql-password")),
        run_launcher=CeleryK8sRunLauncher(),
        broker=BrokerConnection(
            broker_url=f"redis://:{p.redis}@redis-master.redis.svc.cluster.local:6379/0",
            backend_url=f"redis://:{p.redis}@redis-master.redis.svc.cluster.local:6379/1",
            host="redis-master.redis.svc.cluster.local", port=6379),
    )


def multi_location(p: Passwords) -> DagsterSystemConfig:
    """Several code locations, a read-only webserver under a path prefix, and an Ingress."""
    image = default_user_code_image()
    return DagsterSystemConfig(
        postgresql=PostgreSqlSettings(password=p.postgresql),
        run_launcher=K8sRunLauncher(),
        code_locations=[
            example_code_location(),
            CodeLocationSettings(name="analytics", image=image, port=4000,
                                 grpc_args=["--python-file", "/example_project/example_repo/repo.py"],
                                 env={"ANALYTICS_MODE": "batch"}),
            CodeLocationSettings(name="ml-pipelines", image=image, replicas=2,
                                 grpc_args=["--python-file", "/example_project/example_repo/repo.py"]),
        ],
        webserver=WebserverSettings(path_prefix="/dagster", read_only=True),
        ingress=IngressSettings(
            class_name="nginx",
            webserver=IngressRoute(host="dagster.example.com", tls_secret_name="dagster-tls"),
            read_only_webserver=IngressRoute(host="dagster-ro.example.com", tls_secret_name="dagster-tls"),
        ),
    )


VARIANTS: dict[str, Callable[[Passwords], DagsterSystemConfig]] = {
    "celery-rabbitmq": celery_rabbitmq,
    "celery-redis": celery_redis,
    "celery-autoscaling": celery_autoscaling,
    "k8s": k8s,
    "custom-launcher": custom_launcher,
    "external": external,
    "multi-location": multi_location,
}
DEFAULT_VARIANT = "celery-rabbitmq"


def build_variant(name: str, passwords: Passwords) -> DagsterSystemConfig:
    if name not in VARIANTS:
        from .errors import ConfigError

        raise ConfigError("variant", name, "one of " + ", ".join(VARIANTS))
    return VARIANTS[name](passwords)
