"""The smoke test's code location: stands in for ``/example_project/example_repo/repo.py`` of
Dagster's ``user-code-example`` image (the variants run ``dagster api grpc --python-file`` on it).

The runs the smoke tests launch (``tests/smoke/test_runs.py``) execute these jobs in run and
step pods created through the Kubernetes API stand-in. What a run must find (the code
location's env, a Secret's value, a mounted file) is named in :data:`EXPECTED`.
"""

import os
import time
from pathlib import Path

from dagster import (
    Config,
    DefaultSensorStatus,
    Definitions,
    RunRequest,
    ScheduleDefinition,
    asset,
    define_asset_job,
    in_process_executor,
    job,
    op,
    sensor,
)
from dagster_celery_k8s import celery_k8s_job_executor

#: Variable -> value the code location's settings give its runs (see tests/smoke/runs.py):
#: list-form ``env``, a key of an ``envSecrets`` Secret, and (through a path in ``env``) a
#: file of a ``volumes``/``volumeMounts`` entry.
EXPECTED = {"SMOKE_LOCATION_ENV": "from-location-env", "SMOKE_SECRET_TOKEN": "from-location-secret"}
EXPECTED_FILE_CONTENT = "from-location-volume"


@asset
def smoke_numbers() -> list[int]:
    return [1, 2, 3]


@asset
def smoke_total(smoke_numbers: list[int]) -> int:
    return sum(smoke_numbers)


smoke_assets_job = define_asset_job("smoke_assets_job", selection=[smoke_numbers, smoke_total])


@op
def smoke_hello() -> str:
    return "hello"


@job
def smoke_op_job() -> None:
    smoke_hello()


def _expect(name: str) -> str:
    value = os.environ.get(name)
    if value != EXPECTED[name]:
        raise Exception(f"smoke: {name} is {value!r} in the run, expected {EXPECTED[name]!r}")
    return value


@op
def smoke_location_env() -> str:
    return _expect("SMOKE_LOCATION_ENV")


@op
def smoke_location_secret() -> str:
    return _expect("SMOKE_SECRET_TOKEN")


@op
def smoke_location_file() -> str:
    path = os.environ.get("SMOKE_DATA_FILE")
    if not path or not Path(path).is_file():
        raise Exception(f"smoke: SMOKE_DATA_FILE is {path!r}, not a file in the run's pod")
    content = Path(path).read_text().strip()
    if content != EXPECTED_FILE_CONTENT:
        raise Exception(f"smoke: {path} holds {content!r}, expected {EXPECTED_FILE_CONTENT!r}")
    return content


@job
def smoke_settings_job() -> None:
    smoke_location_env()
    smoke_location_secret()
    smoke_location_file()


@op
def smoke_fails() -> None:
    raise Exception("smoke: this op fails on purpose")


@job
def smoke_fail_job() -> None:
    smoke_fails()


class GateConfig(Config):
    """A file of this machine (the harness's pods share its filesystem outside their mounts)."""

    gate: str
    timeout: float


@op
def smoke_waits_for_gate(config: GateConfig) -> str:
    """Keeps the run STARTED until the test creates ``gate`` (what the test waits for meanwhile
    cannot be missed by a run that would otherwise end in a few seconds)."""
    gate = Path(config.gate)
    deadline = time.monotonic() + config.timeout
    while not gate.exists():
        if time.monotonic() > deadline:
            raise Exception(f"smoke: {gate} was not created within {config.timeout:.0f}s")
        time.sleep(0.2)
    return "released"


@job
def smoke_gated_job() -> None:
    smoke_waits_for_gate()


@op(tags={"dagster-celery/queue": "high-priority"})
def smoke_on_high_priority() -> int:
    return 20


@op
def smoke_on_default_queue(value: int) -> int:
    return value + 1


@job(executor_def=celery_k8s_job_executor)
def smoke_celery_job() -> None:
    smoke_on_default_queue(smoke_on_high_priority())


@op
def smoke_from_sensor() -> str:
    return "launched by the daemon"


@job
def smoke_sensor_job() -> None:
    smoke_from_sensor()


@sensor(job=smoke_sensor_job, minimum_interval_seconds=5, default_status=DefaultSensorStatus.RUNNING)
def smoke_sensor() -> RunRequest:
    # One run per system: the run key makes the daemon skip it on later ticks.
    return RunRequest(run_key="smoke-sensor-once")


# Runs execute their ops in the run pod's process (one Python start per run, not one per op):
# the jobs that need another executor name it.
defs = Definitions(
    executor=in_process_executor,
    assets=[smoke_numbers, smoke_total],
    jobs=[smoke_assets_job, smoke_op_job, smoke_settings_job, smoke_fail_job, smoke_gated_job, smoke_celery_job,
          smoke_sensor_job],
    schedules=[ScheduleDefinition(name="smoke_daily_schedule", job=smoke_assets_job, cron_schedule="0 6 * * *")],
    sensors=[smoke_sensor],
)
