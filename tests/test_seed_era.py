"""Seed-era values files (Helm chart 0.11 and earlier): today's system, one deprecation line per old
key, ``migrate-values`` (synth of the old file == synth of the migrated file, byte for byte)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib import CeleryK8sRunLauncher, K8sRunLauncher, QueuedRunCoordinator
from constructs_lib.cli import main as cli
from constructs_lib.cli_migrate import migrated_yaml
from constructs_lib.helm import Deprecation, ValuesError, from_helm_values, load_values, migrate_values
from constructs_lib.helm.seed_era import SEED_ERA

ROOT = Path(__file__).parent.parent
OLD_DIR = Path(__file__).parent / "values_seed_era"
MODERN_DIR = OLD_DIR / "modern"  # the same systems, written for today's chart by hand
FILES = sorted(p.name for p in OLD_DIR.glob("*.yaml"))

#: Every deprecation line each file gives, (old key, today's spelling), in the order they are printed.
DEPRECATIONS: dict[str, list[tuple[str, str]]] = {
    "celery-rabbitmq.yaml": [
        ("dagit", "dagsterWebserver"),
        ("userDeployments", "dagster-user-deployments"),
        ("dagsterHome", "global.dagsterHome"),
        ("celery.image", "runLauncher.config.celeryK8sRunLauncher.image"),
        ("celery.configSource", "runLauncher.config.celeryK8sRunLauncher.configSource"),
        ("celery.workerQueues", "runLauncher.config.celeryK8sRunLauncher.workerQueues"),
        ("celery.env", "runLauncher.config.celeryK8sRunLauncher.env"),
        ("celery.envConfigMaps",
         'runLauncher.config.celeryK8sRunLauncher.envConfigMaps: [{"name": "celery-extra-env"}]'),
        ("celery.envSecrets", 'runLauncher.config.celeryK8sRunLauncher.envSecrets: [{"name": "celery-secrets"}]'),
        ("celery.enabled", "runLauncher.type: CeleryK8sRunLauncher"),
        ("k8sRunLauncher.enabled", "runLauncher.type: CeleryK8sRunLauncher"),
        ("scheduler.k8sEnabled", "scheduler.type: DagsterDaemonScheduler"),
        ("dagit.envConfigMaps", 'dagsterWebserver.envConfigMaps: [{"name": "dagit-extra-env"}]'),
        ("dagit.envSecrets", 'dagsterWebserver.envSecrets: [{"name": "dagit-secrets"}]'),
        ("dagit.livenessProbe.httpGet.path", "dagsterWebserver.livenessProbe.httpGet.path: /server_info"),
        ("dagit.startupProbe.httpGet.path", "dagsterWebserver.startupProbe.httpGet.path: /server_info"),
        ("rabbitmq.volumePermissions.enabled", "nothing (remove it): the bundled RabbitMQ is the official image, "
                                               "which needs no permission-fixing init container"),
    ],
    "env-lists.yaml": [
        ("dagit", "dagsterWebserver"),
        ("userDeployments", "dagster-user-deployments"),
        ("k8sRunLauncher.envConfigMaps", 'runLauncher.config.k8sRunLauncher.envConfigMaps: [{"name": "run-env"}]'),
        ("k8sRunLauncher.envSecrets", 'runLauncher.config.k8sRunLauncher.envSecrets: [{"name": "run-secret"}]'),
        ("celery.enabled", "runLauncher.type: K8sRunLauncher"),
        ("k8sRunLauncher.enabled", "runLauncher.type: K8sRunLauncher"),
        ("scheduler.k8sEnabled", "scheduler.type: DagsterDaemonScheduler"),
        ("dagit.envConfigMaps", 'dagsterWebserver.envConfigMaps: [{"name": "dagit-env"}]'),
        ("dagit.envSecrets", 'dagsterWebserver.envSecrets: [{"name": "dagit-secret"}]'),
        ("dagsterDaemon.envConfigMaps", 'dagsterDaemon.envConfigMaps: [{"name": "daemon-env"}]'),
        ("dagsterDaemon.envSecrets", "dagsterDaemon.envSecrets: []"),
        ("userDeployments.deployments[0].env_secrets",
         'dagster-user-deployments.deployments[0].envSecrets: [{"name": "my-code-secret"}]'),
        ("userDeployments.deployments[0].envConfigMaps",
         'dagster-user-deployments.deployments[0].envConfigMaps: [{"name": "my-code-env"}]'),
    ],
    "k8s-user-deployments.yaml": [
        ("dagit", "dagsterWebserver"),
        ("pipeline_run", "pipelineRun"),
        ("userDeployments", "dagster-user-deployments"),
        ("k8sRunLauncher.jobNamespace", "runLauncher.config.k8sRunLauncher.jobNamespace"),
        ("k8sRunLauncher.loadInclusterConfig", "runLauncher.config.k8sRunLauncher.loadInclusterConfig"),
        ("k8sRunLauncher.kubeconfigFile", "runLauncher.config.k8sRunLauncher.kubeconfigFile"),
        ("k8sRunLauncher.envConfigMaps", 'runLauncher.config.k8sRunLauncher.envConfigMaps: [{"name": "run-env"}]'),
        ("k8sRunLauncher.envSecrets", 'runLauncher.config.k8sRunLauncher.envSecrets: [{"name": "run-secrets"}]'),
        ("celery.enabled", "runLauncher.type: K8sRunLauncher"),
        ("k8sRunLauncher.enabled", "runLauncher.type: K8sRunLauncher"),
        ("scheduler.k8sEnabled", "scheduler.type: DagsterDaemonScheduler"),
        ("userDeployments.deployments[0].envConfigMaps",
         'dagster-user-deployments.deployments[0].envConfigMaps: [{"name": "user-code-env"}]'),
        ("userDeployments.deployments[0].envSecrets",
         'dagster-user-deployments.deployments[0].envSecrets: [{"name": "user-code-secrets"}]'),
    ],
    "queued-ingress.yaml": [
        ("dagit", "dagsterWebserver"),
        ("celery.workerQueues", "runLauncher.config.celeryK8sRunLauncher.workerQueues"),
        ("celery.enabled", "runLauncher.type: CeleryK8sRunLauncher"),
        ("k8sRunLauncher.enabled", "runLauncher.type: CeleryK8sRunLauncher"),
        ("dagsterDaemon.queuedRunCoordinator",
         'dagsterDaemon.runCoordinator: {"enabled": true, "type": "QueuedRunCoordinator", "config": '
         '{"queuedRunCoordinator": {"maxConcurrentRuns": 10, "tagConcurrencyLimits": [{"key": "database", '
         '"value": "redshift", "limit": 4}], "dequeueIntervalSeconds": 5}}}'),
        ("ingress.dagit", "ingress.dagsterWebserver"),
        ("ingress.dagit.precedingPaths[0]", "ingress.dagsterWebserver.precedingPaths[0] with pathType: "
                                            "ImplementationSpecific"),
        ("ingress.dagit.succeedingPaths[0]", "ingress.dagsterWebserver.succeedingPaths[0] with pathType: "
                                             "ImplementationSpecific"),
    ],
}


def lines(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"deprecated ({SEED_ERA}): {key} -> {modern}" for key, modern in pairs]


def deprecation_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("deprecated")]


def quiet(values: dict[str, Any]) -> Any:
    return from_helm_values(values, on_deprecation=lambda d: None)


def test_every_file_has_its_expected_deprecations_and_its_modern_twin() -> None:
    assert len(FILES) >= 4
    assert sorted(DEPRECATIONS) == FILES
    assert sorted(p.name for p in MODERN_DIR.glob("*.yaml")) == FILES


@pytest.mark.parametrize("name", FILES)
def test_the_migrated_values_are_the_hand_written_modern_file(name: str) -> None:
    migration = migrate_values(load_values([OLD_DIR / name]))
    assert migration.values == load_values([MODERN_DIR / name])
    assert [str(d) for d in migration.deprecations] == lines(DEPRECATIONS[name])
    # Today's spelling is left as it is: migrating again changes nothing and says nothing.
    again = migrate_values(migration.values)
    assert (again.values, again.deprecations) == (migration.values, ())


@pytest.mark.parametrize("name", FILES)
def test_synth_of_the_old_file_is_byte_identical_to_synth_of_the_migrated_file(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = OLD_DIR / name
    assert cli(["migrate-values", str(old)]) == 0
    printed = capsys.readouterr()
    assert deprecation_lines(printed.err) == lines(DEPRECATIONS[name])
    migrated = tmp_path / "migrated.yaml"
    migrated.write_text(printed.out)

    # A namespace: a jobNamespace other than the release's needs one for the RoleBinding's subject.
    assert cli(["synth", "-f", str(old), "--namespace", "dagster", "--outdir", str(tmp_path / "old")]) == 0
    assert deprecation_lines(capsys.readouterr().err) == lines(DEPRECATIONS[name])  # one line per old key
    assert cli(["synth", "-f", str(migrated), "--namespace", "dagster", "--outdir", str(tmp_path / "new")]) == 0
    assert deprecation_lines(capsys.readouterr().err) == []
    old_yaml = (tmp_path / "old" / "dagster.k8s.yaml").read_bytes()
    assert old_yaml == (tmp_path / "new" / "dagster.k8s.yaml").read_bytes()
    assert old_yaml.count(b"\nkind: Deployment\n") >= 2


def test_the_old_keys_keep_their_meaning() -> None:
    celery = quiet(load_values([OLD_DIR / "celery-rabbitmq.yaml"]))
    assert isinstance(celery.run_launcher, CeleryK8sRunLauncher)
    assert celery.run_launcher.env_config_maps == ["celery-extra-env"]
    assert [(q.name, q.replicas) for q in celery.celery_workers.queues] == [("dagster", 2), ("extra-queue-1", 1)]
    assert celery.celery_workers.env == {"CELERY_GREETING": "hello"}
    assert celery.webserver.replicas == 2
    assert celery.webserver.options.liveness_probe["httpGet"] == {"path": "/server_info", "port": 80}
    assert celery.webserver.options.startup_probe["httpGet"] == {"path": "/server_info", "port": 80}
    assert celery.pipeline_run_env["RUN_GREETING"] == "hello"
    assert celery.flower is not None and celery.broker is not None

    k8s = quiet(load_values([OLD_DIR / "k8s-user-deployments.yaml"]))
    assert isinstance(k8s.run_launcher, K8sRunLauncher)
    launcher = k8s.run_launcher
    assert (launcher.job_namespace, launcher.load_incluster_config, launcher.kubeconfig_file) == (
        "dagster-runs", False, "/opt/dagster/kubeconfig.yaml")
    assert (launcher.env_config_maps, launcher.env_secrets) == (["run-env"], ["run-secrets"])
    assert [c.name for c in k8s.code_locations] == ["k8s-example-user-code-1", "second-location"]
    assert k8s.code_locations[0].options.env_secrets == ["user-code-secrets"]
    assert k8s.pipeline_run_env == {"RUN_GREETING": "hello"}

    queued = quiet(load_values([OLD_DIR / "queued-ingress.yaml"]))
    coordinator = queued.instance.run_coordinator
    assert isinstance(coordinator, QueuedRunCoordinator)
    assert (coordinator.max_concurrent_runs, coordinator.dequeue_interval_seconds) == (10, 5)
    assert coordinator.tag_concurrency_limits == [{"key": "database", "value": "redshift", "limit": 4}]
    assert queued.ingress is not None and queued.ingress.flower is not None
    assert queued.ingress.webserver.host == "dagit.example.com"
    assert [p["pathType"] for p in queued.ingress.webserver.preceding_paths] == ["ImplementationSpecific"]
    assert (queued.ingress.flower.host, queued.ingress.flower.path) == ("flower.example.com", "/flower/*")

    env = quiet(load_values([OLD_DIR / "env-lists.yaml"]))  # empty names are ignored, as that chart did
    assert (env.webserver.options.env_config_maps, env.webserver.options.env_secrets) == (["dagit-env"],
                                                                                          ["dagit-secret"])
    assert env.daemon is not None and env.daemon.options.env_secrets == []
    assert env.run_launcher.env_config_maps == ["run-env"]
    assert env.code_locations[0].options.env_config_maps == ["my-code-env"]


def test_from_helm_values_prints_one_line_per_old_key_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    from_helm_values({"dagit": {"replicaCount": 2}, "postgresql": {"postgresqlPassword": "pw"}})
    assert capsys.readouterr().err == f"deprecated ({SEED_ERA}): dagit -> dagsterWebserver\n"
    seen: list[Deprecation] = []
    from_helm_values({"dagsterWebserver": {"replicaCount": 2}, "postgresql": {"postgresqlPassword": "pw"}},
                     on_deprecation=seen.append)
    assert seen == [] and capsys.readouterr().err == ""


def test_probe_paths_under_a_prefix_and_the_default_permissions() -> None:
    migration = migrate_values({"dagit": {"readinessProbe": {"httpGet": {"path": "/dagster/dagit_info", "port": 80}}},
                                "rabbitmq": {"volumePermissions": {"enabled": True}}})
    assert migration.values == {"dagsterWebserver": {"readinessProbe": {"httpGet": {"path": "/dagster/server_info",
                                                                                    "port": 80}}},
                                "rabbitmq": {"volumePermissions": {"enabled": True}}}  # the chart's default stays
    assert [d.key for d in migration.deprecations] == ["dagit", "dagit.readinessProbe.httpGet.path"]


def test_a_custom_class_in_the_old_run_coordinator_becomes_a_custom_run_coordinator() -> None:
    migration = migrate_values({"dagsterDaemon": {"queuedRunCoordinator": {
        "enabled": True, "module": "my_company.coordinators", "class": "FairCoordinator", "config": {"x": 1}}}})
    assert migration.values == {"dagsterDaemon": {"runCoordinator": {
        "enabled": True, "type": "CustomRunCoordinator", "config": {"customRunCoordinator": {
            "module": "my_company.coordinators", "class": "FairCoordinator", "config": {"x": 1}}}}}}


def test_the_k8s_scheduler_is_gone() -> None:
    with pytest.raises(ValuesError, match=r"scheduler.k8sEnabled: .*K8sScheduler .* is gone; the dagster-daemon "
                                          r"Deployment runs schedules"):
        migrate_values({"scheduler": {"k8sEnabled": True}})


@pytest.mark.parametrize(("values", "old", "new"), [
    ({"dagit": {}, "dagsterWebserver": {}}, "dagit", "dagsterWebserver"),
    ({"pipeline_run": {}, "pipelineRun": {}}, "pipeline_run", "pipelineRun"),
    ({"userDeployments": {"enabled": True}, "dagster-user-deployments": {}}, "userDeployments",
     "dagster-user-deployments"),
    ({"dagsterHome": "/h", "global": {"dagsterHome": "/g"}}, "dagsterHome", "global.dagsterHome"),
    ({"celery": {"image": {"repository": "a"}},
      "runLauncher": {"config": {"celeryK8sRunLauncher": {"image": {"repository": "b"}}}}},
     "celery.image", "runLauncher.config.celeryK8sRunLauncher.image"),
    ({"k8sRunLauncher": {"jobNamespace": "a"}, "runLauncher": {"config": {"k8sRunLauncher": {"jobNamespace": "b"}}}},
     "k8sRunLauncher.jobNamespace", "runLauncher.config.k8sRunLauncher.jobNamespace"),
    ({"scheduler": {"k8sEnabled": False, "type": "DagsterDaemonScheduler"}}, "scheduler.k8sEnabled",
     "scheduler.type"),
    ({"dagsterDaemon": {"queuedRunCoordinator": {"enabled": True}, "runCoordinator": {"enabled": True}}},
     "dagsterDaemon.queuedRunCoordinator", "dagsterDaemon.runCoordinator"),
    ({"ingress": {"dagit": {"host": "a"}, "dagsterWebserver": {"host": "b"}}}, "ingress.dagit",
     "ingress.dagsterWebserver"),
    ({"dagsterWebserver": {"env_config_maps": ["a"], "envConfigMaps": [{"name": "b"}]}},
     "dagsterWebserver.env_config_maps", "dagsterWebserver.envConfigMaps"),
])
def test_one_thing_in_both_spellings_is_an_error_naming_both_keys(values: dict[str, Any], old: str, new: str) -> None:
    with pytest.raises(ValuesError) as raised:
        migrate_values(values)
    assert raised.value.field == old
    assert f"either {old!r} (seed-era alias) or {new!r}, not both" in str(raised.value)


def test_main_py_migrate_values(tmp_path: Path) -> None:
    old = OLD_DIR / "k8s-user-deployments.yaml"
    result = subprocess.run([sys.executable, "main.py", "migrate-values", str(old)], cwd=ROOT, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert deprecation_lines(result.stderr) == lines(DEPRECATIONS["k8s-user-deployments.yaml"])
    assert result.stdout.startswith("# Migrated by `dagster-cdk8s migrate-values` from ")
    assert yaml.safe_load(result.stdout) == load_values([MODERN_DIR / "k8s-user-deployments.yaml"])
    broken = subprocess.run([sys.executable, "main.py", "migrate-values", str(tmp_path / "nowhere.yaml")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=False)
    assert broken.returncode == 2 and "nowhere.yaml" in broken.stderr


def test_the_printed_file_reads_back_as_the_same_values(tmp_path: Path) -> None:
    """Strings YAML could read as something else stay strings (as Helm would read the old file)."""
    tricky = {"dagit": {"env": {"A": "on", "B": "0.10", "C": "1e3", "D": "2021-02-01", "E": "null", "F": "~",
                                "G": "", "H": "two\nlines", "I": "'quoted'", "J": "# not a comment", "K": "0o17",
                                "L": "yes", "M": "-", "N": "0x1F"}},
              "pipeline_run": {"image": {"repository": "r", "tag": 123}}}
    migration = migrate_values(tricky)
    path = tmp_path / "migrated.yaml"
    path.write_text(migrated_yaml(migration.values, ["old.yaml"]))
    assert load_values([path]) == migration.values


@pytest.mark.parametrize(("values", "message"), [
    ({"dagit": {"replicaCount": "many"}}, r"^dagit\.replicaCount: .*valid integer"),
    ({"dagit": {"replicaCont": 2}}, r"^unknown key 'dagit\.replicaCont'; did you mean 'dagit\.replicaCount'\?"),
    ({"dagit": {"image": {"repository": "my/image:latest", "tag": "latest"}}},
     r"^dagit\.image\.repository: invalid value 'my/image:latest'; expected a repository without a tag"),
    ({"celery": {"enabled": True, "workerQueues": [{"name": "Bad_Name"}]},
      "rabbitmq": {"enabled": True, "rabbitmq": {"password": "mq"}}},
     r"^celery\.workerQueues\[0\]\.name: "),
    ({"userDeployments": {"deployments": [{"name": "x", "image": {"repository": "r"}, "port": "http"}]}},
     r"^userDeployments\.deployments\[0\]\.port: "),
    ({"dagsterDaemon": {"queuedRunCoordinator": {"enabled": True, "config": {"max_concurrent_runs": "ten"}}}},
     r"^dagsterDaemon\.queuedRunCoordinator\.config\.max_concurrent_runs\b.*'ten'"),
    ({"ingress": {"enabled": True, "dagit": {"precedingPaths": [{"path": "/", "serviceName": "Bad_svc",
                                                                 "servicePort": 80}]}}},
     r"^ingress\.dagit\.precedingPaths\[0\]\.serviceName: invalid value 'Bad_svc'"),
])
def test_an_error_names_the_key_as_the_seed_era_file_wrote_it(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValuesError, match=message) as raised:
        quiet({"postgresql": {"postgresqlPassword": "pw"}, **values})
    assert "dagsterWebserver" not in str(raised.value) and "runLauncher" not in str(raised.value)
