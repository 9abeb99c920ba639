"""A Job that runs ``dagster instance migrate`` against the instance's storage."""

from __future__ import annotations

from dataclasses import dataclass, field

from constructs import Construct

from ._checked import checked
from ._dagster_pod import dagster_container, dagster_pod_template
from ._manifest import manifest
from .dagster_instance import DagsterInstance
from .errors import check_non_negative_int
from .images import Image, default_celery_k8s_image
from .naming import with_content_hash
from .workload import WorkloadOptions

__all__ = ["MigrateJob", "MigrateSettings"]

_COMPONENT = "migrate"


@dataclass(frozen=True, kw_only=True)
class MigrateSettings:
    """The schema-migration Job.

    Args:
        image: @default ``docker.io/dagster/dagster-celery-k8s`` at the pinned version
        backoff_limit: retries of the Job. @default 3
        ttl_seconds_after_finished: delete the finished Job after this long; ``None`` keeps
            it (GitOps tools that re-create deleted objects: see the README). @default 86400
        options: workload settings. @default none
    """

    image: Image = field(default_factory=default_celery_k8s_image)
    backoff_limit: int = 3
    ttl_seconds_after_finished: int | None = 86400
    options: WorkloadOptions = field(default_factory=WorkloadOptions)

    def __post_init__(self) -> None:
        check_non_negative_int("MigrateSettings.backoff_limit", self.backoff_limit)
        if self.ttl_seconds_after_finished is not None:
            check_non_negative_int("MigrateSettings.ttl_seconds_after_finished",
                                   self.ttl_seconds_after_finished)


class MigrateJob(Construct):
    """Job ``<fullname>-instance-migrate-<hash>``.

    The name ends in a hash of the Job's spec: a Job's pod template is immutable, so a changed
    Job (a new image, say) is a new Job that ``kubectl apply`` creates and runs, while an
    unchanged one is left as it is. The name stays within 63 characters for long release names.

    Args:
        instance: the Dagster instance whose storage is migrated (the pod is built from it;
            ``dagster instance migrate`` loads the whole instance, run launcher included, and
            the K8s launchers read the in-cluster ServiceAccount token when they are built).
        settings: @default :class:`MigrateSettings`

    Attributes:
        job_name, pod_selector.
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        instance: DagsterInstance,
        settings: MigrateSettings | None = None,
    ) -> None:
        super().__init__(scope, id)
        s = settings if settings is not None else MigrateSettings()
        release = instance.release
        self.pod_selector = release.selector(_COMPONENT)
        container = dagster_container(
            instance,
            component="webserver",
            name="dagster-instance-migrate",
            image=s.image,
            options=s.options,
            command=["dagster", "instance", "migrate"],
        )
        template = dagster_pod_template(instance, selector=self.pod_selector, options=s.options,
                                        containers=[container], restart_policy="Never")
        spec = {"backoffLimit": s.backoff_limit, "template": template}
        if s.ttl_seconds_after_finished is not None:
            spec["ttlSecondsAfterFinished"] = s.ttl_seconds_after_finished
        self.job_name = with_content_hash(release.migrate_job, spec)
        manifest(self, "job", "Job", name=self.job_name,
                 labels={**release.labels(_COMPONENT), **s.options.workload_labels},
                 annotations=s.options.workload_annotations or None, body={"spec": spec})
