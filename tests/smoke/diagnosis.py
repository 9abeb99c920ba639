"""Failure signatures the smoke tests have met, with what they mean for the manifests.

:class:`~.kubelet.PodFailed` appends the matching explanations to its message, so a failing
test says not only what a process printed but which manifest field causes it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KNOWN_FAILURES", "KnownFailure", "explain"]


@dataclass(frozen=True)
class KnownFailure:
    signature: str
    explanation: str


KNOWN_FAILURES = (
    KnownFailure(
        "No module named 'psycopg'",
        "dagster.yaml's postgres_db blocks (ConfigMap <fullname>-instance) set no `scheme`, so SQLAlchemy picks "
        "its default PostgreSQL driver: SQLAlchemy 2.1 (what pip resolves for dagster 1.13.27, which allows "
        "sqlalchemy<3) defaults to psycopg 3, which dagster-postgres does not install (it depends on "
        "psycopg2-binary). Every process that loads the instance fails. Fix in the manifests: "
        "`scheme: postgresql+psycopg2` in every postgres_db block (PostgresConnection.scheme).",
    ),
    KnownFailure(
        "Service token file does not exist",
        "the process builds the instance's run launcher (K8sRunLauncher / CeleryK8sRunLauncher with "
        "load_incluster_config: true), which reads the ServiceAccount token at "
        "/var/run/secrets/kubernetes.io/serviceaccount/token, but the pod mounts none "
        "(automountServiceAccountToken: false, no serviceAccountName). `dagster instance migrate` does so "
        "before migrating (it prints the instance info). The official chart runs the migrate Job with the "
        "release ServiceAccount and automountServiceAccountToken: true.",
    ),
    KnownFailure(
        "which is not set",
        "dagster.yaml reads an environment variable ({env: NAME}) that the container does not set: compare the "
        "container's env/envFrom with the names dagster.yaml uses (DAGSTER_PG_PASSWORD, "
        "DAGSTER_CELERY_BROKER_URL, DAGSTER_CELERY_BACKEND_URL).",
    ),
)


def explain(output: str) -> str:
    """The explanations of every known signature in ``output`` ("" if none matches)."""
    found = [f.explanation for f in KNOWN_FAILURES if f.signature in output]
    return "".join(f"\n  likely cause: {text}" for text in found)
