"""What Dagster needs to reach its database and its Celery broker.

Bundled and external services expose the same connection objects, so the rest of the system
is wired to a :class:`PostgresConnection` or a :class:`BrokerConnection` and never to a
re-typed host name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError, check_non_empty, check_port
from .workload import SecretKeyRef

__all__ = ["PG_PASSWORD_ENV", "PG_PASSWORD_SECRET_KEY", "BrokerConnection", "PostgresConnection"]

#: The env var every Dagster pod reads the database password from (``{env: ...}``).
PG_PASSWORD_ENV = "DAGSTER_PG_PASSWORD"
#: The Secret key dagster-k8s hard-codes for the pods it launches.
PG_PASSWORD_SECRET_KEY = "postgresql-password"
#: The SQLAlchemy scheme of the driver Dagster's images ship (psycopg2). Without it, SQLAlchemy
#: 2.1 (which dagster 1.13 allows) picks psycopg 3, which dagster-postgres does not install.
DEFAULT_PG_SCHEME = "postgresql+psycopg2"


@dataclass(frozen=True, kw_only=True)
class PostgresConnection:
    """Where Dagster's run, event-log and schedule storage live.

    Args:
        host: Service or DNS name of the server.
        port: @default 5432
        database: database name.
        username: login role.
        password_secret: the Secret key holding the password.
        params: extra libpq connection parameters (``sslmode`` ...). @default none
        scheme: SQLAlchemy scheme; ``None`` leaves it to SQLAlchemy's default driver.
            @default ``postgresql+psycopg2`` (the driver Dagster's images ship)
    """

    host: str
    database: str
    username: str
    password_secret: SecretKeyRef
    port: int = 5432
    params: Mapping[str, Any] = field(default_factory=dict)
    scheme: str | None = DEFAULT_PG_SCHEME

    def __post_init__(self) -> None:
        check_non_empty("PostgresConnection.host", self.host)
        check_non_empty("PostgresConnection.database", self.database)
        check_non_empty("PostgresConnection.username", self.username)
        check_port("PostgresConnection.port", self.port)
        if not isinstance(self.params, Mapping):
            raise ConfigError("PostgresConnection.params", self.params, "a mapping of libpq parameters")
        if self.scheme is not None:
            check_non_empty("PostgresConnection.scheme", self.scheme)

    def postgres_db(self) -> dict[str, Any]:
        """The ``postgres_db`` block of a Dagster storage; the password is read from env."""
        block: dict[str, Any] = {
            "username": self.username,
            "password": {"env": PG_PASSWORD_ENV},
            "hostname": self.host,
            "db_name": self.database,
            "port": self.port,
            "params": dict(self.params),
        }
        if self.scheme:
            block["scheme"] = self.scheme
        return block

    def password_env(self) -> dict[str, Any]:
        return self.password_secret.env(PG_PASSWORD_ENV)


@dataclass(frozen=True, kw_only=True)
class BrokerConnection:
    """A Celery broker and result backend.

    The URLs carry credentials, so they only ever go into the Celery config Secret.

    Args:
        broker_url: Celery broker URL (``pyamqp://...``, ``redis://...``).
        backend_url: Celery result backend URL. @default ``rpc://``
        host: host to wait for before Celery starts (and that queue-length autoscaling reads).
            @default none (no wait)
        port: port to wait for. @default none
        username_secret: the Secret key holding the broker's user name, for readers of the broker
            other than Celery (KEDA). @default none
        password_secret: the Secret key holding the broker's password, for the same. @default none
        password_in_secret_only: the URLs carry no password, which is only in ``password_secret``
            (a bundled broker's existing Secret): no Celery config Secret can be written from
            them, an existing one must hold the URLs. @default ``False``
    """

    broker_url: str
    backend_url: str = "rpc://"
    host: str | None = None
    port: int | None = None
    username_secret: SecretKeyRef | None = None
    password_secret: SecretKeyRef | None = None
    password_in_secret_only: bool = False

    def __post_init__(self) -> None:
        check_non_empty("BrokerConnection.broker_url", self.broker_url)
        check_non_empty("BrokerConnection.backend_url", self.backend_url)
        if "://" not in self.broker_url:
            raise ConfigError("BrokerConnection.broker_url", "<redacted>",
                              "a URL such as pyamqp://user:password@host:5672// or redis://host:6379/0")
        if (self.host is None) != (self.port is None):
            raise ConfigError("BrokerConnection.port", self.port, "given together with host")
        if self.port is not None:
            check_port("BrokerConnection.port", self.port)
        for name in ("username_secret", "password_secret"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, SecretKeyRef):
                raise ConfigError(f"BrokerConnection.{name}", value, "a SecretKeyRef(name=..., key=...) or None")
        if self.password_in_secret_only and self.password_secret is None:
            raise ConfigError("BrokerConnection.password_secret", None,
                              "the Secret key holding the password (password_in_secret_only is set)")
