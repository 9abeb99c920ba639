"""The Dagster instance: ``dagster.yaml`` in a ConfigMap, and how a pod mounts it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from constructs import Construct

from ._checked import checked
from ._manifest import Json, chart_namespace, manifest
from .celery_config_secret import BACKEND_URL_ENV, BROKER_URL_ENV, CeleryConfigSecret
from .connections import PG_PASSWORD_ENV, PG_PASSWORD_SECRET_KEY, PostgresConnection
from .errors import ConfigError, check_dns1123_label
from .instance_config import (
    CeleryK8sRunLauncher,
    CustomRunLauncher,
    InstanceSettings,
    K8sRunLauncher,
    RunLauncher,
    launcher_common_config,
)
from .naming import DEFAULT_RELEASE, Release
from .workload import env_from_secret

__all__ = ["DEFAULT_DAGSTER_HOME", "PIPELINE_RUN_ENV_CONFIGMAP_ENV", "RUN_NAMESPACE_ENV", "InstanceConfigMap",
           "dump_yaml"]

DEFAULT_DAGSTER_HOME = "/opt/dagster/dagster_home"
#: Env var (set by the system's env ConfigMaps) naming the ConfigMap launched runs load.
PIPELINE_RUN_ENV_CONFIGMAP_ENV = "DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP"
#: Env var holding the namespace launched runs go to (Dagster's own convention).
RUN_NAMESPACE_ENV = "DAGSTER_K8S_PIPELINE_RUN_NAMESPACE"
_KEY = "dagster.yaml"
_VOLUME = "dagster-instance"
#: libyaml's emitter where PyYAML was built with it: the same bytes as the pure-Python one
#: for what the constructs write (block style, plain/quoted scalars), several times faster.
_SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_yaml(data: Any) -> str:
    """Block-style YAML with sorted keys (the same input in any order gives the same bytes):
    the one YAML writer for generated files."""
    key = repr(data) if _plain(data) else None  # (plain data: its repr says exactly what it is)
    if key is not None:
        text = _dumped.get(key)
        if text is not None:
            return text
    text = yaml.dump(data, Dumper=_SafeDumper, sort_keys=True, default_flow_style=False, width=1000)
    if key is not None:
        if len(_dumped) >= _DUMPED_MAX:
            _dumped.clear()
        _dumped[key] = text
    return text


#: The YAML of plain data dumped before (a Celery queue's ``celery.yaml`` is the same for every
#: queue of the same settings), by the data's ``repr``; bounded.
_dumped: dict[str, str] = {}
_DUMPED_MAX = 256
_SCALARS = (str, int, float, bool, type(None))


def _plain(data: Any) -> bool:
    """Whether ``data`` is built only of ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` and
    ``None`` (exactly those types), each container object appearing once (the dumper writes an
    object met twice as an anchor and an alias); then equal ``repr`` means equal YAML."""
    seen: set[int] = set()

    def walk(value: Any, depth: int) -> bool:
        kind = type(value)
        if kind in _SCALARS:
            return True
        if depth > 100 or id(value) in seen:
            return False
        seen.add(id(value))
        if kind is dict:
            return all(type(k) in _SCALARS and walk(v, depth + 1) for k, v in value.items())
        if kind is list:
            return all(walk(v, depth + 1) for v in value)
        return False

    return walk(data, 0)


class InstanceConfigMap(Construct):
    """ConfigMap ``<fullname>-instance`` holding ``dagster.yaml``.

    Args:
        release: names. @default release ``dagster``
        postgres: run, event-log and schedule storage.
        run_launcher: @default :class:`CeleryK8sRunLauncher` (the seed's system)
        settings: scheduler, run coordinator, compute logs and the rest. @default
            :class:`InstanceSettings`
        dagster_home: ``DAGSTER_HOME`` of every pod. @default ``/opt/dagster/dagster_home``
        namespace: namespace of launched Jobs, unless the run launcher names one. @default
            under :class:`K8sRunLauncher` the namespace the pods loading the instance run in
            (``dagster.yaml`` reads ``DAGSTER_K8S_PIPELINE_RUN_NAMESPACE``, which :meth:`pod_env`
            sets from the pod's own ``metadata.namespace``; launched runs copy it), so runs
            follow ``kubectl apply -n`` and kustomize overlays; otherwise the chart's namespace,
            else ``default`` (a Celery run worker reads it from the pipeline env ConfigMap)
        service_account_name: ServiceAccount of launched Jobs (from :class:`RunLauncherRbac`).
            @default none
        celery_secret: the Celery config Secret; required by a Celery run launcher.
        run_image_pull_policy: pull policy of launched Jobs unless the launcher sets one.
            @default ``IfNotPresent``
        image_pull_secrets: pull Secrets of launched Jobs, before the launcher's own (the
            chart's top-level ``imagePullSecrets``). @default none

    Attributes:
        name / key: the ConfigMap and its key.
        config: ``dagster.yaml`` as a dict.
        dagster_home, postgres, run_launcher, uses_celery, celery_secret.
        job_namespace: the explicit namespace of launched Jobs, or ``None`` (the pods' own).
        env_names: the env vars ``dagster.yaml`` reads, which every mounting pod must set.
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
        namespace: str | None = None,
        service_account_name: str | None = None,
        celery_secret: CeleryConfigSecret | None = None,
        run_image_pull_policy: str = "IfNotPresent",
        image_pull_secrets: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, id)
        if not isinstance(dagster_home, str) or not dagster_home.startswith("/"):
            raise ConfigError("InstanceConfigMap.dagster_home", dagster_home, "an absolute path")
        if namespace is not None:
            check_dns1123_label("InstanceConfigMap.namespace", namespace)
        self.release = release
        self.name = release.instance_config_map
        self.key = _KEY
        self.dagster_home = dagster_home.rstrip("/") or "/"
        self.postgres = postgres
        self.run_launcher: RunLauncher = run_launcher if run_launcher is not None else CeleryK8sRunLauncher()
        self.settings = settings if settings is not None else InstanceSettings()
        self.uses_celery = self.run_launcher.uses_celery
        if self.uses_celery and celery_secret is None:
            raise ConfigError("InstanceConfigMap.celery_secret", None,
                              f"a CeleryConfigSecret: {type(self.run_launcher).__name__} uses Celery")
        self.celery_secret = celery_secret if self.uses_celery else None
        self.job_namespace: str | None = getattr(self.run_launcher, "job_namespace", None) or namespace
        if self.job_namespace is None and not isinstance(self.run_launcher, K8sRunLauncher):
            self.job_namespace = chart_namespace(self) or "default"  # (no round trip while a chart is built)
        self._service_account_name = service_account_name
        self._pull_policy = run_image_pull_policy
        self._pull_secrets = tuple(image_pull_secrets)
        self.config = self._config()
        self.env_names = [PG_PASSWORD_ENV]
        if isinstance(self.run_launcher, CeleryK8sRunLauncher):
            self.env_names += [BROKER_URL_ENV, BACKEND_URL_ENV, PIPELINE_RUN_ENV_CONFIGMAP_ENV]
        if self.job_namespace is None:
            self.env_names.append(RUN_NAMESPACE_ENV)
        manifest(self, "configmap", "ConfigMap", name=self.name, labels=release.labels(),
                 body={"data": {self.key: dump_yaml(self.config)}})

    # ---- what a pod needs to be a Dagster instance -------------------------------------------
    def pod_env(self) -> list[Json]:
        """Env vars every pod mounting this instance sets: the database password, and without
        an explicit job namespace ``DAGSTER_K8S_PIPELINE_RUN_NAMESPACE`` = the pod's namespace."""
        env = [self.postgres.password_env()]
        if self.job_namespace is None:
            env.append({"name": RUN_NAMESPACE_ENV, "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}})
        return env

    def _job_namespace(self) -> Any:
        return self.job_namespace if self.job_namespace is not None else {"env": RUN_NAMESPACE_ENV}

    def _env_vars(self, launcher: K8sRunLauncher) -> list[str]:
        """The launcher's ``env_vars``; without an explicit job namespace also
        ``DAGSTER_K8S_PIPELINE_RUN_NAMESPACE`` (copied from the launching process), which the
        launched pods' ``dagster.yaml`` reads in turn."""
        env_vars = list(launcher.env_vars)
        if self.job_namespace is None and not any(v.partition("=")[0] == RUN_NAMESPACE_ENV for v in env_vars):
            env_vars.append(RUN_NAMESPACE_ENV)
        return env_vars

    def pod_env_from(self) -> list[Json]:
        """``envFrom`` every pod mounting this instance loads (the Celery URLs, under Celery)."""
        return [env_from_secret(self.celery_secret.name)] if self.celery_secret else []

    def volume(self) -> Json:
        return {"name": _VOLUME, "configMap": {"name": self.name}}

    def volume_mount(self) -> Json:
        return {"name": _VOLUME, "mountPath": f"{self.dagster_home}/{self.key}", "subPath": self.key}

    # ---- dagster.yaml --------------------------------------------------------------------
    def _storage(self, module: str, class_name: str) -> Json:
        return {"module": module, "class": class_name,
                "config": {"postgres_db": self.postgres.postgres_db()}}

    def _config(self) -> Json:
        s = self.settings
        config: Json = {
            "scheduler": s.scheduler.block(),
            "schedule_storage": self._storage("dagster_postgres.schedule_storage", "PostgresScheduleStorage"),
            "run_launcher": self._run_launcher_block(),
            "run_storage": self._storage("dagster_postgres.run_storage", "PostgresRunStorage"),
            "event_log_storage": self._storage("dagster_postgres.event_log", "PostgresEventLogStorage"),
            "run_coordinator": s.run_coordinator.block(),
            "compute_logs": s.compute_logs.block(),
        }
        for key, block in (("run_monitoring", s.run_monitoring), ("run_retries", s.run_retries),
                           ("sensors", s.sensors), ("schedules", s.schedules)):
            if block is not None:
                config[key] = block.block()
        config["telemetry"] = {"enabled": s.telemetry}
        if s.retention is not None:
            config["retention"] = s.retention.block()
        if s.python_logs:
            config["python_logs"] = dict(s.python_logs)
        for key, value in s.additional_config.items():
            if key in config:
                raise ConfigError(f"InstanceSettings.additional_config.{key}", value,
                                  "a key the library does not already write (set it through its typed field)")
            config[key] = value
        return config

    def _run_launcher_block(self) -> Json:
        launcher = self.run_launcher
        if isinstance(launcher, CustomRunLauncher):
            block: Json = {"module": launcher.module, "class": launcher.class_name}
            if launcher.config:
                block["config"] = dict(launcher.config)
            return block
        secret = self.postgres.password_secret
        service_account = launcher.service_account_name or self._service_account_name
        pull_policy = launcher.image_pull_policy or self._pull_policy
        config: Json
        if isinstance(launcher, CeleryK8sRunLauncher):
            if secret.key != PG_PASSWORD_SECRET_KEY:
                raise ConfigError("PostgresConnection.password_secret.key", secret.key,
                                  f"{PG_PASSWORD_SECRET_KEY!r}: the Jobs CeleryK8sRunLauncher launches "
                                  "read the password from that key")
            assert self.celery_secret is not None
            config = {
                "dagster_home": self.dagster_home,
                "instance_config_map": self.name,
                "postgres_password_secret": secret.name,
                "job_namespace": self._job_namespace(),
                "broker": {"env": BROKER_URL_ENV},
                "backend": {"env": BACKEND_URL_ENV},
            }
            if launcher.config_source:
                config["config_source"] = dict(launcher.config_source)
            config["env_config_maps"] = [{"env": PIPELINE_RUN_ENV_CONFIGMAP_ENV}, *launcher.env_config_maps]
            # The chart's order: the Celery Secret last.
            config["env_secrets"] = [*launcher.env_secrets, self.celery_secret.name]
            if service_account:
                config["service_account_name"] = service_account
            config["image_pull_policy"] = pull_policy
            config.update(launcher_common_config(launcher, self._pull_secrets))
            return {"module": "dagster_celery_k8s", "class": "CeleryK8sRunLauncher", "config": config}

        config = {"load_incluster_config": launcher.load_incluster_config}
        if launcher.kubeconfig_file:
            config["kubeconfig_file"] = launcher.kubeconfig_file
        config["job_namespace"] = self._job_namespace()
        config["image_pull_policy"] = pull_policy
        if service_account:
            config["service_account_name"] = service_account
        if launcher.job_image is not None:
            config["job_image"] = launcher.job_image.ref
        config["dagster_home"] = self.dagster_home
        config["instance_config_map"] = self.name
        run_k8s_config = {k: dict(v) if isinstance(v, dict) else v for k, v in launcher.run_k8s_config.items()}
        if secret.key == PG_PASSWORD_SECRET_KEY:
            config["postgres_password_secret"] = secret.name
        else:
            # dagster-k8s reads a fixed key from postgres_password_secret; any other key is
            # handed to the run container as an ordinary secretKeyRef instead.
            container = dict(run_k8s_config.get("container_config", {}))
            container["env"] = [*container.get("env", []), {"name": PG_PASSWORD_ENV, "value_from": {
                "secret_key_ref": {"name": secret.name, "key": secret.key}}}]
            run_k8s_config["container_config"] = container
        for name in ("env_config_maps", "env_secrets"):
            if getattr(launcher, name):
                config[name] = list(getattr(launcher, name))
        if self._env_vars(launcher):
            config["env_vars"] = self._env_vars(launcher)
        config.update(launcher_common_config(launcher, self._pull_secrets))
        if launcher.resources:
            config["resources"] = dict(launcher.resources)
        if launcher.scheduler_name:
            config["scheduler_name"] = launcher.scheduler_name
        if launcher.security_context:
            config["security_context"] = dict(launcher.security_context)
        if run_k8s_config:
            config["run_k8s_config"] = run_k8s_config
        return {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": config}

