"""Proof that the synthesized system runs: each variant's manifests booted as real processes.

No cluster is involved: the harness plays the kubelet (:mod:`.kubelet`) for every StatefulSet,
Job and Deployment of the variant, against real PostgreSQL, RabbitMQ and Redis servers started
from the StatefulSets (:mod:`.images`), with Service names and ports mapped to loopback ports
(:mod:`.network`) and pod paths re-rooted under a temp directory (:mod:`.filesystem`). Every
step has a timeout of at most 60 s; teardown stops every process group and removes the files.

Exercised, per variant (``celery-rabbitmq``, ``celery-redis``, ``k8s``):

* the migrate Job (``dagster instance migrate``) against the database;
* the webserver: ``/server_info`` and GraphQL listing the code location's definitions;
* the daemon: heartbeats in PostgreSQL's ``daemon_heartbeats``;
* each Celery queue's worker: answers a ping through the real broker and consumes its queue;
* Flower: ``/healthcheck``, its API and its view of the workers;
* the code location: ``dagster api grpc-health-check``, in its pod and through its Service;
* every readiness, liveness and startup probe of every container;
* the run launcher ``dagster.yaml`` configures can be built in the webserver and daemon pods.

Runs (launched through the Kubernetes API stand-in) are ``test_runs.py``'s. Not exercised:
RBAC, Ingress, PVC and storage semantics, Service load-balancing over several replicas (one
pod per workload), restarts and back-off, resource limits, security contexts and read-only
filesystems (the harness runs as root), the images' own contents and versions (stand-ins:
:mod:`.images`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib.images import DAGSTER_VERSION
from constructs_lib.naming import Release

from .kubelet import Container, Pod
from .processes import STEP_TIMEOUT, SmokeError
from .system import SmokeSystem, exec_python, http_request

pytestmark = pytest.mark.smoke

#: The variants are synthesized with the default release; names come from the library's naming.
RELEASE = Release()
EXAMPLE_JOBS = {"smoke_assets_job", "smoke_op_job"}
EXAMPLE_SCHEDULES = {"smoke_daily_schedule"}
EXAMPLE_ASSETS = {"smoke_numbers", "smoke_total"}

WORKSPACE_QUERY = """
query SmokeWorkspace {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation {
            name
            repositories { name jobs { name } schedules { name } assetNodes { assetKey { path } } }
          }
          ... on PythonError { message }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

CELERY_INSPECT = """
import json, sys
from dagster_celery.cli import get_validated_config
from dagster_celery.executor import CeleryExecutor
from dagster_celery.make_app import make_app
# The worker's own celery.yaml, {env: ...} resolved as `dagster-celery worker start` does.
config = get_validated_config(sys.argv[1])
app = make_app(CeleryExecutor.for_cli(**{k: config.get(k) for k in ("broker", "backend", "config_source")}).app_args())
inspect = app.control.inspect(timeout=1.5)  # the broker is local: replies take milliseconds
print(json.dumps({"ping": inspect.ping() or {}, "queues": inspect.active_queues() or {}}))
"""

BUILD_RUN_LAUNCHER = """
import json
from dagster import DagsterInstance
with DagsterInstance.get() as instance:
    launcher = instance.run_launcher
    print(json.dumps({"class": type(launcher).__name__, "module": type(launcher).__module__}))
"""


def deployments(system: SmokeSystem, component: str) -> list[str]:
    """Keys of the Deployments whose pods carry label ``component``."""
    return [key for key, pod in system.pods.items()
            if pod.kind == "Deployment" and pod.labels.get("component") == component]


def service_port(system: SmokeSystem, service: str) -> int:
    return int(system.cluster.get("Service", service)["spec"]["ports"][0]["port"])


def option(container: Container, *names: str) -> str | None:
    """The value of a command-line option in the container spec's command + args."""
    argv = [str(a) for a in [*container.spec.get("command", []), *container.spec.get("args", [])]]
    for index, arg in enumerate(argv):
        for name in names:
            if arg == name and index + 1 < len(argv):
                return argv[index + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def graphql(system: SmokeSystem, query: str) -> Any:
    pod = system.ready(f"Deployment/{RELEASE.webserver}")
    prefix = option(pod.container(), "--path-prefix") or ""
    endpoint = system.endpoint(RELEASE.webserver, service_port(system, RELEASE.webserver))
    body = json.dumps({"query": query}).encode()
    response = system.wait_http(endpoint, f"{prefix}/graphql", data=body,
                                headers={"Content-Type": "application/json"})
    return response.json()


class TestBootedVariant:
    def test_migrate_job_migrates_the_database(self, system: SmokeSystem) -> None:
        (job,) = [key for key in system.pods if key.startswith(f"Job/{RELEASE.migrate_job}-")]  # name-<spec hash>
        pod = system.ready(job)  # raises unless every container exited 0
        container = pod.container()
        log = pod.log_path(container.name).read_text()
        marker = "Storage schema state after migration:"
        assert marker in log, pod.log(container)
        after = yaml.safe_load(log.split(marker, 1)[1].split("\n", 2)[2])["schema"]
        assert set(after) == {"run_storage", "event_log_storage", "schedule_storage"}, after
        assert all(state["current"] == state["latest"] for state in after.values()), after
        result = system.psql(system.postgres_from(pod, container), "SELECT version_num FROM alembic_version")
        assert result.ok, result.describe()
        assert result.output.split() == [after["run_storage"]["latest"]], result.output

    def test_webserver_answers_server_info(self, system: SmokeSystem) -> None:
        pod = system.ready(f"Deployment/{RELEASE.webserver}")
        prefix = option(pod.container(), "--path-prefix") or ""
        endpoint = system.endpoint(RELEASE.webserver, service_port(system, RELEASE.webserver))
        info = system.wait_http(endpoint, f"{prefix}/server_info").json()
        assert info["dagster_version"] == DAGSTER_VERSION, info
        assert info["dagster_webserver_version"] == DAGSTER_VERSION, info

    def test_webserver_graphql_lists_the_code_location(self, system: SmokeSystem) -> None:
        workspace = yaml.safe_load(system.cluster.get("ConfigMap", RELEASE.workspace_config_map)["data"]
                                   ["workspace.yaml"])
        expected = {entry["grpc_server"]["location_name"] for entry in workspace["load_from"]}
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:  # the webserver may have started before the code server answered
            data = graphql(system, WORKSPACE_QUERY)
            entries = data["data"]["workspaceOrError"].get("locationEntries", [])
            loaded = {e["name"]: e["locationOrLoadError"] for e in entries
                      if e["locationOrLoadError"] and e["locationOrLoadError"]["__typename"] == "RepositoryLocation"}
            if set(loaded) == expected or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert set(loaded) == expected, f"locations loaded: {sorted(loaded)}, expected {sorted(expected)}: {data}"
        for name, location in loaded.items():
            repositories = location["repositories"]
            assert [r["name"] for r in repositories] == ["__repository__"], (name, repositories)
            repository = repositories[0]
            assert EXAMPLE_JOBS <= {j["name"] for j in repository["jobs"]}, repository
            assert {s["name"] for s in repository["schedules"]} == EXAMPLE_SCHEDULES, repository
            assert EXAMPLE_ASSETS <= {a["assetKey"]["path"][-1] for a in repository["assetNodes"]}, repository

    def test_daemon_writes_heartbeats_to_postgresql(self, system: SmokeSystem) -> None:
        pod = system.ready(f"Deployment/{RELEASE.daemon}")
        container = pod.container()
        connection = system.postgres_from(pod, container)
        instance = yaml.safe_load((Path(container.env["DAGSTER_HOME"]) / "dagster.yaml").read_text())
        wanted = {"SENSOR"}  # the daemons this dagster.yaml asks for
        if instance.get("scheduler", {}).get("class") == "DagsterDaemonScheduler":
            wanted.add("SCHEDULER")
        if instance.get("run_coordinator", {}).get("class") == "QueuedRunCoordinator":
            wanted.add("QUEUED_RUN_COORDINATOR")
        if instance.get("run_monitoring", {}).get("enabled"):
            wanted.add("MONITORING")
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            pod.check_running(container)
            result = system.psql(connection, "SELECT daemon_type, extract(epoch FROM now() - timestamp) "
                                             "FROM daemon_heartbeats")
            rows = dict(line.split("\t") for line in result.output.splitlines() if "\t" in line) if result.ok else {}
            if wanted <= set(rows) or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert result.ok, result.describe()
        assert wanted <= set(rows), f"heartbeats of {sorted(rows)}; daemon log:\n{pod.log(container)}"
        assert all(float(age) < STEP_TIMEOUT * 2 for age in rows.values()), rows

    def test_celery_workers_answer_ping_on_their_queue(self, system: SmokeSystem) -> None:
        keys = deployments(system, "celery")
        if not keys:
            pytest.skip(f"variant {system.name} runs no Celery workers")
        for key in keys:
            pod = system.ready(key)
            container = pod.container()
            queue, config = option(container, "-q", "--queue"), option(container, "-y", "--config-yaml")
            assert queue and config, container.spec
            node, reply = wait_for_worker(pod, container, config)
            assert reply["ping"][node] == {"ok": "pong"}, reply
            assert queue in {q["name"] for q in reply["queues"][node]}, (queue, reply["queues"][node])

    def test_flower_serves_its_api(self, system: SmokeSystem) -> None:
        keys = deployments(system, "flower")
        if not keys:
            pytest.skip(f"variant {system.name} runs no Flower")
        system.ready(keys[0])
        endpoint = system.endpoint(RELEASE.flower_service, service_port(system, RELEASE.flower_service))
        assert system.wait_http(endpoint, "/healthcheck").body == b"OK"
        workers = http_request(endpoint, "/api/workers", timeout=30)
        # Flower 2 closes its REST API unless auth or FLOWER_UNAUTHENTICATED_API is configured.
        assert workers.status in (200, 401), workers

    def test_flower_sees_the_workers_through_the_broker(self, system: SmokeSystem) -> None:
        keys = deployments(system, "flower")
        if not keys:
            pytest.skip(f"variant {system.name} runs no Flower")
        system.ready(keys[0])
        names = set()
        for key in deployments(system, "celery"):
            worker = system.ready(key)
            names.add(wait_for_worker(worker, worker.container(), option(worker.container(), "-y") or "")[0])
        endpoint = system.endpoint(RELEASE.flower_service, service_port(system, RELEASE.flower_service))
        online = [f'flower_worker_online{{worker="{name}"}} 1.0' for name in sorted(names)]
        metrics = system.wait_http(endpoint, "/metrics", until=lambda r: all(o in r.body.decode() for o in online))
        assert all(o in metrics.body.decode() for o in online), online

    def test_code_location_passes_grpc_health_check(self, system: SmokeSystem) -> None:
        keys = deployments(system, "user-deployments")
        assert keys, "no code location Deployment"
        webserver = system.ready(f"Deployment/{RELEASE.webserver}")
        for key in keys:
            pod = system.ready(key)
            container = pod.container()
            port = option(container, "-p", "--port")
            assert port, container.spec
            in_pod = pod.exec(container, ["dagster", "api", "grpc-health-check", "-p", port])
            assert in_pod.ok, in_pod.describe()
            service = next(s["metadata"]["name"] for s in system.cluster.of_kind("Service")
                           if s["spec"]["selector"].items() <= pod.labels.items())
            through_service = webserver.exec(webserver.container(), [
                "dagster", "api", "grpc-health-check", "--host", service, "-p", str(service_port(system, service))])
            assert through_service.ok, through_service.describe()

    def test_every_probe_passes(self, system: SmokeSystem) -> None:
        failures: list[str] = []
        checked = 0
        for key, pod in system.pods.items():
            if pod.kind == "Job":
                continue
            try:
                system.ready(key)
            except SmokeError as exc:
                failures.append(str(exc))
                continue
            for container in pod.containers.values():
                for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
                    if container.probe_spec(kind):
                        checked += 1
                        try:
                            pod.wait_probe(container, kind)
                        except SmokeError as exc:
                            failures.append(str(exc))
        assert not failures, "\n\n".join(failures)
        assert checked, "no probes"

    @pytest.mark.parametrize("workload", [RELEASE.webserver, RELEASE.daemon])
    def test_run_launcher_builds_in_pod(self, system: SmokeSystem, workload: str) -> None:
        pod = system.ready(f"Deployment/{workload}")
        container = pod.container()
        instance = yaml.safe_load((Path(container.env["DAGSTER_HOME"]) / "dagster.yaml").read_text())
        expected = instance["run_launcher"]["class"]
        built = exec_python(pod, container, BUILD_RUN_LAUNCHER)
        assert built["class"] == expected, built


def wait_for_worker(pod: Pod, container: Container, config: str) -> tuple[str, dict[str, Any]]:
    """This pod's Celery node name and the broker's inspect reply, once the worker answers
    (asked from inside the worker's pod with its own celery.yaml; remembered per pod)."""
    if "celery" in pod.facts:
        return pod.facts["celery"]  # type: ignore[no-any-return]
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        pod.check_running(container)
        reply = exec_python(pod, container, CELERY_INSPECT, config)
        nodes = [n for n in reply["ping"] if n.endswith("@" + pod.hostname)]
        if len(nodes) == 1 and nodes[0] in reply["queues"]:
            pod.facts["celery"] = (nodes[0], reply)
            return nodes[0], reply
        if time.monotonic() > deadline:
            raise SmokeError(f"{pod.key}: no Celery worker of host {pod.hostname} answered through the broker "
                             f"within {STEP_TIMEOUT:.0f}s: {reply}\n{pod.log(container)}")
        time.sleep(2)
