"""PodDisruptionBudgets: voluntary disruptions (node drains, upgrades) keep enough pods up.

One budget per Deployment that serves: the webserver (and its read-only twin), each code
location and each Celery queue. The knobs are those of the bundled Redis subchart's
``podDisruptionBudget`` (``enabled``, ``minAvailable``, ``maxUnavailable``); the Dagster chart
1.9.3 itself has none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from constructs import Construct

from ._checked import checked
from ._manifest import Json, manifest
from .errors import ConfigError
from .naming import DEFAULT_RELEASE, Release

__all__ = ["PodDisruptionBudgetSettings", "PodDisruptionBudgets"]

_PERCENT = re.compile(r"^(100|[1-9]?[0-9])%$")


def _check_int_or_percent(field: str, value: object) -> None:
    if isinstance(value, bool) or not (
            (isinstance(value, int) and 0 <= value <= 2**31 - 1) or (isinstance(value, str) and _PERCENT.match(value))):
        raise ConfigError(field, value, "a non-negative number of pods or a percentage such as '50%'")


@dataclass(frozen=True, kw_only=True)
class PodDisruptionBudgetSettings:
    """The budgets (one switch, one rule for all).

    Args:
        enabled: create them. @default ``True`` (when settings are given)
        min_available: pods that must stay up (a number or ``"50%"``). @default none
        max_unavailable: pods that may be down at once; used when ``min_available`` is not
            given. @default 1
    """

    enabled: bool = True
    min_available: int | str | None = None
    max_unavailable: int | str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise ConfigError("PodDisruptionBudgetSettings.enabled", self.enabled, "true or false")
        if self.min_available is not None and self.max_unavailable is not None:
            raise ConfigError("PodDisruptionBudgetSettings.max_unavailable", self.max_unavailable,
                              "None when min_available is given (a budget has one of them)")
        for name in ("min_available", "max_unavailable"):
            value = getattr(self, name)
            if value is not None:
                _check_int_or_percent(f"PodDisruptionBudgetSettings.{name}", value)

    def spec(self) -> Json:
        if self.min_available is not None:
            return {"minAvailable": self.min_available}
        return {"maxUnavailable": self.max_unavailable if self.max_unavailable is not None else 1}


class PodDisruptionBudgets(Construct):
    """PodDisruptionBudget ``<deployment>`` for each ``(deployment name, pod selector)``.

    Attributes:
        budget_names.
    """

    @checked
    def __init__(self, scope: Construct, id: str, *, release: Release = DEFAULT_RELEASE,
                 settings: PodDisruptionBudgetSettings,
                 targets: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        super().__init__(scope, id)
        self.budget_names: list[str] = []
        for name, selector in targets:
            manifest(self, name, "PodDisruptionBudget", name=name, labels=release.labels(), body={
                "spec": {**settings.spec(), "selector": {"matchLabels": dict(selector)}},
            })
            self.budget_names.append(name)
