"""The Helm drop-in: --set syntax, layering, seed-era aliases, knobs, bad values, schema, round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib import (
    CeleryK8sRunLauncher,
    ConfigError,
    CustomRunLauncher,
    DagsterSystemConfig,
    DefaultRunCoordinator,
    ExternalPostgreSqlSettings,
    K8sRunLauncher,
    RabbitMqSettings,
    RedisSettings,
    S3ComputeLogs,
)
from constructs_lib.helm import from_helm_values, load_values, normalize_aliases, parse_set
from constructs_lib.helm.schema import SCHEMA_PATH, render
from constructs_lib.helm.strvals import merge_values, prune_nulls, set_path

from .chart_oracle import chart_values_yaml
from .conftest import ROOT, TEST_PASSWORDS, container, find, pod_spec, synth_config, synth_variant_yaml

PW = {"postgresql": {"postgresqlPassword": "pw"}}


def with_sets(*expressions: str, as_string: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for expression in expressions:
        for tokens, value in parse_set(expression, as_string=as_string):
            set_path(out, tokens, value, expression=expression)
    return out


def config(values: dict[str, Any], **kwargs: Any) -> DagsterSystemConfig:
    return from_helm_values(merge_values(PW, values), **kwargs)


# ---- --set syntax ----------------------------------------------------------------------------------
def test_set_types_like_helm() -> None:
    assert with_sets("a.b=c,d=1,e=true,f=FALSE,g=null,h=007,i=0,j=1.5,k=") == {
        "a": {"b": "c"},
        "d": 1,
        "e": True,
        "f": False,
        "g": None,
        "h": "007",
        "i": 0,
        "j": "1.5",
        "k": "",
    }


def test_set_lists_indices_and_escapes() -> None:
    assert with_sets("l={x,y,3}", "m[1].name=q", "m[0]=z", r"a\.b=c", r"v=1\,2") == {
        "l": ["x", "y", 3],
        "m": ["z", {"name": "q"}],
        "a.b": "c",
        "v": "1,2",
    }


def test_set_string_keeps_strings() -> None:
    assert with_sets("a=true,b=12", as_string=True) == {"a": "true", "b": "12"}


def test_layering_later_wins_maps_merge_lists_replace_null_deletes() -> None:
    base = {"a": {"x": 1, "y": 2}, "l": [1, 2], "keep": True}
    merged = merge_values(base, {"a": {"y": 3}, "l": [9], "keep": None})
    assert prune_nulls(merged) == {"a": {"x": 1, "y": 3}, "l": [9]}


def test_load_values_files_then_sets_in_command_line_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("dagsterWebserver: {replicaCount: 2, pathPrefix: /a}\n")
    second.write_text("dagsterWebserver: {pathPrefix: /b}\n")
    values = load_values(
        [first, second],
        set_order=[("set", "dagsterWebserver.replicaCount=5"), ("set-string", "dagsterWebserver.logLevel=INFO")],
    )
    assert values == {"dagsterWebserver": {"replicaCount": 5, "pathPrefix": "/b", "logLevel": "INFO"}}


# ---- seed-era aliases --------------------------------------------------------------------------------
def test_the_seed_command_selects_the_celery_less_system() -> None:
    values = with_sets("celery.enabled=false", "k8sRunLauncher.enabled=true")
    assert isinstance(config(values).run_launcher, K8sRunLauncher)


def test_celery_enabled_selects_celery_and_moves_its_settings() -> None:
    values = with_sets(
        "celery.enabled=true",
        "celery.workerQueues[0].name=q1",
        "celery.workerQueues[0].replicaCount=3",
        "rabbitmq.enabled=true",
        "rabbitmq.rabbitmq.password=mq",
    )
    c = config(values)
    assert isinstance(c.run_launcher, CeleryK8sRunLauncher)
    assert [(q.name, q.replicas) for q in c.celery_workers.queues] == [("q1", 3)]


def test_renamed_sections() -> None:
    values = {"dagit": {"replicaCount": 3}, "pipeline_run": {"env": {"A": "1"}}, "userDeployments": {"enabled": False}}
    assert normalize_aliases(values) == {
        "dagsterWebserver": {"replicaCount": 3},
        "pipelineRun": {"env": {"A": "1"}},
        "dagster-user-deployments": {"enabled": False},
    }
    c = config(values)
    assert c.webserver.replicas == 3 and c.pipeline_run_env == {"A": "1"} and c.code_locations == []


# ---- knobs with the chart's meaning ------------------------------------------------------------------------
def test_the_official_default_values_file_loads() -> None:
    c = from_helm_values(load_values([chart_values_yaml()]))
    assert isinstance(c.run_launcher, K8sRunLauncher)
    assert c.postgresql.username == "test" and c.code_locations[0].name == "k8s-example-user-code-1"


def test_a_tuned_values_file() -> None:
    values = yaml.safe_load("""
    global: {fullnameOverride: prod, dagsterHome: /home/dagster}
    imagePullSecrets: [{name: regcred}]
    dagsterWebserver:
      replicaCount: 2
      pathPrefix: /dagster
      logLevel: DEBUG
      dbStatementTimeout: 10000
      enableReadOnly: true
      service: {type: LoadBalancer, port: 8080, annotations: {a: b}}
      env: [{name: FOO, value: bar}]
      envConfigMaps: [{name: web-extra}]
      envSecrets: [{name: web-secret}]
      nodeSelector: {pool: web}
      resources: {limits: {cpu: "1"}}
      readinessProbe: {periodSeconds: 5}
    computeLogManager:
      type: S3ComputeLogManager
      config: {s3ComputeLogManager: {bucket: logs, prefix: runs, region: eu-west-1}}
    dagsterDaemon:
      heartbeatTolerance: 300
      runCoordinator:
        enabled: true
        config: {queuedRunCoordinator: {maxConcurrentRuns: 10, tagConcurrencyLimits: [{key: db, limit: 2}]}}
      runRetries: {enabled: true, maxRetries: 2}
    runLauncher:
      type: K8sRunLauncher
      config:
        k8sRunLauncher:
          jobNamespace: null
          envSecrets: [{name: run-secret}]
          labels: {team: data}
          failPodOnRunFailure: true
    postgresql:
      enabled: false
      postgresqlHost: db.example.com
      postgresqlPassword: secret
      postgresqlParams: {sslmode: require}
    retention: {enabled: true, schedule: {purgeAfterDays: 30}}
    telemetry: {enabled: false}
    pythonLogs: {pythonLogLevel: INFO, managedPythonLoggers: [my_logger]}
    migrate: {enabled: true}
    ingress:
      enabled: true
      ingressClassName: nginx
      dagsterWebserver: {host: dagster.example.com, path: /dagster, pathType: Prefix,
                         precedingPaths: [{path: /health, pathType: Exact, serviceName: health, servicePort: 80}]}
    """)
    objects = synth_config(from_helm_values(values))
    web = find(objects, "Deployment", "dagster-dagster-webserver")  # the release's name, as in the chart
    main = container(web)
    assert web["spec"]["replicas"] == 2 and pod_spec(web)["nodeSelector"] == {"pool": "web"}
    assert main["command"] == [
        "dagster-webserver",
        "-h",
        "0.0.0.0",
        "-p",
        "8080",
        "-w",
        "/dagster-workspace/workspace.yaml",
        "--db-statement-timeout",
        "10000",
        "--path-prefix",
        "/dagster",
        "--log-level",
        "debug",
    ]
    assert (
        main["readinessProbe"]["periodSeconds"] == 5
        and main["readinessProbe"]["httpGet"]["path"] == "/dagster/server_info"
    )
    assert {"name": "FOO", "value": "bar"} in main["env"]
    assert {"secretRef": {"name": "web-secret"}} in main["envFrom"]
    assert pod_spec(web)["imagePullSecrets"] == [{"name": "regcred"}]
    assert {"name": "dagster-instance", "mountPath": "/home/dagster/dagster.yaml", "subPath": "dagster.yaml"} in main[
        "volumeMounts"
    ]
    service = find(objects, "Service", "dagster-dagster-webserver")
    assert service["spec"]["type"] == "LoadBalancer" and service["metadata"]["annotations"] == {"a": "b"}
    find(objects, "Deployment", "dagster-dagster-webserver-read-only")
    assert [o["metadata"]["name"][:-9] for o in objects if o["kind"] == "Job"] == [
        "dagster-dagster-webserver-instance-migrate"]
    instance = yaml.safe_load(find(objects, "ConfigMap", "prod-instance")["data"]["dagster.yaml"])
    assert instance["compute_logs"]["class"] == "S3ComputeLogManager"
    assert instance["compute_logs"]["config"] == {"bucket": "logs", "prefix": "runs", "region": "eu-west-1"}
    assert instance["run_coordinator"]["config"]["max_concurrent_runs"] == 10
    assert instance["run_coordinator"]["config"]["tag_concurrency_limits"] == [{"key": "db", "limit": 2}]
    assert instance["run_retries"] == {"enabled": True, "max_retries": 2}
    assert instance["run_launcher"]["config"]["env_secrets"] == ["run-secret"]
    assert instance["run_launcher"]["config"]["fail_pod_on_run_failure"] is True
    assert instance["run_storage"]["config"]["postgres_db"]["hostname"] == "db.example.com"
    assert instance["retention"]["schedule"] == {"purge_after_days": 30}
    assert instance["telemetry"] == {"enabled": False}
    assert instance["python_logs"] == {"python_log_level": "INFO", "managed_python_loggers": ["my_logger"]}
    daemon = container(find(objects, "Deployment", "prod-daemon"))
    assert {"name": "DAGSTER_DAEMON_HEARTBEAT_TOLERANCE", "value": "300"} in daemon["env"]
    ingress = find(objects, "Ingress", "prod-ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    assert paths[0] == {
        "path": "/health",
        "pathType": "Exact",
        "backend": {"service": {"name": "health", "port": {"number": 80}}},
    }
    assert paths[1]["backend"]["service"] == {"name": "dagster-dagster-webserver", "port": {"number": 8080}}
    assert find(objects, "Secret", "prod-postgresql-secret")


def test_brokers_and_secrets_from_values() -> None:
    redis = config(
        with_sets(
            "runLauncher.type=CeleryK8sRunLauncher",
            "redis.enabled=true",
            "redis.host=r.example.com",
            "redis.usePassword=true",
            "redis.password=pw",
            "redis.backendDbNumber=2",
        )
    )
    assert redis.broker == RedisSettings(bundled=False, host="r.example.com", password="pw", backend_db=2)
    existing = config(
        with_sets(
            "runLauncher.type=CeleryK8sRunLauncher",
            "generateCeleryConfigSecret=false",
            "global.celeryConfigSecretName=my-celery",
        )
    )
    assert existing.broker is None and existing.celery_config_secret_name == "my-celery"
    pg = from_helm_values(
        with_sets(
            "generatePostgresqlPasswordSecret=false",
            "global.postgresqlSecretName=my-pg",
            "postgresql.enabled=false",
            "postgresql.postgresqlHost=db",
        )
    )
    assert isinstance(pg.postgresql, ExternalPostgreSqlSettings)
    assert pg.postgresql.existing_secret is not None and pg.postgresql.existing_secret.name == "my-pg"
    mq = config(
        with_sets(
            "runLauncher.type=CeleryK8sRunLauncher",
            "rabbitmq.enabled=true",
            "rabbitmq.rabbitmq.password=mq",
            "rabbitmq.service.port=5673",
        )
    )
    assert isinstance(mq.broker, RabbitMqSettings) and mq.broker.port == 5673


def test_postgresql_image_serves_the_database_and_the_wait_for_it() -> None:
    values = with_sets("postgresql.image.repository=registry.example.com/postgres", "postgresql.image.tag=16.4")
    objects = synth_config(config(values))
    database = container(find(objects, "StatefulSet", "dagster-postgresql"))
    wait = pod_spec(find(objects, "Deployment", "dagster-daemon"))["initContainers"][0]
    assert database["image"] == wait["image"] == "registry.example.com/postgres:16.4"


def test_the_migrate_job_repeats_the_webservers_pod_settings_as_the_chart_does() -> None:
    """templates/job-instance-migrate.yaml: the webserver's annotations, envConfigMaps/envSecrets,
    volumes and mounts, resources, nodeSelector, affinity, tolerations, security contexts; not
    its labels (the system's) nor its probes."""
    values = yaml.safe_load((ROOT / "tests" / "values_matrix" / "03-webserver-pod.yaml").read_text())
    objects = synth_config(config(values))
    [job] = [o for o in objects if o["kind"] == "Job"]
    web = values["dagsterWebserver"]
    spec, main = pod_spec(job), container(job)
    assert job["metadata"]["annotations"] == job["spec"]["template"]["metadata"]["annotations"] == web["annotations"]
    assert (spec["nodeSelector"], spec["affinity"], spec["tolerations"]) == (
        web["nodeSelector"], web["affinity"], web["tolerations"])
    assert {"configMapRef": {"name": "webserver-extra-env"}} in main["envFrom"]
    assert {"secretRef": {"name": "webserver-extra-secret"}} in main["envFrom"]
    assert {"name": "extra", "mountPath": "/opt/extra", "readOnly": True} in main["volumeMounts"]
    assert {"name": "extra", "configMap": {"name": "webserver-files"}} in spec["volumes"]
    assert main["resources"]["requests"] == web["resources"]["requests"]
    assert spec["securityContext"]["runAsUser"] == 1001 and spec["securityContext"]["fsGroup"] == 1001
    assert "tier" not in job["spec"]["template"]["metadata"]["labels"]
    assert "readinessProbe" not in main and "livenessProbe" not in main


def test_custom_pieces_and_disabled_coordinator() -> None:
    c = config(
        with_sets(
            "runLauncher.type=CustomRunLauncher",
            "runLauncher.config.customRunLauncher.module=m",
            "runLauncher.config.customRunLauncher.class=C",
            "dagsterDaemon.runCoordinator.enabled=false",
            "computeLogManager.type=S3ComputeLogManager",
            "computeLogManager.config.s3ComputeLogManager.bucket=b",
        )
    )
    assert c.run_launcher == CustomRunLauncher(module="m", class_name="C")
    assert isinstance(c.instance.run_coordinator, DefaultRunCoordinator)
    assert c.instance.compute_logs == S3ComputeLogs(bucket="b")


def test_workspace_servers_and_subchart_off() -> None:
    c = config(
        with_sets(
            "dagsterWebserver.workspace.enabled=true",
            "dagsterWebserver.workspace.servers[0].host=code.other-ns",
            "dagsterWebserver.workspace.servers[0].port=4000",
            "dagsterWebserver.workspace.servers[0].name=remote",
            "dagster-user-deployments.enableSubchart=false",
        )
    )
    assert c.code_locations == []
    assert [(w.host, w.port, w.location_name) for w in c.workspace_locations or []] == [
        ("code.other-ns", 4000, "remote")
    ]


# ---- bad values ----------------------------------------------------------------------------------------
BAD: list[tuple[str, dict[str, Any], str]] = [
    (
        "unknown key with a suggestion",
        {"dagsterWebserver": {"replicaCont": 2}},
        r"unknown key 'dagsterWebserver.replicaCont'; did you mean 'dagsterWebserver.replicaCount'\?",
    ),
    (
        "unknown top-level key",
        {"dagsterWebserve": {}},
        r"unknown key 'dagsterWebserve'; did you mean 'dagsterWebserver'",
    ),
    (
        "unknown nested key in a list item",
        {
            "dagster-user-deployments": {
                "deployments": [{"name": "a", "image": {"repository": "r"}, "dagsterApiGrpcArg": []}]
            }
        },
        r"unknown key 'dagster-user-deployments.deployments\[0\].dagsterApiGrpcArg'; did you mean .*dagsterApiGrpcArgs",
    ),
    ("wrong type", {"dagsterWebserver": {"replicaCount": "many"}}, r"dagsterWebserver.replicaCount: .*valid integer"),
    (
        "wrong enum",
        {"runLauncher": {"type": "CeleryRunLauncher"}},
        r"runLauncher.type: .*'K8sRunLauncher', 'CeleryK8sRunLauncher' or 'CustomRunLauncher'",
    ),
    (
        "wrong pull policy",
        {"dagsterWebserver": {"image": {"repository": "r", "pullPolicy": "Sometimes"}}},
        r"dagsterWebserver.image.pullPolicy",
    ),
    ("list expected", {"imagePullSecrets": "regcred"}, r"imagePullSecrets: .*valid list"),
    (
        "both spellings of the webserver",
        {"dagit": {}, "dagsterWebserver": {}},
        r"dagit: .*either 'dagit' \(seed-era alias\) or 'dagsterWebserver', not both",
    ),
    (
        "both spellings of the launcher",
        {"celery": {"enabled": True}, "runLauncher": {"type": "K8sRunLauncher"}},
        r"celery.enabled: .*either celery.enabled \(seed-era aliases\) or runLauncher.type, not both",
    ),
    (
        "both launchers enabled",
        {"celery": {"enabled": True}, "k8sRunLauncher": {"enabled": True}},
        r"celery.enabled: invalid value True; expected false when k8sRunLauncher.enabled is true",
    ),
    (
        "no launcher enabled",
        {"celery": {"enabled": False}, "k8sRunLauncher": {"enabled": False}},
        r"k8sRunLauncher.enabled: invalid value False; expected true when celery.enabled is false",
    ),
    (
        "two brokers",
        {"runLauncher": {"type": "CeleryK8sRunLauncher"}, "rabbitmq": {"enabled": True}, "redis": {"enabled": True}},
        r"redis.enabled: .*one Celery broker",
    ),
    (
        "Celery without a broker",
        {"runLauncher": {"type": "CeleryK8sRunLauncher"}},
        r"rabbitmq.enabled: invalid value False; expected true .*CeleryK8sRunLauncher needs a Celery broker",
    ),
    (
        "Flower without Celery",
        {"flower": {"enabled": True}},
        r"flower.enabled: invalid value True; expected false: runLauncher.type is K8sRunLauncher",
    ),
    (
        "no database password",
        {"postgresql": {"postgresqlPassword": None}},
        r"postgresql.postgresqlPassword: invalid value None; expected a password .*no default",
    ),
    (
        "no RabbitMQ password",
        {"runLauncher": {"type": "CeleryK8sRunLauncher"}, "rabbitmq": {"enabled": True}},
        r"rabbitmq.rabbitmq.password: invalid value None; expected a password",
    ),
    (
        "external database without host",
        {"postgresql": {"enabled": False}},
        r"postgresql.postgresqlHost: invalid value ''; expected the external PostgreSQL host",
    ),
    (
        "invalid code location name",
        {"dagster-user-deployments": {"deployments": [{"name": "My_Code", "image": {"repository": "r"}}]}},
        r"dagster-user-deployments.deployments\[0\].name: invalid value 'My_Code'; expected a DNS-1123 label",
    ),
    (
        "negative replicas",
        {"dagsterWebserver": {"replicaCount": -1}},
        r"dagsterWebserver.replicaCount: invalid value -1; expected an integer >= 0",
    ),
    (
        "port out of range",
        {"dagsterWebserver": {"service": {"port": 70000}}},
        r"dagsterWebserver.service.port: invalid value 70000",
    ),
    (
        "queue declared twice",
        {
            "runLauncher": {
                "type": "CeleryK8sRunLauncher",
                "config": {"celeryK8sRunLauncher": {"workerQueues": [{"name": "q"}, {"name": "q"}]}},
            },
            "rabbitmq": {"enabled": True, "rabbitmq": {"password": "x"}},
        },
        r"runLauncher.config.celeryK8sRunLauncher.workerQueues\[1\].name: invalid value 'q'",
    ),
    (
        "unsupported knob",
        {"extraManifests": [{"kind": "ConfigMap"}]},
        r"extraManifests: .*extraManifests is not supported \(add further objects to your own cdk8s chart",
    ),
    (
        "unsupported busybox image",
        {"busybox": {"image": {"repository": "b", "tag": "1"}}},
        r"busybox.image: .*is not supported",
    ),
    (
        "custom launcher without its class",
        {"runLauncher": {"type": "CustomRunLauncher"}},
        r"runLauncher.config.customRunLauncher: invalid value None",
    ),
    (
        "daemon off with queued runs",
        {"dagsterDaemon": {"enabled": False}},
        r"dagsterDaemon.enabled: invalid value False; expected true while the QueuedRunCoordinator is enabled",
    ),
    (
        "TLS without a secret",
        {"ingress": {"enabled": True, "dagsterWebserver": {"host": "h", "tls": {"enabled": True}}}},
        r"ingress.dagsterWebserver.tls.secretName: invalid value ''",
    ),
]


@pytest.mark.parametrize(("case", "values", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_values_are_errors(case: str, values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config(values)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("a", r"--set: invalid value 'a'; expected key.path=value \(no '=' in 'a'\)"),
        ("a.=b", r"expected key.path=value with no empty key segment"),
        ("a[x]=1", r"expected a non-negative integer list index, not \[x\]"),
        ("a={x", r"expected a list closed with '}'"),
        ("a[0]=1,a.b=2", r"expected a to be a map to set key 'b' in it, but it is a list"),
        ("a.b=1,a[0]=2", r"expected a to be a list to set index \[0\], but it is a dict"),
    ],
)
def test_malformed_set_is_an_error(expression: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_values(sets=[expression])


def test_a_values_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "v.yaml"
    bad.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match=r"--values: .*expected a YAML mapping"):
        load_values([bad])


# ---- schema, round trip, CLI --------------------------------------------------------------------------
def test_the_committed_json_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text() == render(), "the values model changed: run `make schema` and commit the result"
    schema = json.loads(SCHEMA_PATH.read_text())
    assert "dagster-user-deployments" in schema["properties"] and schema["additionalProperties"] is False


PASSWORD_SETS = {
    "celery-rabbitmq": [
        f"postgresql.postgresqlPassword={TEST_PASSWORDS.postgresql}",
        f"rabbitmq.rabbitmq.password={TEST_PASSWORDS.rabbitmq}",
    ],
    "celery-redis": [
        f"postgresql.postgresqlPassword={TEST_PASSWORDS.postgresql}",
        f"redis.password={TEST_PASSWORDS.redis}",
    ],
    "celery-autoscaling": [
        f"postgresql.postgresqlPassword={TEST_PASSWORDS.postgresql}",
        f"rabbitmq.rabbitmq.password={TEST_PASSWORDS.rabbitmq}",
    ],
    "k8s": [f"postgresql.postgresqlPassword={TEST_PASSWORDS.postgresql}"],
    "custom-launcher": [f"postgresql.postgresqlPassword={TEST_PASSWORDS.postgresql}"],
    "external": [
        f"redis.brokerUrl=redis://:{TEST_PASSWORDS.redis}@redis-master.redis.svc.cluster.local:6379/0",
        f"redis.backendUrl=redis://:{TEST_PASSWORDS.redis}@redis-master.redis.svc.cluster.local:6379/1",
    ],
    "multi-location": [f"postgresql.postgresqlPassword={TEST_PASSWORDS.postgresql}"],
}


@pytest.mark.parametrize("variant", sorted(PASSWORD_SETS))
def test_every_variant_as_a_values_file_gives_the_same_output(variant: str, tmp_path: Path) -> None:
    args = [
        sys.executable,
        str(ROOT / "main.py"),
        "--outdir",
        str(tmp_path / "helm"),
        "-f",
        str(ROOT / "examples/values/_common.yaml"),
        "-f",
        str(ROOT / f"examples/values/{variant}.yaml"),
    ]
    for expression in PASSWORD_SETS[variant]:
        args += ["--set-string", expression]
    if variant in ("external", "celery-autoscaling"):
        args += ["--namespace", "dagster"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "helm" / "dagster.k8s.yaml").read_text() == synth_variant_yaml(variant, tmp_path / "typed")


def test_cli_errors_name_the_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--outdir", str(tmp_path), "--set", "dagsterWebserver.replicaCont=2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "did you mean 'dagsterWebserver.replicaCount'" in result.stderr and "Traceback" not in result.stderr


def test_release_and_namespace_flags(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--outdir",
            str(tmp_path),
            "-f",
            str(chart_values_yaml()),
            "--release",
            "prod",
            "--namespace",
            "data",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all((tmp_path / "dagster.k8s.yaml").read_text()) if d]
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert ("Deployment", "prod-dagster-webserver") in names
    assert {d["metadata"].get("namespace") for d in docs} == {"data"}
