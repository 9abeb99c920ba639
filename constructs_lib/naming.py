"""Object names and labels, derived in one place from the release name.

For release ``dagster`` every name equals the one the official Helm chart 1.9.3 renders, so a
team moving from ``helm install dagster dagster/dagster`` keeps its object names.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .errors import check_dns1123_label
from .images import DAGSTER_VERSION

__all__ = ["DEFAULT_RELEASE", "Release", "with_content_hash"]

_CHART = "dagster"
_USER_CODE_CHART = "dagster-user-deployments"


def with_content_hash(name: str, content: Any, *, length: int = 8) -> str:
    """``name-<hash>``: ``length`` hex digits of the SHA-256 of ``content`` (canonical JSON),
    ``name`` shortened so the result stays a 63-character DNS-1123 label."""
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"{name[:63 - 1 - length].rstrip('-')}-{digest[:length]}"


def _fullname(release: str, chart: str) -> str:
    # Helm's convention: the release name alone when it already contains the chart name.
    name = release if chart in release else f"{release}-{chart}"
    return name[:63].rstrip("-")


@dataclass(frozen=True, kw_only=True)
class Release:
    """The release every object name and label is derived from.

    Args:
        name: the release name (a DNS-1123 label). @default ``"dagster"``
        fullname_override: use this prefix instead of the derived one, for the system's and the
            code locations' objects (the chart's ``global.fullnameOverride``). The webserver,
            Celery workers, Flower and the migrate Job are named after the release name itself,
            as in the chart. @default none
        name_override: the chart name the prefix is derived with (the chart's
            ``global.nameOverride``). @default ``dagster``
    """

    name: str = "dagster"
    fullname_override: str | None = None
    name_override: str | None = None

    def __post_init__(self) -> None:
        check_dns1123_label("Release.name", self.name, max_length=53)
        if self.fullname_override is not None:
            check_dns1123_label("Release.fullname_override", self.fullname_override, max_length=53)
        if self.name_override is not None:
            check_dns1123_label("Release.name_override", self.name_override, max_length=53)

    # ---- prefixes -----------------------------------------------------------------------
    @property
    def fullname(self) -> str:
        """Prefix of the system's objects (``dagster`` for release ``dagster``)."""
        return self.fullname_override or _fullname(self.name, self.name_override or _CHART)

    @property
    def user_code_fullname(self) -> str:
        """Prefix of the code-location objects (``dagster-dagster-user-deployments``)."""
        return self.fullname_override or _fullname(self.name, self.name_override or _USER_CODE_CHART)

    def _r(self, suffix: str) -> str:
        # The chart names these after the release name, not the fullname.
        return f"{self.name}-{suffix}"[:63].rstrip("-")

    def _n(self, suffix: str) -> str:
        return f"{self.fullname}-{suffix}"

    # ---- ConfigMaps -----------------------------------------------------------------------
    @property
    def instance_config_map(self) -> str:
        return self._n("instance")

    @property
    def workspace_config_map(self) -> str:
        return self._n("workspace-yaml")

    def env_config_map(self, component: str) -> str:
        """``<fullname>-<component>-env``: webserver, daemon, pipeline, celery-worker, flower."""
        return self._n(f"{component}-env")

    def celery_queue_config_map(self, queue: str) -> str:
        return self._n(f"celery-{queue}")

    # ---- Secrets --------------------------------------------------------------------------
    @property
    def postgresql_secret(self) -> str:
        return self._n("postgresql-secret")

    @property
    def celery_config_secret(self) -> str:
        return self._n("celery-config-secret")

    @property
    def rabbitmq_secret(self) -> str:
        return f"{self.name}-rabbitmq"

    @property
    def redis_secret(self) -> str:
        return f"{self.name}-redis"

    # ---- KEDA ---------------------------------------------------------------------------
    @property
    def celery_broker_trigger_authentication(self) -> str:
        """The TriggerAuthentication with the Celery broker's credentials (queue autoscaling)."""
        return self._n("celery-broker")

    # ---- workloads and Services ---------------------------------------------------------
    @property
    def webserver(self) -> str:
        return self._r("dagster-webserver")

    @property
    def webserver_read_only(self) -> str:
        return f"{self.webserver}-read-only"

    @property
    def daemon(self) -> str:
        return self._n("daemon")

    def celery_workers(self, queue: str) -> str:
        return f"{self._r('celery-workers')}-{queue}"

    @property
    def flower(self) -> str:
        return self._r("flower")

    @property
    def flower_service(self) -> str:
        return self._n("flower-service")

    @property
    def migrate_job(self) -> str:
        """``<webserver>-instance-migrate``, as the chart names it; :class:`MigrateJob` appends a
        hash of its spec."""
        return self._r("dagster-webserver-instance-migrate")

    @property
    def ingress(self) -> str:
        return self._n("ingress")

    @property
    def postgresql(self) -> str:
        return f"{self.name}-postgresql"

    @property
    def rabbitmq(self) -> str:
        return f"{self.name}-rabbitmq"

    @property
    def redis(self) -> str:
        return f"{self.fullname}-redis-master"

    def user_code_deployment(self, location: str) -> str:
        return f"{self.user_code_fullname}-{location}"

    def user_code_env_config_map(self, location: str) -> str:
        return f"{self.user_code_fullname}-{location}-user-env"

    @property
    def user_code_shared_env_config_map(self) -> str:
        return f"{self.user_code_fullname}-user-deployments-shared-env"

    # ---- RBAC -----------------------------------------------------------------------------
    @property
    def service_account(self) -> str:
        return self.fullname

    @property
    def role(self) -> str:
        return self._n("role")

    @property
    def role_binding(self) -> str:
        return self._n("rolebinding")

    @property
    def user_code_service_account(self) -> str:
        return f"{self.user_code_fullname}-user-deployments"

    @property
    def user_code_role(self) -> str:
        return f"{self.user_code_fullname}-role"

    @property
    def user_code_role_binding(self) -> str:
        return f"{self.user_code_fullname}-rolebinding"

    # ---- labels ---------------------------------------------------------------------------
    def selector(self, component: str, *, app: str = _CHART, **extra: str) -> dict[str, str]:
        """Selector labels: unique per workload, and the only labels a Service selects on."""
        labels = {
            "app.kubernetes.io/name": app,
            "app.kubernetes.io/instance": self.name,
            "component": component,
        }
        labels.update(extra)
        return labels

    def labels(self, component: str | None = None, *, app: str = _CHART, **extra: str) -> dict[str, str]:
        """Object labels: the selector plus version and manager."""
        labels = {
            "app.kubernetes.io/name": app,
            "app.kubernetes.io/instance": self.name,
            "app.kubernetes.io/version": DAGSTER_VERSION,
            "app.kubernetes.io/managed-by": "cdk8s",
        }
        if component is not None:
            labels["component"] = component
        labels.update(extra)
        return labels


DEFAULT_RELEASE = Release()
