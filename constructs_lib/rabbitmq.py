"""RabbitMQ as the Celery broker, bundled in the cluster (official ``rabbitmq`` image)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from constructs import Construct

from ._checked import checked
from ._manifest import manifest, secret_data
from ._stateful import Persistence, stateful_service
from .connections import BrokerConnection
from .errors import ConfigError, check_non_empty, check_port
from .images import Image, default_rabbitmq_image
from .naming import DEFAULT_RELEASE, Release
from .security_profile import OFFICIAL_IMAGE_UID, ProcessNeeds
from .workload import SecretKeyRef, WorkloadOptions, build_container

__all__ = ["RABBITMQ_CONF_KEY", "RABBITMQ_PASSWORD_KEY", "RABBITMQ_USERNAME_KEY", "RabbitMq", "RabbitMqSettings"]

RABBITMQ_PASSWORD_KEY = "rabbitmq-password"
RABBITMQ_USERNAME_KEY = "rabbitmq-username"
RABBITMQ_CONF_KEY = "20-default-user.conf"


@dataclass(frozen=True, kw_only=True)
class RabbitMqSettings:
    """A single-node RabbitMQ broker.

    Args:
        password: the broker password; a Secret holding it (and the user name) is created, and
            it goes into the Celery config Secret's URLs. Give this or ``existing_secret``.
            @default none
        existing_secret: a Secret key that already holds the password (nothing secret in your
            code); the Celery URLs then come from an existing Celery config Secret too
            (``DagsterSystemConfig.celery_config_secret_name``). Under the ``hardened`` profile
            the same Secret also holds ``20-default-user.conf`` (``default_user = ...`` and
            ``default_pass = ...`` lines: the server reads its credentials as a file). @default none
        existing_secret_username_key: the key of ``existing_secret``'s Secret holding the user
            name; without it the server gets ``username`` as a plain value, and KEDA autoscaling
            (which reads both from the Secret) is refused. @default none
        username: @default ``dagster``
        port: AMQP Service port. @default 5672
        management_port: management API Service port. @default 15672
        image: @default ``docker.io/library/rabbitmq`` ``-management`` variant (pinned)
        persistence: the data volume. @default :class:`Persistence` (an ``8Gi`` claim)
        options: workload settings of the StatefulSet (resources, nodeSelector, tolerations,
            affinity, security contexts, pod labels and annotations ...). @default none
    """

    password: str | None = field(default=None, repr=False)
    existing_secret: SecretKeyRef | None = None
    existing_secret_username_key: str | None = None
    username: str = "dagster"
    port: int = 5672
    management_port: int = 15672
    image: Image = field(default_factory=default_rabbitmq_image)
    persistence: Persistence = field(default_factory=Persistence)
    options: WorkloadOptions = field(default_factory=WorkloadOptions)

    def __post_init__(self) -> None:
        if (self.password is None) == (self.existing_secret is None):
            raise ConfigError("RabbitMqSettings.password", "<redacted>" if self.password else None,
                              "exactly one of password (a Secret is created) or existing_secret")
        if self.password is not None and (not isinstance(self.password, str) or not self.password):
            raise ConfigError("RabbitMqSettings.password", "<redacted>", "a non-empty string")
        if self.existing_secret is not None and not isinstance(self.existing_secret, SecretKeyRef):
            raise ConfigError("RabbitMqSettings.existing_secret", self.existing_secret,
                              "a SecretKeyRef(name=..., key=...)")
        if self.existing_secret_username_key is not None:
            if self.existing_secret is None:
                raise ConfigError("RabbitMqSettings.existing_secret_username_key", self.existing_secret_username_key,
                                  "none without existing_secret (a created Secret holds the user name itself)")
            check_non_empty("RabbitMqSettings.existing_secret_username_key", self.existing_secret_username_key)
        check_non_empty("RabbitMqSettings.username", self.username)
        check_port("RabbitMqSettings.port", self.port)
        check_port("RabbitMqSettings.management_port", self.management_port)
        if self.port == self.management_port:
            raise ConfigError("RabbitMqSettings.management_port", self.management_port,
                              f"a port other than the AMQP port {self.port}")


class RabbitMq(Construct):
    """Bundled RabbitMQ: StatefulSet, Service (AMQP + management), password Secret (unless existing).

    Attributes:
        connection: the Celery broker (``pyamqp://``) with the ``rpc://`` backend; it carries
            the Secret keys below.
        service_name / port: the AMQP Service.
        secret_name: the Secret holding the password (and the user name): created, or existing.
        username_secret / password_secret: their Secret keys (the server reads both from there;
            ``username_secret`` is ``None`` for an existing Secret without a user-name key).
        pod_selector: labels selecting the broker's pod.
    """

    @checked
    def __init__(self, scope: Construct, id: str, *, release: Release = DEFAULT_RELEASE,
                 settings: RabbitMqSettings, image_pull_secrets: tuple[str, ...] = ()) -> None:
        super().__init__(scope, id)
        s = settings
        self.service_name = release.rabbitmq
        self.port = s.port
        self.pod_selector = release.selector("rabbitmq")
        # Hardened: the credentials reach the server as a config file (the image no longer
        # reads *_FILE variables), never as container env.
        as_file = s.options.profile == "hardened"
        user = quote(s.username, safe="")
        self.username_secret: SecretKeyRef | None
        if s.existing_secret is not None:
            secret = s.existing_secret
            self.username_secret = (SecretKeyRef(name=secret.name, key=s.existing_secret_username_key)
                                    if s.existing_secret_username_key else None)
            # The password is only in the Secret: the URL carries none (it cannot make a Celery Secret).
            broker_url = f"pyamqp://{user}@{self.service_name}:{s.port}//"
        else:
            assert s.password is not None
            secret = SecretKeyRef(name=release.rabbitmq_secret, key=RABBITMQ_PASSWORD_KEY)
            self.username_secret = SecretKeyRef(name=secret.name, key=RABBITMQ_USERNAME_KEY)
            data = {self.username_secret.key: s.username, secret.key: s.password}
            if as_file:
                data[RABBITMQ_CONF_KEY] = f"default_user = {s.username}\ndefault_pass = {s.password}\n"
            manifest(self, "secret", "Secret", name=secret.name, labels=release.labels("rabbitmq"),
                     body={"type": "Opaque", "data": secret_data(data)})
            broker_url = f"pyamqp://{user}:{quote(s.password, safe='')}@{self.service_name}:{s.port}//"
        self.secret_name = secret.name
        self.password_secret = secret
        self.connection = BrokerConnection(
            broker_url=broker_url,
            backend_url="rpc://",
            host=self.service_name,
            port=s.port,
            username_secret=self.username_secret,
            password_secret=self.password_secret,
            password_in_secret_only=s.existing_secret is not None,
        )
        #: Every Secret key the server (and KEDA) reads credentials from.
        self.credential_keys: tuple[SecretKeyRef, ...] = (
            *((self.username_secret,) if self.username_secret is not None else ()), secret,
            *((SecretKeyRef(name=secret.name, key=RABBITMQ_CONF_KEY),) if as_file else ()))
        user_env = (self.username_secret.env("RABBITMQ_DEFAULT_USER") if self.username_secret is not None
                    else {"name": "RABBITMQ_DEFAULT_USER", "value": s.username})
        diagnostics = ["rabbitmq-diagnostics", "-q"]
        container = build_container(
            name="rabbitmq",
            image=s.image,
            options=s.options,
            env=[] if as_file else [user_env, secret.env("RABBITMQ_DEFAULT_PASS")],
            volume_mounts=[{"name": "default-user", "mountPath": f"/etc/rabbitmq/conf.d/{RABBITMQ_CONF_KEY}",
                            "subPath": RABBITMQ_CONF_KEY, "readOnly": True}] if as_file else [],
            ports=[{"name": "amqp", "containerPort": 5672, "protocol": "TCP"},
                   {"name": "stats", "containerPort": 15672, "protocol": "TCP"}],
            readiness_probe={"exec": {"command": [*diagnostics, "check_port_connectivity"]},
                             "initialDelaySeconds": 10, "periodSeconds": 30, "timeoutSeconds": 20,
                             "failureThreshold": 3},
            liveness_probe={"exec": {"command": [*diagnostics, "ping"]}, "initialDelaySeconds": 60,
                            "periodSeconds": 30, "timeoutSeconds": 20, "failureThreshold": 6},
        )
        stateful_service(
            self, name=self.service_name, labels=release.labels("rabbitmq"),
            selector=self.pod_selector, container=container,
            service_ports=[
                {"name": "amqp", "port": s.port, "targetPort": "amqp", "protocol": "TCP"},
                {"name": "stats", "port": s.management_port, "targetPort": "stats", "protocol": "TCP"},
            ],
            data_mount_path="/var/lib/rabbitmq", persistence=s.persistence, options=s.options,
            image_pull_secrets=image_pull_secrets,
            # The official image's `rabbitmq` user; HOME (the Erlang cookie) is the data volume.
            needs=ProcessNeeds(image_user=OFFICIAL_IMAGE_UID, writable_paths=("/tmp",)),
            volumes=[{"name": "default-user", "secret": {
                "secretName": secret.name, "defaultMode": 0o440,
                "items": [{"key": RABBITMQ_CONF_KEY, "path": RABBITMQ_CONF_KEY}]}}]
            if as_file else [],
        )
