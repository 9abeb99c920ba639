"""Issue #9 item 5: nothing secret needs committing. The bundled RabbitMQ's and Redis' passwords
can come from existing Secrets (name and key, as PostgreSQL's), typed and from Helm values (the
bitnami subcharts' spellings), KEDA still reads the broker's credentials from the broker's
Secret, and ``render_secrets=False`` renders no Secret at all while naming the Secrets (and
keys) the pods read."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import cdk8s
import pytest

from constructs_lib import (
    BrokerConnection,
    ConfigError,
    DagsterChart,
    PostgreSqlSettings,
    RabbitMqSettings,
    RedisSettings,
    SecretKeyRef,
    WorkloadOptions,
)
from constructs_lib.helm import from_helm_values
from constructs_lib.testing.crossref import declared_externals

from .conftest import TEST_PASSWORDS, Manifest, find, synth_config
from .test_cross_references import checks
from .validation.variants import variant_config

MQ = SecretKeyRef(name="team-rabbitmq", key="password")
REDIS = SecretKeyRef(name="team-redis", key="redis-pass")
PG = SecretKeyRef(name="team-postgresql", key="postgresql-password")
CELERY = "team-celery-urls"


def with_broker(variant: str, broker: Any, **more: Any) -> Any:
    return dataclasses.replace(variant_config(variant), broker=broker, celery_config_secret_name=CELERY, **more)


def assert_consistent(config: Any, objects: list[Manifest]) -> None:
    problems = {name: check(objects) for name, check in checks(declared_externals(config)).items()}
    assert problems == {name: [] for name in problems}


def secrets(objects: list[Manifest]) -> dict[str, Any]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "Secret"}


def env(workload: Manifest, name: str) -> Any:
    [container] = workload["spec"]["template"]["spec"]["containers"]
    return next(v for v in container.get("env") or [] if v["name"] == name)


def test_rabbitmq_password_from_an_existing_secret() -> None:
    config = with_broker("celery-rabbitmq", RabbitMqSettings(existing_secret=MQ, username="dagster"))
    objects = synth_config(config)
    # Neither the broker's Secret nor the Celery Secret (its URLs would hold the password).
    assert sorted(secrets(objects)) == ["dagster-postgresql-secret"]
    server = find(objects, "StatefulSet", "dagster-rabbitmq")
    assert env(server, "RABBITMQ_DEFAULT_PASS")["valueFrom"] == {"secretKeyRef": {"name": MQ.name, "key": MQ.key}}
    assert env(server, "RABBITMQ_DEFAULT_USER") == {"name": "RABBITMQ_DEFAULT_USER", "value": "dagster"}
    assert_consistent(config, objects)
    chart_secrets = DagsterChart(cdk8s.App(), "d", config=config).credential_secrets
    assert chart_secrets == {"dagster-postgresql-secret": ("postgresql-password",), MQ.name: (MQ.key,),
                             CELERY: ("DAGSTER_CELERY_BACKEND_URL", "DAGSTER_CELERY_BROKER_URL")}


def test_an_existing_broker_secret_needs_an_existing_celery_secret() -> None:
    for broker in (RabbitMqSettings(existing_secret=MQ), RedisSettings(existing_secret=REDIS)):
        with pytest.raises(ConfigError, match=r"DagsterSystemConfig\.celery_config_secret_name.*DAGSTER_CELERY_BROKER"):
            dataclasses.replace(variant_config("celery-rabbitmq"), broker=broker)


def test_rabbitmq_settings_take_one_password_source() -> None:
    with pytest.raises(ConfigError, match=r"RabbitMqSettings\.password.*exactly one"):
        RabbitMqSettings(password="pw", existing_secret=MQ)
    with pytest.raises(ConfigError, match=r"RabbitMqSettings\.password.*exactly one"):
        RabbitMqSettings()
    with pytest.raises(ConfigError, match=r"RabbitMqSettings\.existing_secret_username_key"):
        RabbitMqSettings(password="pw", existing_secret_username_key="user")
    with pytest.raises(ConfigError, match=r"RedisSettings\.password.*one source"):
        RedisSettings(password="pw", existing_secret=REDIS)


def trigger_authentication(objects: list[Manifest]) -> list[dict[str, str]]:
    [auth] = [o for o in objects if o["kind"] == "TriggerAuthentication"]
    refs: list[dict[str, str]] = auth["spec"]["secretTargetRef"]
    return refs


def test_keda_reads_rabbitmq_credentials_from_the_existing_secret() -> None:
    broker = RabbitMqSettings(existing_secret=MQ, existing_secret_username_key="user")
    config = with_broker("celery-autoscaling", broker)
    objects = synth_config(config)
    assert trigger_authentication(objects) == [
        {"parameter": "username", "name": MQ.name, "key": "user"},
        {"parameter": "password", "name": MQ.name, "key": MQ.key}]
    server = find(objects, "StatefulSet", "dagster-rabbitmq")
    assert env(server, "RABBITMQ_DEFAULT_USER")["valueFrom"] == {"secretKeyRef": {"name": MQ.name, "key": "user"}}
    assert "dagster-rabbitmq" not in secrets(objects)
    assert_consistent(config, objects)
    with pytest.raises(ConfigError, match=r"RabbitMqSettings\.existing_secret_username_key.*KEDA"):
        with_broker("celery-autoscaling", RabbitMqSettings(existing_secret=MQ))


def test_redis_password_from_an_existing_secret() -> None:
    config = with_broker("celery-redis", RedisSettings(existing_secret=REDIS))
    objects = synth_config(config)
    assert sorted(secrets(objects)) == ["dagster-postgresql-secret"]
    server = find(objects, "StatefulSet", "dagster-redis-master")
    assert env(server, "REDIS_PASSWORD")["valueFrom"] == {"secretKeyRef": {"name": REDIS.name, "key": REDIS.key}}
    assert_consistent(config, objects)


def test_hardened_rabbitmq_reads_its_config_file_from_the_existing_secret() -> None:
    broker = RabbitMqSettings(existing_secret=MQ, options=WorkloadOptions(security_profile="hardened"))
    objects = synth_config(with_broker("celery-rabbitmq", broker))
    server = find(objects, "StatefulSet", "dagster-rabbitmq")
    [volume] = [v for v in server["spec"]["template"]["spec"]["volumes"] if v["name"] == "default-user"]
    assert volume["secret"]["secretName"] == MQ.name
    assert volume["secret"]["items"] == [{"key": "20-default-user.conf", "path": "20-default-user.conf"}]
    [container] = server["spec"]["template"]["spec"]["containers"]
    assert not [v for v in container.get("env") or [] if "valueFrom" in v], "credentials only as a file"


def no_secrets_config(variant: str, broker: Any) -> Any:
    return dataclasses.replace(variant_config(variant), postgresql=PostgreSqlSettings(existing_secret=PG),
                               broker=broker, celery_config_secret_name=CELERY, render_secrets=False)


@pytest.mark.parametrize(("variant", "broker"), [
    ("celery-rabbitmq", RabbitMqSettings(existing_secret=MQ, existing_secret_username_key="user")),
    ("celery-redis", RedisSettings(existing_secret=REDIS)),
])
def test_render_secrets_false_renders_none_and_names_what_the_pods_read(variant: str, broker: Any) -> None:
    config = no_secrets_config(variant, broker)
    objects = synth_config(config)
    assert secrets(objects) == {}
    assert_consistent(config, objects)
    expected = DagsterChart(cdk8s.App(), "d", config=config).credential_secrets
    assert expected[PG.name] == (PG.key,)
    assert expected[CELERY] == ("DAGSTER_CELERY_BACKEND_URL", "DAGSTER_CELERY_BROKER_URL")
    assert set(expected) == {PG.name, CELERY, broker.existing_secret.name}


def test_render_secrets_false_refuses_what_would_render_one() -> None:
    base = variant_config("celery-rabbitmq")
    with pytest.raises(ConfigError, match=r"PostgreSqlSettings\.existing_secret.*render_secrets is False"):
        dataclasses.replace(base, render_secrets=False)
    with pytest.raises(ConfigError, match=r"RabbitMqSettings\.existing_secret.*render_secrets is False"):
        dataclasses.replace(base, postgresql=PostgreSqlSettings(existing_secret=PG), celery_config_secret_name=CELERY,
                            render_secrets=False)
    with pytest.raises(ConfigError, match=r"DagsterSystemConfig\.celery_config_secret_name.*render_secrets"):
        dataclasses.replace(base, postgresql=PostgreSqlSettings(existing_secret=PG), render_secrets=False,
                            broker=BrokerConnection(broker_url="pyamqp://user:pw@mq.example.com:5672//"))
    k8s = dataclasses.replace(variant_config("k8s"), postgresql=PostgreSqlSettings(existing_secret=PG),
                              render_secrets=False)
    assert secrets(synth_config(k8s)) == {}


# ---- Helm values: the bitnami subcharts' spellings -------------------------------------------
CELERY_VALUES: dict[str, Any] = {
    "postgresql": {"postgresqlPassword": TEST_PASSWORDS.postgresql},
    "runLauncher": {"type": "CeleryK8sRunLauncher"},
    "generateCeleryConfigSecret": False,
    "global": {"celeryConfigSecretName": CELERY},
}


def test_helm_values_rabbitmq_existing_password_secret() -> None:
    values = {**CELERY_VALUES, "rabbitmq": {"enabled": True, "rabbitmq": {"existingPasswordSecret": "mq-pass"}}}
    config = from_helm_values(values)
    assert isinstance(config.broker, RabbitMqSettings) and config.broker.password is None
    assert config.broker.existing_secret == SecretKeyRef(name="mq-pass", key="rabbitmq-password")
    objects = synth_config(config)
    assert sorted(secrets(objects)) == ["dagster-postgresql-secret"]
    assert_consistent(config, objects)
    with pytest.raises(ConfigError, match=r"generateCeleryConfigSecret.*rabbitmq\.rabbitmq\.existingPasswordSecret"):
        from_helm_values({**values, "generateCeleryConfigSecret": True, "global": {}})


def test_helm_values_redis_existing_secret() -> None:
    values = {**CELERY_VALUES, "redis": {"enabled": True, "internal": True, "usePassword": True,
                                          "existingSecret": "redis-pass", "existingSecretPasswordKey": "pw"}}
    config = from_helm_values(values)
    assert isinstance(config.broker, RedisSettings)
    assert config.broker.existing_secret == SecretKeyRef(name="redis-pass", key="pw")
    assert_consistent(config, synth_config(config))
    default_key = {**values, "redis": {**values["redis"], "existingSecretPasswordKey": None}}
    broker = from_helm_values(default_key).broker
    assert isinstance(broker, RedisSettings) and broker.existing_secret is not None
    assert broker.existing_secret.key == "redis-password"
    with pytest.raises(ConfigError, match=r"redis\.usePassword"):
        from_helm_values({**values, "redis": {**values["redis"], "usePassword": False}})


def test_helm_values_render_secrets_false() -> None:
    values = {**CELERY_VALUES, "renderSecrets": False, "generatePostgresqlPasswordSecret": False,
              "rabbitmq": {"enabled": True, "rabbitmq": {"existingPasswordSecret": "mq-pass"}}}
    config = from_helm_values(values)
    assert config.render_secrets is False
    objects = synth_config(config)
    assert secrets(objects) == {}
    assert_consistent(config, objects)
    with pytest.raises(ConfigError, match=r"generatePostgresqlPasswordSecret.*renderSecrets is false"):
        from_helm_values({**values, "generatePostgresqlPasswordSecret": True})
    with pytest.raises(ConfigError, match=r"rabbitmq\.rabbitmq\.existingPasswordSecret.*renderSecrets is false"):
        from_helm_values({**values, "rabbitmq": {"enabled": True, "rabbitmq": {"password": "pw"}}})
    with pytest.raises(ConfigError, match=r"generateCeleryConfigSecret.*renderSecrets is false"):
        from_helm_values({**values, "generateCeleryConfigSecret": True, "global": {}})


def test_a_created_rabbitmq_secret_is_unchanged() -> None:
    """The password given as a value still makes the broker Secret and the Celery URLs."""
    objects = synth_config(variant_config("celery-rabbitmq"))
    secret = secrets(objects)["dagster-rabbitmq"]
    assert base64.b64decode(secret["data"]["rabbitmq-password"]).decode() == TEST_PASSWORDS.rabbitmq
    urls = secrets(objects)["dagster-celery-config-secret"]["data"]
    assert TEST_PASSWORDS.rabbitmq in base64.b64decode(urls["DAGSTER_CELERY_BROKER_URL"]).decode()
