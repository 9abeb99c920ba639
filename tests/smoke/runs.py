"""What the run scenarios need: the booted configuration, the user's own objects, and clients
that launch runs (GraphQL) and read their outcome (GraphQL and PostgreSQL).

Each smoke variant is the shipped variant plus what the scenarios exercise:

* the code location gets list-form ``env`` (``SMOKE_LOCATION_ENV``, and ``SMOKE_DATA_FILE``
  naming a file of its volume), an ``envSecrets`` Secret and a ConfigMap volume mounted at
  ``/smoke-data``: the settings its runs must inherit through the container context;
* the QueuedRunCoordinator runs at most one run at a time (``max_concurrent_runs: 1``,
  dequeued every second) and run monitoring polls every 2 s with a 20 s start timeout;
* under Celery there are two queues, ``dagster`` and ``high-priority``, the latter with
  ``additionalCeleryArgs: [--concurrency, "2"]`` (``celery-redis`` ships it that way);
* ``celery-redis`` takes its broker password from Secrets the user made, as GitOps users do
  (``RedisSettings.existing_secret``, and ``celery_config_secret_name`` for the Celery URLs that
  hold the password; values ``redis.existingSecret`` and ``generateCeleryConfigSecret: false``):
  the library renders neither Secret, Redis starts with the password from the user's Secret, and
  the webserver, daemon, workers, Flower and runs read the URLs from the user's other Secret.

The Secrets and the ConfigMap are the user's (``kubectl apply``'d next to the release).
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import yaml

from constructs_lib import (
    BACKEND_URL_ENV,
    BROKER_URL_ENV,
    CeleryQueue,
    CodeLocationSettings,
    DagsterSystemConfig,
    QueuedRunCoordinator,
    RedisSettings,
    RunMonitoring,
    SecretKeyRef,
    build_variant,
)
from constructs_lib.naming import Release
from tests.conftest import TEST_PASSWORDS

from .manifests import Manifest
from .processes import SmokeError
from .system import SmokeSystem

__all__ = ["RunOutcome", "launch_run", "smoke_config", "user_objects", "wait_for_run"]

RELEASE = Release()
LOCATION_SECRET = "smoke-location-secret"
LOCATION_DATA = "smoke-location-data"
#: The user's Secrets the celery-redis boot takes its broker password from (module docstring).
EXISTING_SECRET_VARIANT = "celery-redis"
REDIS_AUTH = SecretKeyRef(name="smoke-redis-auth", key="redis-pass")
CELERY_URLS_SECRET = "smoke-celery-urls"
DATA_MOUNT = "/smoke-data"
START_TIMEOUT = 60  # a run pod imports Dagster and loads the code: slow on a busy 2-core machine
MONITOR_POLL = 2
HIGH_PRIORITY = "high-priority"
CONCURRENCY = ["--concurrency", "2"]
#: Per run scenario (``variant: scenario``): wall seconds, shown after the session.
SCENARIO_TIMES: dict[str, float] = {}


def _with_settings(location: CodeLocationSettings) -> CodeLocationSettings:
    o = location.options
    options = replace(
        o,
        env=[*(o.env if not isinstance(o.env, dict) else [{"name": k, "value": v} for k, v in o.env.items()]),
             {"name": "SMOKE_LOCATION_ENV", "value": "from-location-env"},
             {"name": "SMOKE_DATA_FILE", "value": f"{DATA_MOUNT}/greeting.txt"}],
        env_secrets=[*o.env_secrets, LOCATION_SECRET],
        volumes=[*o.volumes, {"name": "smoke-data", "configMap": {"name": LOCATION_DATA}}],
        volume_mounts=[*o.volume_mounts, {"name": "smoke-data", "mountPath": DATA_MOUNT, "readOnly": True}],
    )
    return replace(location, options=options)


def smoke_config(variant: str) -> DagsterSystemConfig:
    """The shipped variant ``variant`` with what the run scenarios exercise (module docstring)."""
    config = build_variant(variant, TEST_PASSWORDS)
    instance = replace(config.instance,
                       run_coordinator=QueuedRunCoordinator(max_concurrent_runs=1, dequeue_interval_seconds=1),
                       run_monitoring=RunMonitoring(start_timeout_seconds=START_TIMEOUT,
                                                    poll_interval_seconds=MONITOR_POLL))
    changes: dict[str, Any] = {"instance": instance,
                               "code_locations": [_with_settings(c) for c in config.code_locations]}
    if variant == EXISTING_SECRET_VARIANT:
        assert isinstance(config.broker, RedisSettings)
        changes["broker"] = replace(config.broker, password=None, existing_secret=REDIS_AUTH)
        changes["celery_config_secret_name"] = CELERY_URLS_SECRET
    if config.uses_celery:
        queues = list(config.celery_workers.queues)
        if HIGH_PRIORITY not in [q.name for q in queues]:
            queues.append(CeleryQueue(name=HIGH_PRIORITY, replicas=1, additional_celery_args=CONCURRENCY))
        changes["celery_workers"] = replace(config.celery_workers, queues=queues)
    return replace(config, **changes)


def _secret(name: str, data: dict[str, str], meta: dict[str, str]) -> Manifest:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": name, **meta},
            "data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}}


def user_objects(config: DagsterSystemConfig) -> list[Manifest]:
    """The objects the user creates next to the release: the location's Secret and ConfigMap; for a
    bundled Redis whose password is in an existing Secret, that Secret and the one with the Celery
    URLs (written as a user writes them: the release's Redis Service, the password URL-quoted)."""
    meta = {"namespace": config.namespace} if config.namespace else {}
    broker = config.broker
    secrets = []
    if isinstance(broker, RedisSettings) and broker.existing_secret is not None:
        assert broker.existing_secret == REDIS_AUTH and config.celery_config_secret_name == CELERY_URLS_SECRET
        password = TEST_PASSWORDS.redis
        base = f"redis://:{quote(password, safe='')}@{config.release.redis}:{broker.port}"
        secrets = [_secret(REDIS_AUTH.name, {REDIS_AUTH.key: password}, meta),
                   _secret(CELERY_URLS_SECRET, {BROKER_URL_ENV: f"{base}/{broker.broker_db}",
                                                BACKEND_URL_ENV: f"{base}/{broker.backend_db}"}, meta)]
    return [
        *secrets,
        {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
         "metadata": {"name": LOCATION_SECRET, **meta},
         "data": {"SMOKE_SECRET_TOKEN": base64.b64encode(b"from-location-secret").decode()}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": LOCATION_DATA, **meta},
         "data": {"greeting.txt": "from-location-volume\n"}},
    ]


# ---- GraphQL -----------------------------------------------------------------------------------
LAUNCH = """
mutation SmokeLaunch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message stack }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
    ... on RunConflict { message }
    ... on PipelineNotFoundError { message }
  }
}
"""

RUN = """
query SmokeRun($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { runId status jobName }
    ... on RunNotFoundError { message }
    ... on PythonError { message }
  }
}
"""

RUNS = """
query SmokeRuns($filter: RunsFilter!) {
  runsOrError(filter: $filter) {
    __typename
    ... on Runs { results { runId status jobName } }
    ... on PythonError { message }
  }
}
"""

EVENTS = """
query SmokeEvents($runId: ID!) {
  logsForRun(runId: $runId, limit: 5000) {
    __typename
    ... on EventConnection {
      events {
        __typename
        ... on MessageEvent { message }
        ... on StepEvent { stepKey }
        ... on ExecutionStepFailureEvent { error { message causes { message } } }
        ... on RunFailureEvent { error { message causes { message } } }
        ... on EngineEvent { error { message causes { message } } }
      }
    }
    ... on PythonError { message }
  }
}
"""

TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


def graphql(system: SmokeSystem, query: str, variables: dict[str, Any]) -> Any:
    port = int(system.cluster.get("Service", RELEASE.webserver)["spec"]["ports"][0]["port"])
    endpoint = system.endpoint(RELEASE.webserver, port)
    body = json.dumps({"query": query, "variables": variables}).encode()
    response = system.wait_http(endpoint, "/graphql", data=body, headers={"Content-Type": "application/json"})
    data = response.json()
    if data.get("errors"):
        raise SmokeError(f"GraphQL errors: {data['errors']}")
    return data["data"]


def launch_run(system: SmokeSystem, job: str, *, tags: dict[str, str] | None = None,
               run_config: dict[str, Any] | None = None) -> str:
    """``launchRun`` of ``job`` of the example location (with ``run_config``); the new run's id."""
    workspace = yaml.safe_load(system.cluster.get("ConfigMap", RELEASE.workspace_config_map)["data"]
                               ["workspace.yaml"])
    location_name = workspace["load_from"][0]["grpc_server"]["location_name"]
    params = {"selector": {"repositoryLocationName": location_name, "repositoryName": "__repository__",
                           "jobName": job},
              "runConfigData": run_config or {},
              "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}}
    result = graphql(system, LAUNCH, {"params": params})["launchRun"]
    if result["__typename"] != "LaunchRunSuccess":
        raise SmokeError(f"launchRun {job}: {result}")
    return str(result["run"]["runId"])


class RunOutcome:
    """A finished run as GraphQL and PostgreSQL report it."""

    def __init__(self, run_id: str, status: str, events: list[dict[str, Any]], seconds: float) -> None:
        self.run_id = run_id
        self.status = status
        self.events = events
        self.seconds = seconds

    def steps(self, typename: str) -> set[str]:
        return {e["stepKey"] for e in self.events if e["__typename"] == typename and e.get("stepKey")}

    def messages(self) -> str:
        lines = []
        for e in self.events:
            error = " / caused by: ".join([(e.get("error") or {}).get("message") or "",
                                           *(c["message"] for c in (e.get("error") or {}).get("causes") or [])])
            lines.append(f"{e['__typename']} {e.get('stepKey') or ''}: {e.get('message') or ''}"
                         + (f" [{error.strip()}]" if error.strip(" /") else ""))
        return "\n".join(lines)


def run_status(system: SmokeSystem, run_id: str) -> str:
    run = graphql(system, RUN, {"runId": run_id})["runOrError"]
    if run["__typename"] != "Run":
        raise SmokeError(f"run {run_id}: {run}")
    return str(run["status"])


def run_events(system: SmokeSystem, run_id: str) -> list[dict[str, Any]]:
    logs = graphql(system, EVENTS, {"runId": run_id})["logsForRun"]
    if logs["__typename"] != "EventConnection":
        raise SmokeError(f"logsForRun {run_id}: {logs}")
    return list(logs["events"])


def wait_for_run(system: SmokeSystem, run_id: str, *, timeout: float) -> RunOutcome:
    """Poll the run until it is finished (or ``timeout``); its status and event log."""
    began = time.monotonic()
    status = "?"
    while time.monotonic() - began < timeout:
        status = run_status(system, run_id)
        if status in TERMINAL:
            return RunOutcome(run_id, status, run_events(system, run_id), time.monotonic() - began)
        time.sleep(1.0)
    events = run_events(system, run_id)
    outcome = RunOutcome(run_id, status, events, time.monotonic() - began)
    jobs = "\n".join(f"  {j['metadata']['name']}: {j.get('status')}" for j in system.api.jobs())
    raise SmokeError(f"run {run_id} is still {status} after {timeout:.0f}s; events:\n{outcome.messages()}\n"
                     f"Jobs created through the API:\n{jobs or '  (none)'}\n{describe_run_pods(system)}")


def describe_run_pods(system: SmokeSystem) -> str:
    """What the API stand-in was asked and the last output of every pod it ran (for a failure
    message), and the daemon's log."""
    requests = system.api.requests[-40:]
    out = ["API requests (last 40):", *(f"  {r.status} {r.method} {r.path} {r.query or ''} by {r.pod}"
                                       for r in requests)]
    daemon = system.pods.get(f"Deployment/{RELEASE.daemon}")
    if daemon is not None:
        out.append(f"-- daemon log:\n{daemon.log(daemon.container())}")
    for job in system.api.jobs():
        name = job["metadata"]["name"]
        pod = system.api.pod_of(name)
        if pod is None:
            continue
        for container in pod.containers.values():
            out.append(f"-- Job {name} container {container.name}:\n{pod.log(container)}")
    return "\n".join(out)


def sql_rows(system: SmokeSystem, sql: str) -> list[list[str]]:
    """Rows of ``sql`` on the run storage, queried as the daemon's pod connects."""
    pod = system.ready(f"Deployment/{RELEASE.daemon}")
    result = system.psql(system.postgres_from(pod, pod.container()), sql)
    if not result.ok:
        raise SmokeError(result.describe())
    return [line.split("\t") for line in result.output.splitlines() if line]
