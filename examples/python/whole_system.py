"""The whole Dagster system inside your own chart, next to your own objects.

    python examples/python/whole_system.py [OUTDIR]     # -> OUTDIR/platform.k8s.yaml (default dist/)

The DagsterChart is nested in the team's chart: it takes the chart's namespace, and its runs
go there too. The database password comes from a Secret you create (nothing secret in Git).
"""

from __future__ import annotations

import sys

# constructs_lib first: it silences jsii's Node end-of-life banner before cdk8s starts Node.
from constructs_lib import (
    CodeLocationSettings,
    DagsterChart,
    DagsterSystemConfig,
    Image,
    K8sRunLauncher,
    PostgreSqlSettings,
    SecretKeyRef,
)

# isort: split
import cdk8s

#: Created by you (e.g. by external-secrets): the password of the bundled PostgreSQL.
DB_SECRET = SecretKeyRef(name="dagster-db-password", key="postgresql-password")

CONFIG = DagsterSystemConfig(
    postgresql=PostgreSqlSettings(existing_secret=DB_SECRET),
    run_launcher=K8sRunLauncher(),
    code_locations=[CodeLocationSettings(
        name="analytics", image=Image(repository="registry.example.com/analytics", tag="2024-06-01"),
        grpc_args=["--module-name", "analytics"])],
)


def build(app: cdk8s.App) -> cdk8s.Chart:
    platform = cdk8s.Chart(app, "platform", namespace="data-platform")
    # The team's own objects live next to Dagster's.
    cdk8s.ApiObject(platform, "team-settings", api_version="v1", kind="ConfigMap",
                    metadata={"name": "team-settings"}).add_json_patch(
        cdk8s.JsonPatch.add("/data", {"OWNER": "data-platform@example.com"}))
    DagsterChart(platform, "dagster", config=CONFIG)
    return platform


if __name__ == "__main__":
    app = cdk8s.App(outdir=sys.argv[1] if len(sys.argv) > 1 else "dist")
    build(app)
    app.synth()
