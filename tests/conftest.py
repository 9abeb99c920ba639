"""Shared test helpers: synthesize a chart or a variant and look objects up."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cdk8s  # not `from cdk8s import Testing`: pytest would collect it as a test class
import pytest
import yaml

from constructs_lib import VARIANTS, DagsterChart, DagsterSystemConfig, Passwords, build_variant

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

#: pytester runs user-style test sessions against the testing kit's plugin (tests/test_testing_kit.py).
pytest_plugins = ["pytester"]

#: Passwords every test synthesizes with; tests assert they never leave the Secrets.
TEST_PASSWORDS = Passwords(postgresql="pg-secret-0xPG", rabbitmq="mq-secret-0xMQ", redis="redis-secret-0xRD")
ROOT = Path(__file__).resolve().parent.parent
#: What a wheel is built from (pyproject.toml's packages and py-modules, the README it embeds).
PACKAGED = ("pyproject.toml", "README.md", "constructs_lib", "imports", "dagster_cdk8s_pytest.py")


def copy_packaged_sources(destination: Path) -> Path:
    """A copy of what the wheel is built from (building writes build/ and *.egg-info beside it)."""
    import shutil

    for name in PACKAGED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, destination / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc",
                                                                                          "build"))
        else:
            destination.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, destination / name)
    return destination

Manifest = dict[str, Any]


def synth_chart(build: Callable[[cdk8s.Chart], None], namespace: str | None = None) -> list[Manifest]:
    """Synthesize whatever ``build`` adds to an empty chart; returns the objects."""
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "test", namespace=namespace, disable_resource_name_hashes=True)
    build(chart)
    return list(cdk8s.Testing.synth(chart))


def synth_config(config: DagsterSystemConfig) -> list[Manifest]:
    app = cdk8s.Testing.app()
    chart = DagsterChart(app, "dagster", config=config)
    return list(cdk8s.Testing.synth(chart))


def synth_variant(name: str) -> list[Manifest]:
    return synth_config(build_variant(name, TEST_PASSWORDS))


def synth_variant_yaml(name: str, outdir: Path) -> str:
    """The YAML file ``main.py`` would write for variant ``name``."""
    app = cdk8s.App(outdir=str(outdir))
    DagsterChart(app, "dagster", config=build_variant(name, TEST_PASSWORDS))
    app.synth()
    return (outdir / "dagster.k8s.yaml").read_text()


def find(objects: list[Manifest], kind: str, name: str) -> Manifest:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}: " + ", ".join(
        f"{o['kind']}/{o['metadata']['name']}" for o in objects)
    return matches[0]


def kinds_and_names(objects: list[Manifest]) -> list[tuple[str, str]]:
    return [(o["kind"], o["metadata"]["name"]) for o in objects]


def container(obj: Manifest, name: str | None = None) -> Manifest:
    """The (named, else only) main container of a workload object."""
    containers = pod_spec(obj)["containers"]
    if name is None:
        assert len(containers) == 1
        return dict(containers[0])
    return next(c for c in containers if c["name"] == name)


def pod_spec(obj: Manifest) -> Manifest:
    return dict(obj["spec"]["template"]["spec"])


def config_map_yaml(objects: list[Manifest], name: str, key: str) -> Any:
    return yaml.safe_load(find(objects, "ConfigMap", name)["data"][key])


@pytest.fixture(params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def variant_objects(variant: str) -> Iterator[list[Manifest]]:
    yield synth_variant(variant)
