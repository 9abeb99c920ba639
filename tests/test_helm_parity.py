"""Parity with what the official chart 1.9.3 renders for the same values.

For everything the Dagster chart owns, the output has the same objects (kind and name) and
the same commands, env, envFrom, mounts, ports, service accounts, RBAC rules, Ingress rules
and ConfigMap content (YAML compared parsed). Every difference must be listed in DEVIATIONS
below, with the reason; anything else fails.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib import DAGSTER_VERSION
from constructs_lib.helm import from_helm_values, load_values

from .conftest import Manifest, synth_config

DATA = Path(__file__).parent / "data" / "official-chart-1.9.3"
CHART_VERSION = "1.9.3"
SUBCHARTS = ("postgresql", "rabbitmq", "redis")

# (kind, name, field) -> why the library differs on purpose. "*" matches any name.
DEVIATIONS: dict[tuple[str, str, str], str] = {
    (
        "ConfigMap",
        "dagster-flower-env",
        "exists",
    ): "the chart renders Flower's env ConfigMap even without Flower; the library only with Flower",
    (
        "ConfigMap",
        "dagster-dagster-user-deployments-user-deployments-shared-env",
        "data.DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP",
    ): "the chart points code locations at a ConfigMap it never creates; the library at the real pipeline env",
    (
        "Deployment",
        "dagster-dagster-user-deployments-k8s-example-user-code-1",
        "envFrom",
    ): "the optional Celery Secret is only referenced when the system uses Celery",
    (
        "Deployment",
        "dagster-dagster-user-deployments-k8s-example-user-code-1",
        "ports",
    ): "the gRPC container declares its port, so the Service's targetPort names it",
    (
        "Deployment",
        "dagster-flower",
        "command",
    ): "Flower 2 (current, pinned) is started as `celery flower --port=N`; the chart's 0.9.5 image took `flower`",
    (
        "Deployment",
        "dagster-flower",
        "serviceAccountName",
    ): "Flower never calls the Kubernetes API, so it runs without the launcher's ServiceAccount and token",
    (
        "Service",
        "dagster-rabbitmq",
        "ports",
    ): "single-node RabbitMQ from the official image: AMQP and management only (no epmd/clustering ports)",
    (
        "Service",
        "dagster-rabbitmq-headless",
        "ports",
    ): "single-node RabbitMQ from the official image: AMQP and management only (no epmd/clustering ports)",
}


# Deviations inside dagster.yaml, removed from the library's side before comparing.
POSTGRES_SCHEME = "postgresql+psycopg2"
DAGSTER_YAML_DEVIATIONS = {
    "postgres_db.scheme": "the library names the psycopg2 driver Dagster's images ship; without it SQLAlchemy 2.1 "
    "(which dagster 1.13 allows) picks psycopg 3 and every Dagster process fails to start",
}


def _without_known_instance_deviations(instance: Any) -> Any:
    if isinstance(instance, dict):
        for key in ("run_storage", "event_log_storage", "schedule_storage"):
            db = instance.get(key, {}).get("config", {}).get("postgres_db", {})
            if db.get("scheme") == POSTGRES_SCHEME:
                del db["scheme"]
    return instance


def _deviation(kind: str, name: str, field: str) -> bool:
    return (kind, name, field) in DEVIATIONS or (kind, "*", field) in DEVIATIONS


def load(path: Path) -> list[Manifest]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _is_subchart_internal(obj: Manifest) -> bool:
    labels = obj["metadata"].get("labels", {})
    chart = labels.get("chart", "") or labels.get("helm.sh/chart", "")
    return chart.startswith(SUBCHARTS) and obj["kind"] != "Service"


def _same_version(value: Any) -> Any:
    """The chart's Dagster version reads as the library's pinned one (image tags)."""
    if isinstance(value, str):
        return value.replace(f":{CHART_VERSION}", f":{DAGSTER_VERSION}")
    if isinstance(value, list):
        return [_same_version(v) for v in value]
    if isinstance(value, dict):
        return {k: _same_version(v) for k, v in value.items()}
    return value


def _command(container: Manifest) -> list[str]:
    full = [*container.get("command", []), *container.get("args", [])]
    if len(full) == 3 and full[:2] in (["/bin/bash", "-c"], ["sh", "-c"]):
        return shlex.split(full[2])  # the chart wraps commands in a shell; the library runs them directly
    return full


def _rules(role: Manifest) -> list[tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]]:
    return sorted((tuple(r["apiGroups"]), tuple(r["resources"]), frozenset(r["verbs"])) for r in role["rules"])


def compare(reference: list[Manifest], ours: list[Manifest]) -> list[str]:
    problems: list[str] = []
    ref = {(o["kind"], o["metadata"]["name"]): o for o in reference if not _is_subchart_internal(o)}
    out = {(o["kind"], o["metadata"]["name"]): o for o in ours}

    def check(kind: str, name: str, field: str, expected: Any, actual: Any) -> None:
        if _same_version(expected) != actual and not _deviation(kind, name, field):
            problems.append(f"{kind}/{name} {field}:\n  chart:   {expected!r}\n  library: {actual!r}")

    for (kind, name), expected in ref.items():
        actual = out.get((kind, name))
        if actual is None:
            if not _deviation(kind, name, "exists"):
                problems.append(f"{kind}/{name} is missing")
            continue
        if kind in ("Deployment", "StatefulSet", "Job"):
            rspec, ospec = expected["spec"]["template"]["spec"], actual["spec"]["template"]["spec"]
            check(kind, name, "serviceAccountName", rspec.get("serviceAccountName"), ospec.get("serviceAccountName"))
            for rc, oc in zip(rspec["containers"], ospec["containers"], strict=False):
                check(kind, name, "command", _command(rc), _command(oc))
                for field in ("env", "envFrom", "volumeMounts", "ports"):
                    check(kind, name, field, rc.get(field) or [], oc.get(field) or [])
        elif kind == "ConfigMap":
            rdata, odata = expected.get("data") or {}, actual.get("data") or {}
            check(kind, name, "keys", sorted(rdata), sorted(odata))
            for key, value in rdata.items():
                parsed = yaml.safe_load(value) if key.endswith(".yaml") else value
                mine = odata.get(key)
                mine_parsed = yaml.safe_load(mine) if (mine is not None and key.endswith(".yaml")) else mine
                if key == "dagster.yaml":
                    mine_parsed = _without_known_instance_deviations(mine_parsed)
                check(
                    kind,
                    name,
                    f"data.{key}",
                    parsed,
                    mine_parsed,
                )
        elif kind == "Service":
            check(
                kind,
                name,
                "ports",
                [(p["port"], p.get("name")) for p in expected["spec"]["ports"]],
                [(p["port"], p.get("name")) for p in actual["spec"]["ports"]],
            )
        elif kind == "Role":
            check(kind, name, "rules", _rules(expected), _rules(actual))
        elif kind == "RoleBinding":
            check(
                kind,
                name,
                "binding",
                (expected["subjects"], expected["roleRef"]),
                (actual["subjects"], actual["roleRef"]),
            )
        elif kind == "Ingress":
            check(kind, name, "rules", expected["spec"].get("rules"), actual["spec"].get("rules"))
            check(kind, name, "tls", expected["spec"].get("tls"), actual["spec"].get("tls"))
    for kind, name in out:
        if (
            (kind, name) not in ref
            and not _deviation(kind, name, "extra")
            and not (
                kind in ("Secret", "StatefulSet", "Service")
                and name.startswith(("dagster-postgresql", "dagster-rabbitmq"))
            )
        ):
            if kind == "Job" and name == "dagster-instance-migrate":
                continue
            problems.append(f"{kind}/{name} is not in the chart's output")
    return problems


CASES = {
    "k8s-run-launcher": [],
    "celery-rabbitmq-flower": ["runLauncher.type=CeleryK8sRunLauncher", "rabbitmq.enabled=true", "flower.enabled=true"],
}


@pytest.mark.parametrize("render", sorted(CASES))
def test_same_system_as_the_official_chart(render: str) -> None:
    values = load_values([DATA / "values.yaml"], sets=CASES[render])
    ours = synth_config(from_helm_values(values))
    problems = compare(load(DATA / f"{render}.yaml"), ours)
    assert problems == [], "\n".join(problems)


def test_the_comparison_catches_a_difference() -> None:
    values = load_values([DATA / "values.yaml"], sets=["dagsterWebserver.service.port=8080"])
    problems = compare(load(DATA / "k8s-run-launcher.yaml"), synth_config(from_helm_values(values)))
    assert any("dagster-dagster-webserver command" in p and "8080" in p for p in problems)
    assert any("Service/dagster-dagster-webserver ports" in p for p in problems)


def test_every_deviation_is_still_needed() -> None:
    """A deviation the output no longer shows must be removed from the list."""
    used: set[tuple[str, str, str]] = set()
    for render, sets in CASES.items():
        values = load_values([DATA / "values.yaml"], sets=sets)
        ours = synth_config(from_helm_values(values))
        saved = dict(DEVIATIONS)
        for key in saved:
            DEVIATIONS.pop(key)
            if compare(load(DATA / f"{render}.yaml"), ours):
                used.add(key)
            DEVIATIONS[key] = saved[key]
    assert set(DEVIATIONS) - used == set()
