"""Deliberately broken manifests: the harness must fail, and say why.

Each test breaks one field of a synthesized variant the way a library bug would, and asserts
that the failure message names the object, the field and the cause.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from constructs_lib.naming import Release
from tests.conftest import find, synth_variant

from .conftest import DAGSTER_VENV, EXAMPLE_REPO
from .kubelet import PodFailed
from .manifests import Manifest
from .network import UnknownServiceHost
from .system import SmokeSystem, Tools

RELEASE = Release()
#: Enough to prepare pods (nothing runs): the negative tests that fail before any process starts.
PREPARE_ONLY = Tools(dagster_venv=DAGSTER_VENV, pg_bin=Path("/nonexistent"), example_repo=EXAMPLE_REPO)


def rename_env(objects: list[Manifest], deployment: str, old: str, new: str) -> None:
    container = find(objects, "Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]
    names = [e["name"] for e in container["env"]]
    assert old in names, names
    for env in container["env"]:
        if env["name"] == old:
            env["name"] = new


def set_secret_key(objects: list[Manifest], secret: str, key: str, value: str) -> None:
    find(objects, "Secret", secret)["data"][key] = base64.b64encode(value.encode()).decode()


def secret_value(objects: list[Manifest], secret: str, key: str) -> str:
    return base64.b64decode(find(objects, "Secret", secret)["data"][key]).decode()


@pytest.mark.smoke
def test_webserver_without_the_pg_password_env_fails_naming_it(smoke_tools: Tools) -> None:
    """1: ``DAGSTER_PG_PASSWORD`` renamed in the webserver Deployment: the real webserver exits,
    and the failure names the workload and the variable dagster.yaml reads."""
    objects = synth_variant("k8s")
    rename_env(objects, RELEASE.webserver, "DAGSTER_PG_PASSWORD", "DAGSTER_PG_PASSWD")
    key = f"Deployment/{RELEASE.webserver}"
    with SmokeSystem(objects, name="negative-pg-env", tools=smoke_tools) as system:
        system.boot(["StatefulSet"])
        system.bring_up([key])
        with pytest.raises(PodFailed) as failure:
            system.ready(key)
    message = str(failure.value)
    assert message.startswith(f"{key}: container dagster exited with code 1"), message
    assert 'environment variable "DAGSTER_PG_PASSWORD" which is not set' in message, message
    assert "likely cause: dagster.yaml reads an environment variable" in message, message


def test_broker_host_that_is_no_service_fails_naming_secret_and_host() -> None:
    """2: the Celery config Secret's broker URL points at a Service that does not exist: the
    Service map refuses it before anything starts, naming the Secret, the key and the host."""
    objects = synth_variant("celery-rabbitmq")
    secret, key = RELEASE.celery_config_secret, "DAGSTER_CELERY_BROKER_URL"
    url = secret_value(objects, secret, key)
    assert f"@{RELEASE.rabbitmq}:" in url
    set_secret_key(objects, secret, key, url.replace(f"@{RELEASE.rabbitmq}:", "@dagster-rabbitmq-typo:"))
    with pytest.raises(UnknownServiceHost) as failure:
        SmokeSystem(objects, name="negative-broker-host", tools=PREPARE_ONLY)
    message = str(failure.value)
    assert f"env {key} (from Secret {secret}, key {key}, via envFrom)" in message, message
    assert "names host 'dagster-rabbitmq-typo', which is not a Service in the manifests" in message, message
    assert "mq-secret" not in message, "the broker password leaked into the message"


def test_workspace_host_that_is_no_service_fails_naming_the_config_map() -> None:
    """The workspace's gRPC host must be a Service too (checked where the file is mounted)."""
    objects = synth_variant("k8s")
    config_map = find(objects, "ConfigMap", RELEASE.workspace_config_map)
    workspace = yaml.safe_load(config_map["data"]["workspace.yaml"])
    workspace["load_from"][0]["grpc_server"]["host"] = "no-such-code-server"
    config_map["data"]["workspace.yaml"] = yaml.safe_dump(workspace)
    with pytest.raises(UnknownServiceHost) as failure:
        SmokeSystem(objects, name="negative-workspace-host", tools=PREPARE_ONLY)
    message = str(failure.value)
    assert f"(ConfigMap {RELEASE.workspace_config_map}, key workspace.yaml)" in message, message
    assert "names host 'no-such-code-server', which is not a Service" in message, message


def test_service_selecting_no_pods_fails_naming_the_service() -> None:
    objects = synth_variant("k8s")
    find(objects, "Service", RELEASE.webserver)["spec"]["selector"]["component"] = "no-such-component"
    with pytest.raises(AssertionError, match=rf"Service/{RELEASE.webserver} selector .* selects: no pod template"):
        SmokeSystem(objects, name="negative-selector", tools=PREPARE_ONLY)


def test_missing_secret_fails_like_the_kubelet() -> None:
    secret = RELEASE.postgresql_secret
    objects = [o for o in synth_variant("k8s") if (o["kind"], o["metadata"]["name"]) != ("Secret", secret)]
    # PostgreSQL reads the password from a file (POSTGRES_PASSWORD_FILE): the volume cannot be set up.
    with pytest.raises(AssertionError,
                       match=rf"postgresql volume secret-env-\d+: secret '{secret}' not found \(MountVolume"):
        SmokeSystem(objects, name="negative-secret", tools=PREPARE_ONLY)
