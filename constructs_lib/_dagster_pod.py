"""The pod base of every Dagster process: one place that makes a pod a Dagster instance.

Every Dagster container gets the instance's env (the database password), its component's env
ConfigMap (``DAGSTER_HOME`` and the env ``dagster.yaml`` reads), the Celery Secret under Celery
and ``dagster.yaml`` mounted; every pod waits for the database and runs as the instance's
ServiceAccount with its pull secrets. Containers and pod templates are then finished by
:func:`~.workload.build_container` / :func:`~.workload.build_pod_template` like every pod of
the library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._manifest import Json
from .dagster_instance import DagsterInstance
from .images import Image
from .workload import WorkloadOptions, build_container, build_init_container, build_pod_template

WORKSPACE_DIR = "/dagster-workspace"
_WORKSPACE_VOLUME = "dagster-workspace-yaml"


def db_wait_container(instance: DagsterInstance, options: WorkloadOptions) -> Json:
    """``check-db-ready``: ``pg_isready`` against the storage database until it answers."""
    pg = instance.postgres
    return build_init_container(
        name="check-db-ready", image=instance.db_wait_image, options=options,
        command=["sh", "-c", f"until pg_isready -h {pg.host} -p {pg.port} -U {pg.username}; "
                             "do echo waiting for database; sleep 2; done"])


def dagster_container(
    instance: DagsterInstance,
    *,
    component: str,
    name: str,
    image: Image,
    options: WorkloadOptions,
    command: Sequence[str] | None = None,
    args: Sequence[str] | None = None,
    env: Sequence[Json] = (),
    ports: Sequence[Json] = (),
    volume_mounts: Sequence[Json] = (),
    readiness_probe: Json | None = None,
    liveness_probe: Json | None = None,
) -> Json:
    """A container that loads ``instance``: its env, ``component``'s env ConfigMap, the Celery
    Secret and ``dagster.yaml`` come first, then the construct's own."""
    return build_container(
        name=name, image=image, options=options, command=command, args=args,
        env=[*instance.pod_env(), *env],
        env_from=instance.pod_env_from(component),
        ports=ports,
        volume_mounts=[instance.config_map.volume_mount(), *volume_mounts],
        readiness_probe=readiness_probe, liveness_probe=liveness_probe,
    )


def dagster_pod_template(
    instance: DagsterInstance,
    *,
    selector: Mapping[str, str],
    options: WorkloadOptions,
    containers: Sequence[Json],
    init_containers: Sequence[Json] = (),
    volumes: Sequence[Json] = (),
    loads_instance: bool = True,
    service_account_name: str | None = None,
    restart_policy: str | None = None,
    api_access: bool = True,
    listen_port: int | None = None,
) -> Json:
    """The pod template of a Dagster process of ``instance``.

    ``loads_instance``: the pod mounts ``dagster.yaml`` (then it first waits for the database).
    ``service_account_name``: @default the instance's. The token is mounted: Dagster processes
    launch runs (the K8s launchers read the in-cluster token when the instance is loaded).
    ``api_access`` / ``listen_port``: what the process needs under the security profile of
    ``options`` (:meth:`~.dagster_instance.DagsterInstance.process_needs`).
    """
    init = [db_wait_container(instance, options)] if loads_instance else []
    return build_pod_template(
        selector=selector, options=options, containers=containers,
        init_containers=[*init, *init_containers],
        volumes=[instance.config_map.volume(), *volumes] if loads_instance else list(volumes),
        service_account_name=service_account_name or instance.service_account_name,
        automount_service_account_token=True,
        restart_policy=restart_policy, image_pull_secrets=instance.image_pull_secrets,
        needs=instance.process_needs(api_access=api_access, listen_port=listen_port),
    )


def workspace_volume(config_map_name: str) -> Json:
    return {"name": _WORKSPACE_VOLUME, "configMap": {"name": config_map_name}}


def workspace_mount() -> Json:
    return {"name": _WORKSPACE_VOLUME, "mountPath": f"{WORKSPACE_DIR}/"}


def workspace_file(key: str) -> str:
    return f"{WORKSPACE_DIR}/{key}"
