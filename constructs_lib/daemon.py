"""The Dagster daemon: schedules, sensors, the run queue, run monitoring."""

from __future__ import annotations

from dataclasses import dataclass, field

from constructs import Construct

from ._checked import checked
from ._dagster_pod import dagster_container, dagster_pod_template, workspace_file, workspace_mount, workspace_volume
from .dagster_instance import DagsterInstance
from .errors import check_positive_int
from .images import Image, default_celery_k8s_image
from .workload import WorkloadOptions, add_deployment, env_value
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

    Args:
        instance: the Dagster instance the daemon loads (its pod is built from it).
        workspace: the workspace ConfigMap (mounted at ``/dagster-workspace/``).
        settings: @default :class:`DaemonSettings`

    Attributes:
        deployment_name, pod_selector.
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        instance: DagsterInstance,
        workspace: WorkspaceConfigMap,
        settings: DaemonSettings | None = None,
    ) -> None:
        super().__init__(scope, id)
        s = settings if settings is not None else DaemonSettings()
        release = instance.release
        self.deployment_name = release.daemon
        selector = release.selector(_COMPONENT, deployment="daemon")
        self.pod_selector = selector
        container = dagster_container(
            instance,
            component="daemon",
            name="dagster",
            image=s.image,
            options=s.options,
            command=["dagster-daemon", "run", "-w", workspace_file(workspace.key)],
            env=[env_value("DAGSTER_DAEMON_HEARTBEAT_TOLERANCE", str(s.heartbeat_tolerance))],
            volume_mounts=[workspace_mount()],
            # `liveness-check` reads the daemon's heartbeats from the instance's storage.
            # (importing Dagster alone takes seconds, tens of them on a busy node)
            liveness_probe={"exec": {"command": ["dagster-daemon", "liveness-check"]},
                            "initialDelaySeconds": 60, "periodSeconds": 60, "timeoutSeconds": 45,
                            "failureThreshold": 5},
            readiness_probe={"exec": {"command": ["dagster-daemon", "liveness-check"]},
                             "periodSeconds": 60, "timeoutSeconds": 45, "failureThreshold": 3},
        )
        template = dagster_pod_template(instance, selector=selector, options=s.options, containers=[container],
                                        volumes=[workspace_volume(workspace.name)])  # it launches runs
        add_deployment(self, "deployment", name=self.deployment_name,
                       labels=release.labels(_COMPONENT, deployment="daemon"), selector=selector,
                       replicas=1, strategy={"type": "Recreate"}, template=template, options=s.options)
