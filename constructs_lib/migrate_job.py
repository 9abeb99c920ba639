"""A Job that runs ``dagster instance migrate`` against the instance's storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from constructs import Construct

from ._dagster_pod import dagster_needs, db_wait_container, system_env_from
from ._manifest import manifest
from .env_config_map import EnvConfigMap
from .errors import check_non_negative_int
from .images import Image, default_celery_k8s_image, default_postgres_image
from .instance_config_map import InstanceConfigMap
from .naming import DEFAULT_RELEASE, Release
from .workload import WorkloadOptions, build_container, build_pod_template

__all__ = ["MigrateJob", "MigrateSettings"]

_COMPONENT = "migrate"


@dataclass(frozen=True, kw_only=True)
class MigrateSettings:
    """The schema-migration Job.

    Args:
        image: @default ``docker.io/dagster/dagster-celery-k8s`` at the pinned version
        backoff_limit: retries of the Job. @default 3
        ttl_seconds_after_finished: delete the finished Job after this long, so the next
            ``kubectl apply`` runs it again (Jobs are immutable). @default none (kept)
        options: workload settings. @default none
    """

    image: Image = field(default_factory=default_celery_k8s_image)
    backoff_limit: int = 3
    ttl_seconds_after_finished: int | None = None
    options: WorkloadOptions = field(default_factory=WorkloadOptions)

    def __post_init__(self) -> None:
        check_non_negative_int("MigrateSettings.backoff_limit", self.backoff_limit)
        if self.ttl_seconds_after_finished is not None:
            check_non_negative_int("MigrateSettings.ttl_seconds_after_finished",
                                   self.ttl_seconds_after_finished)


class MigrateJob(Construct):
    """Job ``<fullname>-instance-migrate``.

    Args:
        service_account_name: the pods' ServiceAccount: the run launcher the instance builds
            reads its token. @default none

    Attributes:
        job_name, pod_selector.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        release: Release = DEFAULT_RELEASE,
        instance: InstanceConfigMap,
        env_config_map: EnvConfigMap | None = None,
        service_account_name: str | None = None,
        settings: MigrateSettings | None = None,
        db_wait_image: Image | None = None,
        image_pull_secrets: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, id)
        s = settings if settings is not None else MigrateSettings()
        self.job_name = release.migrate_job
        self.pod_selector = release.selector(_COMPONENT)
        container = build_container(
            name="dagster-instance-migrate",
            image=s.image,
            options=s.options,
            command=["dagster", "instance", "migrate"],
            env=instance.pod_env(),
            env_from=system_env_from(instance, env_config_map),
            volume_mounts=[instance.volume_mount()],
        )
        wait_image = db_wait_image if db_wait_image is not None else default_postgres_image()
        template = build_pod_template(
            selector=self.pod_selector, options=s.options, containers=[container],
            init_containers=[db_wait_container(instance, wait_image, s.options)],
            volumes=[instance.volume()],
            # `dagster instance migrate` loads the whole instance, run launcher included, and the
            # K8s launchers read the in-cluster ServiceAccount token when they are built.
            service_account_name=service_account_name, automount_service_account_token=True,
            restart_policy="Never", image_pull_secrets=image_pull_secrets,
            needs=dagster_needs(instance.dagster_home, api_access=True),
        )
        spec = {"backoffLimit": s.backoff_limit, "template": template}
        if s.ttl_seconds_after_finished is not None:
            spec["ttlSecondsAfterFinished"] = s.ttl_seconds_after_finished
        manifest(self, "job", "Job", name=self.job_name,
                 labels={**release.labels(_COMPONENT), **s.options.workload_labels},
                 annotations=s.options.workload_annotations or None, body={"spec": spec})
