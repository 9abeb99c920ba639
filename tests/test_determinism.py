"""Issue #4: synthesis is deterministic. The same configuration gives byte-identical files, in
one process, across processes (string hashing is randomized per process, so any dependence on
set order shows), and whatever order the input mappings were built in."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import cdk8s
import pytest
import yaml

from constructs_lib import (
    VARIANTS,
    CeleryK8sRunLauncher,
    CeleryQueue,
    CeleryWorkersSettings,
    CodeLocationSettings,
    DagsterChart,
    DagsterSystemConfig,
    PostgreSqlSettings,
    RbacSettings,
    WebserverSettings,
    WorkloadOptions,
)

from .conftest import ROOT, TEST_PASSWORDS, synth_variant_yaml
from .validation.variants import variant_config


def synth_config_yaml(config: DagsterSystemConfig, outdir: Path) -> str:
    """The file ``main.py`` would write for ``config`` (conftest's ``synth_variant_yaml``, for any config)."""
    app = cdk8s.App(outdir=str(outdir))
    DagsterChart(app, "dagster", config=config)
    app.synth()
    return (outdir / "dagster.k8s.yaml").read_text()


def test_synthesizing_twice_gives_identical_files(variant: str, tmp_path: Path) -> None:
    assert synth_variant_yaml(variant, tmp_path / "first") == synth_variant_yaml(variant, tmp_path / "second")


def test_processes_with_different_hash_seeds_write_identical_files(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        outdir = tmp_path / f"seed-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
               "DAGSTER_PG_PASSWORD": TEST_PASSWORDS.postgresql, "DAGSTER_RABBITMQ_PASSWORD": TEST_PASSWORDS.rabbitmq,
               "DAGSTER_REDIS_PASSWORD": TEST_PASSWORDS.redis}
        subprocess.run([sys.executable, "main.py", "--all-variants", "--outdir", str(outdir)], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=300)
        outputs.append({p.name: p.read_text() for p in sorted(outdir.glob("*.k8s.yaml"))})
    assert sorted(outputs[0]) == sorted(f"{v}.k8s.yaml" for v in VARIANTS)
    assert outputs[0] == outputs[1]


# ---- input order --------------------------------------------------------------------------------
Pairs = list[tuple[str, Any]]


def ordered(pairs: Pairs, reverse: bool) -> dict[str, Any]:
    return dict(reversed(pairs) if reverse else pairs)


ENV: Pairs = [("ALPHA", "1"), ("BRAVO", "2"), ("CHARLIE", "3")]
LABELS: Pairs = [("team", "data"), ("tier", "backend"), ("cost-center", "42")]
CELERY: Pairs = [("worker_prefetch_multiplier", 1), ("task_acks_late", True), ("broker_pool_limit", 4)]


Build = Callable[[DagsterSystemConfig, bool], DagsterSystemConfig]


def webserver_options(**fields: Pairs) -> Build:
    """The webserver's ``WorkloadOptions`` with ``fields`` built in either order."""
    return lambda base, reverse: replace(base, webserver=WebserverSettings(
        options=WorkloadOptions(**{name: ordered(pairs, reverse) for name, pairs in fields.items()})))


#: Input mapping -> (variant, how to set it on that variant's config, in order or reversed).
KNOBS: dict[str, tuple[str, Build]] = {
    "WorkloadOptions.labels": ("celery-rabbitmq", webserver_options(labels=LABELS)),
    "WorkloadOptions.node_selector": ("celery-rabbitmq", webserver_options(node_selector=LABELS)),
    "WorkloadOptions.annotations": ("celery-rabbitmq", webserver_options(annotations=LABELS)),
    "WorkloadOptions.workload_labels": ("celery-rabbitmq", webserver_options(workload_labels=LABELS)),
    "WorkloadOptions.env (mapping)": ("celery-rabbitmq", webserver_options(env=ENV)),
    "DagsterSystemConfig.pipeline_run_env": (
        "celery-rabbitmq", lambda c, r: replace(c, pipeline_run_env=ordered(ENV, r))),
    "CeleryQueue.config_source": ("celery-redis", lambda c, r: replace(c, celery_workers=CeleryWorkersSettings(
        queues=[CeleryQueue(name="dagster", config_source=ordered(CELERY, r))]))),
    "CeleryK8sRunLauncher.config_source": (
        "celery-redis", lambda c, r: replace(c, run_launcher=CeleryK8sRunLauncher(config_source=ordered(CELERY, r)))),
    "CodeLocationSettings.env": ("k8s", lambda c, r: replace(c, code_locations=[CodeLocationSettings(
        name="analytics", grpc_args=["--module-name", "analytics"], env=ordered(ENV, r))])),
    "PostgreSqlSettings.params": ("k8s", lambda c, r: replace(c, postgresql=PostgreSqlSettings(
        password=TEST_PASSWORDS.postgresql, params=ordered([("sslmode", "require"), ("connect_timeout", 5)], r)))),
    "RbacSettings.service_account_annotations": (
        "k8s", lambda c, r: replace(c, rbac=RbacSettings(service_account_annotations=ordered(LABELS, r)))),
}


def _label(item: Any) -> str:
    return str(item["name"]) if isinstance(item, Mapping) and "name" in item else repr(item)


def order_differences(path: str, a: Any, b: Any) -> Iterator[str]:
    """Where ``a`` and ``b`` differ: key order, item order, or value (``path`` names the spot).
    Strings holding YAML mappings (files in ConfigMaps) are compared as YAML."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if set(a) != set(b):
            yield f"{path}: keys differ"
            return
        if list(a) != list(b):
            yield f"{path}: key order ({', '.join(map(str, a))} vs {', '.join(map(str, b))})"
        for key in a:
            yield from order_differences(f"{path}.{key}", a[key], b[key])
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) == len(b) and all(x in b for x in a) and all(y in a for y in b) and a != b:
            yield f"{path}: item order ({', '.join(map(_label, a))} vs {', '.join(map(_label, b))})"
        elif len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                yield from order_differences(f"{path}[{index}]", x, y)
        else:
            yield f"{path}: items differ"
    elif isinstance(a, str) and isinstance(b, str) and a != b:
        embedded = [yaml.safe_load(s) if "\n" in s else None for s in (a, b)]
        if all(isinstance(e, Mapping) for e in embedded):
            yield from order_differences(f"{path} (embedded YAML)", *embedded)
        else:
            yield f"{path}: value differs"
    elif a != b:
        yield f"{path}: value differs"


def output_differences(first: str, second: str) -> list[str]:
    docs = [list(yaml.safe_load_all(text)) for text in (first, second)]
    if [(d["kind"], d["metadata"]["name"]) for d in docs[0]] != [(d["kind"], d["metadata"]["name"]) for d in docs[1]]:
        return ["the objects or their order differ"]
    return [diff for a, b in zip(*docs, strict=True)
            for diff in order_differences(f"{a['kind']}/{a['metadata']['name']}", a, b)]


@pytest.mark.parametrize("knob", list(KNOBS))
def test_input_order_does_not_change_the_output(knob: str, tmp_path: Path) -> None:
    variant, build = KNOBS[knob]
    forward = synth_config_yaml(build(variant_config(variant), False), tmp_path / "forward")
    backward = synth_config_yaml(build(variant_config(variant), True), tmp_path / "reversed")
    assert forward != synth_variant_yaml(variant, tmp_path / "variant"), f"{knob} does not reach the output"
    if forward != backward:
        pytest.fail(f"{knob}: the order of its keys shows in the output:\n  "
                    + "\n  ".join(output_differences(forward, backward) or ["(formatting only)"]), pytrace=False)


def test_order_differences_are_located() -> None:
    first = "kind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: '1'\n  b: '2'\n  f.yaml: |\n    p: 1\n    q: 2\n"
    second = "kind: ConfigMap\nmetadata: {name: x}\ndata:\n  b: '2'\n  a: '1'\n  f.yaml: |\n    q: 2\n    p: 1\n"
    assert output_differences(first, second) == [
        "ConfigMap/x.data: key order (a, b, f.yaml vs b, a, f.yaml)",
        "ConfigMap/x.data.f.yaml (embedded YAML): key order (p, q vs q, p)",
    ]
    assert output_differences(first, first) == []
