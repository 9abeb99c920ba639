"""A code location: a ``dagster api grpc`` server (Deployment + Service + env ConfigMap)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from ._checked import checked
from ._dagster_pod import dagster_pod_template
from ._manifest import Json
from .apiserver import check_annotations, check_blocks, check_env_map
from .dagster_instance import DagsterInstance
from .env_config_map import EnvConfigMap
from .errors import ConfigError, check_dns1123_label, check_non_negative_int, check_one_of, check_port
from .images import Image, default_user_code_image
from .workload import (
    SERVICE_TYPES,
    WorkloadOptions,
    add_deployment,
    add_service,
    build_container,
    env_from_config_map,
    env_from_secret,
    env_value,
    init_construct,
    normalize_env,
)
from .workspace_config_map import GrpcLocation

__all__ = ["CodeLocationSettings", "UserCodeDeployment"]

_APP = "dagster-user-deployments"
_COMPONENT = "user-deployments"


@dataclass(frozen=True, kw_only=True)
class CodeLocationSettings:
    """One code location.

    Args:
        name: Deployment suffix, Service name and location name (a DNS-1123 label).
        image: the image holding the user code. @default Dagster's example
        grpc_args: arguments after ``dagster api grpc -h 0.0.0.0 -p PORT``, such as
            ``["--python-file", "/app/repo.py"]`` or ``["--module-name", "pkg"]``.
        code_server_args: run ``dagster code-server start -h 0.0.0.0 -p PORT`` with these
            arguments instead of ``dagster api grpc``. @default none
        init_containers / sidecar_containers: extra containers of the pod (Kubernetes
            ``Container`` objects). @default none
        port: gRPC port. @default 3030
        replicas: @default 1
        include_config_in_launched_runs: launched runs inherit this location's image, env
            (ConfigMaps, Secrets, list-form ``options.env``), volumes and mounts, pod labels and
            annotations, resources, scheduler, pull secrets and policy, extra containers,
            namespace and ServiceAccount, as the chart passes them. @default ``True``
        env: variables written to the location's env ConfigMap (non-secret). @default none
        service_type / service_annotations: the gRPC Service. @default ``ClusterIP``
        options: workload settings. @default none
    """

    name: str
    grpc_args: Sequence[str] = ()
    code_server_args: Sequence[str] | None = None
    init_containers: Sequence[Mapping[str, Any]] = ()
    sidecar_containers: Sequence[Mapping[str, Any]] = ()
    image: Image = field(default_factory=default_user_code_image)
    port: int = 3030
    replicas: int = 1
    include_config_in_launched_runs: bool = True
    env: Mapping[str, str] = field(default_factory=dict)
    service_type: str = "ClusterIP"
    service_annotations: Mapping[str, str] = field(default_factory=dict)
    options: WorkloadOptions = field(default_factory=WorkloadOptions)

    def __post_init__(self) -> None:
        check_dns1123_label("CodeLocationSettings.name", self.name)
        if not self.name[0].isalpha():
            raise ConfigError("CodeLocationSettings.name", self.name,
                              "a name starting with a letter (it is also the Service name, a DNS-1035 label)")
        for name in ("grpc_args", "code_server_args"):
            args = getattr(self, name)
            if args is not None and (isinstance(args, str) or not all(isinstance(a, str) for a in args)):
                raise ConfigError(f"CodeLocationSettings({self.name}).{name}", args,
                                  "a list of strings, e.g. ['--python-file', '/app/repo.py']")
        if self.code_server_args is not None and self.grpc_args:
            raise ConfigError(f"CodeLocationSettings({self.name}).code_server_args", self.code_server_args,
                              "None when grpc_args are given (one server command)")
        for name in ("init_containers", "sidecar_containers"):
            for i, c in enumerate(getattr(self, name)):
                if not isinstance(c, Mapping) or not c.get("name") or not c.get("image"):
                    raise ConfigError(f"CodeLocationSettings({self.name}).{name}[{i}]", c,
                                      "a Kubernetes Container with at least 'name' and 'image'")
            check_blocks(f"CodeLocationSettings({self.name}).{name}", getattr(self, name), "Container")
        check_port(f"CodeLocationSettings({self.name}).port", self.port)
        check_non_negative_int(f"CodeLocationSettings({self.name}).replicas", self.replicas)
        check_one_of(f"CodeLocationSettings({self.name}).service_type", self.service_type, SERVICE_TYPES)
        check_annotations(f"CodeLocationSettings({self.name}).service_annotations", self.service_annotations)
        check_env_map(f"CodeLocationSettings({self.name}).env", self.env)


class UserCodeDeployment(Construct):
    """A code location's gRPC server.

    Args:
        instance: the Dagster instance the location serves: its pods load the instance's
            shared code-location env ConfigMap (``DAGSTER_HOME``, the runs' namespace), the
            database password and the Celery Secret (if any), and its launched runs go to the
            instance's job namespace.
        settings: the location.
        service_account_name: of the pods and of the runs they launch. @default the instance's

    Attributes:
        deployment_name, service_name, port, env_config_map, shared_env_config_map, grpc_location, pod_selector.
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        instance: DagsterInstance,
        settings: CodeLocationSettings,
        service_account_name: str | None = None,
    ) -> None:
        # The shared env ConfigMap is written once per instance, next to its first location.
        self.shared_env_config_map = instance.user_code_env_config_map(scope)
        init_construct(self, UserCodeDeployment, scope, id)  # (made hundreds of times in a large system)
        s = settings
        release = instance.release
        service_account = service_account_name or instance.service_account_name
        self.deployment_name = release.user_code_deployment(s.name)
        self.service_name = s.name
        self.port = s.port
        self.grpc_location = GrpcLocation(host=self.service_name, port=s.port, location_name=s.name)
        selector = release.selector(_COMPONENT, app=_APP, deployment=s.name)
        self.pod_selector = selector
        labels = release.labels(_COMPONENT, app=_APP, deployment=s.name)
        self.env_config_map = EnvConfigMap(self, "env", name=release.user_code_env_config_map(s.name),
                                           data=s.env, labels=labels)
        env: list[Json] = [env_value("DAGSTER_CURRENT_IMAGE", s.image.ref), *instance.pod_env()]
        if s.include_config_in_launched_runs:
            # `dagster api grpc` reads it through the CLI's env prefix, `dagster code-server start`
            # through its option's own variable (the chart sets the same two).
            env.append(env_value("DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT" if s.code_server_args is None
                                 else "DAGSTER_CONTAINER_CONTEXT",
                                 json.dumps(self._container_context(s, service_account, instance.job_namespace,
                                                                    instance.image_pull_secrets),
                                            sort_keys=True, separators=(",", ":"))))
        env_from = [env_from_config_map(self.shared_env_config_map.name),
                    env_from_config_map(self.env_config_map.name)]
        if instance.celery_secret is not None:
            env_from.append(env_from_secret(instance.celery_secret.name, optional=True))
        container = build_container(
            name="dagster-user-deployments",
            image=s.image,
            options=s.options,
            args=(["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", str(s.port), *s.code_server_args]
                  if s.code_server_args is not None
                  else ["dagster", "api", "grpc", "-h", "0.0.0.0", "-p", str(s.port), *s.grpc_args]),
            env=env,
            env_from=env_from,
            ports=[{"name": "grpc", "containerPort": s.port, "protocol": "TCP"}],
            readiness_probe={
                "exec": {"command": ["dagster", "api", "grpc-health-check", "-p", str(s.port)]},
                "periodSeconds": 20, "timeoutSeconds": 10, "successThreshold": 1, "failureThreshold": 1,
            },
            liveness_probe={
                "exec": {"command": ["dagster", "api", "grpc-health-check", "-p", str(s.port)]},
                "initialDelaySeconds": 30, "periodSeconds": 30, "timeoutSeconds": 10, "failureThreshold": 6,
            },
        )
        template = dagster_pod_template(instance, selector=selector, options=s.options,
                                        containers=[container, *(dict(c) for c in s.sidecar_containers)],
                                        init_containers=[dict(c) for c in s.init_containers],
                                        loads_instance=False, service_account_name=service_account,
                                        # The gRPC server serves code; it does not call the Kubernetes API.
                                        api_access=False)
        add_deployment(self, "deployment", name=self.deployment_name, labels=labels, selector=selector,
                       replicas=s.replicas, template=template, options=s.options)
        add_service(self, "service", name=self.service_name, labels=labels, selector=selector,
                    ports=[{"name": "grpc", "port": s.port, "targetPort": "grpc", "protocol": "TCP"}],
                    service_type=s.service_type, annotations=s.service_annotations)

    def _container_context(self, s: CodeLocationSettings, service_account_name: str | None,
                           job_namespace: str | None,
                           image_pull_secrets: Sequence[str]) -> Json:
        """What runs launched from this location inherit (dagster-k8s ``K8sContainerContext``):
        the chart's ``dagsterUserDeployments.k8sContainerContext``: the location's env ConfigMaps
        and Secrets, list-form env, volumes and mounts, pod labels, resources, scheduler, pull
        secrets and policy, namespace, ServiceAccount, extra containers and pod annotations."""
        o = s.options
        k8s: Json = {"image_pull_policy": s.image.pull_policy}
        pull_secrets = list(dict.fromkeys([*image_pull_secrets, *o.image_pull_secrets]))
        if pull_secrets:
            k8s["image_pull_secrets"] = [{"name": n} for n in pull_secrets]
        k8s["env_config_maps"] = [self.env_config_map.name, *o.env_config_maps]
        if o.env_secrets:
            k8s["env_secrets"] = list(o.env_secrets)
        if o.volume_mounts:
            k8s["volume_mounts"] = [dict(m) for m in o.volume_mounts]
        if o.volumes:
            k8s["volumes"] = [dict(v) for v in o.volumes]
        if o.labels:
            k8s["labels"] = dict(o.labels)
        if o.resources:
            k8s["resources"] = dict(o.resources)
        if o.scheduler_name:
            k8s["scheduler_name"] = o.scheduler_name
        if job_namespace is not None:  # else the launcher's own (the namespace it runs in)
            k8s["namespace"] = job_namespace
        if service_account_name:
            k8s["service_account_name"] = service_account_name
        env = normalize_env("WorkloadOptions.env", o.env)
        if env:
            k8s["env"] = env
        pod_spec: Json = {"automount_service_account_token": True}
        if s.sidecar_containers:
            pod_spec["containers"] = [dict(c) for c in s.sidecar_containers]
        if s.init_containers:
            pod_spec["init_containers"] = [dict(c) for c in s.init_containers]
        run_k8s_config: Json = {"pod_spec_config": pod_spec}
        if o.annotations:
            run_k8s_config["pod_template_spec_metadata"] = {"annotations": dict(o.annotations)}
        k8s["run_k8s_config"] = run_k8s_config
        return {"k8s": k8s}
