"""A ConfigMap of environment variables, loaded whole into pods with ``envFrom``."""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from ._checked import checked
from ._manifest import manifest
from .errors import ConfigError, check_dns1123_subdomain, check_env_name
from .workload import init_construct

__all__ = ["EnvConfigMap"]


class EnvConfigMap(Construct):
    """ConfigMap ``name`` whose keys are env var names.

    Args:
        name: the ConfigMap name.
        data: variables; values must be strings (passwords belong in Secrets). Written sorted.
        labels: object labels. @default none

    Attributes:
        name: the ConfigMap name, for ``envFrom`` and Dagster's ``env_config_maps``.
        data: the variables.
    """

    @checked
    def __init__(self, scope: Construct, id: str, *, name: str, data: Mapping[str, str],
                 labels: Mapping[str, str] | None = None) -> None:
        init_construct(self, EnvConfigMap, scope, id)  # (made hundreds of times in a large system)
        check_dns1123_subdomain("EnvConfigMap.name", name)
        for key, value in data.items():
            check_env_name(f"EnvConfigMap({name}).data", key)
            if not isinstance(value, str):
                raise ConfigError(f"EnvConfigMap({name}).data.{key}", value, "a string")
        self.name = name
        self.data = dict(sorted(data.items()))
        manifest(self, "configmap", "ConfigMap", name=name, labels=labels, body={"data": self.data})
