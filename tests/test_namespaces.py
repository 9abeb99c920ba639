"""Issue #9: namespaces follow the user. A DagsterChart nested in a chart with a namespace puts
its objects and its runs there; without an explicit job namespace, runs of a K8sRunLauncher go
to the namespace the system is applied in, also through a kustomize ``namespace:`` overlay
(tested with ``kubectl kustomize``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import cdk8s
import pytest
import yaml

from constructs_lib import DagsterChart, K8sRunLauncher
from constructs_lib.instance_config_map import RUN_NAMESPACE_ENV

from .conftest import Manifest, config_map_yaml, synth_variant_yaml
from .test_cross_references import checks, externals_of
from .validation.crossref import launched_run_jobs
from .validation.manifests import containers, pod_spec, workloads
from .validation.variants import variant_config

FIELD_REF = {"fieldRef": {"fieldPath": "metadata.namespace"}}


def instance_loaders(objects: list[Manifest]) -> list[tuple[Manifest, Manifest]]:
    return [(w, c) for w in workloads(objects) for c in containers(pod_spec(w), init=False)
            if any(m["mountPath"].endswith("/dagster.yaml") for m in c.get("volumeMounts") or [])]


def assert_runs_follow_the_pods(objects: list[Manifest], namespace: str) -> None:
    """Every object is in ``namespace``, dagster.yaml reads the runs' namespace from env, every
    pod that loads it sets that env from its own namespace, no ConfigMap or container context
    pins another, and the modelled launched runs land in ``namespace``."""
    assert {o["metadata"].get("namespace") for o in objects} == {namespace}
    instance = next(o for o in objects if o["kind"] == "ConfigMap" and "dagster.yaml" in (o.get("data") or {}))
    assert yaml.safe_load(instance["data"]["dagster.yaml"])["run_launcher"]["config"]["job_namespace"] == {
        "env": RUN_NAMESPACE_ENV}
    loaders = instance_loaders(objects)
    assert len(loaders) >= 3
    for workload, container in loaders:
        assert {"name": RUN_NAMESPACE_ENV, "valueFrom": FIELD_REF} in container["env"], workload["metadata"]["name"]
    for config_map in (o for o in objects if o["kind"] == "ConfigMap"):
        assert RUN_NAMESPACE_ENV not in (config_map.get("data") or {}), config_map["metadata"]["name"]
    for workload in workloads(objects):
        for container in containers(pod_spec(workload), init=False):
            for var in container.get("env") or []:
                if var["name"].endswith("CONTAINER_CONTEXT"):
                    assert "namespace" not in json.loads(var["value"])["k8s"]
    runs = launched_run_jobs(objects)
    assert runs and {r["metadata"]["namespace"] for r in runs} == {namespace}


def test_a_dagster_chart_nested_in_a_chart_with_a_namespace_puts_objects_and_runs_there() -> None:
    app = cdk8s.Testing.app()
    team = cdk8s.Chart(app, "team", namespace="team-a")
    config = variant_config("k8s")
    chart = DagsterChart(team, "dagster", config=config)
    objects = list(chart.to_json())
    assert_runs_follow_the_pods(objects, "team-a")
    for name, check in checks(externals_of("k8s")).items():
        assert check(objects) == [], name


def test_an_explicit_job_namespace_is_kept() -> None:
    from dataclasses import replace

    config = replace(variant_config("k8s"), namespace="dagster", run_launcher=K8sRunLauncher(job_namespace="runs"))
    app = cdk8s.Testing.app()
    objects = list(DagsterChart(app, "dagster", config=config).to_json())
    launcher = config_map_yaml(objects, "dagster-instance", "dagster.yaml")["run_launcher"]["config"]
    assert launcher["job_namespace"] == "runs" and "env_vars" not in launcher
    for _, container in instance_loaders(objects):
        assert RUN_NAMESPACE_ENV not in {v["name"] for v in container.get("env") or []}
    assert {r["metadata"]["namespace"] for r in launched_run_jobs(objects)} == {"runs"}


def test_launched_runs_copy_the_namespace_from_the_launcher() -> None:
    """The run pods load dagster.yaml too: the launcher hands them its value (``env_vars: [KEY]``)."""
    config = variant_config("k8s")
    app = cdk8s.Testing.app()
    objects = list(DagsterChart(app, "dagster", config=config).to_json())
    launcher = config_map_yaml(objects, "dagster-instance", "dagster.yaml")["run_launcher"]["config"]
    assert launcher["env_vars"] == [RUN_NAMESPACE_ENV]


@pytest.fixture(scope="module")
def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.fail("kubectl is missing: `make install` installs it (scripts/kubectl-deps.sh: Debian's "
                    "kubernetes-client)")
    return path


def kustomize(kubectl: str, folder: Path) -> list[Any]:
    result = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.mark.parametrize("variant", ["k8s", "multi-location"])
def test_a_kustomize_namespace_overlay_moves_the_objects_and_the_runs(kubectl: str, tmp_path: Path,
                                                                      variant: str) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "dagster.k8s.yaml").write_text(synth_variant_yaml(variant, tmp_path / "out"))
    (base / "kustomization.yaml").write_text("resources: [dagster.k8s.yaml]\n")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    # `bases:` (not `resources:`): the kustomize v2 of Debian's kubectl 1.20 takes folders only
    # there; kustomize v5 still reads it (with a deprecation warning on stderr).
    (overlay / "kustomization.yaml").write_text("namespace: team-b\nbases: [../base]\n")
    objects = kustomize(kubectl, overlay)
    assert_runs_follow_the_pods(objects, "team-b")
    problems = {name: check(objects) for name, check in checks(externals_of(variant)).items()}
    assert problems == {name: [] for name in problems}
