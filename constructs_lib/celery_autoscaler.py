"""KEDA autoscaling of Celery queues: the workers of a queue scale with the queue's length.

Per autoscaled queue a KEDA ``ScaledObject`` scales the queue's worker Deployment on the
length of the queue in the broker: a RabbitMQ queue (``rabbitmq`` trigger, ``QueueLength``
mode) or a Redis list (``redis`` trigger; Celery keeps a queue's messages in a list named after
it). The broker's credentials reach KEDA only through a ``TriggerAuthentication`` that reads
the broker's own Secret; no credential is written into a ScaledObject. Both objects are built
with the typed bindings ``cdk8s import`` generates from KEDA's CRDs (``cdk8s.yaml``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import cdk8s
from constructs import Construct

from ._checked import checked
from ._manifest import chart_namespace
from .connections import BrokerConnection
from .errors import ConfigError, check_dns1123_label, check_non_negative_int, check_positive_int
from .naming import DEFAULT_RELEASE, Release
from .workload import SecretKeyRef

__all__ = ["BrokerQueueTarget", "CeleryAutoscaler", "QueueAutoscaling", "ScaledQueue", "broker_queue_target"]

_COMPONENT = "celery"
_RABBITMQ_SCHEMES = {"amqp": "amqp", "pyamqp": "amqp", "librabbitmq": "amqp", "amqps": "amqps"}
_REDIS_SCHEMES = {"redis": False, "rediss": True}


@dataclass(frozen=True, kw_only=True)
class QueueAutoscaling:
    """KEDA scaling of one queue's workers on the queue's length.

    Args:
        min_replicas: workers when the queue is idle; 0 scales the queue's workers away.
            @default 0
        max_replicas: @default 10
        target_queue_length: waiting messages per worker KEDA aims for (the trigger's
            ``value`` / ``listLength``). @default 5
        activation_queue_length: the queue must be longer than this before workers are scaled
            up from zero (the trigger's activation threshold). @default 0
        polling_interval: seconds between KEDA's looks at the queue. @default 30
        cooldown_period: seconds after the queue was last non-empty before the workers are
            scaled to zero (with ``min_replicas=0``). @default 300
    """

    min_replicas: int = 0
    max_replicas: int = 10
    target_queue_length: int = 5
    activation_queue_length: int = 0
    polling_interval: int = 30
    cooldown_period: int = 300

    def __post_init__(self) -> None:
        check_non_negative_int("QueueAutoscaling.min_replicas", self.min_replicas)
        check_positive_int("QueueAutoscaling.max_replicas", self.max_replicas)
        if self.max_replicas < self.min_replicas:
            raise ConfigError("QueueAutoscaling.max_replicas", self.max_replicas,
                              f"at least min_replicas ({self.min_replicas})")
        check_positive_int("QueueAutoscaling.target_queue_length", self.target_queue_length)
        check_non_negative_int("QueueAutoscaling.activation_queue_length", self.activation_queue_length)
        check_positive_int("QueueAutoscaling.polling_interval", self.polling_interval)
        check_non_negative_int("QueueAutoscaling.cooldown_period", self.cooldown_period)


@dataclass(frozen=True, kw_only=True)
class ScaledQueue:
    """A queue, the Deployment of its workers, and how it scales."""

    queue: str
    deployment_name: str
    autoscaling: QueueAutoscaling


@dataclass(frozen=True, kw_only=True)
class BrokerQueueTarget:
    """Where KEDA reads a broker's queue lengths (no credentials: those are Secret keys).

    Attributes:
        trigger: ``rabbitmq`` or ``redis`` (the KEDA trigger type).
        host: the broker's host as KEDA's operator resolves it (a Service's full DNS name).
        port: the broker's port.
        metadata: the trigger's connection metadata (``host`` URL or ``address`` ...).
        credentials: KEDA parameter -> the Secret key holding it.
    """

    trigger: str
    host: str
    port: int
    metadata: dict[str, str]
    credentials: dict[str, SecretKeyRef]


def _qualified(host: str, namespace: str | None, field: str) -> str:
    """A bare host is a Service in the system's namespace; KEDA's operator runs in its own
    namespace, so it needs the Service's full name ``<service>.<namespace>.svc``."""
    if "." in host:
        return host
    if namespace is None:
        raise ConfigError(field, host,
                          f"a namespace for the system (DagsterSystemConfig.namespace, or the chart's): KEDA's "
                          f"operator runs in its own namespace and reaches the broker Service {host!r} only by "
                          f"its full name '{host}.<namespace>.svc'")
    return f"{host}.{namespace}.svc"


def broker_queue_target(broker: BrokerConnection, *, namespace: str | None,
                        field: str = "CeleryAutoscaler.broker") -> BrokerQueueTarget:
    """How KEDA reaches the Celery broker ``broker`` (RabbitMQ or Redis); credentials must be in
    Secrets (``BrokerConnection.username_secret`` / ``password_secret``)."""
    url = urlsplit(broker.broker_url)
    scheme = url.scheme.lower()
    if scheme not in _RABBITMQ_SCHEMES and scheme not in _REDIS_SCHEMES:
        raise ConfigError(field, f"{scheme}://...",
                          "a RabbitMQ (pyamqp://, amqp://, amqps://) or Redis (redis://, rediss://) broker: KEDA "
                          "scales Celery workers on the length of a RabbitMQ queue or a Redis list")
    try:
        url_port = url.port
    except ValueError:
        url_port = None
    host = broker.host or url.hostname
    if not host:
        raise ConfigError(f"{field}.host", None, "the broker's host (in the URL or BrokerConnection.host)")
    port = broker.port or url_port or (5672 if scheme in _RABBITMQ_SCHEMES else 6379)
    host = _qualified(host, namespace, f"{field}.host")
    credentials: dict[str, SecretKeyRef] = {}
    # A broker whose password is only in its Secret has none in the URL: KEDA still needs it.
    needs = {"username": bool(url.username),
             "password": bool(url.password) or (broker.password_in_secret_only and broker.password_secret is not None)}
    if scheme in _RABBITMQ_SCHEMES:
        # KEDA takes a RabbitMQ user only together with its password.
        needs = dict.fromkeys(needs, any(needs.values()))
    for parameter, needed in needs.items():
        ref = getattr(broker, f"{parameter}_secret")
        if needed and ref is None:
            raise ConfigError(f"{field}.{parameter}_secret", None,
                              f"the Secret key holding the broker {parameter}: KEDA reads broker credentials only "
                              "from a Secret (through a TriggerAuthentication)")
        if needed:
            credentials[parameter] = ref
    if scheme in _RABBITMQ_SCHEMES:
        # Celery writes vhost "/" as "//"; KEDA's AMQP client reads the path the same way.
        path = url.path if url.path not in ("", "/") else "//"
        return BrokerQueueTarget(trigger="rabbitmq", host=host, port=port, credentials=credentials,
                                 metadata={"protocol": "amqp",
                                           "host": f"{_RABBITMQ_SCHEMES[scheme]}://{host}:{port}{path}"})
    metadata = {"address": f"{host}:{port}"}
    database = unquote(url.path.lstrip("/")) or "0"
    if not database.isdigit():
        raise ConfigError(field, f"redis://.../{database}", "a Redis URL whose path is a database number")
    metadata["databaseIndex"] = str(int(database))
    if _REDIS_SCHEMES[scheme]:
        metadata["enableTLS"] = "true"
    return BrokerQueueTarget(trigger="redis", host=host, port=port, metadata=metadata, credentials=credentials)


class CeleryAutoscaler(Construct):
    """KEDA objects scaling Celery queues' workers: per queue a ``ScaledObject`` named after the
    queue's Deployment, and one ``TriggerAuthentication`` ``<fullname>-celery-broker`` reading
    the broker's credentials from the broker's Secret (none when the broker has no credentials).

    Args:
        broker: the Celery broker (from :class:`RabbitMq`, :class:`Redis` or explicit URLs, whose
            credentials are Secret keys).
        queues: the queues to scale.
        namespace: the system's namespace (bare broker hosts are Services there). @default the
            chart's namespace

    Attributes:
        target: where KEDA reads the queues (:class:`BrokerQueueTarget`).
        trigger_authentication_name: ``None`` when the broker has no credentials.
        scaled_object_names: queue -> ScaledObject name.
    """

    @checked
    def __init__(self, scope: Construct, id: str, *, release: Release = DEFAULT_RELEASE,
                 broker: BrokerConnection, queues: Sequence[ScaledQueue], namespace: str | None = None) -> None:
        # The KEDA bindings load their jsii assembly into the kernel: only when autoscaling.
        from ._imports.keda_scaledobjects import (
            ScaledObject,
            ScaledObjectSpec,
            ScaledObjectSpecScaleTargetRef,
            ScaledObjectSpecTriggers,
            ScaledObjectSpecTriggersAuthenticationRef,
        )
        from ._imports.keda_triggerauthentications import (
            TriggerAuthentication,
            TriggerAuthenticationSpec,
            TriggerAuthenticationSpecSecretTargetRef,
        )

        super().__init__(scope, id)
        if not queues:
            raise ConfigError("CeleryAutoscaler.queues", queues, "at least one ScaledQueue")
        if namespace is None:
            namespace = chart_namespace(self)
        self.target = broker_queue_target(broker, namespace=namespace)
        self.trigger_authentication_name: str | None = None
        auth_ref = None
        if self.target.credentials:
            self.trigger_authentication_name = release.celery_broker_trigger_authentication
            TriggerAuthentication(
                self, "trigger-authentication",
                metadata=cdk8s.ApiObjectMetadata(name=self.trigger_authentication_name,
                                                 labels=release.labels(_COMPONENT)),
                spec=TriggerAuthenticationSpec(secret_target_ref=[
                    TriggerAuthenticationSpecSecretTargetRef(parameter=parameter, name=ref.name, key=ref.key)
                    for parameter, ref in self.target.credentials.items()]))
            auth_ref = ScaledObjectSpecTriggersAuthenticationRef(name=self.trigger_authentication_name)
        self.scaled_object_names: dict[str, str] = {}
        for q in queues:
            check_dns1123_label("ScaledQueue.queue", q.queue)
            a = q.autoscaling
            ScaledObject(
                self, f"scaled-object-{q.queue}",
                metadata=cdk8s.ApiObjectMetadata(name=q.deployment_name,
                                                 labels=release.labels(_COMPONENT, queue=q.queue)),
                spec=ScaledObjectSpec(
                    scale_target_ref=ScaledObjectSpecScaleTargetRef(api_version="apps/v1", kind="Deployment",
                                                                    name=q.deployment_name),
                    min_replica_count=a.min_replicas,
                    max_replica_count=a.max_replicas,
                    polling_interval=a.polling_interval,
                    cooldown_period=a.cooldown_period,
                    triggers=[ScaledObjectSpecTriggers(type=self.target.trigger,
                                                       metadata=self._trigger_metadata(q.queue, a),
                                                       authentication_ref=auth_ref)],
                ))
            self.scaled_object_names[q.queue] = q.deployment_name

    def _trigger_metadata(self, queue: str, a: QueueAutoscaling) -> dict[str, Any]:
        if self.target.trigger == "rabbitmq":
            length = {"queueName": queue, "mode": "QueueLength", "value": str(a.target_queue_length),
                      "activationValue": str(a.activation_queue_length)}
        else:
            length = {"listName": queue, "listLength": str(a.target_queue_length),
                      "activationListLength": str(a.activation_queue_length)}
        return {**self.target.metadata, **length}
