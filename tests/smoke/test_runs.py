"""Runs, end to end, asserted by their outcome in PostgreSQL and through GraphQL (issue #8).

The booted variant (one boot per variant, shared with ``test_smoke.py``) launches real Dagster
runs: the run launcher creates Kubernetes Jobs through the API stand-in
(:mod:`.api_server`), the harness's kubelet runs their pods from their own pod spec, and the
outcome is read where Dagster writes it (the run and event storage in PostgreSQL, GraphQL).

* ``k8s``: ``launchRun`` -> a Job in the runs' namespace -> ``SUCCESS``, every step's success
  in the event log, run monitoring reading a STARTED run's Job (the run waits for it); the code
  location's list-form env, its ``envSecrets`` Secret and a file of its volume reach the run's
  pod (the container context); ``max_concurrent_runs: 1`` keeps three runs submitted at once
  from overlapping; an op that raises gives ``FAILURE`` with its error; a run Job whose
  container cannot start (a missing Secret) is marked failed by run monitoring within its start
  timeout.
* ``celery-rabbitmq``, ``celery-redis``: a run of the ``celery_k8s_job_executor`` whose ops go
  to two queues: each queue's worker takes only its own steps (the step Jobs are created with
  that worker pod's token) and the run ends ``SUCCESS``; the ``high-priority`` worker runs with
  ``--concurrency 2``.
* every variant: the daemon, with no client, launches the sensor's run, which ends ``SUCCESS``.

Every wait has a timeout; the stand-in's unexpected requests fail the test that made them.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from .kubelet import Container, Pod
from .processes import SmokeError
from .runs import (
    CONCURRENCY,
    HIGH_PRIORITY,
    MONITOR_POLL,
    RELEASE,
    RUNS,
    SCENARIO_TIMES,
    START_TIMEOUT,
    TERMINAL,
    describe_run_pods,
    graphql,
    launch_run,
    run_status,
    sql_rows,
    wait_for_run,
)
from .system import SmokeSystem, exec_python

pytestmark = pytest.mark.smoke

#: Seconds a run may take from launch to its end (queueing, a run pod, step pods under Celery).
RUN_TIMEOUT = 240.0

CELERY_STATS = """
import json, sys
from dagster_celery.cli import get_validated_config
from dagster_celery.executor import CeleryExecutor
from dagster_celery.make_app import make_app
config = get_validated_config(sys.argv[1])
app = make_app(CeleryExecutor.for_cli(**{k: config.get(k) for k in ("broker", "backend", "config_source")}).app_args())
stats = app.control.inspect(timeout=3).stats() or {}
print(json.dumps({node: s.get("pool", {}).get("max-concurrency") for node, s in stats.items()}))
"""


def only(system: SmokeSystem, *variants: str) -> None:
    if system.name not in variants:
        pytest.skip(f"scenario of {', '.join(variants)}, not of {system.name}")


def timed(system: SmokeSystem, scenario: str, began: float) -> None:
    SCENARIO_TIMES[f"{system.name}: {scenario}"] = time.monotonic() - began


def assert_no_unexpected_api_calls(system: SmokeSystem) -> None:
    assert not system.api.unexpected, f"requests the API stand-in does not emulate: {system.api.unexpected}"


def run_job_name(run_id: str) -> str:
    return f"dagster-run-{run_id}"


def finished_job(system: SmokeSystem, name: str, timeout: float = 60.0) -> dict[str, Any]:
    """The Job ``name`` once its pod has exited (a run is SUCCESS a moment before its process ends)."""
    deadline = time.monotonic() + timeout
    while True:
        job = system.api.job(name)
        if job is None:
            raise SmokeError(f"no Job {name} in the API: {[j['metadata']['name'] for j in system.api.jobs()]}")
        if not job["status"].get("active") or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


def db_status(system: SmokeSystem, run_id: str) -> str:
    [[status]] = sql_rows(system, f"SELECT status FROM runs WHERE run_id = '{run_id}'")
    return status


def db_steps(system: SmokeSystem, run_id: str, event_type: str) -> set[str]:
    rows = sql_rows(system, f"SELECT step_key FROM event_logs WHERE run_id = '{run_id}' "
                            f"AND dagster_event_type = '{event_type}'")
    return {row[0] for row in rows}


class TestRuns:
    def test_the_daemon_launches_the_sensors_run(self, system: SmokeSystem) -> None:
        """No client: the sensor (RUNNING by default) asks for one run, the daemon launches it."""
        began = time.monotonic()
        deadline = began + RUN_TIMEOUT
        runs: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            found = graphql(system, RUNS, {"filter": {"pipelineName": "smoke_sensor_job"}})["runsOrError"]
            runs = found.get("results") or []
            if runs:
                break
            time.sleep(2)
        assert len(runs) == 1, f"the sensor's run was not launched within {RUN_TIMEOUT:.0f}s: {runs}"
        outcome = wait_for_run(system, runs[0]["runId"], timeout=max(10.0, deadline - time.monotonic()))
        assert outcome.status == "SUCCESS", outcome.messages() + "\n" + describe_run_pods(system)
        assert db_status(system, outcome.run_id) == "SUCCESS"
        tags = sql_rows(system, f"SELECT key, value FROM run_tags WHERE run_id = '{outcome.run_id}'")
        assert ["dagster/sensor_name", "smoke_sensor"] in tags, tags
        assert system.api.job(run_job_name(outcome.run_id)) is not None
        timed(system, "sensor run (daemon)", began)
        assert_no_unexpected_api_calls(system)

    def test_launched_run_succeeds_with_the_locations_settings(self, system: SmokeSystem) -> None:
        """launchRun -> Job -> SUCCESS; each op checks one setting of the code location."""
        only(system, "k8s")
        began = time.monotonic()
        run_id = launch_run(system, "smoke_settings_job")
        outcome = wait_for_run(system, run_id, timeout=RUN_TIMEOUT)
        assert outcome.status == "SUCCESS", outcome.messages() + "\n" + describe_run_pods(system)
        steps = {"smoke_location_env", "smoke_location_secret", "smoke_location_file"}
        assert outcome.steps("ExecutionStepSuccessEvent") == steps, outcome.messages()
        assert db_status(system, run_id) == "SUCCESS"
        assert db_steps(system, run_id, "STEP_SUCCESS") == steps
        job = finished_job(system, run_job_name(run_id))
        assert job["metadata"]["namespace"] == system.cluster.namespace
        assert job["status"].get("succeeded") == 1, job["status"]
        container = job["spec"]["template"]["spec"]["containers"][0]
        assert {"name": "SMOKE_LOCATION_ENV", "value": "from-location-env"} in container["env"]
        launches = system.api.made("POST", "/jobs")
        assert any(r.body["metadata"]["name"] == job["metadata"]["name"] and r.pod ==
                   system.ready(f"Deployment/{RELEASE.daemon}").name for r in launches), \
            "the run Job was not created by the daemon (the QueuedRunCoordinator launches runs)"
        timed(system, "launchRun -> Job -> SUCCESS (location env, Secret, volume)", began)
        assert_no_unexpected_api_calls(system)

    def test_queued_runs_never_overlap(self, system: SmokeSystem) -> None:
        """max_concurrent_runs 1: three runs submitted at once run one after the other."""
        only(system, "k8s")
        began = time.monotonic()
        run_ids = [launch_run(system, "smoke_op_job", tags={"smoke": "queued"}) for _ in range(3)]
        outcomes = [wait_for_run(system, run_id, timeout=3 * RUN_TIMEOUT) for run_id in run_ids]
        assert [o.status for o in outcomes] == ["SUCCESS"] * 3, "\n\n".join(o.messages() for o in outcomes)
        quoted = ", ".join(f"'{r}'" for r in run_ids)
        rows = sql_rows(system, f"SELECT run_id, start_time, end_time FROM runs WHERE run_id IN ({quoted}) "
                                "ORDER BY start_time")
        intervals = [(run_id, float(start), float(end)) for run_id, start, end in rows]
        assert len(intervals) == 3, rows
        for (a, _, a_end), (b, b_start, _) in itertools.pairwise(intervals):
            assert a_end <= b_start, f"runs {a} and {b} overlapped: {intervals}"
        timed(system, "three queued runs, max_concurrent_runs 1", began)

    def test_an_op_that_raises_fails_the_run(self, system: SmokeSystem) -> None:
        only(system, "k8s")
        began = time.monotonic()
        run_id = launch_run(system, "smoke_fail_job")
        outcome = wait_for_run(system, run_id, timeout=RUN_TIMEOUT)
        assert outcome.status == "FAILURE", outcome.messages()
        assert outcome.steps("ExecutionStepFailureEvent") == {"smoke_fails"}, outcome.messages()
        assert "smoke: this op fails on purpose" in outcome.messages()
        assert db_status(system, run_id) == "FAILURE"
        assert db_steps(system, run_id, "STEP_FAILURE") == {"smoke_fails"}
        timed(system, "op raises -> FAILURE", began)

    def test_a_run_whose_container_cannot_start_is_failed_by_run_monitoring(self, system: SmokeSystem) -> None:
        """The run pod loads a Secret that does not exist: it never starts (the Job stays active);
        run monitoring fails the run after its start timeout instead of leaving it STARTING."""
        only(system, "k8s")
        began = time.monotonic()
        missing = {"container_config": {"env_from": [{"secret_ref": {"name": "smoke-no-such-secret"}}]}}
        run_id = launch_run(system, "smoke_op_job", tags={"dagster-k8s/config": json.dumps(missing)})
        outcome = wait_for_run(system, run_id, timeout=RUN_TIMEOUT)
        assert outcome.status == "FAILURE", outcome.messages()
        messages = outcome.messages()
        assert f"{START_TIMEOUT} seconds to start" in messages, messages
        assert "RunStartEvent" not in {e["__typename"] for e in outcome.events}, messages
        # Dagster's debug info read the pod through the API, as the stand-in's kubelet reported it.
        assert "CreateContainerConfigError" in messages and "smoke-no-such-secret" in messages, messages
        assert db_status(system, run_id) == "FAILURE"
        assert outcome.seconds < START_TIMEOUT + RUN_TIMEOUT / 3, outcome.seconds
        timed(system, "missing Secret -> failed by run monitoring", began)
        assert_no_unexpected_api_calls(system)

    def test_run_monitoring_reads_a_started_runs_job(self, system: SmokeSystem) -> None:
        """While a run is STARTED, the daemon's run monitoring checks its worker's health by
        reading the run Job's status through the API. The run's op waits for a gate file that
        the test creates only once it has seen that read, so a run that would end within one
        monitoring poll cannot make the check pass or fail by chance."""
        only(system, "k8s")
        began = time.monotonic()
        daemon = system.ready(f"Deployment/{RELEASE.daemon}").name
        gate_dir = Path(tempfile.mkdtemp(prefix="smoke-gate-"))
        gate_dir.chmod(0o755)  # the run pod's process runs as the profile's non-root user
        gate = gate_dir / "release"
        try:
            run_id = launch_run(system, "smoke_gated_job", run_config={
                "ops": {"smoke_waits_for_gate": {"config": {"gate": str(gate), "timeout": RUN_TIMEOUT}}}})
            job_status = f"/jobs/dagster-run-{run_id}/status"
            deadline = time.monotonic() + RUN_TIMEOUT
            reads: list[str] = []
            status = "?"
            while time.monotonic() < deadline:
                reads = [r.pod for r in system.api.made("GET", job_status)]
                if daemon in reads:
                    break
                status = run_status(system, run_id)
                if status in TERMINAL:
                    break
                time.sleep(0.5)
            gate.touch()
            outcome = wait_for_run(system, run_id, timeout=RUN_TIMEOUT)
        finally:
            shutil.rmtree(gate_dir, ignore_errors=True)
        assert daemon in reads, (
            f"run {run_id} ({status}): no read of {job_status} by the daemon {daemon} (run monitoring polls "
            f"every {MONITOR_POLL}s); readers: {reads}\n{describe_run_pods(system)}")
        assert outcome.status == "SUCCESS", outcome.messages()
        assert outcome.steps("ExecutionStepSuccessEvent") == {"smoke_waits_for_gate"}, outcome.messages()
        timed(system, "run monitoring reads a STARTED run's Job", began)
        assert_no_unexpected_api_calls(system)

    def test_celery_steps_go_to_their_queues_workers(self, system: SmokeSystem) -> None:
        only(system, "celery-rabbitmq", "celery-redis")
        began = time.monotonic()
        run_id = launch_run(system, "smoke_celery_job")
        outcome = wait_for_run(system, run_id, timeout=RUN_TIMEOUT)
        assert outcome.status == "SUCCESS", outcome.messages() + "\n" + describe_run_pods(system)
        steps = {"smoke_on_high_priority": HIGH_PRIORITY, "smoke_on_default_queue": "dagster"}
        assert outcome.steps("ExecutionStepSuccessEvent") == set(steps), outcome.messages()
        assert db_steps(system, run_id, "STEP_SUCCESS") == set(steps)
        workers = {queue: system.ready(f"Deployment/{RELEASE.celery_workers(queue)}").name
                   for queue in set(steps.values())}
        created = {r.body["metadata"]["labels"].get("dagster/op"): r.pod for r in system.api.made("POST", "/jobs")
                   if (r.body["metadata"].get("labels") or {}).get("dagster/run-id") == run_id
                   and r.body["metadata"]["labels"].get("app.kubernetes.io/component") == "step_worker"}
        assert created == {step: workers[queue] for step, queue in steps.items()}, (created, workers)
        for step in steps:
            [name] = [j["metadata"]["name"] for j in system.api.jobs()
                      if (j["metadata"].get("labels") or {}).get("dagster/op") == step
                      and j["metadata"]["labels"].get("dagster/run-id") == run_id]
            job = finished_job(system, name)
            assert job["status"].get("succeeded") == 1, job
        timed(system, "celery run, two queues", began)
        assert_no_unexpected_api_calls(system)

    def test_the_queue_with_additional_celery_args_runs_with_them(self, system: SmokeSystem) -> None:
        only(system, "celery-rabbitmq", "celery-redis")
        pod = system.ready(f"Deployment/{RELEASE.celery_workers(HIGH_PRIORITY)}")
        container = pod.container()
        args = [str(a) for a in container.spec["args"]]
        assert args[-3:] == ["--", *CONCURRENCY], args
        assert max_concurrency(pod, container) == int(CONCURRENCY[1])


def max_concurrency(pod: Pod, container: Container) -> int:
    args = [str(a) for a in container.spec["args"]]
    path = args[args.index("-y") + 1]
    deadline = time.monotonic() + 60
    while True:
        stats = exec_python(pod, container, CELERY_STATS, path)
        mine = [v for node, v in stats.items() if node.endswith("@" + pod.hostname)]
        if mine:
            return int(mine[0])
        if time.monotonic() > deadline:
            raise SmokeError(f"{pod.key}: no stats from this worker through the broker: {stats}")
        time.sleep(2)
