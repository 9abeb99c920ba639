"""Issue #13: the picture of the system is derived from the synthesized objects (and the
configuration for what they do not hold). The graph is asserted, not the pixels."""

from __future__ import annotations

import copy
import html
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

import main
from constructs_lib import BrokerConnection, ConfigError, build_variant
from constructs_lib.diagram import SystemGraph, config_graph, system_graph, write_diagram

from .conftest import ROOT, TEST_PASSWORDS, synth_config
from .validation.variants import variant_config, variant_objects

WEB, DAEMON = "Deployment/dagster-dagster-webserver", "Deployment/dagster-daemon"
CODE = "Deployment/dagster-dagster-user-deployments-k8s-example-user-code-1"
WORKERS, FLOWER = "Deployment/dagster-celery-workers-dagster", "Deployment/dagster-flower"
PG, MQ = "Service/dagster-postgresql", "Service/dagster-rabbitmq"
CODE_SVC, WEB_SVC, FLOWER_SVC = "Service/k8s-example-user-code-1", "Service/dagster-dagster-webserver", \
    "Service/dagster-flower-service"
JOBS = "Jobs/runs and steps"


def migrate_job(graph: SystemGraph) -> str:
    """The migrate Job's node (its name ends in a hash of its spec)."""
    (node,) = [n.id for n in graph.nodes if n.id.startswith("Job/dagster-dagster-webserver-instance-migrate-")]
    return node


def edges(graph: SystemGraph, relation: str) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.label) for e in graph.edges if e.relation == relation}


def test_the_default_celery_system() -> None:
    graph = system_graph(variant_objects("celery-rabbitmq"))
    MIGRATE = migrate_job(graph)
    assert {(n.id, n.role) for n in graph.nodes if n.role not in ("config", "secret")} == {
        (WEB_SVC, "service"), (FLOWER_SVC, "service"), (PG, "service"), (MQ, "service"), (CODE_SVC, "service"),
        (WEB, "workload"), (DAEMON, "workload"), (WORKERS, "workload"), (FLOWER, "workload"), (CODE, "workload"),
        (MIGRATE, "workload"), ("StatefulSet/dagster-postgresql", "datastore"),
        ("StatefulSet/dagster-rabbitmq", "datastore"), (JOBS, "jobs")}
    assert edges(graph, "talks to") == {
        (WEB, PG, "storage"), (DAEMON, PG, "storage"), (WORKERS, PG, "storage"), (MIGRATE, PG, "storage"),
        (WEB, CODE_SVC, "gRPC"), (DAEMON, CODE_SVC, "gRPC"),
        (WEB, MQ, "Celery"), (DAEMON, MQ, "Celery"), (WORKERS, MQ, "Celery"), (FLOWER, MQ, "Celery")}
    assert edges(graph, "routes to") == {
        (WEB_SVC, WEB, ""), (FLOWER_SVC, FLOWER, ""), (CODE_SVC, CODE, ""),
        (PG, "StatefulSet/dagster-postgresql", ""), (MQ, "StatefulSet/dagster-rabbitmq", "")}
    # Queued runs: the daemon launches run Jobs, the Celery workers a Job per step.
    assert edges(graph, "launches") == {(DAEMON, JOBS, "runs"), (WORKERS, JOBS, "steps")}
    assert {t for s, t, _ in edges(graph, "mounts") if s == WORKERS} == {
        "ConfigMap/dagster-instance", "ConfigMap/dagster-celery-dagster"}
    assert {t for s, t, _ in edges(graph, "reads") if s == WORKERS} == {
        "ConfigMap/dagster-celery-worker-env", "Secret/dagster-celery-config-secret",
        "Secret/dagster-postgresql-secret"}
    assert {t for s, t, _ in edges(graph, "reads") if s == "StatefulSet/dagster-rabbitmq"} == {
        "Secret/dagster-rabbitmq"}


def test_the_celery_less_system() -> None:
    graph = system_graph(variant_objects("k8s"))
    MIGRATE = migrate_job(graph)
    assert {n.id for n in graph.nodes if n.role not in ("config", "secret")} == {
        WEB_SVC, PG, CODE_SVC, WEB, DAEMON, CODE, MIGRATE, "StatefulSet/dagster-postgresql", JOBS}
    assert edges(graph, "talks to") == {
        (WEB, PG, "storage"), (DAEMON, PG, "storage"), (MIGRATE, PG, "storage"),
        (WEB, CODE_SVC, "gRPC"), (DAEMON, CODE_SVC, "gRPC")}
    assert edges(graph, "launches") == {(DAEMON, JOBS, "runs")}
    assert {n.id for n in graph.nodes if n.role == "secret"} == {"Secret/dagster-postgresql-secret"}
    assert config_graph(variant_config("k8s")) == graph  # what the CLI draws from a configuration


def test_autoscaling_and_external_services() -> None:
    graph = system_graph(variant_objects("celery-autoscaling"))
    scaled = "ScaledObject/dagster-celery-workers-backfills"
    assert edges(graph, "scales") == {(scaled, "Deployment/dagster-celery-workers-backfills", ""),
                                      ("ScaledObject/dagster-celery-workers-dagster", WORKERS, "")}
    assert (scaled, MQ, "rabbitmq queue length") in edges(graph, "talks to")
    assert edges(graph, "reads") >= {(scaled, "TriggerAuthentication/dagster-celery-broker", ""),
                                     ("TriggerAuthentication/dagster-celery-broker", "Secret/dagster-rabbitmq",
                                      "rabbitmq-password, rabbitmq-username")}
    external = system_graph(variant_objects("external"))
    db = "External/dagster-db.postgres.svc.cluster.local:5432"
    redis = "External/redis-master.redis.svc.cluster.local:6379"
    assert {n.id for n in external.nodes if n.role == "external"} == {db, redis}
    assert (WORKERS, redis, "Celery") in edges(external, "talks to")
    assert external.node("Secret/dagster-db-credentials").note == "existing"


def test_the_graph_follows_the_objects() -> None:
    """Derived, not drawn: change the output and the picture changes with it."""
    objects = copy.deepcopy(variant_objects("k8s"))
    instance = next(o for o in objects if o["metadata"]["name"] == "dagster-instance")
    instance["data"]["dagster.yaml"] = instance["data"]["dagster.yaml"].replace(
        "hostname: dagster-postgresql", "hostname: db.example.com")
    service = next(o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == "k8s-example-user-code-1")
    service["spec"]["selector"] = {"component": "nothing"}
    graph = system_graph(objects)
    assert (WEB, "External/db.example.com:5432", "storage") in edges(graph, "talks to")
    assert not any(s == CODE_SVC for s, _, _ in edges(graph, "routes to"))
    # An existing Celery Secret: the configuration's broker connection says where it points.
    config = replace(build_variant("external", TEST_PASSWORDS), celery_config_secret_name="my-celery",
                     broker=BrokerConnection(broker_url="redis://r.cache:6379/0", host="r.cache", port=6379))
    graph = system_graph(synth_config(config), broker=("r.cache", 6379))
    assert (WORKERS, "External/r.cache:6379", "Celery") in edges(graph, "talks to")
    assert graph.node("Secret/my-celery").note == "existing"


def test_mermaid_and_dot_name_every_node_and_edge() -> None:
    graph = system_graph(variant_objects("celery-rabbitmq"))
    mermaid = graph.mermaid()
    assert mermaid.startswith("flowchart LR\n")
    assert len(re.findall(r"^  +n\d+[\[(\{]", mermaid, re.M)) == len(graph.nodes)
    assert len(re.findall(r"^  n\d+ -", mermaid, re.M)) == len(graph.edges)
    assert all(n.name in mermaid for n in graph.nodes)
    dot = graph.dot()
    assert len(re.findall(r"^ +n\d+ -> n\d+ ", dot, re.M)) == len(graph.edges)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is installed by `make install`")
def test_main_draws_svg_and_mermaid(tmp_path: Path) -> None:
    for name in ("system.svg", "system.mmd"):
        assert main.main(["--variant", "k8s", "--outdir", str(tmp_path), "--diagram", str(tmp_path / name)]) == 0
    svg = html.unescape((tmp_path / "system.svg").read_text())
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "dagster-dagster-webserver" in svg
    assert (tmp_path / "system.mmd").read_text().startswith("flowchart LR")
    with pytest.raises(ConfigError, match=r"--diagram: invalid value .*pic.png.*expected a file name ending in .svg"):
        write_diagram(system_graph([]), tmp_path / "pic.png")
    with pytest.raises(SystemExit):
        main.main(["--all-variants", "--diagram", "x.svg"])


@pytest.mark.parametrize("variant", ["celery-rabbitmq", "k8s", "celery-autoscaling"])
def test_the_readme_pictures_are_current(variant: str) -> None:
    """`make diagrams` draws them; each names every node of the system as it is synthesized now."""
    svg = html.unescape((ROOT / "docs" / "diagrams" / f"{variant}.svg").read_text())
    graph = system_graph(variant_objects(variant))
    assert [n.name for n in graph.nodes if n.name not in svg] == []
    assert f"docs/diagrams/{variant}.svg" in (ROOT / "README.md").read_text()
