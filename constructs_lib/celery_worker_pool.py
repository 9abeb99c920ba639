"""Celery workers: per queue a Deployment and its ``celery.yaml`` ConfigMap, and KEDA
autoscaling for the queues that ask for it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from ._checked import checked
from ._dagster_pod import dagster_container, dagster_pod_template
from ._manifest import Json, chart_namespace, manifest
from .apiserver import check_env_map, check_labels
from .celery_autoscaler import CeleryAutoscaler, QueueAutoscaling, ScaledQueue
from .celery_config_secret import BACKEND_URL_ENV, BROKER_URL_ENV
from .dagster_instance import DagsterInstance
from .errors import ConfigError, check_dns1123_label, check_non_negative_int, check_unique
from .images import Image, default_celery_k8s_image
from .instance_config import CeleryK8sRunLauncher
from .instance_config_map import dump_yaml
from .workload import WorkloadOptions, add_deployment, replace_options, tcp_check_command, wait_for_tcp_container

__all__ = ["CeleryQueue", "CeleryWorkerPool", "CeleryWorkersSettings", "deep_merge"]

_COMPONENT = "celery"
_APP = "dagster_celery_k8s.app"
_CONFIG_VOLUME = "dagster-celery"
_ENV_COMPONENT = "celery-worker"


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``, merging nested mappings."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True, kw_only=True)
class CeleryQueue:
    """One Celery queue and the workers that consume it.

    Args:
        name: queue name (a DNS-1123 label: it names the Deployment and ConfigMap).
        replicas: worker pods: the queue's width (ignored with ``autoscaling``). @default 1
        labels: extra pod labels of this queue's workers. @default none
        node_selector: merged over the pool's. @default none
        config_source: Celery settings merged over the pool's shared ones. @default none
        additional_celery_args: Celery worker arguments (``--concurrency 16`` ...), passed after
            ``--`` to ``dagster-celery worker start`` (a click command that hands what follows
            ``--`` to ``celery worker``), as the chart does. @default none
        autoscaling: scale the workers with the queue's length (KEDA); the Deployment then
            leaves ``replicas`` to KEDA. @default none (a fixed ``replicas``)
    """

    name: str
    replicas: int = 1
    labels: Mapping[str, str] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    config_source: Mapping[str, Any] = field(default_factory=dict)
    additional_celery_args: Sequence[str] = ()
    autoscaling: QueueAutoscaling | None = None

    def __post_init__(self) -> None:
        check_dns1123_label("CeleryQueue.name", self.name, max_length=40)
        check_non_negative_int(f"CeleryQueue({self.name}).replicas", self.replicas)
        check_labels(f"CeleryQueue({self.name}).labels", self.labels)
        check_labels(f"CeleryQueue({self.name}).node_selector", self.node_selector)
        if not isinstance(self.config_source, Mapping):
            raise ConfigError(f"CeleryQueue({self.name}).config_source", self.config_source, "a mapping")
        if isinstance(self.additional_celery_args, str) or not all(
                isinstance(a, str) for a in self.additional_celery_args):
            raise ConfigError(f"CeleryQueue({self.name}).additional_celery_args",
                              self.additional_celery_args, "a list of strings")
        if self.autoscaling is not None and not isinstance(self.autoscaling, QueueAutoscaling):
            raise ConfigError(f"CeleryQueue({self.name}).autoscaling", self.autoscaling, "a QueueAutoscaling or None")


def _default_queues() -> tuple[CeleryQueue, ...]:
    return (CeleryQueue(name="dagster", replicas=2),)


@dataclass(frozen=True, kw_only=True)
class CeleryWorkersSettings:
    """The Celery worker pool.

    Args:
        image: @default ``docker.io/dagster/dagster-celery-k8s`` at the pinned version
        queues: @default one queue ``dagster`` with 2 workers
        env: variables added to the workers' env ConfigMap. @default none
        options: workload settings of every queue's Deployment. @default none; the liveness
            probe defaults to ``dagster-celery status`` finding this worker
    """

    image: Image = field(default_factory=default_celery_k8s_image)
    queues: Sequence[CeleryQueue] = field(default_factory=_default_queues)
    env: Mapping[str, str] = field(default_factory=dict)
    options: WorkloadOptions = field(default_factory=WorkloadOptions)

    def __post_init__(self) -> None:
        if isinstance(self.queues, (str, Mapping)) or not self.queues:
            raise ConfigError("CeleryWorkersSettings.queues", self.queues, "a non-empty list of CeleryQueue")
        check_unique("CeleryWorkersSettings.queues.name", [q.name for q in self.queues])
        check_env_map("CeleryWorkersSettings.env", self.env)


class CeleryWorkerPool(Construct):
    """Per queue: ConfigMap ``<fullname>-celery-<queue>`` and Deployment
    ``<fullname>-celery-workers-<queue>``, whose selector matches that queue's pods only.

    Args:
        instance: a Dagster instance whose run launcher uses Celery (the workers' pods are
            built from it; ``settings.env`` goes into its ``celery-worker`` env ConfigMap).
        settings: @default :class:`CeleryWorkersSettings`
        config_source: Celery settings shared by all queues. @default the
            CeleryK8sRunLauncher's ``config_source``

    Attributes:
        queue_names, deployment_names, config_map_names, env_config_map, pod_selectors (per queue).
        autoscaler: the KEDA objects of the autoscaled queues (``None`` when no queue is).
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        instance: DagsterInstance,
        settings: CeleryWorkersSettings | None = None,
        config_source: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, id)
        if instance.celery_secret is None:
            raise ConfigError("CeleryWorkerPool.instance", instance.config_map.name,
                              "a DagsterInstance whose run launcher uses Celery")
        s = settings if settings is not None else CeleryWorkersSettings()
        release = instance.release
        if config_source is None:
            launcher = instance.run_launcher
            config_source = launcher.config_source if isinstance(launcher, CeleryK8sRunLauncher) else {}
        broker = instance.celery_secret.broker
        self.env_config_map = instance.env_config_map(_ENV_COMPONENT, s.env)
        config_path = f"{instance.dagster_home}/celery-config.yaml"
        self.queue_names = [q.name for q in s.queues]
        self.deployment_names = [release.celery_workers(q) for q in self.queue_names]
        self.config_map_names = [release.celery_queue_config_map(q) for q in self.queue_names]
        self.pod_selectors = [release.selector(_COMPONENT, queue=q) for q in self.queue_names]
        for queue in s.queues:
            config_map = release.celery_queue_config_map(queue.name)
            celery_yaml = {"execution": {"celery": {
                "broker": {"env": BROKER_URL_ENV},
                "backend": {"env": BACKEND_URL_ENV},
                "config_source": deep_merge(config_source, queue.config_source),
            }}}
            manifest(self, f"config-{queue.name}", "ConfigMap", name=config_map,
                     labels=release.labels(_COMPONENT, queue=queue.name),
                     body={"data": {"celery.yaml": dump_yaml(celery_yaml)}})
            options = replace_options(s.options, labels={**s.options.labels, **queue.labels},
                              node_selector={**s.options.node_selector, **queue.node_selector})
            selector = self.pod_selectors[self.queue_names.index(queue.name)]
            status = {"exec": {"command": ["/bin/sh", "-c",
                                           f"dagster-celery status -A {_APP} -y {config_path} "
                                           '| grep "${HOSTNAME}:.*OK"']}}
            # Ready while the broker is reachable (a worker without it takes no work); without
            # a known broker address, when Celery answers (loading the app takes seconds).
            readiness: Json = (
                {"exec": {"command": tcp_check_command([(broker.host, broker.port)])},
                 "periodSeconds": 20, "timeoutSeconds": 10, "failureThreshold": 3}
                if broker is not None and broker.host is not None and broker.port is not None
                else {**status, "initialDelaySeconds": 15, "periodSeconds": 30, "timeoutSeconds": 30,
                      "failureThreshold": 3})
            container = dagster_container(
                instance,
                component=_ENV_COMPONENT,
                name="dagster",
                image=s.image,
                options=options,
                command=["dagster-celery"],
                args=["worker", "start", "-A", _APP, "-y", config_path, "-q", queue.name,
                      *(["--", *queue.additional_celery_args] if queue.additional_celery_args else [])],
                volume_mounts=[{"name": _CONFIG_VOLUME, "mountPath": config_path, "subPath": "celery.yaml"}],
                readiness_probe=readiness,
                liveness_probe={  # the chart's
                    **status,
                    "initialDelaySeconds": 15, "periodSeconds": 10, "timeoutSeconds": 10,
                    "successThreshold": 1, "failureThreshold": 3,
                },
            )
            init: list[Json] = []
            if broker is not None and broker.host is not None and broker.port is not None:
                init.append(wait_for_tcp_container(name="check-broker-ready", image=s.image,
                                                   targets=[(broker.host, broker.port)], what="broker",
                                                   options=options))
            template = dagster_pod_template(
                instance, selector=selector, options=options, containers=[container], init_containers=init,
                volumes=[{"name": _CONFIG_VOLUME, "configMap": {"name": config_map}}],
            )
            add_deployment(self, f"deployment-{queue.name}", name=release.celery_workers(queue.name),
                           labels=release.labels(_COMPONENT, queue=queue.name), selector=selector,
                           replicas=None if queue.autoscaling else queue.replicas, template=template,
                           options=options)
        self.autoscaler: CeleryAutoscaler | None = None
        scaled = [ScaledQueue(queue=q.name, deployment_name=release.celery_workers(q.name), autoscaling=q.autoscaling)
                  for q in s.queues if q.autoscaling is not None]
        if scaled:
            if broker is None:
                raise ConfigError(f"CeleryQueue({scaled[0].queue}).autoscaling", scaled[0].autoscaling,
                                  "None, or a broker connection on the instance's CeleryConfigSecret: KEDA reads the "
                                  "queue's length from the broker")
            self.autoscaler = CeleryAutoscaler(self, "autoscaler", release=release, broker=broker, queues=scaled,
                                               namespace=chart_namespace(self))
