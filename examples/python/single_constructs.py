"""Single constructs in your own chart, with an external PostgreSQL (a managed database).

    python examples/python/single_constructs.py [OUTDIR]   # -> OUTDIR/dagster-parts.k8s.yaml

Every Dagster process is built from one DagsterInstance: dagster.yaml, the env ConfigMaps with
DAGSTER_HOME, the database connection, the ServiceAccount; the constructs are wired by
reference (no name is typed twice).
"""

from __future__ import annotations

import sys

# constructs_lib first: it silences jsii's Node end-of-life banner before cdk8s starts Node.
from constructs_lib import (
    CodeLocationSettings,
    DagitService,
    DagsterDaemon,
    DagsterInstance,
    ExternalPostgreSql,
    ExternalPostgreSqlSettings,
    Image,
    K8sRunLauncher,
    MigrateJob,
    RunLauncherRbac,
    SecretKeyRef,
    UserCodeDeployment,
    WorkspaceConfigMap,
)

# isort: split
import cdk8s

DB_HOST = "dagster.abc123.eu-west-1.rds.amazonaws.com"
#: Created by you: the database password.
DB_SECRET = SecretKeyRef(name="rds-dagster", key="postgresql-password")


def build(app: cdk8s.App) -> cdk8s.Chart:
    chart = cdk8s.Chart(app, "dagster-parts", namespace="dagster")
    db = ExternalPostgreSql(chart, "db", settings=ExternalPostgreSqlSettings(
        host=DB_HOST, existing_secret=DB_SECRET, params={"sslmode": "require"}))
    instance = DagsterInstance(chart, "instance", postgres=db.connection, run_launcher=K8sRunLauncher(),
                               rbac=RunLauncherRbac(chart, "rbac"))
    code = UserCodeDeployment(chart, "code", instance=instance, settings=CodeLocationSettings(
        name="etl", image=Image(repository="registry.example.com/etl", tag="v42"), grpc_args=["-m", "etl"]))
    workspace = WorkspaceConfigMap(chart, "workspace", locations=[code.grpc_location])
    DagitService(chart, "webserver", instance=instance, workspace=workspace)
    DagsterDaemon(chart, "daemon", instance=instance, workspace=workspace)
    MigrateJob(chart, "migrate", instance=instance)
    return chart


if __name__ == "__main__":
    app = cdk8s.App(outdir=sys.argv[1] if len(sys.argv) > 1 else "dist")
    build(app)
    app.synth()
