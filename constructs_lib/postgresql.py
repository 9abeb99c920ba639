"""PostgreSQL for Dagster's storage: bundled in the cluster, or an external server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from ._checked import checked
from ._manifest import manifest, secret_data
from ._stateful import Persistence, stateful_service
from .connections import DEFAULT_PG_SCHEME, PG_PASSWORD_SECRET_KEY, PostgresConnection
from .errors import ConfigError, check_non_empty, check_port
from .images import Image, default_postgres_image
from .naming import DEFAULT_RELEASE, Release
from .security_profile import OFFICIAL_IMAGE_UID, ProcessNeeds
from .workload import SecretKeyRef, WorkloadOptions, build_container

__all__ = ["ExternalPostgreSql", "ExternalPostgreSqlSettings", "PostgreSql", "PostgreSqlSettings"]


def _check_password(owner: str, password: str | None, existing_secret: SecretKeyRef | None) -> None:
    if (password is None) == (existing_secret is None):
        raise ConfigError(f"{owner}.password", "<redacted>" if password else password,
                          "exactly one of password (a Secret is created) or existing_secret")
    if password is not None and (not isinstance(password, str) or not password):
        raise ConfigError(f"{owner}.password", "<redacted>", "a non-empty string")


def _password_secret(scope: Construct, release: Release, password: str | None,
                     existing: SecretKeyRef | None) -> SecretKeyRef:
    """The existing Secret key, or a new Secret ``<fullname>-postgresql-secret`` holding ``password``."""
    if existing is not None:
        return existing
    secret = SecretKeyRef(name=release.postgresql_secret, key=PG_PASSWORD_SECRET_KEY)
    manifest(scope, "secret", "Secret", name=secret.name, labels=release.labels("postgresql"),
             body={"type": "Opaque", "data": secret_data({secret.key: password or ""})})
    return secret


@dataclass(frozen=True, kw_only=True)
class PostgreSqlSettings:
    """A PostgreSQL server run in the cluster (official ``postgres`` image, one replica).

    Args:
        password: the password; a Secret holding it is created. Give this or
            ``existing_secret``. @default none
        existing_secret: a Secret key that already holds the password. @default none
        username: @default ``dagster``
        database: @default ``dagster``
        port: Service port. @default 5432
        params: libpq parameters Dagster passes. @default none
        scheme: SQLAlchemy scheme Dagster connects with; ``None`` leaves it to SQLAlchemy.
            @default ``postgresql+psycopg2`` (the driver Dagster's images ship)
        image: @default ``docker.io/library/postgres`` (pinned)
        persistence: the data volume (claim size, StorageClass, access modes, an existing
            claim, or none). @default :class:`Persistence` (an ``8Gi`` claim)
        options: workload settings of the StatefulSet (resources, nodeSelector, tolerations,
            affinity, security contexts, pod labels and annotations ...). @default none
    """

    password: str | None = field(default=None, repr=False)
    existing_secret: SecretKeyRef | None = None
    username: str = "dagster"
    database: str = "dagster"
    port: int = 5432
    params: Mapping[str, Any] = field(default_factory=dict)
    image: Image = field(default_factory=default_postgres_image)
    scheme: str | None = DEFAULT_PG_SCHEME
    persistence: Persistence = field(default_factory=Persistence)
    options: WorkloadOptions = field(default_factory=WorkloadOptions)

    def __post_init__(self) -> None:
        _check_password("PostgreSqlSettings", self.password, self.existing_secret)
        check_non_empty("PostgreSqlSettings.username", self.username)
        check_non_empty("PostgreSqlSettings.database", self.database)
        check_port("PostgreSqlSettings.port", self.port)


class PostgreSql(Construct):
    """Bundled PostgreSQL: StatefulSet with a data volume claim, Service, password Secret.

    Attributes:
        connection: how Dagster reaches it (host = the Service name).
        service_name / port: the Service.
        secret_name: the password Secret (created or existing).
        pod_selector: labels selecting the server's pod.
    """

    @checked
    def __init__(self, scope: Construct, id: str, *, release: Release = DEFAULT_RELEASE,
                 settings: PostgreSqlSettings, image_pull_secrets: tuple[str, ...] = ()) -> None:
        super().__init__(scope, id)
        s = settings
        self.service_name = release.postgresql
        self.port = s.port
        self.pod_selector = release.selector("postgresql")
        secret = _password_secret(self, release, s.password, s.existing_secret)
        self.secret_name = secret.name
        self.connection = PostgresConnection(host=self.service_name, port=s.port, database=s.database,
                                             username=s.username, password_secret=secret,
                                             params=s.params, scheme=s.scheme)
        probe_cmd = ["pg_isready", "-U", s.username, "-d", s.database, "-h", "127.0.0.1", "-p", "5432"]
        container = build_container(
            name="postgresql",
            image=s.image,
            options=s.options,
            env=[
                {"name": "POSTGRES_USER", "value": s.username},
                secret.env("POSTGRES_PASSWORD"),
                {"name": "POSTGRES_DB", "value": s.database},
                # A claim's root holds lost+found, so the cluster lives one level down.
                {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
            ],
            ports=[{"name": "tcp-postgresql", "containerPort": 5432, "protocol": "TCP"}],
            readiness_probe={"exec": {"command": probe_cmd}, "initialDelaySeconds": 5,
                             "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6},
            liveness_probe={"exec": {"command": probe_cmd}, "initialDelaySeconds": 30,
                            "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6},
        )
        stateful_service(
            self, name=self.service_name, labels=release.labels("postgresql"),
            selector=self.pod_selector, container=container,
            service_ports=[{"name": "tcp-postgresql", "port": s.port, "targetPort": "tcp-postgresql",
                            "protocol": "TCP"}],
            data_mount_path="/var/lib/postgresql/data", persistence=s.persistence, options=s.options,
            image_pull_secrets=image_pull_secrets,
            # The official image's `postgres` user; the server writes its socket and lock file
            # to /var/run/postgresql, the entrypoint (and nss_wrapper for another UID) to /tmp.
            needs=ProcessNeeds(image_user=OFFICIAL_IMAGE_UID, writable_paths=("/var/run/postgresql", "/tmp"),
                               file_env=True),  # POSTGRES_PASSWORD_FILE
        )


@dataclass(frozen=True, kw_only=True)
class ExternalPostgreSqlSettings:
    """A PostgreSQL server outside the chart (a managed database, say).

    Args:
        host: its host name.
        password / existing_secret: as for :class:`PostgreSqlSettings`.
        username: @default ``dagster``
        database: @default ``dagster``
        port: @default 5432
        params: libpq parameters (``sslmode`` ...). @default none
        scheme: SQLAlchemy scheme; ``None`` leaves it to SQLAlchemy's default driver.
            @default ``postgresql+psycopg2`` (the driver Dagster's images ship)
    """

    host: str
    password: str | None = field(default=None, repr=False)
    existing_secret: SecretKeyRef | None = None
    username: str = "dagster"
    database: str = "dagster"
    port: int = 5432
    params: Mapping[str, Any] = field(default_factory=dict)
    scheme: str | None = DEFAULT_PG_SCHEME

    def __post_init__(self) -> None:
        _check_password("ExternalPostgreSqlSettings", self.password, self.existing_secret)
        if not isinstance(self.host, str) or not self.host or self.host != self.host.strip():
            raise ConfigError("ExternalPostgreSqlSettings.host", self.host, "a host name")
        check_port("ExternalPostgreSqlSettings.port", self.port)


class ExternalPostgreSql(Construct):
    """An external PostgreSQL: only the password Secret (unless it already exists).

    Attributes:
        connection: how Dagster reaches it.
        secret_name: the password Secret.
    """

    @checked
    def __init__(self, scope: Construct, id: str, *, release: Release = DEFAULT_RELEASE,
                 settings: ExternalPostgreSqlSettings) -> None:
        super().__init__(scope, id)
        s = settings
        secret = _password_secret(self, release, s.password, s.existing_secret)
        self.secret_name = secret.name
        self.connection = PostgresConnection(host=s.host, port=s.port, database=s.database,
                                             username=s.username, password_secret=secret,
                                             params=s.params, scheme=s.scheme)


