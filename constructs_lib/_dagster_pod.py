"""What every Dagster system pod shares: the instance mount, its env, and waiting for the DB."""

from __future__ import annotations

from ._manifest import Json
from .env_config_map import EnvConfigMap
from .images import Image
from .instance_config_map import InstanceConfigMap
from .security_profile import ProcessNeeds
from .workload import WorkloadOptions, env_from_config_map

WORKSPACE_DIR = "/dagster-workspace"
_WORKSPACE_VOLUME = "dagster-workspace-yaml"


def system_env_from(instance: InstanceConfigMap, env_config_map: EnvConfigMap | None) -> list[Json]:
    refs = [env_from_config_map(env_config_map.name)] if env_config_map is not None else []
    return [*refs, *instance.pod_env_from()]


def db_wait_container(instance: InstanceConfigMap, image: Image, options: WorkloadOptions) -> Json:
    """``check-db-ready``: ``pg_isready`` against the storage database until it answers."""
    pg = instance.postgres
    container: Json = {
        "name": "check-db-ready",
        "image": image.ref,
        "imagePullPolicy": image.pull_policy,
        "command": [
            "sh", "-c",
            f"until pg_isready -h {pg.host} -p {pg.port} -U {pg.username}; "
            "do echo waiting for database; sleep 2; done",
        ],
    }
    if options.init_container_resources:
        container["resources"] = dict(options.init_container_resources)
    if options.security_context:
        container["securityContext"] = dict(options.security_context)
    return container


def dagster_needs(dagster_home: str, *, api_access: bool, listen_port: int | None = None) -> ProcessNeeds:
    """A Dagster process: root in Dagster's images; writes ``DAGSTER_HOME`` (local storage,
    compute logs, telemetry) and ``/tmp``."""
    return ProcessNeeds(writable_paths=(dagster_home, "/tmp"), api_access=api_access, listen_port=listen_port,
                        requests={"cpu": "100m", "memory": "256Mi"}, limits={"cpu": "1", "memory": "2Gi"})


def workspace_volume(config_map_name: str) -> Json:
    return {"name": _WORKSPACE_VOLUME, "configMap": {"name": config_map_name}}


def workspace_mount() -> Json:
    return {"name": _WORKSPACE_VOLUME, "mountPath": f"{WORKSPACE_DIR}/"}


def workspace_file(key: str) -> str:
    return f"{WORKSPACE_DIR}/{key}"

