"""Two Dagster systems in one app: one file each, names from their releases.

    python examples/python/two_systems.py [OUTDIR]   # -> OUTDIR/prod.k8s.yaml, OUTDIR/staging.k8s.yaml

Production runs Celery on RabbitMQ in namespace ``dagster-prod``; staging is Celery-less in
``dagster-staging``. Passwords come from Secrets you create (``render_secrets`` is not needed:
every password here is an existing Secret).
"""

from __future__ import annotations

import sys

# constructs_lib first: it silences jsii's Node end-of-life banner before cdk8s starts Node.
from constructs_lib import (
    CeleryK8sRunLauncher,
    DagsterChart,
    DagsterSystemConfig,
    ExternalPostgreSqlSettings,
    K8sRunLauncher,
    PostgreSqlSettings,
    Release,
    SecretKeyRef,
)

# isort: split
import cdk8s

SYSTEMS = {
    "prod": DagsterSystemConfig(
        release=Release(name="prod"),
        namespace="dagster-prod",
        postgresql=ExternalPostgreSqlSettings(
            host="prod-db.internal.example.com",
            existing_secret=SecretKeyRef(name="prod-db", key="postgresql-password")),
        run_launcher=CeleryK8sRunLauncher(),
        celery_config_secret_name="prod-celery-urls",
    ),
    "staging": DagsterSystemConfig(
        release=Release(name="staging"),
        namespace="dagster-staging",
        postgresql=PostgreSqlSettings(existing_secret=SecretKeyRef(name="staging-db", key="postgresql-password")),
        run_launcher=K8sRunLauncher(),
    ),
}


def build(app: cdk8s.App) -> list[DagsterChart]:
    return [DagsterChart(app, name, config=config) for name, config in SYSTEMS.items()]


if __name__ == "__main__":
    app = cdk8s.App(outdir=sys.argv[1] if len(sys.argv) > 1 else "dist")
    build(app)
    app.synth()
