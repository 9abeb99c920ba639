"""The whole system: one typed configuration, one cdk8s Chart composing every construct."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cdk8s
from constructs import Construct

from ._checked import checked
from ._manifest import RenderedChart, builds_chart, chart_namespace
from .apiserver import check_annotations, check_env_map
from .celery_config_secret import BACKEND_URL_ENV, BROKER_URL_ENV, CeleryConfigSecret
from .celery_worker_pool import CeleryWorkerPool, CeleryWorkersSettings
from .connections import BrokerConnection, PostgresConnection
from .daemon import DaemonSettings, DagsterDaemon
from .dagit_service import DagitService, WebserverSettings
from .dagster_instance import DEFAULT_COMPONENTS, DagsterInstance
from .errors import ConfigError, check_dns1123_label, check_dns1123_subdomain, check_unique
from .flower import FlowerService, FlowerSettings
from .images import Image, default_postgres_image, default_user_code_image
from .ingress import DagsterIngress, IngressSettings
from .instance_config import (
    CeleryK8sRunLauncher,
    CustomRunLauncher,
    DaemonScheduler,
    InstanceSettings,
    K8sRunLauncher,
    QueuedRunCoordinator,
    RunLauncher,
)
from .instance_config_map import DEFAULT_DAGSTER_HOME
from .migrate_job import MigrateJob, MigrateSettings
from .naming import Release
from .network_policies import KEDA_OPERATOR_PEER, RUN_POD_SELECTOR, NetworkPolicies, NetworkPolicySettings, Peer
from .pod_disruption_budgets import PodDisruptionBudgets, PodDisruptionBudgetSettings
from .postgresql import ExternalPostgreSql, ExternalPostgreSqlSettings, PostgreSql, PostgreSqlSettings
from .rabbitmq import RabbitMq, RabbitMqSettings
from .redis import Redis, RedisSettings
from .run_launcher_rbac import RunLauncherRbac
from .security_profile import DEFAULT_SECURITY_PROFILE, check_security_profile, with_security_profile
from .user_code_deployment import CodeLocationSettings, UserCodeDeployment
from .workspace_config_map import GrpcLocation, WorkspaceConfigMap

__all__ = ["Broker", "DagsterChart", "DagsterSystemConfig", "Postgres", "RbacSettings", "example_code_location"]

Postgres = PostgreSqlSettings | ExternalPostgreSqlSettings
Broker = RabbitMqSettings | RedisSettings | BrokerConnection
_LAUNCHERS = (CeleryK8sRunLauncher, K8sRunLauncher, CustomRunLauncher)
_BROKERS = (RabbitMqSettings, RedisSettings, BrokerConnection)


def example_code_location() -> CodeLocationSettings:
    """Dagster's example code location, as the official chart deploys it by default."""
    return CodeLocationSettings(name="k8s-example-user-code-1", image=default_user_code_image(),
                                grpc_args=["--python-file", "/example_project/example_repo/repo.py"])


def _default_locations() -> tuple[CodeLocationSettings, ...]:
    return (example_code_location(),)


@dataclass(frozen=True, kw_only=True)
class RbacSettings:
    """The identity of the system pods and launched runs.

    Args:
        create: create the Roles and RoleBindings that let runs be launched. @default ``True``
        create_service_account: ``False`` binds an existing ServiceAccount. @default ``True``
        service_account_name: @default ``<fullname>``
        service_account_annotations: @default none
    """

    create: bool = True
    create_service_account: bool = True
    service_account_name: str | None = None
    service_account_annotations: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.service_account_name is not None:
            check_dns1123_subdomain("RbacSettings.service_account_name", self.service_account_name)
        check_annotations("RbacSettings.service_account_annotations", self.service_account_annotations)


@dataclass(frozen=True, kw_only=True)
class DagsterSystemConfig:
    """Everything ``helm install dagster dagster/dagster -f values.yaml`` decides, typed.

    Args:
        postgresql: bundled (:class:`PostgreSqlSettings`) or external
            (:class:`ExternalPostgreSqlSettings`) storage. Required: it carries the password.
        run_launcher: :class:`CeleryK8sRunLauncher` (the seed's system), :class:`K8sRunLauncher`
            (Celery-less) or :class:`CustomRunLauncher`. @default Celery-on-K8s
        broker: for a Celery launcher: :class:`RabbitMqSettings`, :class:`RedisSettings` or a
            :class:`BrokerConnection` with explicit URLs. @default none
        celery_config_secret_name: an existing Secret holding ``DAGSTER_CELERY_BROKER_URL``
            and ``DAGSTER_CELERY_BACKEND_URL``; then no Celery Secret is created and the broker
            may be omitted. @default none
        release: names. @default release ``dagster``
        namespace: namespace of every object and of launched runs. @default the namespace of
            the chart this one is nested in, else none: objects carry no namespace and land
            where they are applied (``kubectl apply -n``, a kustomize ``namespace:``); runs of a
            :class:`K8sRunLauncher` without ``job_namespace`` follow them there
        dagster_home: @default ``/opt/dagster/dagster_home``
        image_pull_secrets: for every pod. @default none
        celery_workers: queues and workers. @default one queue ``dagster`` with 2 workers
        flower: deploy Flower. @default none
        webserver / daemon: @default their settings' defaults
        code_locations: @default Dagster's example location
        workspace_locations: list these gRPC servers in ``workspace.yaml`` instead of the
            deployed code locations (servers deployed elsewhere). @default the code locations
        external_workspace_config_map: use this ConfigMap as ``workspace.yaml``. @default none
        pipeline_run_image: default image of launched runs. @default Dagster's example
        pipeline_run_env: extra env of launched runs (the pipeline env ConfigMap).
            @default none
        instance: scheduler, run coordinator, compute logs ... @default :class:`InstanceSettings`
        rbac: @default :class:`RbacSettings`
        ingress: @default none
        migrate: deploy the ``dagster instance migrate`` Job. @default none
        db_wait_image: image with ``pg_isready`` for wait-for-database init containers.
            @default the pinned ``postgres`` image
        security_profile: ``default`` or ``hardened`` for every workload whose options choose
            none (:mod:`constructs_lib.security_profile`). @default ``default``
        network_policies: each component accepts only what it needs
            (:mod:`constructs_lib.network_policies`). @default enabled
        pod_disruption_budgets: budgets for the webserver, code locations and Celery queues.
            @default none
        render_secrets: ``False`` renders no Secret at all (for external-secrets or
            sealed-secrets): every credential must then be an existing Secret
            (``existing_secret`` of PostgreSQL, RabbitMQ and Redis; under Celery
            ``celery_config_secret_name``), else a ``ConfigError`` names the field; the Secrets
            the pods read are :attr:`DagsterChart.credential_secrets`. @default ``True``
    """

    postgresql: Postgres
    run_launcher: RunLauncher = field(default_factory=CeleryK8sRunLauncher)
    broker: Broker | None = None
    celery_config_secret_name: str | None = None
    release: Release = field(default_factory=Release)
    namespace: str | None = None
    dagster_home: str = DEFAULT_DAGSTER_HOME
    image_pull_secrets: Sequence[str] = ()
    celery_workers: CeleryWorkersSettings = field(default_factory=CeleryWorkersSettings)
    flower: FlowerSettings | None = None
    webserver: WebserverSettings = field(default_factory=WebserverSettings)
    daemon: DaemonSettings | None = field(default_factory=DaemonSettings)
    code_locations: Sequence[CodeLocationSettings] = field(default_factory=_default_locations)
    workspace_locations: Sequence[GrpcLocation] | None = None
    external_workspace_config_map: str | None = None
    pipeline_run_image: Image = field(default_factory=default_user_code_image)
    pipeline_run_env: Mapping[str, str] = field(default_factory=dict)
    instance: InstanceSettings = field(default_factory=InstanceSettings)
    rbac: RbacSettings = field(default_factory=RbacSettings)
    ingress: IngressSettings | None = None
    migrate: MigrateSettings | None = None
    db_wait_image: Image = field(default_factory=default_postgres_image)
    security_profile: str = DEFAULT_SECURITY_PROFILE
    network_policies: NetworkPolicySettings = field(default_factory=NetworkPolicySettings)
    pod_disruption_budgets: PodDisruptionBudgetSettings | None = None
    render_secrets: bool = True

    def __post_init__(self) -> None:
        check_security_profile("DagsterSystemConfig.security_profile", self.security_profile)
        check_env_map("DagsterSystemConfig.pipeline_run_env", self.pipeline_run_env)
        if not isinstance(self.run_launcher, _LAUNCHERS):
            raise ConfigError("DagsterSystemConfig.run_launcher", self.run_launcher,
                              "CeleryK8sRunLauncher, K8sRunLauncher or CustomRunLauncher")
        if not isinstance(self.postgresql, (PostgreSqlSettings, ExternalPostgreSqlSettings)):
            raise ConfigError("DagsterSystemConfig.postgresql", self.postgresql,
                              "PostgreSqlSettings (bundled) or ExternalPostgreSqlSettings")
        if self.broker is not None and not isinstance(self.broker, _BROKERS):
            raise ConfigError("DagsterSystemConfig.broker", self.broker,
                              "one broker: RabbitMqSettings, RedisSettings or BrokerConnection")
        if self.celery_config_secret_name is not None:
            check_dns1123_subdomain("DagsterSystemConfig.celery_config_secret_name", self.celery_config_secret_name)
            if not self.uses_celery:
                raise ConfigError("DagsterSystemConfig.celery_config_secret_name", self.celery_config_secret_name,
                                  f"None: {type(self.run_launcher).__name__} does not use Celery")
        if self.uses_celery and self.broker is None and self.celery_config_secret_name is None:
            raise ConfigError("DagsterSystemConfig.broker", None,
                              f"a broker (RabbitMqSettings, RedisSettings or BrokerConnection): "
                              f"{type(self.run_launcher).__name__} runs steps through Celery")
        if not self.uses_celery and self.broker is not None:
            raise ConfigError("DagsterSystemConfig.broker", type(self.broker).__name__,
                              f"None: {type(self.run_launcher).__name__} does not use Celery")
        self._check_secret_sources()
        if self.flower is not None and not self.uses_celery:
            raise ConfigError("DagsterSystemConfig.flower", self.flower,
                              "None: Flower monitors Celery, and the run launcher does not use Celery")
        if self.namespace is not None:
            check_dns1123_label("DagsterSystemConfig.namespace", self.namespace)
        check_unique("DagsterSystemConfig.code_locations.name", [c.name for c in self.code_locations])
        if self.external_workspace_config_map is not None and self.workspace_locations:
            raise ConfigError("DagsterSystemConfig.external_workspace_config_map",
                              self.external_workspace_config_map,
                              "None while workspace_locations are given (pick one workspace)")
        needs_daemon = [name for name, value in (
            ("instance.run_coordinator", isinstance(self.instance.run_coordinator, QueuedRunCoordinator)),
            ("instance.scheduler", isinstance(self.instance.scheduler, DaemonScheduler)),
        ) if value]
        if self.daemon is None and needs_daemon:
            raise ConfigError("DagsterSystemConfig.daemon", None,
                              "DaemonSettings: " + " and ".join(needs_daemon) + " need the daemon")

    def _check_secret_sources(self) -> None:
        """Existing broker Secrets need an existing Celery Secret (the URLs hold the password),
        KEDA needs the RabbitMQ user name in a Secret, and without rendered Secrets every
        credential is an existing one."""
        broker = self.broker
        existing_broker = isinstance(broker, (RabbitMqSettings, RedisSettings)) and broker.existing_secret is not None
        if existing_broker and self.celery_config_secret_name is None:
            raise ConfigError("DagsterSystemConfig.celery_config_secret_name", None,
                              f"an existing Secret holding DAGSTER_CELERY_BROKER_URL and DAGSTER_CELERY_BACKEND_URL: "
                              f"the broker password is in {type(broker).__name__}.existing_secret, so the library "
                              "cannot write the URLs")
        if (isinstance(broker, RabbitMqSettings) and broker.existing_secret is not None
                and broker.existing_secret_username_key is None
                and any(q.autoscaling is not None for q in self.celery_workers.queues)):
            raise ConfigError("RabbitMqSettings.existing_secret_username_key", None,
                              "the key of the existing Secret holding the user name: KEDA (queue autoscaling) reads "
                              "the RabbitMQ user and password only from a Secret")
        if not isinstance(self.render_secrets, bool):
            raise ConfigError("DagsterSystemConfig.render_secrets", self.render_secrets, "true or false")
        if self.render_secrets:
            return
        generated = [(f"{type(self.postgresql).__name__}.existing_secret", self.postgresql.existing_secret is None)]
        if isinstance(broker, (RabbitMqSettings, RedisSettings)):
            generated.append((f"{type(broker).__name__}.existing_secret",
                              broker.existing_secret is None and broker.password is not None))
        generated.append(("DagsterSystemConfig.celery_config_secret_name",
                          self.uses_celery and self.celery_config_secret_name is None))
        for name, generates in generated:
            if generates:
                raise ConfigError(name, None, "an existing Secret: render_secrets is False, so the output holds no "
                                  "Secret and every credential comes from one you create")

    @property
    def uses_celery(self) -> bool:
        return self.run_launcher.uses_celery

    @property
    def job_namespace(self) -> str | None:
        """The run launcher's explicit ``job_namespace`` (``None``: see :class:`DagsterInstance`)."""
        return getattr(self.run_launcher, "job_namespace", None)


class DagsterChart(RenderedChart):
    """The Dagster system as one cdk8s Chart.

    Attributes (each the construct that deploys it, or ``None`` when not deployed):
        rbac, user_code_rbac, postgresql, broker, celery_secret, instance (the
        :class:`DagsterInstance` every Dagster pod is built from), env_config_maps, code_locations,
        workspace, webserver, daemon, celery_workers, flower, migrate, ingress, network_policies,
        pod_disruption_budgets.
        credential_secrets: Secret name -> keys, every Secret the pods (and KEDA) read
            credentials from, created here or existing (with ``render_secrets=False``: all yours).
    """

    @builds_chart
    @checked
    def __init__(self, scope: Construct, id: str, *, config: DagsterSystemConfig) -> None:
        namespace = config.namespace
        if namespace is None:  # nested in a chart with a namespace: the objects go there too
            parent = next((s for s in reversed(scope.node.scopes) if isinstance(s, cdk8s.Chart)), None)
            namespace = parent.namespace if parent is not None else None
        super().__init__(scope, id, namespace=namespace, disable_resource_name_hashes=True)
        c = with_security_profile(config, config.security_profile)
        r = c.release
        self.config = config
        pull = tuple(c.image_pull_secrets)

        self.rbac: RunLauncherRbac | None = None
        if c.rbac.create or c.rbac.create_service_account:
            self.rbac = RunLauncherRbac(
                self, "rbac", release=r, service_account_name=c.rbac.service_account_name,
                create_service_account=c.rbac.create_service_account, create_role=c.rbac.create,
                service_account_annotations=c.rbac.service_account_annotations,
                job_namespace=getattr(c.run_launcher, "job_namespace", None))

        self.postgresql: PostgreSql | ExternalPostgreSql
        if isinstance(c.postgresql, PostgreSqlSettings):
            self.postgresql = PostgreSql(self, "postgresql", release=r, settings=c.postgresql,
                                         image_pull_secrets=pull)
        else:
            self.postgresql = ExternalPostgreSql(self, "postgresql", release=r, settings=c.postgresql)
        postgres: PostgresConnection = self.postgresql.connection

        self.broker: RabbitMq | Redis | None = None
        self.celery_secret: CeleryConfigSecret | None = None
        connection: BrokerConnection | None = None
        if isinstance(c.broker, RabbitMqSettings):
            self.broker = RabbitMq(self, "rabbitmq", release=r, settings=c.broker, image_pull_secrets=pull)
            connection = self.broker.connection
        elif isinstance(c.broker, RedisSettings):
            self.broker = Redis(self, "redis", release=r, settings=c.broker, image_pull_secrets=pull)
            connection = self.broker.connection
        elif isinstance(c.broker, BrokerConnection):
            connection = c.broker
        if c.uses_celery:
            self.celery_secret = CeleryConfigSecret(self, "celery-config", release=r, broker=connection,
                                                    existing_secret_name=c.celery_config_secret_name)

        self.instance = DagsterInstance(
            self, "instance", release=r, postgres=postgres, run_launcher=c.run_launcher, settings=c.instance,
            dagster_home=c.dagster_home, job_namespace=c.job_namespace, rbac=self.rbac,
            service_account_name=None if self.rbac is not None else c.rbac.service_account_name,
            celery_secret=self.celery_secret, pipeline_run_image=c.pipeline_run_image,
            pipeline_run_env=c.pipeline_run_env, db_wait_image=c.db_wait_image, image_pull_secrets=pull,
            components=DEFAULT_COMPONENTS if c.daemon is not None else ("webserver", "pipeline"))

        self.user_code_rbac: RunLauncherRbac | None = None
        self.code_locations: list[UserCodeDeployment] = []
        if c.code_locations:
            if c.rbac.create or c.rbac.create_service_account:
                self.user_code_rbac = RunLauncherRbac(
                    self, "user-code-rbac", release=r, service_account_name=r.user_code_service_account,
                    create_service_account=c.rbac.create_service_account, create_role=c.rbac.create,
                    role_name=r.user_code_role, role_binding_name=r.user_code_role_binding,
                    labels=r.labels(app="dagster-user-deployments"),
                    job_namespace=getattr(c.run_launcher, "job_namespace", None))
            for location in c.code_locations:
                self.code_locations.append(UserCodeDeployment(
                    self, f"code-location-{location.name}", instance=self.instance, settings=location,
                    service_account_name=self.user_code_rbac.service_account_name if self.user_code_rbac else None))

        self.workspace = WorkspaceConfigMap(
            self, "workspace", release=r,
            locations=[] if c.external_workspace_config_map is not None else (
                list(c.workspace_locations) if c.workspace_locations is not None
                else [d.grpc_location for d in self.code_locations]),
            external_config_map=c.external_workspace_config_map)

        self.webserver = DagitService(self, "webserver", instance=self.instance, workspace=self.workspace,
                                      settings=c.webserver)
        self.daemon: DagsterDaemon | None = None
        if c.daemon is not None:
            self.daemon = DagsterDaemon(self, "daemon", instance=self.instance, workspace=self.workspace,
                                        settings=c.daemon)
        self.celery_workers: CeleryWorkerPool | None = None
        self.flower: FlowerService | None = None
        if self.celery_secret is not None:
            self.celery_workers = CeleryWorkerPool(self, "celery-workers", instance=self.instance,
                                                   settings=c.celery_workers)
            if c.flower is not None:
                self.flower = FlowerService(self, "flower", release=r, celery_secret=self.celery_secret,
                                            env_config_map=self.instance.env_config_map("flower"),
                                            settings=c.flower, image_pull_secrets=pull)
        self.migrate: MigrateJob | None = None
        if c.migrate is not None:
            self.migrate = MigrateJob(self, "migrate", instance=self.instance, settings=c.migrate)
        self.ingress: DagsterIngress | None = None
        if c.ingress is not None:
            self.ingress = DagsterIngress(self, "ingress", release=r, webserver=self.webserver,
                                          flower=self.flower, settings=c.ingress)
        self.env_config_maps = self.instance.env_config_maps
        self.network_policies: NetworkPolicies | None = None
        if c.network_policies.enabled:
            self.network_policies = NetworkPolicies(self, "network-policies", release=r,
                                                    targets=self._network_targets(c))
        self.pod_disruption_budgets: PodDisruptionBudgets | None = None
        if c.pod_disruption_budgets is not None and c.pod_disruption_budgets.enabled:
            webservers = [self.webserver.service_name]
            if self.webserver.read_only_service_name:
                webservers.append(self.webserver.read_only_service_name)
            targets = list(zip(webservers, self.webserver.pod_selectors, strict=True))
            targets += [(d.deployment_name, d.pod_selector) for d in self.code_locations]
            if self.celery_workers is not None:
                targets += list(zip(self.celery_workers.deployment_names, self.celery_workers.pod_selectors,
                                    strict=True))
            self.pod_disruption_budgets = PodDisruptionBudgets(
                self, "pod-disruption-budgets", release=r, settings=c.pod_disruption_budgets, targets=targets)
        self.credential_secrets = self._credential_secrets()

    def _credential_secrets(self) -> dict[str, tuple[str, ...]]:
        """Secret name -> the keys the system's pods (and KEDA) read credentials from: the ones
        to create yourself with ``render_secrets=False`` (or that exist already)."""
        refs = [self.postgresql.connection.password_secret]
        if self.broker is not None:
            refs += self.broker.credential_keys
        keys: dict[str, set[str]] = {}
        for ref in refs:
            keys.setdefault(ref.name, set()).add(ref.key)
        if self.celery_secret is not None:
            keys.setdefault(self.celery_secret.name, set()).update((BROKER_URL_ENV, BACKEND_URL_ENV))
        return {name: tuple(sorted(keys[name])) for name in sorted(keys)}

    def _network_targets(self, c: DagsterSystemConfig) -> list[tuple[str, Mapping[str, str], list[int | str],
                                                                      list[dict[str, object]]]]:
        """Who may reach whom (the table of :mod:`constructs_lib.network_policies`)."""
        launcher_namespace = getattr(c.run_launcher, "job_namespace", None)
        own = chart_namespace(self)  # (no round trip while the chart is being built)
        runs = Peer(pod_selector=RUN_POD_SELECTOR,
                    namespace=launcher_namespace if launcher_namespace not in (None, own) else None).json()
        webservers = [Peer(pod_selector={"matchLabels": s}).json() for s in self.webserver.pod_selectors]
        daemon = [Peer(pod_selector={"matchLabels": self.daemon.pod_selector}).json()] if self.daemon else []
        workers = [Peer(pod_selector={"matchLabels": s}).json()
                   for s in (self.celery_workers.pod_selectors if self.celery_workers else [])]
        flower = [Peer(pod_selector={"matchLabels": self.flower.pod_selector}).json()] if self.flower else []
        locations = [Peer(pod_selector={"matchLabels": d.pod_selector}).json() for d in self.code_locations]
        migrate = [Peer(pod_selector={"matchLabels": self.migrate.pod_selector}).json()] if self.migrate else []
        public: list[dict[str, object]] = [{"podSelector": {}}]  # every pod of the namespace
        if c.network_policies.ingress_peers is not None:
            public += [dict(p) for p in c.network_policies.ingress_peers]
        elif c.ingress is not None:
            public.append({"namespaceSelector": {}})  # the Ingress controller, wherever it runs
        targets: list[tuple[str, Mapping[str, str], list[int | str], list[dict[str, object]]]] = []
        if isinstance(self.postgresql, PostgreSql):
            targets.append(("postgresql", self.postgresql.pod_selector, ["tcp-postgresql"],
                            [*webservers, *daemon, *workers, *locations, *migrate, runs]))
        if isinstance(self.broker, RabbitMq) or (isinstance(self.broker, Redis) and self.broker.pod_selector):
            assert self.broker.pod_selector is not None
            broker, port = ("rabbitmq", "amqp") if isinstance(self.broker, RabbitMq) else ("redis", "redis")
            keda = [KEDA_OPERATOR_PEER] if self.celery_workers is not None and self.celery_workers.autoscaler else []
            targets.append((broker, self.broker.pod_selector, [port],
                            [*workers, *flower, *webservers, *daemon, runs, *keda]))
        for d in self.code_locations:
            targets.append((f"code-location-{d.service_name}", d.pod_selector, ["grpc"],
                            [*webservers, *daemon, runs]))
        names = ["webserver", "webserver-read-only"]
        for name, selector in zip(names, self.webserver.pod_selectors, strict=False):
            targets.append((name, selector, ["http"], public))
        if self.flower is not None:
            targets.append(("flower", self.flower.pod_selector, ["flower"], public))
        if self.daemon is not None:
            targets.append(("daemon", self.daemon.pod_selector, [], []))
        if self.celery_workers is not None:
            for queue, selector in zip(self.celery_workers.queue_names, self.celery_workers.pod_selectors,
                                       strict=True):
                targets.append((f"celery-workers-{queue}", selector, [], []))
        if self.migrate is not None:
            targets.append(("migrate", self.migrate.pod_selector, [], []))
        return targets
