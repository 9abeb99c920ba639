"""Issue #4: the synthesized objects reference each other consistently (selectors, Services,
names, env vars, hosts, RBAC), and each check catches a planted defect."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import yaml

from constructs_lib import BROKER_URL_ENV, CodeLocationSettings, K8sRunLauncher, WorkloadOptions

from .conftest import find, synth_config
from .validation.crossref import (
    Externals,
    check_ingress_backends,
    check_launcher_rbac,
    check_mounted_config_env,
    check_network_endpoints,
    check_object_references,
    check_service_selectors,
    check_workload_selectors,
    declared_externals,
    launched_run_jobs,
)
from .validation.manifests import Manifest, pod_spec
from .validation.variants import variant_config, variant_objects

Check = Callable[[list[Manifest]], list[str]]


def migrate_job_name(objects: list[Manifest]) -> str:
    """The migrate Job's name (it ends in a hash of its spec)."""
    (name,) = [o["metadata"]["name"] for o in objects if o["kind"] == "Job"]
    assert name.startswith("dagster-dagster-webserver-instance-migrate-")
    return str(name)


def externals_of(variant: str) -> Externals:
    return declared_externals(variant_config(variant))


def checks(externals: Externals) -> dict[str, Check]:
    """Every cross-reference check by name (those that need them get the declared ``externals``)."""
    return {
        "workload selectors": check_workload_selectors,
        "service selectors and ports": check_service_selectors,
        "ingress backends": check_ingress_backends,
        "object references": lambda objects: check_object_references(objects, externals),
        "env of mounted config": lambda objects: check_mounted_config_env(objects, externals),
        "network endpoints": lambda objects: check_network_endpoints(objects, externals),
        "launcher RBAC": check_launcher_rbac,
    }


@pytest.mark.parametrize("check", list(checks(Externals())))
def test_variant_is_consistent(variant: str, check: str) -> None:
    problems = checks(externals_of(variant))[check](variant_objects(variant))
    assert not problems, f"{variant}, {check}:\n" + "\n".join(problems)


# ---- what the configuration declares external ---------------------------------------------------
def test_externals_come_from_the_configuration() -> None:
    assert declared_externals(variant_config("external")) == Externals(
        secrets=frozenset({"dagster-db-credentials"}),
        secret_keys=frozenset({("dagster-db-credentials", "postgresql-password")}),
        hosts=frozenset({("dagster-db.postgres.svc.cluster.local", 5432),
                         ("redis-master.redis.svc.cluster.local", 6379)}))
    assert declared_externals(variant_config("celery-rabbitmq")) == Externals()


def test_an_existing_celery_secret_is_declared_with_its_keys() -> None:
    """A configuration naming an existing Celery Secret passes every check: the Secret and the
    keys it must hold come from the configuration."""
    config = replace(variant_config("celery-rabbitmq"), broker=None, celery_config_secret_name="celery-urls")
    objects = synth_config(config)
    externals = declared_externals(config)
    assert ("celery-urls", BROKER_URL_ENV) in externals.secret_keys
    assert not [o for o in objects if o["kind"] == "Secret" and o["metadata"]["name"] == "celery-urls"]
    for name, check in checks(externals).items():
        assert check(objects) == [], name


def test_launched_runs_are_modelled() -> None:
    """CeleryK8sRunLauncher runs (external variant): its own config only. The password from the
    existing Secret, the pipeline env and the Celery URLs, in the chart's namespace."""
    [job] = launched_run_jobs(variant_objects("external"))
    spec = pod_spec(job)
    assert job["metadata"]["namespace"] == "dagster"
    assert spec["serviceAccountName"] == "dagster"
    [container] = spec["containers"]
    assert container["env"] == [{"name": "DAGSTER_PG_PASSWORD", "valueFrom": {"secretKeyRef": {
        "name": "dagster-db-credentials", "key": "postgresql-password"}}}]
    assert container["envFrom"] == [{"configMapRef": {"name": "dagster-pipeline-env"}},
                                    {"secretRef": {"name": "dagster-celery-config-secret"}}]
    assert launched_run_jobs(variant_objects("custom-launcher")) == []


def test_k8s_launched_runs_take_each_code_locations_container_context() -> None:
    jobs = launched_run_jobs(variant_objects("multi-location"))
    assert [j["metadata"]["name"] for j in jobs] == [
        f"run-of-dagster-dagster-user-deployments-{name}" for name in ("k8s-example-user-code-1", "analytics",
                                                                         "ml-pipelines")]
    spec = pod_spec(jobs[1])
    assert spec["serviceAccountName"] == "dagster-dagster-user-deployments-user-deployments"
    assert spec["containers"][0]["envFrom"] == [
        {"configMapRef": {"name": "dagster-dagster-user-deployments-analytics-user-env"}}]


def test_a_run_pod_gets_the_container_context_and_the_launchers_k8s_config() -> None:
    """What dagster-k8s gives a run pod: the code location's container context (list-form env with
    valueFrom, volumes and mounts, labels, resources, scheduler, pull secrets) over the launcher's
    own config (its volumes, labels, resources, run_k8s_config parts), in the API's camelCase."""
    options = WorkloadOptions(
        env=[{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "loc-token", "key": "token"}}}],
        volumes=[{"name": "data", "configMap": {"name": "loc-data"}}],
        volume_mounts=[{"name": "data", "mountPath": "/data"}], labels={"team": "analytics"},
        resources={"limits": {"cpu": "2"}}, scheduler_name="gang", image_pull_secrets=["loc-pull"])
    launcher = K8sRunLauncher(
        labels={"runs": "yes"}, volumes=[{"name": "scratch", "config_map": {"name": "run-scratch"}}],
        volume_mounts=[{"name": "scratch", "mount_path": "/scratch"}], resources={"requests": {"memory": "1Gi"}},
        run_k8s_config={"pod_spec_config": {"node_selector": {"pool": "runs"}},
                        "job_spec_config": {"ttl_seconds_after_finished": 60}})
    config = replace(variant_config("k8s"), run_launcher=launcher,
                     code_locations=[CodeLocationSettings(name="loc", options=options)])
    [job] = launched_run_jobs(synth_config(config))
    spec = pod_spec(job)
    [container] = spec["containers"]
    assert container["env"][0]["name"] == "DAGSTER_PG_PASSWORD"
    assert container["env"][-1] == {"name": "TOKEN",
                                    "valueFrom": {"secretKeyRef": {"name": "loc-token", "key": "token"}}}
    assert [v["name"] for v in spec["volumes"]] == ["instance", "scratch", "data"]
    assert spec["volumes"][1] == {"name": "scratch", "configMap": {"name": "run-scratch"}}
    assert [(m["name"], m["mountPath"]) for m in container["volumeMounts"]] == [
        ("instance", "/dagster.yaml"), ("scratch", "/scratch"), ("data", "/data")]
    assert job["spec"]["template"]["metadata"]["labels"] == {"runs": "yes", "team": "analytics"}
    assert job["metadata"]["labels"] == {"runs": "yes", "team": "analytics"}
    assert container["resources"] == {"requests": {"memory": "1Gi"}, "limits": {"cpu": "2"}}
    assert spec["schedulerName"] == "gang"
    assert {"name": "loc-pull"} in spec["imagePullSecrets"]
    assert spec["nodeSelector"] == {"pool": "runs"}
    assert job["spec"]["ttlSecondsAfterFinished"] == 60


def test_what_only_run_pods_reference_is_cross_checked() -> None:
    """A ConfigMap only the launched runs mount (the launcher's volumes) and a Secret only the
    launcher's run_k8s_config names are missing: found, in the run pod's Job."""
    launcher = K8sRunLauncher(volumes=[{"name": "scratch", "config_map": {"name": "run-scratch"}}],
                              volume_mounts=[{"name": "scratch", "mount_path": "/scratch"}],
                              run_k8s_config={"container_config": {"env": [{"name": "K", "value_from": {
                                  "secret_key_ref": {"name": "run-secret", "key": "k"}}}]}})
    objects = synth_config(replace(variant_config("k8s"), run_launcher=launcher))
    problems = check_object_references(objects, Externals())
    assert any("run-scratch" in p and p.object.startswith("Job/run-of-") for p in problems), problems
    assert any("run-secret" in p and p.object.startswith("Job/run-of-") for p in problems), problems


# ---- planted defects ----------------------------------------------------------------------------
def obj(objects: list[Manifest], kind: str, name: str) -> Manifest:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def main_container(objects: list[Manifest], kind: str, name: str) -> Manifest:
    container: Manifest = pod_spec(obj(objects, kind, name))["containers"][0]
    return container


def edit_embedded(objects: list[Manifest], config_map: str, key: str, edit: Callable[[Any], None]) -> None:
    data = obj(objects, "ConfigMap", config_map)["data"]
    content = yaml.safe_load(data[key])
    edit(content)
    data[key] = yaml.safe_dump(content, sort_keys=False)


def test_selector_not_matching_its_own_pods() -> None:
    objects = variant_objects("celery-redis")
    webserver_selector = obj(objects, "Deployment", "dagster-dagster-webserver")["spec"]["selector"]
    obj(objects, "Deployment", "dagster-daemon")["spec"]["selector"] = copy.deepcopy(webserver_selector)
    problems = check_workload_selectors(objects)
    assert len(problems) == 2
    assert problems[0].startswith("Deployment/dagster-daemon: selector ")
    assert "does not match its own pod template labels" in problems[0]
    assert problems[1].endswith("also matches the pods of Deployment/dagster-dagster-webserver")


def test_selector_matching_another_workloads_pods() -> None:
    objects = variant_objects("celery-redis")
    del obj(objects, "Deployment", "dagster-celery-workers-dagster")["spec"]["selector"]["matchLabels"]["queue"]
    assert check_workload_selectors(objects) == [
        "Deployment/dagster-celery-workers-dagster: selector {'matchLabels': {'app.kubernetes.io/name': 'dagster', "
        "'app.kubernetes.io/instance': 'dagster', 'component': 'celery'}} also matches the pods of "
        "Deployment/dagster-celery-workers-high-priority"]


def test_service_selecting_several_workloads() -> None:
    objects = variant_objects("k8s")
    migrate = migrate_job_name(objects)
    del obj(objects, "Service", "dagster-dagster-webserver")["spec"]["selector"]["component"]
    assert check_service_selectors(objects) == [
        "Service/dagster-dagster-webserver: selector {'app.kubernetes.io/name': 'dagster', "
        "'app.kubernetes.io/instance': 'dagster'} selects 4 workloads (StatefulSet/dagster-postgresql, "
        f"Deployment/dagster-dagster-webserver, Deployment/dagster-daemon, Job/{migrate}), "
        "expected exactly one"]


def test_service_target_port_no_container_declares() -> None:
    objects = variant_objects("multi-location")
    obj(objects, "Service", "analytics")["spec"]["ports"][0]["targetPort"] = "grcp"
    obj(objects, "Service", "dagster-postgresql")["spec"]["ports"][0]["targetPort"] = 5433
    assert check_service_selectors(objects) == [
        "Service/dagster-postgresql: port 'tcp-postgresql' targets 5433, which no container of "
        "StatefulSet/dagster-postgresql declares (declared: [('tcp-postgresql', 5432)])",
        "Service/analytics: port 'grpc' targets 'grcp', which no container of "
        "Deployment/dagster-dagster-user-deployments-analytics declares (declared: [('grpc', 4000)])",
    ]


def test_ingress_backend_that_is_not_a_service() -> None:
    objects = variant_objects("multi-location")
    backend = obj(objects, "Ingress", "dagster-ingress")["spec"]["rules"][1]["http"]["paths"][0]["backend"]
    backend["service"]["name"] = "dagster-webserver-read-only"
    assert check_ingress_backends(objects) == [
        "Ingress/dagster-ingress: backend Service 'dagster-webserver-read-only' is not in the output"]


def test_reference_to_a_missing_secret_configmap_serviceaccount_and_claim() -> None:
    variant = "celery-rabbitmq"
    objects = variant_objects(variant)
    migrate = migrate_job_name(objects)
    webserver = main_container(objects, "Deployment", "dagster-dagster-webserver")
    webserver["env"][0]["valueFrom"]["secretKeyRef"]["name"] = "dagster-postgresql-secrt"
    objects = [o for o in objects if (o["kind"], o["metadata"]["name"]) not in {
        ("ConfigMap", "dagster-workspace-yaml"), ("ServiceAccount", "dagster")}]
    flower = pod_spec(obj(objects, "Deployment", "dagster-flower"))
    flower["volumes"] = [{"name": "cache", "persistentVolumeClaim": {"claimName": "flower-cache"}}]
    flower["containers"][0]["volumeMounts"] = [{"name": "cahce", "mountPath": "/cache"}]
    missing = "which is neither in the output (namespace default) nor declared external by the configuration"
    assert check_object_references(objects, externals_of(variant)) == [
        f"Deployment/dagster-dagster-webserver: serviceAccountName refers to ServiceAccount 'dagster', {missing}",
        f"Deployment/dagster-dagster-webserver: volume 'dagster-workspace-yaml' refers to ConfigMap "
        f"'dagster-workspace-yaml', {missing}",
        f"Deployment/dagster-dagster-webserver container 'dagster': env DAGSTER_PG_PASSWORD refers to Secret "
        f"'dagster-postgresql-secrt', {missing}",
        f"Deployment/dagster-daemon: serviceAccountName refers to ServiceAccount 'dagster', {missing}",
        f"Deployment/dagster-daemon: volume 'dagster-workspace-yaml' refers to ConfigMap 'dagster-workspace-yaml', "
        f"{missing}",
        f"Deployment/dagster-celery-workers-dagster: serviceAccountName refers to ServiceAccount 'dagster', {missing}",
        f"Deployment/dagster-flower: volume 'cache' refers to PersistentVolumeClaim 'flower-cache', {missing}",
        "Deployment/dagster-flower container 'flower': volumeMount 'cahce' is neither a volume nor a "
        "volumeClaimTemplate of the pod",
        f"Job/{migrate}: serviceAccountName refers to ServiceAccount 'dagster', {missing}",
        f"Job/run-of-run-launcher: serviceAccountName refers to ServiceAccount 'dagster', {missing}",
    ]


def test_reference_to_a_missing_secret_key() -> None:
    objects = variant_objects("k8s")
    main_container(objects, "Deployment", "dagster-daemon")["env"][0]["valueFrom"]["secretKeyRef"]["key"] = "pw"
    assert check_object_references(objects, Externals()) == [
        "Deployment/dagster-daemon container 'dagster': env DAGSTER_PG_PASSWORD reads key 'pw' of Secret "
        "'dagster-postgresql-secret', which has no such key (keys: ['postgresql-password'])"]


def test_a_volume_projecting_a_missing_secret_key() -> None:
    # PostgreSQL reads its password from a projected Secret volume (POSTGRES_PASSWORD_FILE).
    objects = variant_objects("k8s")
    spec = find(objects, "StatefulSet", "dagster-postgresql")["spec"]["template"]["spec"]
    volume = next(v for v in spec["volumes"] if "projected" in v)
    volume["projected"]["sources"][0]["secret"]["items"][0]["key"] = "pw"
    assert check_object_references(objects, Externals()) == [
        f"StatefulSet/dagster-postgresql: volume {volume['name']!r} reads key 'pw' of Secret "
        "'dagster-postgresql-secret', which has no such key (keys: ['postgresql-password'])"]


def test_external_names_must_be_declared_by_the_configuration() -> None:
    """The external variant's existing Secret passes only because its config declares it."""
    objects = variant_objects("external")
    assert check_object_references(objects, externals_of("external")) == []
    problems = check_object_references(objects, Externals())
    assert problems and all("Secret 'dagster-db-credentials'" in p for p in problems)
    assert any(p.startswith("Job/run-of-run-launcher ") for p in problems)


def test_external_secret_key_must_be_the_declared_one() -> None:
    objects = variant_objects("external")
    main_container(objects, "Deployment", "dagster-daemon")["env"][0]["valueFrom"]["secretKeyRef"]["key"] = "password"
    assert check_object_references(objects, externals_of("external")) == [
        "Deployment/dagster-daemon container 'dagster': env DAGSTER_PG_PASSWORD reads key 'password' of Secret "
        "'dagster-db-credentials', which has no such key (keys the configuration declares: ['postgresql-password'])"]


def test_optional_references_may_be_missing() -> None:
    objects = variant_objects("celery-rabbitmq")
    code_server = main_container(objects, "Deployment", "dagster-dagster-user-deployments-k8s-example-user-code-1")
    assert code_server["envFrom"][-1] == {"secretRef": {"name": "dagster-celery-config-secret", "optional": True}}
    code_server["envFrom"][-1]["secretRef"]["name"] = "no-such-secret"
    assert check_object_references(objects, externals_of("celery-rabbitmq")) == []


def test_run_launcher_naming_a_missing_secret() -> None:
    objects = variant_objects("k8s")
    edit_embedded(objects, "dagster-instance", "dagster.yaml",
                  lambda c: c["run_launcher"]["config"].update(postgres_password_secret="dagster-pg"))
    assert check_object_references(objects, Externals()) == [
        "Job/run-of-dagster-dagster-user-deployments-k8s-example-user-code-1 container 'dagster': env "
        "DAGSTER_PG_PASSWORD refers to Secret 'dagster-pg', which is neither in the output (namespace default) "
        "nor declared external by the configuration"]


def test_env_var_a_mounted_config_file_reads_is_not_set() -> None:
    objects = variant_objects("celery-redis")
    daemon = main_container(objects, "Deployment", "dagster-daemon")
    daemon["env"] = [e for e in daemon["env"] if e["name"] != "DAGSTER_PG_PASSWORD"]
    worker = main_container(objects, "Deployment", "dagster-celery-workers-high-priority")
    worker["envFrom"] = [s for s in worker["envFrom"] if "secretRef" not in s]
    assert check_mounted_config_env(objects, Externals()) == [
        "Deployment/dagster-daemon container 'dagster': ConfigMap/dagster-instance[dagster.yaml] reads env "
        "DAGSTER_PG_PASSWORD, which the container does not set",
        "Deployment/dagster-celery-workers-high-priority container 'dagster': ConfigMap/dagster-instance"
        "[dagster.yaml] reads env DAGSTER_CELERY_BACKEND_URL, which the container does not set",
        "Deployment/dagster-celery-workers-high-priority container 'dagster': ConfigMap/dagster-instance"
        "[dagster.yaml] reads env DAGSTER_CELERY_BROKER_URL, which the container does not set",
        "Deployment/dagster-celery-workers-high-priority container 'dagster': ConfigMap/dagster-celery-high-"
        "priority[celery.yaml] reads env DAGSTER_CELERY_BACKEND_URL, which the container does not set",
        "Deployment/dagster-celery-workers-high-priority container 'dagster': ConfigMap/dagster-celery-high-"
        "priority[celery.yaml] reads env DAGSTER_CELERY_BROKER_URL, which the container does not set",
    ]


def test_env_var_launched_runs_read_is_not_set() -> None:
    objects = variant_objects("celery-rabbitmq")
    edit_embedded(objects, "dagster-instance", "dagster.yaml",
                  lambda c: c["run_launcher"]["config"].update(env_secrets=[]))
    assert check_mounted_config_env(objects, Externals()) == [
        f"Job/run-of-run-launcher container 'dagster': ConfigMap/dagster-instance[dagster.yaml] reads env {name}, "
        "which the container does not set"
        for name in ("DAGSTER_CELERY_BACKEND_URL", "DAGSTER_CELERY_BROKER_URL")]


def test_hosts_and_ports_that_are_no_service() -> None:
    variant = "celery-rabbitmq"
    objects = variant_objects(variant)
    edit_embedded(objects, "dagster-instance", "dagster.yaml",
                  lambda c: c["run_storage"]["config"]["postgres_db"].update(hostname="dagster-postgres"))
    edit_embedded(objects, "dagster-workspace-yaml", "workspace.yaml",
                  lambda c: c["load_from"][0]["grpc_server"].update(port=3031))
    secret = obj(objects, "Secret", "dagster-celery-config-secret")
    url = base64.b64decode(secret["data"][BROKER_URL_ENV]).decode().replace("@dagster-rabbitmq:", "@rabbitmq:")
    secret["data"][BROKER_URL_ENV] = base64.b64encode(url.encode()).decode()
    assert check_network_endpoints(objects, externals_of(variant)) == [
        "ConfigMap/dagster-instance[dagster.yaml] postgres_db: dagster-postgres:5432 is neither a Service of the "
        "output nor a declared external host",
        "ConfigMap/dagster-workspace-yaml[workspace.yaml] grpc_server 'k8s-example-user-code-1': Service "
        "'k8s-example-user-code-1' has no port 3031 (ports: [3030])",
        "Secret/dagster-celery-config-secret[DAGSTER_CELERY_BROKER_URL]: rabbitmq:5672 is neither a Service of "
        "the output nor a declared external host",
    ]


def test_external_hosts_must_be_declared_by_the_configuration() -> None:
    objects = variant_objects("external")
    assert len(check_network_endpoints(objects, Externals())) == 5  # 3 storages, broker and backend URL


def test_fully_qualified_service_names_resolve() -> None:
    objects = variant_objects("k8s")
    edit_embedded(objects, "dagster-instance", "dagster.yaml",
                  lambda c: c["run_storage"]["config"]["postgres_db"].update(
                      hostname="dagster-postgresql.default.svc.cluster.local"))
    assert check_network_endpoints(objects, Externals()) == []
    edit_embedded(objects, "dagster-instance", "dagster.yaml",
                  lambda c: c["run_storage"]["config"]["postgres_db"].update(
                      hostname="dagster-postgresql.dagster.svc.cluster.local"))
    assert check_network_endpoints(objects, Externals()) == [
        "ConfigMap/dagster-instance[dagster.yaml] postgres_db: dagster-postgresql.dagster.svc.cluster.local:5432 "
        "is neither a Service of the output nor a declared external host"]


def test_role_missing_a_verb() -> None:
    objects = variant_objects("k8s")
    rules = obj(objects, "Role", "dagster-role")["rules"]
    rules[0]["verbs"].remove("deletecollection")
    rules[3]["resources"].remove("pods/log")
    assert check_launcher_rbac(objects) == [
        "ServiceAccount default/dagster may not, in namespace default: batch/jobs:deletecollection, "
        "core/pods/log:get, core/pods/log:list, core/pods/log:watch"]


def test_role_binding_to_another_service_account() -> None:
    objects = variant_objects("external")
    obj(objects, "RoleBinding", "dagster-rolebinding")["subjects"][0]["namespace"] = "default"
    [problem] = check_launcher_rbac(objects)
    assert problem.startswith("ServiceAccount dagster/dagster may not, in namespace dagster: batch/jobs:create, ")


def test_cluster_wide_wildcard_and_secret_rules() -> None:
    objects = variant_objects("k8s")
    objects.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "dagster-everything"},
                    "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]})
    rules = obj(objects, "Role", "dagster-role")["rules"]
    rules.append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]})
    rules[1]["verbs"] = ["*"]
    obj(objects, "RoleBinding", "dagster-dagster-user-deployments-rolebinding")["roleRef"].update(
        kind="ClusterRole", name="edit")
    problems = check_launcher_rbac(objects)
    assert problems[:4] == [
        "ClusterRole/dagster-everything: cluster-wide RBAC (only namespaced Roles are allowed)",
        "RoleBinding/dagster-dagster-user-deployments-rolebinding: binds ClusterRole 'edit' (only namespaced Roles "
        "are allowed)",
        "Role/dagster-role: rule 1 has '*' in verbs",
        "Role/dagster-role: rule 4 grants access to secrets",
    ]
    # What a ClusterRole grants is not in the output: the code locations' runs count as ungranted.
    [ungranted] = problems[4:]
    assert ungranted.startswith("ServiceAccount default/dagster-dagster-user-deployments-user-deployments may not")
