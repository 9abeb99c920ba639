"""The Dagster daemon: schedules, sensors, the run queue, run monitoring."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from constructs import Construct

from ._dagster_pod import (
    dagster_needs,
    db_wait_container,
    system_env_from,
    workspace_file,
    workspace_mount,
    workspace_volume,
)
from .env_config_map import EnvConfigMap
from .errors import check_positive_int
from .images import Image, default_celery_k8s_image, default_postgres_image
from .instance_config_map import InstanceConfigMap
from .naming import DEFAULT_RELEASE, Release
from .workload import WorkloadOptions, add_deployment, build_container, build_pod_template, env_value
from .workspace_config_map import WorkspaceConfigMap

__all__ = ["DaemonSettings", "DagsterDaemon"]

_COMPONENT = "dagster-daemon"


@dataclass(frozen=True, kw_only=True)
class DaemonSettings:
    """The daemon (always exactly one replica: Dagster requires a single daemon).

    Args:
        image: @default ``docker.io/dagster/dagster-celery-k8s`` at the pinned version
        heartbeat_tolerance: seconds before a silent daemon counts as dead
            (``DAGSTER_DAEMON_HEARTBEAT_TOLERANCE``). @default 1800
        options: workload settings. @default none
    """

    image: Image = field(default_factory=default_celery_k8s_image)
    heartbeat_tolerance: int = 1800
    options: WorkloadOptions = field(default_factory=WorkloadOptions)

    def __post_init__(self) -> None:
        check_positive_int("DaemonSettings.heartbeat_tolerance", self.heartbeat_tolerance)


class DagsterDaemon(Construct):
    """Deployment ``<fullname>-daemon``: one replica, ``Recreate`` so two never overlap.

    Attributes:
        deployment_name, pod_selector.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        release: Release = DEFAULT_RELEASE,
        instance: InstanceConfigMap,
        workspace: WorkspaceConfigMap,
        env_config_map: EnvConfigMap | None = None,
        service_account_name: str | None = None,
        settings: DaemonSettings | None = None,
        db_wait_image: Image | None = None,
        image_pull_secrets: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, id)
        s = settings if settings is not None else DaemonSettings()
        self.deployment_name = release.daemon
        selector = release.selector(_COMPONENT, deployment="daemon")
        self.pod_selector = selector
        container = build_container(
            name="dagster",
            image=s.image,
            options=s.options,
            command=["dagster-daemon", "run", "-w", workspace_file(workspace.key)],
            env=[*instance.pod_env(),
                 env_value("DAGSTER_DAEMON_HEARTBEAT_TOLERANCE", str(s.heartbeat_tolerance))],
            env_from=system_env_from(instance, env_config_map),
            volume_mounts=[instance.volume_mount(), workspace_mount()],
            # `liveness-check` reads the daemon's heartbeats from the instance's storage.
            # (importing Dagster alone takes seconds, tens of them on a busy node)
            liveness_probe={"exec": {"command": ["dagster-daemon", "liveness-check"]},
                            "initialDelaySeconds": 60, "periodSeconds": 60, "timeoutSeconds": 45,
                            "failureThreshold": 5},
            readiness_probe={"exec": {"command": ["dagster-daemon", "liveness-check"]},
                             "periodSeconds": 60, "timeoutSeconds": 45, "failureThreshold": 3},
        )
        wait_image = db_wait_image if db_wait_image is not None else default_postgres_image()
        template = build_pod_template(
            selector=selector, options=s.options, containers=[container],
            init_containers=[db_wait_container(instance, wait_image, s.options)],
            volumes=[instance.volume(), workspace_volume(workspace.name)],
            service_account_name=service_account_name, automount_service_account_token=True,
            image_pull_secrets=image_pull_secrets,
            needs=dagster_needs(instance.dagster_home, api_access=True),  # it launches runs
        )
        add_deployment(self, "deployment", name=self.deployment_name,
                       labels=release.labels(_COMPONENT, deployment="daemon"), selector=selector,
                       replicas=1, strategy={"type": "Recreate"}, template=template, options=s.options)
