"""Translating values: equal pod settings are checked once and share one frozen WorkloadOptions
(and equal images one Image); settings that differ in anything (a type included) do not; an error
still names the values key of the location that has it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from constructs_lib import ConfigError
from constructs_lib.helm import from_helm_values
from constructs_lib.workload import WorkloadOptions

PW = {"postgresql": {"postgresqlPassword": "pw"}}


def _locations(*settings: dict[str, Any]) -> dict[str, Any]:
    return {**PW, "dagster-user-deployments": {"deployments": [
        {"name": f"loc-{i}", "image": {"repository": "r.example.com/code", "tag": "1"}, **extra}
        for i, extra in enumerate(settings)]}}


def _made(monkeypatch: pytest.MonkeyPatch) -> list[WorkloadOptions]:
    made: list[WorkloadOptions] = []
    original = WorkloadOptions.__post_init__

    def counted(self: WorkloadOptions) -> None:
        original(self)
        made.append(self)

    monkeypatch.setattr(WorkloadOptions, "__post_init__", counted)
    return made


def test_equal_settings_are_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    pod = {"resources": {"limits": {"cpu": "1"}}, "labels": {"team": "a"}, "env": [{"name": "A", "value": "1"}]}
    made = _made(monkeypatch)
    config_one = from_helm_values(_locations(pod))
    for_one = len(made)
    made.clear()
    config = from_helm_values(_locations(*(copy.deepcopy(pod) for _ in range(50))))
    assert len(made) == for_one  # 50 locations: no more WorkloadOptions made than for one
    assert len({id(c.options) for c in config.code_locations}) == 1
    assert config.code_locations[0].options == config_one.code_locations[0].options
    assert len({id(c.image) for c in config.code_locations}) == 1


@pytest.mark.parametrize("other", [
    {"labels": {"team": "b"}}, {"env": [{"name": "A", "value": "2"}]}, {"env": {"A": "1"}},
    {"resources": {"limits": {"cpu": 1}}}, {"resources": {"limits": {"cpu": 1.0}}},
    {"readinessProbe": {"periodSeconds": 5}}, {"envConfigMaps": [{"name": "x"}]},
])
def test_different_settings_are_not_shared(other: dict[str, Any]) -> None:
    base = {"resources": {"limits": {"cpu": "1"}}, "labels": {"team": "a"}, "env": [{"name": "A", "value": "1"}]}
    config = from_helm_values(_locations(base, {**base, **other}, base))
    first, second, third = (c.options for c in config.code_locations)
    assert first is third and second is not first
    alone = from_helm_values(_locations({**base, **other})).code_locations[0].options
    assert second == alone


def test_an_error_names_the_location_that_has_it() -> None:
    good = {"labels": {"team": "a"}}
    bad = {"labels": {"team": "a b"}}
    with pytest.raises(ConfigError, match=r"dagster-user-deployments\.deployments\[2\]\.labels"):
        from_helm_values(_locations(good, good, bad, good))
    with pytest.raises(ConfigError, match=r"dagster-user-deployments\.deployments\[1\]\.image"):
        from_helm_values(_locations({}, {"image": {"repository": "", "tag": "1"}}, {}))


def test_hardened_profile_is_checked_for_every_location() -> None:
    ok = {"podSecurityContext": {"runAsNonRoot": True}}
    root = {"securityContext": {"runAsUser": 0}}
    with pytest.raises(ConfigError, match=r"deployments\[1\]"):
        from_helm_values({**_locations(ok, root, ok), "securityProfile": "hardened"})
