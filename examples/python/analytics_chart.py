"""A user's chart: the Dagster system plus the team's own objects, in one cdk8s chart.

The team's objects are wired to the constructs by reference (the PostgreSQL Secret, the
webserver's Service port, the release's labels): ``test_analytics_chart.py`` keeps this chart
under the dagster-cdk8s testing kit (snapshot and the same checks the library runs).
"""

from __future__ import annotations

import cdk8s

from constructs_lib import (
    CodeLocationSettings,
    DagsterChart,
    DagsterSystemConfig,
    Image,
    K8sRunLauncher,
    PostgreSqlSettings,
    Release,
)

RELEASE = Release(name="analytics")


def build(app: cdk8s.App, *, pg_password: str) -> DagsterChart:
    """The analytics team's chart: Dagster with one code location, a NodePort Service for the
    webserver on the office network, and a nightly database backup CronJob."""
    chart = DagsterChart(app, "analytics", config=DagsterSystemConfig(
        release=RELEASE,
        postgresql=PostgreSqlSettings(password=pg_password),
        run_launcher=K8sRunLauncher(),
        code_locations=[CodeLocationSettings(
            name="pipelines", image=Image(repository="registry.example.com/analytics/pipelines", tag="2026-11-01"),
            grpc_args=["--module-name", "pipelines"])],
    ))
    assert chart.webserver is not None and chart.postgresql is not None
    office = cdk8s.ApiObject(chart, "webserver-office", api_version="v1", kind="Service",
                             metadata=cdk8s.ApiObjectMetadata(name=f"{chart.webserver.service_name}-office"))
    office.add_json_patch(cdk8s.JsonPatch.add("/spec", {
        "type": "NodePort",
        "selector": RELEASE.selector("dagster-webserver"),
        "ports": [{"name": "http", "port": chart.webserver.port, "targetPort": "http", "nodePort": 30080}]}))
    backup_container = {
        "name": "pg-dump",
        "image": "docker.io/library/postgres:16.4",
        "command": ["sh", "-c", "pg_dump -h \"$PGHOST\" -U dagster -d dagster > /backup/dagster.sql"],
        "env": [{"name": "PGHOST", "value": chart.postgresql.service_name},
                chart.postgresql.connection.password_secret.env("PGPASSWORD")],
        "volumeMounts": [{"name": "backup", "mountPath": "/backup"}],
    }
    backup = cdk8s.ApiObject(chart, "db-backup", api_version="batch/v1", kind="CronJob",
                             metadata=cdk8s.ApiObjectMetadata(name=f"{RELEASE.name}-db-backup"))
    backup.add_json_patch(cdk8s.JsonPatch.add("/spec", {
        "schedule": "0 2 * * *",
        "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "OnFailure",
            "containers": [backup_container],
            "volumes": [{"name": "backup", "emptyDir": {}}]}}}}}))
    return chart
