"""Parity with the official chart 1.9.3, rendered live, over a matrix of values files.

Each file of ``tests/values_matrix/`` is rendered once by the chart (``chart_oracle.py``) and
once by the library; every semantic difference must be a ``DEVIATIONS`` entry (with its
reason) or the test fails, and an entry no file needs any more fails too. Together the files
set every key of the chart's ``values.yaml`` (and of the subchart's ``deployments[]``) to a
value other than its default (``test_every_values_key_is_exercised``).
"""

from __future__ import annotations

import fnmatch
import functools
import itertools
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib import ConfigError
from constructs_lib.helm import ValuesError, from_helm_values, merge_values
from constructs_lib.helm.translate import SUBCHART_KEYS

from .chart_oracle import (
    SUBCHARTS,
    Difference,
    MatrixCase,
    chart_values_yaml,
    compare,
    matrix_cases,
    render_chart,
    require_chart,
    subchart_values_yaml,
)
from .conftest import Manifest, synth_config
from .validation.crossref import launched_run_jobs
from .validation.manifests import pod_spec

CASES = {case.name: case for case in matrix_cases()}

# (kind, name pattern, field pattern[, matrix files]) -> why the library differs on purpose.
# Patterns are fnmatch patterns, "|" separates alternatives; the optional fourth element limits an
# entry to the matrix files whose values call for it, so it cannot hide the same field elsewhere.
# Every entry must still be needed by some file of the matrix (test_every_deviation_is_still_needed).
CODE_LOCATION = "*user-deployments-*|*k8s-example-user-code-1"
BUNDLED_ONLY = "bundled services are the official images' StatefulSets, not the bitnami subcharts'"
def _all_files_but(number: int) -> str:
    """A matrix-file pattern: every file but the one numbered ``number``."""
    return "|".join(f"{i:02d}-*" for i in range(1, 100) if i != number)


BITNAMI_DEFAULTS = ("the bitnami subchart's own defaults (UID and fsGroup 1001, PostgreSQL's requests 250m/256Mi) "
                    "are not the chart's values: the library runs the official image as its user 999 with the "
                    "security profile's requests and limits; a user's values for these keys are kept")
EXPLICIT_DEFAULT = "written out explicitly; absent, Dagster's default is the same value"
SECRET_NAMES = ("generated Secrets are named after the release (<fullname>-postgresql-secret), so two releases "
                "never share one; the same name as the chart's for release 'dagster' (README)")
PROFILE = ("the default security profile (README 'Security'): security contexts, requests and limits, an emptyDir "
           "where each process writes (read-only root; Dagster's HOME on DAGSTER_HOME), probes on every long-running "
           "container, the API token only where the API is called")
PROFILE_FIELDS = ("podSecurityContext|automountServiceAccountToken|volumes|main.mounts|main.securityContext|"
                  "main.env.HOME|main.resources|init[*].securityContext|init[*].resources|sidecar[*].securityContext|"
                  "sidecar[*].resources|main.livenessProbe|main.readinessProbe")
RUN_NAMESPACE = ("without jobNamespace, runs of the K8sRunLauncher go to the namespace the pods run in (downward API), "
                 "also after kubectl apply -n or a kustomize namespace overlay, not to a literal one (README)")
#: The pods that load the workspace (the read-only webserver too, when it is enabled).
WORKSPACE_READERS = "*-dagster-webserver|*-dagster-webserver-read-only|*-daemon"
DEVIATIONS: dict[tuple[str, ...], str] = {
    # -- the chart's own defects, not repeated --
    ("ConfigMap", "*-flower-env", "exists"): "the chart renders Flower's env ConfigMap even without Flower",
    ("ConfigMap", "*-user-deployments-shared-env", "data.DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP"):
        "the chart points code locations at a ConfigMap it never creates; the library at the real pipeline env",
    ("Secret", "*-celery-config-secret", "data.DAGSTER_CELERY_*_URL", "19-*|37-*|39-*"):
        "with redis.internal the chart writes an empty host (redis://:pw@:6380/1); the library the bundled "
        "Redis Service's name",
    ("Deployment", "*-dagster-webserver", "main.readinessProbe", "03-*"):
        "the chart's readiness probe keeps port 80 when dagsterWebserver.service.port changes; the library "
        "probes the container's named port",
    ("ConfigMap", "*-pipeline-env", "data.0", "32-*"): "pipelineRun.env as a list: the chart writes `0: map[name:... "
        "value:...]`; the library the named variables",
    ("ConfigMap", "*-pipeline-env", "data.RUN_MODE", "32-*"): "pipelineRun.env as a list (see data.0)",
    ("ConfigMap", "*-workspace-yaml", "exists", "26-*"):
        "with dagster-user-deployments.enabled=false the chart drops the workspace even when "
        "dagsterWebserver.workspace lists servers; the library loads the listed servers",
    ("Deployment", WORKSPACE_READERS, "main.command", "26-*"): "the workspace listed (see workspace-yaml)",
    ("Deployment", WORKSPACE_READERS, "main.mounts", "26-*"): "the workspace listed (see workspace-yaml)",
    ("Deployment", WORKSPACE_READERS, "volumes", "26-*"): "the workspace listed (see workspace-yaml)",
    ("Deployment", CODE_LOCATION,
     "serviceAccountName|main.env.DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT.k8s.service_account_name", "29-*"):
        "the code locations' own ServiceAccount (see below)",
    ("RoleBinding", "*-user-deployments-rolebinding", "subjects", "29-*"):
        "the code locations' own ServiceAccount (see below)",
    ("ServiceAccount", "*-user-deployments-user-deployments", "exists", "29-*"):
        "with global.serviceAccountName the chart renders two ServiceAccounts of that name (parent and "
        "subchart); the library keeps the code locations' own",
    ("Deployment", "*-flower", "main.livenessProbe|main.startupProbe"):
        "the chart's template never renders flower.livenessProbe/startupProbe; the library applies them",
    ("Service", "*-redis-master", "ports", "19-*"):
        "the bundled Redis listens on redis.port, the port the Celery URLs use; the bitnami subchart always "
        "on 6379",
    # -- deliberate differences (README "Deliberate differences") --
    ("ConfigMap", "*-instance", "data.dagster.yaml.run_launcher.config.job_namespace|"
     "data.dagster.yaml.run_launcher.config.env_vars"): RUN_NAMESPACE + " ({env: DAGSTER_K8S_PIPELINE_RUN_NAMESPACE}, "
        "which launched runs copy through env_vars)",
    **{(kind, "*", "main.env.DAGSTER_K8S_PIPELINE_RUN_NAMESPACE"): RUN_NAMESPACE + " (a fieldRef to "
       "metadata.namespace in every pod that loads dagster.yaml)" for kind in ("Deployment", "Job")},
    **{(kind, "*", PROFILE_FIELDS): PROFILE for kind in ("Deployment", "Job")},
    ("NetworkPolicy", "*", "exists"): "NetworkPolicies are on by default (networkPolicy.enabled; README 'Security')",
    ("ConfigMap", "*-instance", "data.dagster.yaml.*_storage.config.postgres_db.scheme"):
        "the library names the psycopg2 driver Dagster's images ship; without it SQLAlchemy 2.1 picks psycopg 3",
    ("Deployment", "*", "initContainers"): "the init-container lists differ by the entries below",
    ("Job", "*", "initContainers"): "the migrate Job waits for the database like every Dagster pod",
    ("Job", "*", "init[check-db-ready].*"): "the migrate Job waits for the database like every Dagster pod",
    ("Job", "*", "labels|pod.labels"): "the migrate Job carries the system's labels",
    ("Deployment", "*", "init[init-user-deployment-*].*"):
        "the webserver and daemon do not wait for code locations: a broken location must not keep the UI down",
    ("Deployment", "*-celery-workers-*", "init[check-rabbitmq-ready].*|init[check-broker-ready].*"):
        "workers wait for the broker with a TCP connect from their own image: no busybox, no credentials on a "
        "command line, RabbitMQ and Redis alike",
    ("Deployment", "*-celery-workers-*", "labels|pod.labels"):
        "each queue's Deployment selects only its own pods (component + queue labels)",
    ("Deployment", "*-flower", "main.command"): "Flower 2 (pinned) starts as `celery flower --port=N`",
    ("Deployment", "*-flower", "serviceAccountName|automountServiceAccountToken"):
        "Flower never calls the Kubernetes API: no ServiceAccount token",
    ("Deployment", "*-flower", "init[check-db-ready].*"): "Flower does not use the database: no wait for it",
    ("Deployment", "*-flower", "main.ports", "31-*"): "Flower listens on flower.service.port (the chart: always 5555)",
    ("Service", "*-flower-service", "ports", "31-*"): "Flower listens on flower.service.port (the chart: always 5555)",
    ("Deployment", CODE_LOCATION, "main.ports"): "the gRPC container declares its port",
    ("Deployment", CODE_LOCATION, "main.envFrom"): "the Celery Secret is referenced only when the system uses Celery",
    ("Deployment", CODE_LOCATION,
     "imagePullSecrets|main.env.DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT.k8s.image_pull_secrets", "28-*"):
        "the top-level imagePullSecrets reach every pod, code locations included (the chart gives them only "
        "dagster-user-deployments.imagePullSecrets): a values file that lists its registry's Secret once pulls "
        "private code-location images too, instead of ImagePullBackOff; launched runs get the same pull "
        "secrets as the chart's (test_launched_runs_get_the_charts_pull_secrets)",
    ("Deployment", CODE_LOCATION, "main.imagePullPolicy", "23-*"):
        "an image without pullPolicy gets the chart's default for Dagster images (Always), not the cluster's",
    ("Deployment", CODE_LOCATION,
     "serviceAccountName|main.env.DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT.k8s.service_account_name", "28-*"):
        "the top-level serviceAccount/rbacEnabled also govern the code locations (the subchart's own keys are "
        "rejected)",
    ("Role", "*-role", "exists", "28-*"): "rbacEnabled=false: no Role for the code locations either (see above)",
    ("RoleBinding", "*-rolebinding", "exists", "28-*"):
        "rbacEnabled=false: no RoleBinding for the code locations either",
    ("ServiceAccount", "*-user-deployments", "exists", "28-*"):
        "serviceAccount.create=false: the code locations use the named ServiceAccount too",
    ("Secret", "*-postgresql-secret", "exists", "28-*|29-*"): SECRET_NAMES,
    ("Deployment", "*", "main.env.DAGSTER_PG_PASSWORD.valueFrom.secretKeyRef.name", "28-*|29-*"): SECRET_NAMES,
    ("ConfigMap", "*-instance", "data.dagster.yaml.run_launcher.config.postgres_password_secret", "28-*|29-*"):
        SECRET_NAMES,
    ("ConfigMap", "*-instance", "data.dagster.yaml.compute_logs.config.secret_key"):
        "dagster-azure's current name for the key is access_key_or_sas_token",
    ("ConfigMap", "*-instance", "data.dagster.yaml.compute_logs.config.access_key_or_sas_token"):
        "dagster-azure's current name for the key (the chart: secret_key)",
    ("ConfigMap", "*-instance", "data.dagster.yaml.compute_logs.config.show_url_only"): EXPLICIT_DEFAULT,
    ("ConfigMap", "*-instance", "data.dagster.yaml.run_coordinator.config.dequeue_use_threads"): EXPLICIT_DEFAULT,
    ("ConfigMap", "*-instance", "data.dagster.yaml.sensors|data.dagster.yaml.schedules"): EXPLICIT_DEFAULT,
    ("ConfigMap", "*-instance", "data.dagster.yaml.run_coordinator", "11-*"): EXPLICIT_DEFAULT,
    ("ConfigMap", "*-instance", "data.dagster.yaml.run_monitoring|data.dagster.yaml.run_retries", "11-*"):
        EXPLICIT_DEFAULT,
    # runLauncher.config.*.jobNamespace: runs in another namespace need the launcher's RBAC there.
    ("ConfigMap", "*-env", "data.DAGSTER_K8S_PIPELINE_RUN_NAMESPACE", "17-*|18-*"):
        "jobNamespace: launched runs go to the job namespace",
    ("Deployment", CODE_LOCATION, "main.env.DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT.k8s.namespace", "17-*|18-*"):
        "jobNamespace: launched runs go to the job namespace",
    ("Role", "*", "namespace", "17-*|18-*"): "jobNamespace: the launcher's Role lives where it creates Jobs",
    # (after the jobNamespace entries above, which name files 17 and 18: the first matching entry explains)
    ("ConfigMap", "*-webserver-env|*-daemon-env|*-pipeline-env|*-user-deployments-shared-env",
     "data.DAGSTER_K8S_PIPELINE_RUN_NAMESPACE"): RUN_NAMESPACE,
    ("Deployment", CODE_LOCATION, "main.env.DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT.k8s.namespace|"
     "main.env.DAGSTER_CONTAINER_CONTEXT.k8s.namespace"):
        RUN_NAMESPACE + " (no namespace in the code locations' container context)",
    ("RoleBinding", "*", "namespace", "17-*|18-*"):
        "jobNamespace: the launcher's RoleBinding lives where it creates Jobs",
    ("RoleBinding", "*", "subjects", "17-*|18-*"):
        "jobNamespace: a binding in another namespace names the ServiceAccount's",
    # -- the bitnami subcharts: only their Services' names and ports are an interface --
    ("Secret", "*-postgresql", "exists"): BUNDLED_ONLY + " (the password is in <fullname>-postgresql-secret)",
    ("Secret", "*-rabbitmq", "exists", "33-*"): BUNDLED_ONLY + " (with existingPasswordSecret the subchart still "
        "renders its Secret for the Erlang cookie; the single-node bundled RabbitMQ shares no cookie, so the library "
        "renders no RabbitMQ Secret)",
    ("ConfigMap", "*-rabbitmq-config|*-rabbitmq-healthchecks", "exists"): BUNDLED_ONLY,
    ("Role", "*-rabbitmq-endpoint-reader", "exists"): BUNDLED_ONLY + " (single node: no peer discovery)",
    ("RoleBinding", "*-rabbitmq-endpoint-reader", "exists"): BUNDLED_ONLY + " (single node: no peer discovery)",
    ("ServiceAccount", "*-rabbitmq", "exists"): BUNDLED_ONLY + " (single node: no peer discovery)",
    ("Service", "*-rabbitmq|*-rabbitmq-headless", "ports"):
        "single-node RabbitMQ from the official image: AMQP and management only (no epmd/clustering ports)",
    ("ConfigMap", "*-redis|*-redis-health|*-redis-scripts", "exists"): BUNDLED_ONLY,
    ("Service", "*-redis-headless|*-redis-master-headless|*-redis-slave", "exists"):
        BUNDLED_ONLY + " (one Redis, no replicas)",
    ("StatefulSet", "*-redis-slave", "exists"): BUNDLED_ONLY + " (one Redis, no replicas)",
    # Their StatefulSets are compared on what the supported subchart keys mean (bundled_fields): the
    # user's values for these keys are kept (35-37 set them as the subcharts spell them); where the
    # user sets none, the subchart's own defaults are not the library's.
    ("StatefulSet", "*-postgresql", "runAsUser|fsGroup|main.resources", _all_files_but(35)): BITNAMI_DEFAULTS,
    ("StatefulSet", "*-rabbitmq", "runAsUser|fsGroup|main.resources", _all_files_but(36)): BITNAMI_DEFAULTS,
    ("StatefulSet", "*-redis-master", "runAsUser|fsGroup|main.resources", _all_files_but(37)): BITNAMI_DEFAULTS,
    ("StatefulSet", "*-postgresql|*-rabbitmq|*-redis-master",
     "nodeSelector|tolerations|affinity|pod.labels|pod.annotations|runAsUser|fsGroup", "38-*|39-*"):
        "keys the library also reads where these bitnami versions do not (postgresql.nodeSelector & co. beside "
        "postgresql.master.*, podSecurityContext, containerSecurityContext, redis.master.securityContext): "
        "the chart ignores them",
}


def _matches(value: str, patterns: str) -> bool:
    # "[" is literal in our patterns (init[name].command), not a character class.
    return any(fnmatch.fnmatchcase(value, p.replace("[", "[[]")) for p in patterns.split("|"))


def deviation(diff: Difference, case: str) -> tuple[str, ...] | None:
    for key in DEVIATIONS:
        kind, name, field, *cases = key
        if (diff.kind == kind and _matches(diff.name, name) and _matches(diff.field, field)
                and (not cases or _matches(case, cases[0]))):
            return key
    return None


@functools.cache
def ours(name: str) -> list[Manifest]:
    case = CASES[name]
    return synth_config(from_helm_values(case.values, release=case.release, namespace=case.namespace))


@functools.cache
def differences(name: str) -> list[Difference]:
    case: MatrixCase = CASES[name]
    rendered = render_chart(case.values, release=case.release, namespace=case.namespace)
    return compare(rendered, ours(name), case.namespace)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_system_as_the_official_chart(name: str) -> None:
    unexplained = [d for d in differences(name) if deviation(d, name) is None]
    assert unexplained == [], f"{len(unexplained)} differences:\n" + "\n".join(map(str, unexplained))


#: Pairs of matrix files layered as ``helm -f first -f second`` would: settings that each file
#: tests alone meet (the migrate Job inherited the webserver's pod settings only with both 03's
#: pod settings and 30's ``migrate.enabled``). A fixed sample: all 700-odd pairs take minutes.
LAYERED_PAIRS = sorted(random.Random(1_9_3).sample(
    [(a, b) for a, b in itertools.combinations(sorted(CASES), 2)
     if (CASES[a].release, CASES[a].namespace) == (CASES[b].release, CASES[b].namespace)], 40))


@pytest.mark.parametrize(("first", "second"), LAYERED_PAIRS)
def test_two_matrix_files_layered_match_the_chart(first: str, second: str) -> None:
    a, b = CASES[first], CASES[second]
    values = merge_values(a.values, b.values)
    try:
        objects = synth_config(from_helm_values(values, release=a.release, namespace=a.namespace))
    except ConfigError as error:
        # Files that contradict each other (two brokers): an error in the values' own words is right.
        assert isinstance(error, ValuesError), f"{type(error).__name__} instead of a ValuesError: {error}"
        return
    rendered = render_chart(values, release=a.release, namespace=a.namespace)
    unexplained = [d for d in compare(rendered, objects, a.namespace)
                   if deviation(d, first) is None and deviation(d, second) is None]
    assert unexplained == [], f"{len(unexplained)} differences:\n" + "\n".join(map(str, unexplained))


@pytest.mark.parametrize("name", sorted(CASES))
def test_launched_runs_get_the_charts_pull_secrets(name: str) -> None:
    """The run pods dagster-k8s would create (the testing kit's model: the launcher's config, each
    location's container context merged over it) pull with the same Secrets as the chart's: the
    deviation above gives the code-location pods the top-level list and changes nothing for runs."""
    case = CASES[name]
    chart = [r.obj for r in render_chart(case.values, release=case.release, namespace=case.namespace)]

    def pull_secrets(objects: list[Manifest]) -> dict[str, set[str]]:
        return {job["metadata"]["name"].removeprefix("run-of-"): {s["name"] for s in pod_spec(job)["imagePullSecrets"]}
                for job in launched_run_jobs(objects)}

    assert pull_secrets(ours(name)) == pull_secrets(chart)


def test_the_matrix_is_large() -> None:
    assert len(CASES) >= 25


def test_every_deviation_is_still_needed() -> None:
    """An entry no matrix file needs any more must go."""
    used = {deviation(d, name) for name in CASES for d in differences(name)}
    assert sorted(set(DEVIATIONS) - used) == []


def test_the_comparison_catches_a_difference() -> None:
    """A planted difference (the webserver's port in its command) is reported and not excused."""
    case = CASES["01-defaults"]
    planted = [dict(o) for o in ours("01-defaults")]
    for obj in planted:
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "dagster-dagster-webserver":
            spec = obj["spec"]["template"]["spec"]
            container = {**spec["containers"][0], "command": ["dagster-webserver", "-p", "8080"]}
            obj["spec"] = {**obj["spec"], "template": {**obj["spec"]["template"],
                                                         "spec": {**spec, "containers": [container]}}}
    found = compare(render_chart(case.values, release=case.release, namespace=case.namespace), planted,
                    case.namespace)
    assert [d.field for d in found if deviation(d, "01-defaults") is None] == ["main.command"]


# ---- every key of the chart's values is exercised -------------------------------------------------
# Keys the library rejects on purpose when set to anything but the chart's default (README).
EXEMPT = {
    "busybox.image.*": "no busybox: the library waits with pg_isready and Python",
    "extraManifests": "add objects to your own cdk8s chart",
    "dagsterWebserver.nameOverride": "names derive from the release (global.fullnameOverride)",
    "runLauncher.config.celeryK8sRunLauncher.nameOverride": "names derive from the release",
    "nameOverride": "the chart 1.9.3 does not name objects after it: global.nameOverride does",
    "fullnameOverride": "the chart 1.9.3 does not name objects after it: global.fullnameOverride does",
    "rabbitmq.volumePermissions.*": "the official rabbitmq image needs no permission-fixing init container",
    # Not rejected by the library, but Kubernetes accepts no other value than the default (1).
    "runLauncher.config.celeryK8sRunLauncher.livenessProbe.successThreshold": "Kubernetes: must be 1 for liveness",
}
SUBCHART_ENTRY = "dagster-user-deployments.deployments[]"


def key_paths(node: Any, prefix: str = "") -> Iterator[str]:
    """Every leaf key path of a values tree; list entries that are maps are walked as ``key[]``."""
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from key_paths(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list) and node and all(isinstance(item, dict) for item in node):
        for item in node:
            yield from key_paths(item, f"{prefix}[]")
    else:
        yield prefix


def values_at(node: Any, path: str) -> list[Any]:
    """Every value at ``path`` (``[]`` walks every list entry)."""
    found = [node]
    for part in re.findall(r"[^.\[\]]+(?:\[\])?", path):
        key, walk = (part[:-2], True) if part.endswith("[]") else (part, False)
        nxt = [n[key] for n in found if isinstance(n, dict) and key in n]
        found = [item for n in nxt if isinstance(n, list) for item in n] if walk else nxt
    return found


def all_value_keys() -> list[str]:
    chart = yaml.safe_load(chart_values_yaml().read_text())
    subchart = yaml.safe_load(subchart_values_yaml().read_text())
    keys = set(key_paths(chart))
    keys |= {f"{SUBCHART_ENTRY}.{k}" for entry in subchart["deployments"] for k in key_paths(entry)}
    # Keys of a deployment entry that the subchart's templates read but its values.yaml leaves out.
    templates = (require_chart() / "charts" / "dagster-user-deployments" / "templates").glob("*.yaml")
    used = {m for t in templates for m in re.findall(r"\$deployment\.([A-Za-z]+)", t.read_text())}
    covered_parents = {k.split(".")[2].removesuffix("[]") for k in keys if k.startswith(SUBCHART_ENTRY + ".")}
    keys |= {f"{SUBCHART_ENTRY}.{k}" for k in used - covered_parents}
    return sorted(keys)


def _bitnami_defaults() -> dict[str, Any]:
    """The bitnami subcharts' own values.yaml, under their section of the parent chart's values."""
    charts = require_chart() / "charts"
    return {name: yaml.safe_load((charts / name / "values.yaml").read_text()) for name in SUBCHARTS}


def test_every_values_key_is_exercised() -> None:
    """Each key of the chart's values.yaml (and of a subchart deployment), and each bitnami subchart key
    the library supports (SUBCHART_KEYS), is set to a value other than its chart's default by some file
    of the matrix, unless the library rejects it on purpose (EXEMPT)."""
    defaults = yaml.safe_load(chart_values_yaml().read_text())
    bitnami = _bitnami_defaults()
    files = [case.values for case in CASES.values()]
    missing = []
    for key in [*all_value_keys(), *SUBCHART_KEYS]:
        if any(fnmatch.fnmatchcase(key, pattern) for pattern in EXEMPT):
            continue
        default = values_at(bitnami if key in SUBCHART_KEYS else defaults, key)
        if not any(value not in default[:1] for values in files for value in values_at(values, key)):
            missing.append(key)
    assert missing == [], "keys no matrix file sets to a non-default value:\n" + "\n".join(missing)


def test_the_exemptions_are_still_keys() -> None:
    keys = all_value_keys()
    assert [p for p in EXEMPT if not any(fnmatch.fnmatchcase(k, p) for k in keys)] == []




def test_without_the_chart_the_oracle_skips_and_says_how_to_get_it(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_CHART_DIR", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"helm pull dagster/dagster --version 1\.9\.3 --untar"):
        require_chart()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="DAGSTER_CHART_DIR"):
        require_chart()
