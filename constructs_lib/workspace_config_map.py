"""The workspace: which code locations (gRPC servers) the webserver and daemon load."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from ._checked import checked
from ._manifest import manifest
from .errors import ConfigError, check_dns1123_subdomain, check_non_empty, check_port, check_unique
from .instance_config_map import dump_yaml
from .naming import DEFAULT_RELEASE, Release

__all__ = ["GrpcLocation", "WorkspaceConfigMap"]


@dataclass(frozen=True, kw_only=True)
class GrpcLocation:
    """A code location served by ``dagster api grpc`` at ``host:port``."""

    host: str
    port: int
    location_name: str
    ssl: bool | None = None

    def __post_init__(self) -> None:
        check_non_empty("GrpcLocation.host", self.host)
        check_port("GrpcLocation.port", self.port)
        if not isinstance(self.location_name, str) or not self.location_name.strip():
            raise ConfigError("GrpcLocation.location_name", self.location_name, "a non-empty name")


class WorkspaceConfigMap(Construct):
    """ConfigMap ``<fullname>-workspace-yaml`` with ``workspace.yaml`` (or an existing one).

    Args:
        locations: the gRPC servers, e.g. ``[d.grpc_location for d in user_code]``.
        external_config_map: use this existing ConfigMap (key ``workspace.yaml``) instead of
            writing one. @default none

    Attributes:
        name / key: the ConfigMap and its key.
        locations: the locations written.
    """

    @checked
    def __init__(self, scope: Construct, id: str, *, release: Release = DEFAULT_RELEASE,
                 locations: Sequence[GrpcLocation] = (), external_config_map: str | None = None) -> None:
        super().__init__(scope, id)
        self.key = "workspace.yaml"
        self.locations = list(locations)
        check_unique("WorkspaceConfigMap.locations.location_name", [loc.location_name for loc in self.locations])
        if external_config_map is not None:
            if self.locations:
                raise ConfigError("WorkspaceConfigMap.external_config_map", external_config_map,
                                  "no external ConfigMap when locations are given (pick one)")
            self.name = check_dns1123_subdomain("WorkspaceConfigMap.external_config_map", external_config_map)
            return
        self.name = release.workspace_config_map
        workspace = {"load_from": [
            {"grpc_server": {"host": loc.host, "port": loc.port, "location_name": loc.location_name,
                             **({"ssl": loc.ssl} if loc.ssl is not None else {})}}
            for loc in self.locations
        ]}
        manifest(self, "configmap", "ConfigMap", name=self.name, labels=release.labels(),
                 body={"data": {self.key: dump_yaml(workspace)}})
