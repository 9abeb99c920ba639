"""Issue #9: each construct placed alone (with its :class:`DagsterInstance`) in a user's own
chart, next to the user's own objects, gives pods that are complete: the cross-reference
checks pass and every pod that loads ``dagster.yaml`` has ``DAGSTER_HOME`` and the env the file
reads."""

from __future__ import annotations

from collections.abc import Callable

import cdk8s
import pytest
from constructs import Construct

from constructs_lib import (
    BrokerConnection,
    CeleryConfigSecret,
    CeleryWorkerPool,
    CodeLocationSettings,
    ConfigError,
    DagitService,
    DagsterDaemon,
    DagsterInstance,
    ExternalPostgreSql,
    ExternalPostgreSqlSettings,
    GrpcLocation,
    K8sRunLauncher,
    MigrateJob,
    RunLauncherRbac,
    SecretKeyRef,
    UserCodeDeployment,
    WorkspaceConfigMap,
)

from .test_cross_references import checks
from .validation.crossref import Externals
from .validation.manifests import Manifest, containers, pod_spec, workloads

DB_SECRET = SecretKeyRef(name="team-db", key="postgresql-password")
EXTERNALS = Externals(
    secrets=frozenset({DB_SECRET.name}),
    secret_keys=frozenset({(DB_SECRET.name, DB_SECRET.key)}),
    hosts=frozenset({("db.example.com", 5432), ("redis.example.com", 6379), ("code.example.com", 4000)}),
)
Build = Callable[[Construct, DagsterInstance], object]


def _workspace(scope: Construct) -> WorkspaceConfigMap:
    return WorkspaceConfigMap(scope, "workspace", locations=[
        GrpcLocation(host="code.example.com", port=4000, location_name="team-code")])


CONSTRUCTS: dict[str, Build] = {
    "DagitService": lambda scope, instance: DagitService(scope, "web", instance=instance,
                                                         workspace=_workspace(scope)),
    "DagsterDaemon": lambda scope, instance: DagsterDaemon(scope, "daemon", instance=instance,
                                                           workspace=_workspace(scope)),
    "CeleryWorkerPool": lambda scope, instance: CeleryWorkerPool(scope, "workers", instance=instance),
    "UserCodeDeployment": lambda scope, instance: UserCodeDeployment(
        scope, "code", instance=instance, settings=CodeLocationSettings(name="team-code", grpc_args=["-m", "x"])),
    "MigrateJob": lambda scope, instance: MigrateJob(scope, "migrate", instance=instance),
    # The handle alone: InstanceConfigMap (and the env ConfigMaps), bound to RunLauncherRbac.
    "InstanceConfigMap": lambda scope, instance: instance.config_map,
    "RunLauncherRbac": lambda scope, instance: instance.rbac,
}


def user_chart(build: Build, *, celery: bool, namespace: str | None) -> list[Manifest]:
    """A user's chart: their own ConfigMap and Deployment, an external database whose password
    Secret they manage, and one construct of the library with its instance."""
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "team", namespace=namespace)
    own = cdk8s.ApiObject(chart, "own-config", api_version="v1", kind="ConfigMap",
                          metadata={"name": "team-settings"})
    own.add_json_patch(cdk8s.JsonPatch.add("/data", {"MODE": "prod"}))
    app_object = cdk8s.ApiObject(chart, "own-app", api_version="apps/v1", kind="Deployment",
                                 metadata={"name": "team-app"})
    app_object.add_json_patch(cdk8s.JsonPatch.add("/spec", {"selector": {"matchLabels": {"app": "team-app"}},
                          "template": {"metadata": {"labels": {"app": "team-app"}},
                                       "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                                                                "envFrom": [{"configMapRef": {
                                                                    "name": "team-settings"}}]}]}}}))
    db = ExternalPostgreSql(chart, "db", settings=ExternalPostgreSqlSettings(host="db.example.com",
                                                                            existing_secret=DB_SECRET))
    rbac = RunLauncherRbac(chart, "rbac")
    secret = CeleryConfigSecret(chart, "celery", broker=BrokerConnection(
        broker_url="redis://redis.example.com:6379/0", backend_url="redis://redis.example.com:6379/0",
        host="redis.example.com", port=6379)) if celery else None
    instance = DagsterInstance(chart, "dagster", postgres=db.connection, rbac=rbac, celery_secret=secret,
                               run_launcher=None if celery else K8sRunLauncher())
    assert build(chart, instance) is not None
    return list(chart.to_json())


#: Constructs whose pods load ``dagster.yaml``. Alone, the others leave no process that runs the
#: run launcher; with a Celery launcher the checks then cannot resolve the ``{env: ...}`` its
#: config reads (they resolve it from the pods that load the instance), so those are checked
#: with the K8s launcher only.
LOADERS = ("DagitService", "DagsterDaemon", "CeleryWorkerPool", "MigrateJob")


def _cases() -> list[tuple[str, bool, str | None]]:
    cases: list[tuple[str, bool, str | None]] = []
    for name in CONSTRUCTS:
        for celery in (False, True):
            if (celery or name != "CeleryWorkerPool") and (not celery or name in LOADERS):
                cases.append((name, celery, None))
    # In a namespace: the runs' namespace is read from the launching pods' own namespace, so
    # the chart holds one of them (a code location alone would leave the launcher elsewhere).
    cases += [("DagitService", True, "team-a"), ("DagsterDaemon", False, "team-a")]
    return cases


@pytest.mark.parametrize(("name", "celery", "namespace"), _cases())
def test_a_construct_alone_in_a_users_chart_passes_the_cross_reference_checks(
        name: str, celery: bool, namespace: str | None) -> None:
    objects = user_chart(CONSTRUCTS[name], celery=celery, namespace=namespace)
    for check_name, check in checks(EXTERNALS).items():
        problems = check(objects)
        assert not problems, f"{name} (celery={celery}, namespace={namespace}), {check_name}:\n" + "\n".join(problems)
    assert [o for o in objects if o["metadata"]["name"] == "team-app"], "the user's own objects are kept"


@pytest.mark.parametrize("name", ["DagitService", "DagsterDaemon", "CeleryWorkerPool", "MigrateJob"])
def test_every_pod_that_loads_the_instance_has_dagster_home(name: str) -> None:
    objects = user_chart(CONSTRUCTS[name], celery=True, namespace=None)
    env_maps = {o["metadata"]["name"]: o.get("data") or {} for o in objects if o["kind"] == "ConfigMap"}
    loaders = 0
    for workload in workloads(objects):
        for container in containers(pod_spec(workload), init=False):
            mounts = [m["mountPath"] for m in container.get("volumeMounts") or []
                      if m["mountPath"].endswith("/dagster.yaml")]
            if not mounts:
                continue
            loaders += 1
            env: dict[str, str] = {}
            for source in container.get("envFrom") or []:
                env.update(env_maps.get((source.get("configMapRef") or {}).get("name", ""), {}))
            assert env.get("DAGSTER_HOME") + "/dagster.yaml" == mounts[0], (workload["metadata"]["name"], env)
            assert env["DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP"] in env_maps
    assert loaders


def test_a_celery_pool_needs_an_instance_with_celery() -> None:
    with pytest.raises(ConfigError, match=r"CeleryWorkerPool.instance: .*uses Celery"):
        user_chart(CONSTRUCTS["CeleryWorkerPool"], celery=False, namespace=None)


def test_the_instance_rejects_two_identities_and_a_conflicting_env() -> None:
    def two_identities(scope: Construct, instance: DagsterInstance) -> object:
        return DagsterInstance(scope, "other", postgres=instance.postgres, rbac=instance.rbac,
                               service_account_name="other", run_launcher=K8sRunLauncher())

    with pytest.raises(ConfigError, match=r"DagsterInstance.service_account_name: invalid value 'other'"):
        user_chart(two_identities, celery=False, namespace=None)

    def conflicting_env(scope: Construct, instance: DagsterInstance) -> object:
        instance.env_config_map("worker", {"A": "1"})
        return instance.env_config_map("worker", {"A": "2"})

    with pytest.raises(ConfigError, match=r"env_config_map\(worker\).extra_env"):
        user_chart(conflicting_env, celery=False, namespace=None)

    def overriding_home(scope: Construct, instance: DagsterInstance) -> object:
        return instance.env_config_map("worker", {"DAGSTER_HOME": "/elsewhere"})

    with pytest.raises(ConfigError, match=r"extra_env.DAGSTER_HOME"):
        user_chart(overriding_home, celery=False, namespace=None)
