"""Constructs refuse a wrong object for an argument with a ConfigError naming it (not an
AttributeError from deep inside, nor a wrong object written out): ``constructs_lib/_checked.py``."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import cdk8s
import constructs
import pytest

import constructs_lib
from constructs_lib import ConfigError, DagsterInstance, Release
from constructs_lib._checked import checked

PUBLIC_CONSTRUCTS = sorted(name for name, value in vars(constructs_lib).items() if name in constructs_lib.__all__
                           and inspect.isclass(value) and issubclass(value, constructs.Construct))


def test_every_public_construct_checks_its_arguments() -> None:
    assert len(PUBLIC_CONSTRUCTS) >= 20, PUBLIC_CONSTRUCTS
    unchecked = [n for n in PUBLIC_CONSTRUCTS if not hasattr(getattr(constructs_lib, n).__init__, "__wrapped__")]
    assert unchecked == []


@pytest.mark.parametrize("name", PUBLIC_CONSTRUCTS)
def test_a_wrong_object_is_named_as_the_constructs_argument(name: str) -> None:
    cls = getattr(constructs_lib, name)
    params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.kind == p.KEYWORD_ONLY]
    first = params[0]
    kwargs = {p.name: object() for p in params if p.default is p.empty or p is first}
    with pytest.raises(ConfigError) as raised:
        cls(cdk8s.Chart(cdk8s.App(), "user-chart"), "x", **kwargs)
    assert raised.value.field == f"{name}.{first.name}"
    assert "<object object" in str(raised.value)


class _Example(constructs.Construct):
    @checked
    def __init__(self, scope: constructs.Construct, id: str, *, release: Release,
                 instance: DagsterInstance | None = None, names: Sequence[str] = (),
                 labels: Mapping[str, str] | None = None, mode: Literal["a", "b"] = "a",
                 ratio: float = 1.0, count: int = 1, anything: Any = None, limit: int | None = None,
                 maybe: Any | None = None) -> None:
        super().__init__(scope, id)


@pytest.mark.parametrize(("kwargs", "field", "expected"), [
    ({"release": "dagster"}, "_Example.release", "expected Release"),
    ({"instance": Release()}, "_Example.instance", "expected DagsterInstance or None"),
    ({"names": "abc"}, "_Example.names", "expected a list of str"),  # a string is not a list of names
    ({"names": ["a", 1]}, "_Example.names", "expected a list of str"),
    ({"labels": {"a": 1}}, "_Example.labels", "expected a mapping of str to str or None"),
    ({"mode": "c"}, "_Example.mode", "expected 'a' or 'b'"),
    ({"ratio": "1"}, "_Example.ratio", "expected float"),
    ({"count": True}, "_Example.count", "expected int"),
    ({"limit": True}, "_Example.limit", "expected int or None"),
    ({"limit": "1"}, "_Example.limit", "expected int or None"),
    ({"instance": "dagster"}, "_Example.instance", "expected DagsterInstance or None"),
])
def test_the_check_follows_the_annotations(kwargs: dict[str, Any], field: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _Example(cdk8s.Chart(cdk8s.App(), "c"), "e", **{"release": Release(), **kwargs})
    assert raised.value.field == field
    assert expected in str(raised.value), str(raised.value)


def test_what_the_annotations_allow_passes() -> None:
    chart = cdk8s.Chart(cdk8s.App(), "c")
    _Example(chart, "e", release=Release(), names=("a", "b"), labels={"a": "b"}, mode="b", ratio=2, count=3,
             anything=object(), limit=5, maybe=object())
    _Example(chart, "f", release=Release(), limit=None, maybe=None)
    assert [c.node.id for c in chart.node.children] == ["e", "f"]


def test_how_the_arguments_are_bound_is_pythons() -> None:
    scope = cdk8s.Chart(cdk8s.App(), "binding")
    _Example(scope, "positional", release=Release())
    _Example(scope=scope, id="keywords", release=Release())
    with pytest.raises(ConfigError, match=r"_Example\.release"):  # checked in the signature's order, given in any
        _Example(scope, "x", names=[1], release="dagster")  # type: ignore[arg-type, list-item]
    with pytest.raises(ConfigError, match=r"_Example\.scope"):
        _Example(id="y", release=Release(), scope="scope")  # type: ignore[arg-type]
    for call, message in (
        (lambda: _Example(scope, "a"), "missing a required argument: 'release'"),  # type: ignore[call-arg]
        (lambda: _Example(scope, "b", id="c", release=Release()), "multiple values for argument 'id'"),  # type: ignore[misc]
        (lambda: _Example(scope, "d", Release()), "too many positional arguments"),  # type: ignore[misc]
        (lambda: _Example(scope, "e", release=Release(), colour="red"), "unexpected keyword argument 'colour'"),  # type: ignore[call-arg]
    ):
        with pytest.raises(TypeError, match=message):
            call()


def test_init_construct_is_constructs_init_without_a_second_check() -> None:
    from constructs_lib.env_config_map import EnvConfigMap

    chart = cdk8s.Chart(cdk8s.App(), "tree")
    env = EnvConfigMap(chart, "env", name="x-env", data={"A": "1"})
    assert env.node.scope is chart and env.node.id == "env" and env.node.path == "tree/env"
    with pytest.raises(ConfigError, match=r"EnvConfigMap\.scope"):  # still checked, once
        EnvConfigMap("chart", "env2", name="y-env", data={})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"EnvConfigMap\.id"):
        EnvConfigMap(chart, 2, name="y-env", data={})  # type: ignore[arg-type]
    calls: list[str] = []

    class Between(constructs.Construct):
        def __init__(self, scope: constructs.Construct, id: str) -> None:
            calls.append(id)
            super().__init__(scope, id)

    class Mine(EnvConfigMap, Between):  # a class between EnvConfigMap and Construct: its __init__ runs
        pass

    mine = Mine(chart, "mine", name="z-env", data={})
    assert calls == ["mine"] and mine.node.path == "tree/mine"
