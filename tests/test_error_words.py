"""Issue 10 item 4: every error of the values path is in the user's words. It names the values
key path the user wrote (``dagster-user-deployments.deployments[1].name``), never a class or a
snake_case field of the library (``CodeLocationSettings.name``, ``RunMonitoring.poll_interval_seconds``),
and a number where a string is expected suggests ``--set-string``.

Every bad-values case of the suite runs here through ``main.py`` (the values files and ``--set``
lines of test_front_door.py, the API-server cases of test_apiserver.py, the values of
test_helm_values.py's ``BAD``) plus the cases below, which reach the bundled services, the
instance settings and the objects synthesis builds; the fuzz tests apply the same check to every
error they provoke (front_door.assert_clean_error's ``user_input``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib import ConfigError
from constructs_lib.helm.translate import _VALUES_KEYS, values_path

from .front_door import assert_clean_error, internal_words, run_cli, write
from .test_apiserver import CASES as APISERVER_CASES
from .test_front_door import FILES, SETS
from .test_helm_values import BAD

PW = {"postgresql": {"postgresqlPassword": "pw"}}
CELERY = {"runLauncher": {"type": "CeleryK8sRunLauncher"}, "rabbitmq": {"enabled": True, "rabbitmq": {"password": "x"}}}
REDIS = {"runLauncher": {"type": "CeleryK8sRunLauncher"}, "redis": {"enabled": True, "internal": True}}
LOCATION = {"name": "loc", "image": {"repository": "r", "tag": "t"}, "port": 3030}


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


#: Values whose error used to name a class or field of the library: the bundled services, the
#: instance settings, the run launcher, and objects built at synthesis (ConfigMaps, Ingress, ...).
WORDS: list[tuple[str, dict[str, Any], str]] = [
    ("PostgreSQL user", {"postgresql": {"postgresqlUsername": "a b"}}, "postgresql.postgresqlUsername: invalid"),
    ("PostgreSQL database", {"postgresql": {"postgresqlDatabase": ""}}, "postgresql.postgresqlDatabase: invalid"),
    ("PostgreSQL port", {"postgresql": {"service": {"port": 70000}}}, "postgresql.service.port: invalid value 70000"),
    ("PostgreSQL image", {"postgresql": {"image": {"repository": "Bad Repo", "tag": "1"}}},
     "postgresql.image.repository: invalid value 'Bad Repo'"),
    ("PostgreSQL Secret", {"generatePostgresqlPasswordSecret": False, "global": {"postgresqlSecretName": "Bad_S"}},
     "global.postgresqlSecretName: invalid value 'Bad_S'"),
    ("RabbitMQ user", _merge(CELERY, {"rabbitmq": {"rabbitmq": {"username": ""}}}),
     "rabbitmq.rabbitmq.username: invalid value ''"),
    ("RabbitMQ port", _merge(CELERY, {"rabbitmq": {"service": {"port": 0}}}), "rabbitmq.service.port: invalid value 0"),
    ("Redis port", _merge(REDIS, {"redis": {"port": 70000}}), "redis.port: invalid value 70000"),
    ("Redis database", _merge(REDIS, {"redis": {"brokerDbNumber": -1}}), "redis.brokerDbNumber: invalid value -1"),
    ("queued runs", {"dagsterDaemon": {"runCoordinator": {"config": {"queuedRunCoordinator": {
        "maxConcurrentRuns": -5}}}}}, "dagsterDaemon.runCoordinator.config.queuedRunCoordinator.maxConcurrentRuns:"),
    ("run monitoring", {"dagsterDaemon": {"runMonitoring": {"startTimeoutSeconds": -5}}},
     "dagsterDaemon.runMonitoring.startTimeoutSeconds: invalid value -5"),
    ("run retries", {"dagsterDaemon": {"runRetries": {"maxRetries": -1}}}, "dagsterDaemon.runRetries.maxRetries:"),
    ("sensor threads", {"dagsterDaemon": {"sensors": {"useThreads": True, "numWorkers": -1}}},
     "dagsterDaemon.sensors.numWorkers: invalid value -1"),
    ("schedule threads", {"dagsterDaemon": {"schedules": {"useThreads": True, "numWorkers": 0}}},
     "dagsterDaemon.schedules.numWorkers: invalid value 0"),
    ("retention", {"retention": {"enabled": True, "schedule": {"purgeAfterDays": -5}}},
     "retention.schedule.purgeAfterDays: invalid value -5"),
    ("S3 compute logs", {"computeLogManager": {"type": "S3ComputeLogManager",
                                               "config": {"s3ComputeLogManager": {"bucket": ""}}}},
     "computeLogManager.config.s3ComputeLogManager.bucket: invalid value ''"),
    ("job namespace", {"runLauncher": {"config": {"k8sRunLauncher": {"jobNamespace": "Bad_NS"}}}},
     "runLauncher.config.k8sRunLauncher.jobNamespace: invalid value 'Bad_NS'"),
    ("launcher ConfigMaps", {"runLauncher": {"config": {"k8sRunLauncher": {"envConfigMaps": [{"name": "Bad_C"}]}}}},
     "runLauncher.config.k8sRunLauncher.envConfigMaps[0]: invalid value 'Bad_C'"),
    ("a second code location", {"dagster-user-deployments": {"deployments": [LOCATION, {**LOCATION, "name": "Bad"}]}},
     "dagster-user-deployments.deployments[1].name: invalid value 'Bad'"),
    ("a code location twice", {"dagster-user-deployments": {"deployments": [LOCATION, LOCATION]}},
     "dagster-user-deployments.deployments[1].name: invalid value 'loc'"),
    ("a queue twice", _merge(CELERY, {"runLauncher": {"config": {"celeryK8sRunLauncher": {
        "workerQueues": [{"name": "q"}, {"name": "q"}]}}}}),
     "runLauncher.config.celeryK8sRunLauncher.workerQueues[1].name: invalid value 'q'"),
    ("a budget with both bounds", {"podDisruptionBudget": {"enabled": True, "minAvailable": 1, "maxUnavailable": 1}},
     "podDisruptionBudget.maxUnavailable: invalid value 1; expected None when minAvailable is given"),
    ("a network peer", {"networkPolicy": {"ingressPeers": [{"podSelector": 5}]}},
     "networkPolicy.ingressPeers[0].podSelector: invalid value 5; expected a LabelSelector"),
    ("a network peer's label", {"networkPolicy": {"ingressPeers": [{"namespaceSelector": {"matchLabels": {
        "team": "b c"}}}]}}, "networkPolicy.ingressPeers[0].namespaceSelector.matchLabels.team: invalid value 'b c'"),
    ("a workspace server", {"dagsterWebserver": {"workspace": {"enabled": True, "servers": [
        {"host": "Bad Host", "port": 3030}]}}}, "dagsterWebserver.workspace.servers[0].host: invalid value 'Bad Host'"),
    ("an external workspace", {"dagsterWebserver": {"workspace": {"externalConfigmap": "Bad_CM"}}},
     "dagsterWebserver.workspace.externalConfigmap: invalid value 'Bad_CM'"),
    ("an image with its tag", {"dagsterWebserver": {"image": {"repository": "r:1", "tag": "x"}}},
     "expected a repository without a tag (give the tag in dagsterWebserver.image.tag)"),
    ("the service account", {"global": {"serviceAccountName": "Bad_SA"}}, "global.serviceAccountName: invalid"),
    ("the full name", {"global": {"fullnameOverride": "Bad_Name"}}, "global.fullnameOverride: invalid value"),
    ("Ingress host", {"ingress": {"enabled": True, "dagsterWebserver": {"host": "Bad Host"}}},
     "ingress.dagsterWebserver.host: invalid value 'Bad Host'"),
    ("Ingress class", {"ingress": {"enabled": True, "ingressClassName": "Bad Class"}},
     "ingress.ingressClassName: invalid value 'Bad Class'"),
    # Once checked only on the synthesized objects, now by the settings that take them (apiserver.py's rules).
    ("Ingress label", {"ingress": {"enabled": True, "labels": {"team": "b c"}}},
     "ingress.labels.team: invalid value 'b c'; expected a label value"),
    ("ServiceAccount annotation", {"serviceAccount": {"annotations": {"bad key!": "x"}}},
     "serviceAccount.annotations.bad key!: invalid value 'bad key!'"),
    ("code location Service annotation", {"dagster-user-deployments": {"deployments": [
        {**LOCATION, "service": {"annotations": {"bad key!": "x"}}}]}},
     "dagster-user-deployments.deployments[0].service.annotations.bad key!: invalid value 'bad key!'"),
    ("launched runs' env", {"pipelineRun": {"env": {"a b": "x"}}},
     "pipelineRun.env.a b: invalid value 'a b'; expected an environment variable name"),
    ("a code location's env", {"dagster-user-deployments": {"deployments": [{**LOCATION, "env": {"a b": "x"}}]}},
     "dagster-user-deployments.deployments[0].env.a b: invalid value 'a b'"),
    ("image pull Secrets", {"imagePullSecrets": [{"name": "Bad_Secret"}]}, "imagePullSecrets[0]: invalid value"),
    ("DAGSTER_HOME", {"global": {"dagsterHome": "relative"}}, "global.dagsterHome: invalid value 'relative'"),
    # A bundled service's pod keys merge from several values keys (helm/translate.py `_bundled`): the error
    # names the key that holds the offending entry, whole (label keys hold dots), never a library field.
    ("a bundled service's label key with dots", {"postgresql": {
        "podLabels": {"app.kubernetes.io/part-of": "b c"}, "master": {"podLabels": {"tier": "db"}}}},
     "postgresql.podLabels.app.kubernetes.io/part-of: invalid value 'b c'"),
    ("the subchart spelling's label key with dots", {"postgresql": {
        "podLabels": {"tier": "db"}, "master": {"podLabels": {"example.com/team": "-x"}}}},
     "postgresql.master.podLabels.example.com/team: invalid value '-x'"),
    ("a bundled service's annotation key with dots", {"postgresql": {"podAnnotations": {"a.b/c d": "x"}}},
     "postgresql.podAnnotations.a.b/c d: invalid value 'a.b/c d'"),
    ("RabbitMQ's securityContext.extra", _merge(CELERY, {"rabbitmq": {"securityContext": {
        "enabled": True, "fsGroup": 1001, "extra": {"runAsUsr": 1001}}}}),
     "rabbitmq.securityContext.extra.runAsUsr: invalid value 1001; expected no field 'runAsUsr'"),
    ("a hardened SELinux type", {"securityProfile": "hardened", "postgresql": {
        "containerSecurityContext": {"seLinuxOptions": {"type": "spc_t"}}}},
     "postgresql.containerSecurityContext.seLinuxOptions.type: invalid value 'spc_t'; expected one of "
     "'container_engine_t'"),
]


def _file_text(data: bytes | str) -> str:
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


@pytest.mark.parametrize(("case", "values", "message"), WORDS, ids=[c[0] for c in WORDS])
def test_errors_name_the_values_key(case: str, values: dict[str, Any], message: str, tmp_path: Path) -> None:
    text = yaml.safe_dump(_merge(PW, values), allow_unicode=True)
    outcome = run_cli("--outdir", str(tmp_path), "-f", write(tmp_path, "values.yaml", text))
    assert_clean_error(outcome, contains=message, user_input=text)


@pytest.mark.parametrize(("case", "values", "message"), BAD, ids=[c[0] for c in BAD])
def test_helm_values_cases_in_the_users_words(case: str, values: dict[str, Any], message: str,
                                              tmp_path: Path) -> None:
    text = yaml.safe_dump(_merge(PW, values), allow_unicode=True)
    outcome = run_cli("--outdir", str(tmp_path), "-f", write(tmp_path, "values.yaml", text))
    assert_clean_error(outcome, user_input=text)


@pytest.mark.parametrize(("case", "data", "message"), FILES, ids=[c[0] for c in FILES])
def test_front_door_files_in_the_users_words(case: str, data: bytes | str, message: str, tmp_path: Path) -> None:
    outcome = run_cli("--outdir", str(tmp_path), "-f", write(tmp_path, "values.yaml", data),
                      "--set-string", "postgresql.postgresqlPassword=pw")
    assert_clean_error(outcome, user_input=_file_text(data))


@pytest.mark.parametrize(("case", "args", "message"), SETS, ids=[c[0] for c in SETS])
def test_front_door_command_lines_in_the_users_words(case: str, args: list[str], message: str,
                                                     tmp_path: Path) -> None:
    outcome = run_cli("--outdir", str(tmp_path), "--set-string", "postgresql.postgresqlPassword=pw", *args)
    assert_clean_error(outcome, user_input=" ".join(args))


@pytest.mark.parametrize(("case", "values", "message"), APISERVER_CASES, ids=[c[0] for c in APISERVER_CASES])
def test_apiserver_cases_in_the_users_words(case: str, values: str, message: str, tmp_path: Path) -> None:
    outcome = run_cli("--outdir", str(tmp_path), "-f", write(tmp_path, "values.yaml", values),
                      "--set-string", "postgresql.postgresqlPassword=pw")
    assert_clean_error(outcome, user_input=values)


@pytest.mark.parametrize(("args", "key"), [
    (["--set", "postgresql.postgresqlPassword=123"], "postgresql.postgresqlPassword"),
    (["--set", "postgresql.postgresqlPassword=pw", "--set", "runLauncher.type=CeleryK8sRunLauncher",
      "--set", "rabbitmq.enabled=true", "--set", "rabbitmq.rabbitmq.password=2024"], "rabbitmq.rabbitmq.password"),
    (["--set", "postgresql.postgresqlPassword=pw", "--set", "runLauncher.type=CeleryK8sRunLauncher",
      "--set", "redis.enabled=true", "--set", "redis.internal=true", "--set", "redis.usePassword=true",
      "--set", "redis.password=12345"],
     "redis.password"),
])
def test_a_number_for_a_password_suggests_set_string(args: list[str], key: str, tmp_path: Path) -> None:
    outcome = run_cli("--outdir", str(tmp_path), *args)
    assert_clean_error(outcome, contains=f"{key}: invalid value '<redacted>'; expected a string, not a number",
                       user_input=" ".join(args))
    assert "--set-string" in outcome.stderr and not any(n in outcome.stderr for n in ("123", "2024", "12345"))


def test_the_checker_catches_the_librarys_words() -> None:
    assert internal_words("CodeLocationSettings.name: invalid value 'x'") == ["CodeLocationSettings"]
    assert internal_words("WebserverSettings(web).replicas: x") == ["WebserverSettings"]
    assert internal_words("podDisruptionBudget.maxUnavailable: expected None when min_available is given") \
        == ["min_available"]
    # ...but not the user's own words, quoted values, or Kubernetes' and the chart's names.
    assert internal_words("dagsterWebserver.labels.my_team: invalid value 'a_b'", user_input="my_team: a_b") == []
    assert internal_words("expected true while the QueuedRunCoordinator is enabled; a HTTPGetAction (object)") == []


def test_the_mapping_is_one_model() -> None:
    # One table: a class with a section of its own maps wherever it is raised...
    assert values_path("", "RunMonitoring.poll_interval_seconds") == "dagsterDaemon.runMonitoring.pollIntervalSeconds"
    assert values_path("dagsterWebserver", "PostgreSqlSettings.password") == "postgresql.postgresqlPassword"
    # ...a class used in many sections maps under the caller's section, renames from the table.
    assert values_path("dagsterWebserver", "WebserverSettings.replicas") == "dagsterWebserver.replicaCount"
    assert values_path("flower", "Image.pull_policy") == "flower.image.pullPolicy"
    assert values_path("dagster-user-deployments.deployments[1]", "CodeLocationSettings(x).name") \
        == "dagster-user-deployments.deployments[1].name"
    assert values_path("", "CeleryWorkersSettings.queues.name[1]") == "workerQueues[1].name"
    # Every section the table names is a key path of the values model.
    from constructs_lib.helm.values import HelmValues

    top = {f.alias or name for name, f in HelmValues.model_fields.items()}
    for cls, (section, keys) in _VALUES_KEYS.items():
        roots = [section] if section else []
        roots += [k.lstrip("/") for k in keys.values() if k.startswith("/") or (section == "" and k)]
        for root in roots:
            assert root.split(".")[0] in top, (cls, root)


def test_translation_errors_are_values_errors() -> None:
    from constructs_lib.helm import ValuesError, from_helm_values

    with pytest.raises(ValuesError) as error:
        from_helm_values(_merge(PW, {"dagsterDaemon": {"runMonitoring": {"startTimeoutSeconds": -1}}}))
    assert error.value.field == "dagsterDaemon.runMonitoring.startTimeoutSeconds"
    assert isinstance(error.value, ConfigError)


@pytest.mark.parametrize(("field", "expected"), [
    ("WorkloadOptions.volumes[0].name", "a DNS-1123 label"),  # a field no bundled-service key feeds
    ("WorkloadOptions.labels.tier", "'db' or no value (see WorkloadOptions.workload_labels)"),
])
def test_a_bundled_services_error_never_names_a_library_field(field: str, expected: str) -> None:
    """The bundled services' mapping (``_bundled_error``) names a values key, also for a field no
    key feeds, and rewords the explanation as every values error is reworded."""
    from constructs_lib.helm.translate import _bundled_error

    error = _bundled_error(ConfigError(field, "x", expected), {"labels": [("postgresql.podLabels", {"tier": "x"})]},
                           "postgresql")
    assert error.field.startswith("postgresql"), error.field
    assert not internal_words(str(error)), str(error)
