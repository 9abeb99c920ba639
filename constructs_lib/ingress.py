"""One Ingress routing to the webserver, the read-only webserver and Flower."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from ._checked import checked
from ._manifest import Json, manifest
from .apiserver import check_annotations, check_labels
from .dagit_service import DagitService
from .errors import ConfigError, check_dns1123_subdomain, check_one_of
from .flower import FlowerService
from .naming import DEFAULT_RELEASE, Release

__all__ = ["DagsterIngress", "IngressRoute", "IngressSettings"]

PATH_TYPES = ("Prefix", "Exact", "ImplementationSpecific")


@dataclass(frozen=True, kw_only=True)
class IngressRoute:
    """Where one backend is exposed.

    Args:
        host: host name; ``None`` matches any host. @default none
        path: @default the backend's path prefix, else ``/``
        path_type: ``Prefix``, ``Exact`` or ``ImplementationSpecific``. @default ``Prefix``
        tls_secret_name: serve TLS for ``host`` with this Secret. @default none
        preceding_paths / succeeding_paths: extra HTTPIngressPath objects before/after the
            route's own path (e.g. an SSL redirect). @default none
    """

    host: str | None = None
    path: str | None = None
    path_type: str = "Prefix"
    tls_secret_name: str | None = None
    preceding_paths: Sequence[Mapping[str, Any]] = ()
    succeeding_paths: Sequence[Mapping[str, Any]] = ()

    def __post_init__(self) -> None:
        if self.host is not None:
            check_dns1123_subdomain("IngressRoute.host", self.host.removeprefix("*."))
        if self.path is not None and (not isinstance(self.path, str) or not self.path.startswith("/")):
            raise ConfigError("IngressRoute.path", self.path, "a path starting with '/'")
        check_one_of("IngressRoute.path_type", self.path_type, PATH_TYPES)
        if self.tls_secret_name is not None:
            check_dns1123_subdomain("IngressRoute.tls_secret_name", self.tls_secret_name)
            if self.host is None:
                raise ConfigError("IngressRoute.tls_secret_name", self.tls_secret_name,
                                  "TLS only together with a host")


@dataclass(frozen=True, kw_only=True)
class IngressSettings:
    """The Ingress.

    Args:
        class_name: ``ingressClassName``. @default the cluster default
        annotations / labels: @default none
        webserver: route to the webserver. @default any host, its path prefix or ``/``
        read_only_webserver: route to the read-only webserver. @default none
        flower: route to Flower. @default none
    """

    class_name: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    webserver: IngressRoute | None = field(default_factory=IngressRoute)
    read_only_webserver: IngressRoute | None = None
    flower: IngressRoute | None = None

    def __post_init__(self) -> None:
        if self.class_name is not None:
            check_dns1123_subdomain("IngressSettings.class_name", self.class_name)
        check_annotations("IngressSettings.annotations", self.annotations)
        check_labels("IngressSettings.labels", self.labels)


class DagsterIngress(Construct):
    """Ingress ``<fullname>-ingress``.

    Attributes:
        name.
    """

    @checked
    def __init__(self, scope: Construct, id: str, *, release: Release = DEFAULT_RELEASE,
                 webserver: DagitService, flower: FlowerService | None = None,
                 settings: IngressSettings | None = None) -> None:
        super().__init__(scope, id)
        s = settings if settings is not None else IngressSettings()
        self.name = release.ingress
        routes: list[tuple[str, IngressRoute, str, int, str]] = []
        if s.webserver is not None:
            routes.append(("webserver", s.webserver, webserver.service_name, webserver.port,
                           webserver.path_prefix))
        if s.read_only_webserver is not None:
            if webserver.read_only_service_name is None:
                raise ConfigError("IngressSettings.read_only_webserver", s.read_only_webserver,
                                  "None unless WebserverSettings.read_only is True")
            routes.append(("read_only_webserver", s.read_only_webserver, webserver.read_only_service_name,
                           webserver.port, webserver.path_prefix))
        if s.flower is not None:
            if flower is None:
                raise ConfigError("IngressSettings.flower", s.flower, "None unless Flower is deployed")
            routes.append(("flower", s.flower, flower.service_name, flower.port, ""))
        if not routes:
            raise ConfigError("IngressSettings", s, "at least one route (webserver, read_only_webserver, flower)")
        rules: list[Json] = []
        tls: list[Json] = []
        for _, route, service, port, prefix in routes:
            path: Json = {"path": route.path or prefix or "/", "pathType": route.path_type,
                          "backend": {"service": {"name": service, "port": {"number": port}}}}
            rule: Json = {}
            if route.host:
                rule["host"] = route.host
            rule["http"] = {"paths": [*(dict(p) for p in route.preceding_paths), path,
                                      *(dict(p) for p in route.succeeding_paths)]}
            rules.append(rule)
            if route.tls_secret_name and route.host:
                tls.append({"hosts": [route.host], "secretName": route.tls_secret_name})
        spec: Json = {}
        if s.class_name:
            spec["ingressClassName"] = s.class_name
        if tls:
            spec["tls"] = tls
        spec["rules"] = rules
        manifest(self, "ingress", "Ingress", name=self.name, labels={**release.labels(), **s.labels},
                 annotations=s.annotations or None, body={"spec": spec})
