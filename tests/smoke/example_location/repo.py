"""The smoke test's code location: stands in for ``/example_project/example_repo/repo.py`` of
Dagster's ``user-code-example`` image (the variants run ``dagster api grpc --python-file`` on it).

Only the gRPC server loads it; nothing launches its jobs (that needs the Kubernetes API).
"""

from dagster import Definitions, ScheduleDefinition, asset, define_asset_job, job, op


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


defs = Definitions(
    assets=[smoke_numbers, smoke_total],
    jobs=[smoke_assets_job, smoke_op_job],
    schedules=[ScheduleDefinition(name="smoke_daily_schedule", job=smoke_assets_job, cron_schedule="0 6 * * *")],
)
