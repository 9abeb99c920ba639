"""The Secret holding the Celery broker and backend URLs (they carry credentials)."""

from __future__ import annotations

from constructs import Construct

from ._checked import checked
from ._manifest import manifest, secret_data
from .connections import BrokerConnection
from .errors import ConfigError, check_dns1123_subdomain
from .naming import DEFAULT_RELEASE, Release

__all__ = ["BROKER_URL_ENV", "BACKEND_URL_ENV", "CeleryConfigSecret"]

BROKER_URL_ENV = "DAGSTER_CELERY_BROKER_URL"
BACKEND_URL_ENV = "DAGSTER_CELERY_BACKEND_URL"


class CeleryConfigSecret(Construct):
    """Secret with keys ``DAGSTER_CELERY_BROKER_URL`` and ``DAGSTER_CELERY_BACKEND_URL``.

    Pods load it whole (``envFrom``) so Dagster's ``{env: DAGSTER_CELERY_BROKER_URL}`` resolves.

    Args:
        broker: the broker connection (from :class:`RabbitMq`, :class:`Redis` or explicit URLs).
            With an existing Secret it is optional and only tells workers what to wait for.
        existing_secret_name: use this existing Secret (same keys) instead of creating one.
            @default none

    Attributes:
        name: the Secret's name.
        broker: the connection it was made from.
    """

    @checked
    def __init__(self, scope: Construct, id: str, *, release: Release = DEFAULT_RELEASE,
                 broker: BrokerConnection | None = None, existing_secret_name: str | None = None) -> None:
        super().__init__(scope, id)
        self.broker = broker
        if existing_secret_name is not None:
            self.name = check_dns1123_subdomain("CeleryConfigSecret.existing_secret_name", existing_secret_name)
            return
        if broker is None:
            raise ConfigError("CeleryConfigSecret.broker", None,
                              "a BrokerConnection, or existing_secret_name naming a Secret that holds the URLs")
        if broker.password_in_secret_only:
            raise ConfigError("CeleryConfigSecret.existing_secret_name", None,
                              "an existing Secret holding DAGSTER_CELERY_BROKER_URL and DAGSTER_CELERY_BACKEND_URL: "
                              "the broker's password is only in its existing Secret, so the URLs cannot be written")
        self.name = release.celery_config_secret
        manifest(self, "secret", "Secret", name=self.name, labels=release.labels("celery"), body={
            "type": "Opaque",
            "data": secret_data({BROKER_URL_ENV: broker.broker_url, BACKEND_URL_ENV: broker.backend_url}),
        })
