"""The handle every Dagster process of one system is built from.

:class:`DagsterInstance` holds what a Dagster pod needs to be a working instance: ``dagster.yaml``
(:class:`InstanceConfigMap`), the env ConfigMaps with ``DAGSTER_HOME`` and the env that
``dagster.yaml`` reads, the PostgreSQL connection, the Celery config Secret, the ServiceAccount,
the wait-for-database image and the image pull secrets. The webserver, the daemon, the Celery
workers, the migrate Job and the code locations take it as a required argument and build their
pods from it (``_dagster_pod.py``), so none of them can be placed in a chart without that wiring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from constructs import Construct

from ._checked import checked
from ._manifest import Json
from .celery_config_secret import CeleryConfigSecret
from .connections import PostgresConnection
from .env_config_map import EnvConfigMap
from .errors import ConfigError, check_dns1123_label, check_dns1123_subdomain
from .images import Image, default_postgres_image, default_user_code_image
from .instance_config import InstanceSettings, RunLauncher
from .instance_config_map import (
    DEFAULT_DAGSTER_HOME,
    PIPELINE_RUN_ENV_CONFIGMAP_ENV,
    RUN_NAMESPACE_ENV,
    InstanceConfigMap,
)
from .naming import DEFAULT_RELEASE, Release
from .run_launcher_rbac import RunLauncherRbac
from .security_profile import ProcessNeeds
from .workload import env_from_config_map

__all__ = ["DEFAULT_COMPONENTS", "DagsterInstance"]

#: Components whose env ConfigMap every instance writes (``pipeline`` is the one launched runs load).
DEFAULT_COMPONENTS = ("webserver", "daemon", "pipeline")


class DagsterInstance(Construct):
    """One Dagster instance: ``dagster.yaml`` and everything a pod needs to load it.

    Writes ConfigMap ``<fullname>-instance`` (``dagster.yaml``) and the env ConfigMaps
    ``<fullname>-webserver-env``, ``-daemon-env`` and ``-pipeline-env`` (``DAGSTER_HOME``, the
    runs' namespace, image and env ConfigMap); others (``celery-worker``, ``flower``) when a
    construct asks for them with :meth:`env_config_map`.

    Args:
        release: names. @default release ``dagster``
        postgres: the storage (``PostgreSql.connection``, ``ExternalPostgreSql.connection`` or
            your own :class:`PostgresConnection`).
        run_launcher: @default :class:`CeleryK8sRunLauncher` (then ``celery_secret`` is required)
        settings: scheduler, run coordinator, compute logs ... @default :class:`InstanceSettings`
        dagster_home: ``DAGSTER_HOME`` of every pod. @default ``/opt/dagster/dagster_home``
        job_namespace: where runs are launched. @default the run launcher's ``job_namespace``;
            else under :class:`K8sRunLauncher` the namespace the pods run in (read from their
            own ``metadata.namespace``, so runs follow ``kubectl apply -n`` and kustomize
            overlays); else the chart's namespace, else ``default``
        rbac: the identity of the pods and of launched runs. @default none
        service_account_name: an existing ServiceAccount instead of ``rbac``. @default none
            (neither: pods run as the namespace's ``default`` ServiceAccount)
        celery_secret: the Celery config Secret (broker and backend URLs). Required by a Celery
            run launcher.
        pipeline_run_image: default image of launched runs. @default Dagster's example
        pipeline_run_env: extra env of launched runs (the pipeline env ConfigMap). @default none
        db_wait_image: image with ``pg_isready`` for the wait-for-database init containers.
            @default the pinned ``postgres`` image
        image_pull_secrets: of every pod, and of launched runs (before the launcher's own).
            @default none
        components: whose env ConfigMaps to write now, in this order (others are written when
            a construct asks). @default ``webserver``, ``daemon``, ``pipeline``

    Attributes:
        config_map: the :class:`InstanceConfigMap`.
        release, postgres, run_launcher, celery_secret, dagster_home, service_account_name,
        pipeline_run_image, db_wait_image, image_pull_secrets.
        job_namespace: the namespace runs are launched in, ``None`` for the pods' own.
        base_env: the env every component's env ConfigMap holds.
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        release: Release = DEFAULT_RELEASE,
        postgres: PostgresConnection,
        run_launcher: RunLauncher | None = None,
        settings: InstanceSettings | None = None,
        dagster_home: str = DEFAULT_DAGSTER_HOME,
        job_namespace: str | None = None,
        rbac: RunLauncherRbac | None = None,
        service_account_name: str | None = None,
        celery_secret: CeleryConfigSecret | None = None,
        pipeline_run_image: Image | None = None,
        pipeline_run_env: Mapping[str, str] | None = None,
        db_wait_image: Image | None = None,
        image_pull_secrets: Sequence[str] = (),
        components: Sequence[str] = DEFAULT_COMPONENTS,
    ) -> None:
        super().__init__(scope, id)
        if not isinstance(postgres, PostgresConnection):
            raise ConfigError("DagsterInstance.postgres", postgres,
                              "a PostgresConnection (e.g. PostgreSql(...).connection)")
        if rbac is not None and service_account_name is not None:
            raise ConfigError("DagsterInstance.service_account_name", service_account_name,
                              "None when rbac is given (the pods use rbac's ServiceAccount)")
        if service_account_name is not None:
            check_dns1123_subdomain("DagsterInstance.service_account_name", service_account_name)
        if isinstance(image_pull_secrets, str):
            raise ConfigError("DagsterInstance.image_pull_secrets", image_pull_secrets, "a list of Secret names")
        for index, name in enumerate(image_pull_secrets):
            check_dns1123_subdomain(f"DagsterInstance.image_pull_secrets[{index}]", name)
        if job_namespace is not None:
            check_dns1123_label("DagsterInstance.job_namespace", job_namespace)
        self.release = release
        self.rbac = rbac
        self.service_account_name = rbac.service_account_name if rbac is not None else service_account_name
        self.pipeline_run_image = pipeline_run_image if pipeline_run_image is not None else default_user_code_image()
        self.db_wait_image = db_wait_image if db_wait_image is not None else default_postgres_image()
        self.image_pull_secrets = tuple(image_pull_secrets)
        self.config_map = InstanceConfigMap(
            self, "instance", release=release, postgres=postgres, run_launcher=run_launcher, settings=settings,
            dagster_home=dagster_home, namespace=job_namespace, service_account_name=self.service_account_name,
            celery_secret=celery_secret, run_image_pull_policy=self.pipeline_run_image.pull_policy,
            image_pull_secrets=self.image_pull_secrets)
        self.postgres = postgres
        self.run_launcher = self.config_map.run_launcher
        self.celery_secret = self.config_map.celery_secret
        self.dagster_home = self.config_map.dagster_home
        self.job_namespace = self.config_map.job_namespace
        # Without an explicit job namespace every pod sets it from its own namespace (pod_env).
        namespace = {RUN_NAMESPACE_ENV: self.job_namespace} if self.job_namespace is not None else {}
        self.base_env: dict[str, str] = {
            "DAGSTER_HOME": self.dagster_home,
            **namespace,
            PIPELINE_RUN_ENV_CONFIGMAP_ENV: release.env_config_map("pipeline"),
            "DAGSTER_K8S_PIPELINE_RUN_IMAGE": self.pipeline_run_image.ref,
            "DAGSTER_K8S_PIPELINE_RUN_IMAGE_PULL_POLICY": self.pipeline_run_image.pull_policy,
        }
        self._env_config_maps: dict[str, tuple[EnvConfigMap, dict[str, str]]] = {}
        self._user_code_env: EnvConfigMap | None = None
        for component in components:
            self.env_config_map(component, pipeline_run_env if component == "pipeline" else None)

    @property
    def env_config_maps(self) -> dict[str, EnvConfigMap]:
        """The env ConfigMaps written so far, by component."""
        return {name: config_map for name, (config_map, _) in self._env_config_maps.items()}

    def env_config_map(self, component: str, extra_env: Mapping[str, str] | None = None) -> EnvConfigMap:
        """ConfigMap ``<fullname>-<component>-env``: :attr:`base_env` plus ``extra_env``,
        written on the first call (a later call must not ask for other extra env)."""
        check_dns1123_label("DagsterInstance.env_config_map.component", component)
        extra = dict(extra_env or {})
        if component in self._env_config_maps:
            config_map, first = self._env_config_maps[component]
            if extra and extra != first:
                raise ConfigError(f"DagsterInstance.env_config_map({component}).extra_env", extra,
                                  f"the extra env it was first written with ({first}) or none")
            return config_map
        for key in extra:
            if key in self.base_env:
                raise ConfigError(f"DagsterInstance.env_config_map({component}).extra_env.{key}", extra[key],
                                  "a variable the instance does not already set")
        config_map = EnvConfigMap(self, f"{component}-env", name=self.release.env_config_map(component),
                                  labels=self.release.labels(), data={**self.base_env, **extra})
        self._env_config_maps[component] = (config_map, extra)
        return config_map

    def user_code_env_config_map(self, scope: Construct) -> EnvConfigMap:
        """ConfigMap ``<fullname>-user-deployments-shared-env`` every code location loads
        (``DAGSTER_HOME``, the runs' namespace and env ConfigMap), written on the first call,
        in ``scope`` (next to the first code location)."""
        if self._user_code_env is None:
            keys = ("DAGSTER_HOME", RUN_NAMESPACE_ENV, PIPELINE_RUN_ENV_CONFIGMAP_ENV)
            self._user_code_env = EnvConfigMap(
                scope, "user-code-shared-env", name=self.release.user_code_shared_env_config_map,
                labels=self.release.labels(app="dagster-user-deployments"),
                data={k: self.base_env[k] for k in keys if k in self.base_env})
        return self._user_code_env

    # ---- what a pod needs to be this instance (used by _dagster_pod.py) ------------------------
    def process_needs(self, *, api_access: bool, listen_port: int | None = None) -> ProcessNeeds:
        """A Dagster process of this instance (for the security profiles): Dagster's images
        define no non-root user (the profiles run it as ``NON_ROOT_UID``); it writes
        ``DAGSTER_HOME`` (local storage, compute logs, telemetry), ``/tmp`` and ``~/.dagster``
        (the user-level telemetry id; ``HOME`` is ``DAGSTER_HOME``)."""
        return ProcessNeeds(writable_paths=(self.dagster_home, "/tmp"), home=self.dagster_home,
                            api_access=api_access,
                            listen_port=listen_port, requests={"cpu": "100m", "memory": "256Mi"},
                            limits={"cpu": "1", "memory": "2Gi"})

    def pod_env(self) -> list[Json]:
        """Env every pod of this instance sets itself (the database password)."""
        return self.config_map.pod_env()

    def pod_env_from(self, component: str) -> list[Json]:
        """``envFrom`` of a pod of ``component``: its env ConfigMap, then the Celery Secret."""
        return [env_from_config_map(self.env_config_map(component).name), *self.config_map.pod_env_from()]
