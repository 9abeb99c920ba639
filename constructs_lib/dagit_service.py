"""The Dagster webserver (Dagit): Deployment + Service, and an optional read-only twin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from constructs import Construct

from ._checked import checked
from ._dagster_pod import dagster_container, dagster_pod_template, workspace_file, workspace_mount, workspace_volume
from .apiserver import check_annotations
from .dagster_instance import DagsterInstance
from .errors import ConfigError, check_non_negative_int, check_one_of, check_port, check_positive_int
from .images import Image, default_celery_k8s_image
from .workload import SERVICE_TYPES, WorkloadOptions, add_deployment, add_service
from .workspace_config_map import WorkspaceConfigMap

__all__ = ["LOG_LEVELS", "DagitService", "WebserverSettings"]

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
_COMPONENT = "dagster-webserver"


@dataclass(frozen=True, kw_only=True)
class WebserverSettings:
    """The webserver.

    Args:
        image: @default ``docker.io/dagster/dagster-celery-k8s`` at the pinned version
        replicas: @default 1
        port: container and Service port. @default 80
        path_prefix: serve under this path, e.g. ``/dagster``. @default none
        log_level: one of ``critical error warning info debug trace``. @default Dagster's
        db_statement_timeout: milliseconds. @default Dagster's
        db_pool_recycle: seconds. @default Dagster's
        read_only: also deploy a read-only webserver (Deployment + Service). @default ``False``
        legacy_dagit_command: run ``dagit`` (the seed era's name) instead of
            ``dagster-webserver``. @default ``False``
        service_type / service_annotations: of the Service(s). @default ``ClusterIP``
        options: workload settings. @default none
    """

    image: Image = field(default_factory=default_celery_k8s_image)
    replicas: int = 1
    port: int = 80
    path_prefix: str | None = None
    log_level: str | None = None
    db_statement_timeout: int | None = None
    db_pool_recycle: int | None = None
    read_only: bool = False
    legacy_dagit_command: bool = False
    service_type: str = "ClusterIP"
    service_annotations: Mapping[str, str] = field(default_factory=dict)
    options: WorkloadOptions = field(default_factory=WorkloadOptions)

    def __post_init__(self) -> None:
        check_non_negative_int("WebserverSettings.replicas", self.replicas)
        check_port("WebserverSettings.port", self.port)
        if self.path_prefix is not None and (
            not isinstance(self.path_prefix, str) or not self.path_prefix.startswith("/")
            or self.path_prefix.endswith("/") or any(c.isspace() for c in self.path_prefix)
        ):
            raise ConfigError("WebserverSettings.path_prefix", self.path_prefix,
                              "a path starting with '/' and not ending with '/', e.g. '/dagster'")
        if self.log_level is not None:
            check_one_of("WebserverSettings.log_level", self.log_level, LOG_LEVELS)
        if self.db_statement_timeout is not None:
            check_positive_int("WebserverSettings.db_statement_timeout", self.db_statement_timeout)
        if self.db_pool_recycle is not None:
            check_positive_int("WebserverSettings.db_pool_recycle", self.db_pool_recycle)
        check_one_of("WebserverSettings.service_type", self.service_type, SERVICE_TYPES)
        check_annotations("WebserverSettings.service_annotations", self.service_annotations)


class DagitService(Construct):
    """Webserver Deployment ``<fullname>-dagster-webserver`` and its Service.

    Args:
        instance: the Dagster instance the webserver loads (its pods are built from it).
        workspace: the workspace ConfigMap (mounted at ``/dagster-workspace/``).
        settings: @default :class:`WebserverSettings`

    Attributes:
        service_name / port: the webserver Service.
        read_only_service_name: the read-only Service, or ``None``.
        path_prefix: the path the UI is served under (``""`` for the root).
        pod_selectors: labels selecting the webserver's pods (and the read-only twin's).
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        instance: DagsterInstance,
        workspace: WorkspaceConfigMap,
        settings: WebserverSettings | None = None,
    ) -> None:
        super().__init__(scope, id)
        s = settings if settings is not None else WebserverSettings()
        release = instance.release
        self.settings = s
        self.port = s.port
        # Non-root (hardened) cannot bind a port below 1024: the container listens on 8080 and
        # the Service keeps the configured port.
        self.container_port = 8080 if s.options.profile == "hardened" and s.port < 1024 else s.port
        self.path_prefix = s.path_prefix or ""
        self.service_name = release.webserver
        self.read_only_service_name = release.webserver_read_only if s.read_only else None
        self.pod_selectors: list[dict[str, str]] = []
        self._add(instance, workspace, read_only=False)
        if s.read_only:
            self._add(instance, workspace, read_only=True)

    def command(self, workspace: WorkspaceConfigMap, *, read_only: bool = False) -> list[str]:
        s = self.settings
        command = ["dagit" if s.legacy_dagit_command else "dagster-webserver",
                   "-h", "0.0.0.0", "-p", str(self.container_port), "-w", workspace_file(workspace.key)]
        # The official chart's flag order.
        if s.db_statement_timeout is not None:
            command += ["--db-statement-timeout", str(s.db_statement_timeout)]
        if s.db_pool_recycle is not None:
            command += ["--db-pool-recycle", str(s.db_pool_recycle)]
        if s.path_prefix:
            command += ["--path-prefix", s.path_prefix]
        if s.log_level:
            command += ["--log-level", s.log_level]
        if read_only:
            command.append("--read-only")
        return command

    def _add(self, instance: DagsterInstance, workspace: WorkspaceConfigMap, *, read_only: bool) -> None:
        s = self.settings
        release = instance.release
        component = f"{_COMPONENT}-read-only" if read_only else _COMPONENT
        name = release.webserver_read_only if read_only else release.webserver
        suffix = "-read-only" if read_only else ""
        selector = release.selector(component)
        self.pod_selectors.append(selector)
        labels = release.labels(component)
        container = dagster_container(
            instance,
            component="webserver",
            name="dagster",
            image=s.image,
            options=s.options,
            command=self.command(workspace, read_only=read_only),
            ports=[{"name": "http", "containerPort": self.container_port, "protocol": "TCP"}],
            volume_mounts=[workspace_mount()],
            readiness_probe={
                "httpGet": {"path": f"{self.path_prefix}/server_info", "port": "http"},
                "periodSeconds": 20, "timeoutSeconds": 10, "successThreshold": 1, "failureThreshold": 3,
            },
            liveness_probe={
                "httpGet": {"path": f"{self.path_prefix}/server_info", "port": "http"},
                "initialDelaySeconds": 30, "periodSeconds": 20, "timeoutSeconds": 10, "failureThreshold": 6,
            },
        )
        # It launches runs (without a queued coordinator) and terminates them.
        template = dagster_pod_template(instance, selector=selector, options=s.options, containers=[container],
                                        volumes=[workspace_volume(workspace.name)],
                                        listen_port=self.container_port)
        add_deployment(self, f"deployment{suffix}", name=name, labels=labels, selector=selector,
                       replicas=s.replicas, template=template, options=s.options)
        add_service(self, f"service{suffix}", name=name, labels=labels, selector=selector,
                    ports=[{"name": "http", "port": s.port, "targetPort": "http", "protocol": "TCP"}],
                    service_type=s.service_type, annotations=s.service_annotations)
