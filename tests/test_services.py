"""PostgreSQL, RabbitMQ, Redis, the Celery Secret, RBAC and the Ingress."""

from __future__ import annotations

import base64

import cdk8s
import pytest

from constructs_lib import (
    LAUNCHER_RULES,
    BrokerConnection,
    CeleryConfigSecret,
    ConfigError,
    DagitService,
    DagsterIngress,
    DagsterInstance,
    ExternalPostgreSql,
    ExternalPostgreSqlSettings,
    FlowerService,
    IngressRoute,
    IngressSettings,
    K8sRunLauncher,
    Persistence,
    PostgreSql,
    PostgreSqlSettings,
    RabbitMq,
    RabbitMqSettings,
    Redis,
    RedisSettings,
    Release,
    RunLauncherRbac,
    SecretKeyRef,
    WebserverSettings,
    WorkspaceConfigMap,
)

from .conftest import container, find, kinds_and_names, pod_spec, synth_chart


def secret_value(objects: list[dict], name: str, key: str) -> str:
    return base64.b64decode(find(objects, "Secret", name)["data"][key]).decode()


def test_bundled_postgresql() -> None:
    built: dict[str, PostgreSql] = {}

    def build(chart: cdk8s.Chart) -> None:
        built["pg"] = PostgreSql(
            chart, "pg",
            settings=PostgreSqlSettings(password="s3cret", persistence=Persistence(size="20Gi", storage_class="fast")),
        )

    objects = synth_chart(build)
    assert kinds_and_names(objects) == [
        ("Secret", "dagster-postgresql-secret"),
        ("Service", "dagster-postgresql-headless"),
        ("Service", "dagster-postgresql"),
        ("StatefulSet", "dagster-postgresql"),
    ]
    assert secret_value(objects, "dagster-postgresql-secret", "postgresql-password") == "s3cret"
    sts = find(objects, "StatefulSet", "dagster-postgresql")
    assert sts["spec"]["serviceName"] == "dagster-postgresql-headless"
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "data"
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi" and claim["spec"]["storageClassName"] == "fast"
    main = container(sts)
    assert main["image"] == "docker.io/library/postgres:17.6"
    # The password as a file the image reads (POSTGRES_PASSWORD_FILE), projected from the Secret.
    assert {"name": "POSTGRES_PASSWORD_FILE", "value": "/var/run/secrets/dagster-env/POSTGRES_PASSWORD"} in main["env"]
    assert not any(e["name"] == "POSTGRES_PASSWORD" for e in main["env"])
    projected = next(v for v in sts["spec"]["template"]["spec"]["volumes"] if "projected" in v)
    assert projected["projected"]["sources"] == [{"secret": {"name": "dagster-postgresql-secret", "items": [
        {"key": "postgresql-password", "path": "POSTGRES_PASSWORD"}]}}]
    assert {"name": projected["name"], "mountPath": "/var/run/secrets/dagster-env", "readOnly": True} \
        in main["volumeMounts"]
    assert {"name": "data", "mountPath": "/var/lib/postgresql/data"} in main["volumeMounts"]
    connection = built["pg"].connection
    assert (connection.host, connection.port, connection.database, connection.username) == (
        "dagster-postgresql",
        5432,
        "dagster",
        "dagster",
    )


def test_external_postgresql_with_existing_secret_creates_nothing() -> None:
    built: dict[str, ExternalPostgreSql] = {}
    existing = SecretKeyRef(name="db-creds", key="postgresql-password")

    def build(chart: cdk8s.Chart) -> None:
        built["pg"] = ExternalPostgreSql(
            chart,
            "pg",
            settings=ExternalPostgreSqlSettings(
                host="db.example.com", existing_secret=existing, params={"sslmode": "require"}
            ),
        )

    assert synth_chart(build) == []
    assert built["pg"].connection.password_secret == existing
    assert built["pg"].connection.params == {"sslmode": "require"}


def test_rabbitmq_broker_url_lives_only_in_secrets() -> None:
    def build(chart: cdk8s.Chart) -> None:
        mq = RabbitMq(chart, "mq", settings=RabbitMqSettings(password="p@ss/word"))
        CeleryConfigSecret(chart, "celery", broker=mq.connection)

    objects = synth_chart(build)
    assert secret_value(objects, "dagster-celery-config-secret", "DAGSTER_CELERY_BROKER_URL") == (
        "pyamqp://dagster:p%40ss%2Fword@dagster-rabbitmq:5672//"
    )
    assert secret_value(objects, "dagster-celery-config-secret", "DAGSTER_CELERY_BACKEND_URL") == "rpc://"
    sts = find(objects, "StatefulSet", "dagster-rabbitmq")
    main = container(sts)
    assert main["image"].endswith("-management")
    assert {
        "name": "RABBITMQ_DEFAULT_PASS",
        "valueFrom": {"secretKeyRef": {"name": "dagster-rabbitmq", "key": "rabbitmq-password"}},
    } in main["env"]
    service = find(objects, "Service", "dagster-rabbitmq")
    assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [("amqp", 5672), ("stats", 15672)]
    non_secrets = [o for o in objects if o["kind"] != "Secret"]
    assert "p@ss/word" not in str(non_secrets) and "p%40ss" not in str(non_secrets)


def test_bundled_redis_with_password_expands_it_from_env() -> None:
    def build(chart: cdk8s.Chart) -> None:
        redis = Redis(chart, "redis", settings=RedisSettings(password="r3dis", broker_db=1, backend_db=2))
        CeleryConfigSecret(chart, "celery", broker=redis.connection)

    objects = synth_chart(build)
    assert secret_value(objects, "dagster-celery-config-secret", "DAGSTER_CELERY_BROKER_URL") == (
        "redis://:r3dis@dagster-redis-master:6379/1"
    )
    assert secret_value(objects, "dagster-celery-config-secret", "DAGSTER_CELERY_BACKEND_URL") == (
        "redis://:r3dis@dagster-redis-master:6379/2"
    )
    main = container(find(objects, "StatefulSet", "dagster-redis-master"))
    assert main["command"][-2:] == ["--requirepass", "$(REDIS_PASSWORD)"]
    assert [e["name"] for e in main["env"]] == ["REDIS_PASSWORD", "REDISCLI_AUTH"]
    assert "r3dis" not in str([o for o in objects if o["kind"] != "Secret"])


def test_external_redis_is_only_a_connection() -> None:
    built: dict[str, Redis] = {}

    def build(chart: cdk8s.Chart) -> None:
        built["r"] = Redis(chart, "redis", settings=RedisSettings(bundled=False, host="redis.example.com", port=6380))

    assert synth_chart(build) == []
    assert built["r"].connection == BrokerConnection(
        broker_url="redis://redis.example.com:6380/0",
        backend_url="redis://redis.example.com:6380/0",
        host="redis.example.com",
        port=6380,
    )


# ---- RBAC ----------------------------------------------------------------------------------------
def test_rbac_grants_exactly_the_launcher_verbs() -> None:
    objects = synth_chart(lambda chart: RunLauncherRbac(chart, "rbac"))
    assert kinds_and_names(objects) == [
        ("ServiceAccount", "dagster"),
        ("Role", "dagster-role"),
        ("RoleBinding", "dagster-rolebinding"),
    ]
    rules = {
        (g, r): sorted(rule["verbs"])
        for rule in find(objects, "Role", "dagster-role")["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
    }
    eight = sorted(["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"])
    assert rules == {
        ("batch", "jobs"): eight,
        ("batch", "jobs/status"): ["get", "list", "watch"],
        ("", "pods"): eight,
        ("", "events"): eight,
        ("", "pods/log"): ["get", "list", "watch"],
        ("", "pods/status"): ["get", "list", "watch"],
    }
    binding = find(objects, "RoleBinding", "dagster-rolebinding")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "dagster"}]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "dagster-role"}
    assert LAUNCHER_RULES == find(objects, "Role", "dagster-role")["rules"]


def test_rbac_in_the_runs_namespace_binds_the_service_account_of_the_chart_namespace() -> None:
    objects = synth_chart(
        lambda chart: RunLauncherRbac(chart, "rbac", release=Release(name="prod"), job_namespace="runs"),
        namespace="dagster",
    )
    assert find(objects, "ServiceAccount", "prod-dagster")["metadata"]["namespace"] == "dagster"
    assert find(objects, "Role", "prod-dagster-role")["metadata"]["namespace"] == "runs"
    binding = find(objects, "RoleBinding", "prod-dagster-rolebinding")
    assert binding["metadata"]["namespace"] == "runs"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "prod-dagster", "namespace": "dagster"}]


def test_rbac_binding_an_existing_service_account() -> None:
    objects = synth_chart(
        lambda chart: RunLauncherRbac(chart, "rbac", service_account_name="my-sa", create_service_account=False)
    )
    assert [k for k, _ in kinds_and_names(objects)] == ["Role", "RoleBinding"]
    assert find(objects, "RoleBinding", "dagster-rolebinding")["subjects"][0]["name"] == "my-sa"


def test_rbac_in_another_namespace_needs_the_chart_namespace() -> None:
    with pytest.raises(ConfigError, match=r"RunLauncherRbac.job_namespace: invalid value 'runs'"):
        synth_chart(lambda chart: RunLauncherRbac(chart, "rbac", job_namespace="runs"))


# ---- Ingress -----------------------------------------------------------------------------------------
def _ingress(
    settings: IngressSettings, webserver: WebserverSettings | None = None, with_flower: bool = False
) -> list[dict]:
    def build(chart: cdk8s.Chart) -> None:
        from constructs_lib import PostgresConnection

        pg = PostgresConnection(host="db", database="d", username="u", password_secret=SecretKeyRef(name="s", key="k"))
        instance = DagsterInstance(chart, "i", postgres=pg, run_launcher=K8sRunLauncher())
        workspace = WorkspaceConfigMap(chart, "w")
        web = DagitService(chart, "web", instance=instance, workspace=workspace, settings=webserver)
        flower = None
        if with_flower:
            secret = CeleryConfigSecret(chart, "c", broker=BrokerConnection(broker_url="redis://r:6379/0"))
            flower = FlowerService(chart, "flower", celery_secret=secret)
        DagsterIngress(chart, "ingress", webserver=web, flower=flower, settings=settings)

    return synth_chart(build)


def test_ingress_routes_tls_and_class() -> None:
    objects = _ingress(
        IngressSettings(
            class_name="nginx",
            annotations={"cert-manager.io/cluster-issuer": "le"},
            webserver=IngressRoute(
                host="dagster.example.com",
                tls_secret_name="tls",
                preceding_paths=[
                    {
                        "path": "/redirect",
                        "pathType": "Exact",
                        "backend": {"service": {"name": "ssl-redirect", "port": {"name": "use-annotation"}}},
                    }
                ],
            ),
            read_only_webserver=IngressRoute(host="ro.example.com"),
            flower=IngressRoute(host="flower.example.com", path="/flower"),
        ),
        webserver=WebserverSettings(read_only=True, path_prefix="/dagster"),
        with_flower=True,
    )
    ingress = find(objects, "Ingress", "dagster-ingress")
    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "le"}
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"hosts": ["dagster.example.com"], "secretName": "tls"}]
    web, ro, flower = spec["rules"]
    assert [p["path"] for p in web["http"]["paths"]] == ["/redirect", "/dagster"]
    assert web["http"]["paths"][1]["backend"] == {
        "service": {"name": "dagster-dagster-webserver", "port": {"number": 80}}
    }
    assert ro["http"]["paths"][0]["backend"]["service"]["name"] == "dagster-dagster-webserver-read-only"
    assert flower["host"] == "flower.example.com"
    assert flower["http"]["paths"][0] == {
        "path": "/flower",
        "pathType": "Prefix",
        "backend": {"service": {"name": "dagster-flower-service", "port": {"number": 5555}}},
    }


def test_ingress_route_to_a_read_only_webserver_that_does_not_exist() -> None:
    with pytest.raises(ConfigError, match=r"read_only_webserver.*WebserverSettings.read_only is True"):
        _ingress(IngressSettings(read_only_webserver=IngressRoute()))


def test_ingress_route_to_flower_without_flower() -> None:
    with pytest.raises(ConfigError, match=r"IngressSettings.flower.*unless Flower is deployed"):
        _ingress(IngressSettings(flower=IngressRoute()))


def test_pod_template_of_backing_services_has_no_service_account_token() -> None:
    objects = synth_chart(lambda chart: PostgreSql(chart, "pg", settings=PostgreSqlSettings(password="x")))
    assert pod_spec(find(objects, "StatefulSet", "dagster-postgresql"))["automountServiceAccountToken"] is False
