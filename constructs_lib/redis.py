"""Redis as the Celery broker and result backend: bundled in the cluster or external."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from constructs import Construct

from ._checked import checked
from ._manifest import manifest, secret_data
from ._stateful import Persistence, stateful_service
from .connections import BrokerConnection
from .errors import ConfigError, check_non_negative_int, check_port
from .images import Image, default_redis_image
from .naming import DEFAULT_RELEASE, Release
from .security_profile import OFFICIAL_IMAGE_UID, ProcessNeeds
from .workload import SecretKeyRef, WorkloadOptions, build_container

__all__ = ["REDIS_PASSWORD_KEY", "Redis", "RedisSettings"]

REDIS_PASSWORD_KEY = "redis-password"


@dataclass(frozen=True, kw_only=True)
class RedisSettings:
    """Redis for Celery.

    Args:
        bundled: run Redis in the cluster; ``False`` uses ``host``. @default ``True``
        host: external Redis host (required when not bundled). @default none
        port: @default 6379
        password: Redis password; ``None`` connects without one (unless ``existing_secret``).
            @default none
        existing_secret: a Secret key that already holds the password, instead of ``password``
            (nothing secret in your code); the Celery URLs then come from an existing Celery
            config Secret (``DagsterSystemConfig.celery_config_secret_name``). @default none
        broker_db: database number of the broker. @default 0
        backend_db: database number of the result backend. @default 0
        image: @default ``docker.io/library/redis`` (pinned)
        persistence: the bundled server's data volume. @default :class:`Persistence` (an ``8Gi`` claim)
        options: workload settings of the bundled StatefulSet (resources, nodeSelector,
            tolerations, affinity, security contexts, pod labels and annotations ...). @default none
    """

    bundled: bool = True
    host: str | None = None
    port: int = 6379
    password: str | None = field(default=None, repr=False)
    existing_secret: SecretKeyRef | None = None
    broker_db: int = 0
    backend_db: int = 0
    image: Image = field(default_factory=default_redis_image)
    persistence: Persistence = field(default_factory=Persistence)
    options: WorkloadOptions = field(default_factory=WorkloadOptions)

    def __post_init__(self) -> None:
        if self.bundled and self.host is not None:
            raise ConfigError("RedisSettings.host", self.host,
                              "no host for a bundled Redis (set bundled=False to use an external one)")
        if not self.bundled and (not isinstance(self.host, str) or not self.host.strip()):
            raise ConfigError("RedisSettings.host", self.host, "the external Redis host name")
        check_port("RedisSettings.port", self.port)
        check_non_negative_int("RedisSettings.broker_db", self.broker_db)
        check_non_negative_int("RedisSettings.backend_db", self.backend_db)
        if self.password is not None and (not isinstance(self.password, str) or not self.password):
            raise ConfigError("RedisSettings.password", "<redacted>", "a non-empty string or None")
        if self.existing_secret is not None:
            if not isinstance(self.existing_secret, SecretKeyRef):
                raise ConfigError("RedisSettings.existing_secret", self.existing_secret,
                                  "a SecretKeyRef(name=..., key=...)")
            if self.password is not None:
                raise ConfigError("RedisSettings.password", "<redacted>",
                                  "none when existing_secret is given (one source of the password)")


class Redis(Construct):
    """Redis for Celery: a bundled StatefulSet + Service, or only a connection; and with a
    password (not an existing Secret), the password Secret (also for an external Redis: readers of the broker other than
    Celery, such as KEDA, take credentials only from a Secret).

    Attributes:
        connection: broker and backend URLs (``redis://``); it carries ``password_secret``.
        service_name / port: the Service (bundled) or external host.
        password_secret: the Secret key holding the password, created or existing (``None``
            without a password).
    """

    @checked
    def __init__(self, scope: Construct, id: str, *, release: Release = DEFAULT_RELEASE,
                 settings: RedisSettings, image_pull_secrets: tuple[str, ...] = ()) -> None:
        super().__init__(scope, id)
        s = settings
        self.service_name: str = release.redis if s.bundled else (s.host or "")
        self.port = s.port
        #: The bundled server's pods (``None`` for an external Redis).
        self.pod_selector: dict[str, str] | None = release.selector("redis") if s.bundled else None
        auth = f":{quote(s.password, safe='')}@" if s.password else ""
        base = f"redis://{auth}{self.service_name}:{s.port}"
        self.password_secret: SecretKeyRef | None = s.existing_secret
        if s.password:
            self.password_secret = SecretKeyRef(name=release.redis_secret, key=REDIS_PASSWORD_KEY)
            manifest(self, "secret", "Secret", name=self.password_secret.name, labels=release.labels("redis"),
                     body={"type": "Opaque", "data": secret_data({self.password_secret.key: s.password})})
        #: Every Secret key Redis (and KEDA) reads credentials from.
        self.credential_keys: tuple[SecretKeyRef, ...] = (
            (self.password_secret,) if self.password_secret is not None else ())
        self.connection = BrokerConnection(broker_url=f"{base}/{s.broker_db}",
                                           backend_url=f"{base}/{s.backend_db}",
                                           host=self.service_name, port=s.port,
                                           password_secret=self.password_secret,
                                           password_in_secret_only=s.existing_secret is not None)
        if not s.bundled:
            return
        env = []
        args = ["redis-server", "--appendonly", "yes", "--dir", "/data"]
        if self.password_secret is not None:
            secret = self.password_secret
            # The kubelet expands $(REDIS_PASSWORD); the manifest never holds the password.
            env = [secret.env("REDIS_PASSWORD"), secret.env("REDISCLI_AUTH")]
            args += ["--requirepass", "$(REDIS_PASSWORD)"]
        ping = {"exec": {"command": ["sh", "-c", "redis-cli -p 6379 ping | grep -q PONG"]}}
        container = build_container(
            name="redis", image=s.image, options=s.options, command=args, env=env,
            ports=[{"name": "redis", "containerPort": 6379, "protocol": "TCP"}],
            readiness_probe={**ping, "initialDelaySeconds": 5, "periodSeconds": 10, "timeoutSeconds": 5},
            liveness_probe={**ping, "initialDelaySeconds": 30, "periodSeconds": 10, "timeoutSeconds": 5,
                            "failureThreshold": 6},
        )
        stateful_service(
            self, name=self.service_name, labels=release.labels("redis"),
            selector=release.selector("redis"), container=container,
            service_ports=[{"name": "redis", "port": s.port, "targetPort": "redis", "protocol": "TCP"}],
            data_mount_path="/data", persistence=s.persistence,
            options=s.options, image_pull_secrets=image_pull_secrets,
            # The official image's `redis` user; it writes only to its data directory.
            needs=ProcessNeeds(image_user=OFFICIAL_IMAGE_UID, writable_paths=("/tmp",),
                               requests={"cpu": "50m", "memory": "64Mi"}, limits={"cpu": "500m", "memory": "512Mi"}),
        )
