"""Flower: a web UI and API over the Celery workers and queues."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from constructs import Construct

from ._checked import checked
from .apiserver import check_annotations
from .celery_config_secret import BACKEND_URL_ENV, BROKER_URL_ENV, CeleryConfigSecret
from .env_config_map import EnvConfigMap
from .errors import check_one_of, check_port
from .images import Image, default_flower_image
from .naming import DEFAULT_RELEASE, Release
from .security_profile import ProcessNeeds
from .workload import (
    SERVICE_TYPES,
    SecretKeyRef,
    WorkloadOptions,
    add_deployment,
    add_service,
    build_container,
    build_pod_template,
    env_from_config_map,
)

__all__ = ["FlowerService", "FlowerSettings"]

_COMPONENT = "flower"


@dataclass(frozen=True, kw_only=True)
class FlowerSettings:
    """Flower.

    Args:
        image: @default ``docker.io/mher/flower`` (pinned)
        port: container and Service port. @default 5555
        service_type / service_annotations: @default ``ClusterIP``
        options: workload settings. @default none
    """

    image: Image = field(default_factory=default_flower_image)
    port: int = 5555
    service_type: str = "ClusterIP"
    service_annotations: Mapping[str, str] = field(default_factory=dict)
    options: WorkloadOptions = field(default_factory=WorkloadOptions)

    def __post_init__(self) -> None:
        check_port("FlowerSettings.port", self.port)
        check_one_of("FlowerSettings.service_type", self.service_type, SERVICE_TYPES)
        check_annotations("FlowerSettings.service_annotations", self.service_annotations)


class FlowerService(Construct):
    """Deployment ``<fullname>-flower`` and Service ``<fullname>-flower-service``.

    Args:
        celery_secret: where Flower reads the broker and backend URLs.
        env_config_map: loaded with ``envFrom``. @default none

    Attributes:
        service_name / port, pod_selector.
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        release: Release = DEFAULT_RELEASE,
        celery_secret: CeleryConfigSecret,
        env_config_map: EnvConfigMap | None = None,
        settings: FlowerSettings | None = None,
        image_pull_secrets: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, id)
        s = settings if settings is not None else FlowerSettings()
        self.service_name = release.flower_service
        self.port = s.port
        selector = release.selector(_COMPONENT)
        self.pod_selector = selector
        labels = release.labels(_COMPONENT)
        tcp = {"tcpSocket": {"port": "flower"}}
        needs = ProcessNeeds(listen_port=s.port, requests={"cpu": "50m", "memory": "128Mi"},
                             limits={"cpu": "500m", "memory": "512Mi"})
        container = build_container(
            name="flower",
            image=s.image,
            options=s.options,
            command=["celery", "flower", f"--port={s.port}"],
            env=[SecretKeyRef(name=celery_secret.name, key=BROKER_URL_ENV).env("CELERY_BROKER_URL"),
                 SecretKeyRef(name=celery_secret.name, key=BACKEND_URL_ENV).env("CELERY_RESULT_BACKEND")],
            env_from=[env_from_config_map(env_config_map.name)] if env_config_map else [],
            ports=[{"name": "flower", "containerPort": s.port, "protocol": "TCP"}],
            readiness_probe={**tcp, "periodSeconds": 10, "failureThreshold": 3},
            liveness_probe={**tcp, "periodSeconds": 20, "failureThreshold": 3},
            startup_probe={**tcp, "periodSeconds": 10, "failureThreshold": 6},
        )
        template = build_pod_template(selector=selector, options=s.options, containers=[container],
                                      automount_service_account_token=False,
                                      image_pull_secrets=image_pull_secrets, needs=needs)
        add_deployment(self, "deployment", name=release.flower, labels=labels, selector=selector,
                       replicas=1, template=template, options=s.options)
        add_service(self, "service", name=self.service_name, labels=labels, selector=selector,
                    ports=[{"name": "flower", "port": s.port, "targetPort": "flower", "protocol": "TCP"}],
                    service_type=s.service_type, annotations=s.service_annotations)
