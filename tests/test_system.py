"""The composed chart: official names, variant contents, secrets, images, namespaces."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from constructs_lib import (
    DAGSTER_VERSION,
    CeleryK8sRunLauncher,
    DagsterSystemConfig,
    Image,
    K8sRunLauncher,
    PostgreSqlSettings,
    RabbitMqSettings,
    Release,
    WebserverSettings,
    build_variant,
)

from .conftest import (
    ROOT,
    TEST_PASSWORDS,
    Manifest,
    container,
    find,
    kinds_and_names,
    pod_spec,
    synth_config,
    synth_variant,
)

WORKLOADS = ("Deployment", "StatefulSet", "Job")

# Every object the official chart 1.9.3 renders for release `dagster` with
# runLauncher.type=CeleryK8sRunLauncher, rabbitmq.enabled=true, flower.enabled=true that the
# Dagster chart itself owns (subchart internals aside: only their Services count).
OFFICIAL_CELERY_OBJECTS = {
    ("ConfigMap", "dagster-dagster-user-deployments-user-deployments-shared-env"),
    ("ConfigMap", "dagster-dagster-user-deployments-k8s-example-user-code-1-user-env"),
    ("Deployment", "dagster-dagster-user-deployments-k8s-example-user-code-1"),
    ("Role", "dagster-dagster-user-deployments-role"),
    ("RoleBinding", "dagster-dagster-user-deployments-rolebinding"),
    ("Service", "k8s-example-user-code-1"),
    ("ServiceAccount", "dagster-dagster-user-deployments-user-deployments"),
    ("Service", "dagster-postgresql"),
    ("Service", "dagster-rabbitmq"),
    ("ConfigMap", "dagster-celery-dagster"),
    ("ConfigMap", "dagster-celery-worker-env"),
    ("ConfigMap", "dagster-daemon-env"),
    ("ConfigMap", "dagster-flower-env"),
    ("ConfigMap", "dagster-pipeline-env"),
    ("ConfigMap", "dagster-webserver-env"),
    ("ConfigMap", "dagster-instance"),
    ("ConfigMap", "dagster-workspace-yaml"),
    ("Deployment", "dagster-celery-workers-dagster"),
    ("Deployment", "dagster-daemon"),
    ("Deployment", "dagster-flower"),
    ("Deployment", "dagster-dagster-webserver"),
    ("Role", "dagster-role"),
    ("RoleBinding", "dagster-rolebinding"),
    ("Secret", "dagster-celery-config-secret"),
    ("Secret", "dagster-postgresql-secret"),
    ("Service", "dagster-flower-service"),
    ("Service", "dagster-dagster-webserver"),
    ("ServiceAccount", "dagster"),
}


def test_release_dagster_keeps_every_official_object_name() -> None:
    names = set(kinds_and_names(synth_variant("celery-rabbitmq")))
    assert OFFICIAL_CELERY_OBJECTS - names == set()


def test_celery_less_variant_has_no_celery_objects() -> None:
    objects = synth_variant("k8s")
    names = {n for _, n in kinds_and_names(objects)}
    assert not [n for n in names if "celery" in n or "rabbitmq" in n or "flower" in n or "redis" in n]
    for obj in objects:
        if obj["kind"] in WORKLOADS:
            for c in pod_spec(obj)["containers"]:
                assert "celery" not in str(c.get("envFrom", []))


def test_names_derive_from_the_release() -> None:
    config = DagsterSystemConfig(
        release=Release(name="prod"), postgresql=PostgreSqlSettings(password="x"), broker=RabbitMqSettings(password="y")
    )
    names = set(kinds_and_names(synth_config(config)))
    for expected in [
        ("ConfigMap", "prod-dagster-instance"),
        ("Deployment", "prod-dagster-webserver"),  # webserver and workers: the release's name, as in the chart
        ("Deployment", "prod-dagster-daemon"),
        ("Deployment", "prod-celery-workers-dagster"),
        ("Secret", "prod-dagster-postgresql-secret"),
        ("Service", "prod-postgresql"),
        ("Service", "prod-rabbitmq"),
        ("ServiceAccount", "prod-dagster"),
        ("Deployment", "prod-dagster-user-deployments-k8s-example-user-code-1"),
    ]:
        assert expected in names
    # A release name that contains "dagster" is the prefix itself, as in Helm.
    mine = set(
        kinds_and_names(
            synth_config(
                DagsterSystemConfig(
                    release=Release(name="my-dagster"),
                    postgresql=PostgreSqlSettings(password="x"),
                    run_launcher=K8sRunLauncher(),
                )
            )
        )
    )
    assert ("ConfigMap", "my-dagster-instance") in mine


def test_passwords_live_only_in_secrets(variant: str, variant_objects: list[Manifest]) -> None:
    secrets = [TEST_PASSWORDS.postgresql, TEST_PASSWORDS.rabbitmq, TEST_PASSWORDS.redis]
    for obj in variant_objects:
        if obj["kind"] == "Secret":
            continue
        text = str(obj)
        for password in secrets:
            assert password not in text, f"{variant}: password in {obj['kind']}/{obj['metadata']['name']}"
    # ...and the Secrets really hold them (base64), so the check above is not vacuous.
    decoded = " ".join(
        base64.b64decode(v).decode()
        for o in variant_objects
        if o["kind"] == "Secret"
        for v in o.get("data", {}).values()
    )
    assert any(p in decoded for p in secrets)


def test_every_image_is_pinned_and_dagster_images_share_one_version(variant_objects: list[Manifest]) -> None:
    for obj in variant_objects:
        if obj["kind"] not in WORKLOADS:
            continue
        spec = pod_spec(obj)
        for c in [*spec.get("initContainers", []), *spec["containers"]]:
            repository, _, tag = c["image"].rpartition(":")
            assert repository and tag and tag != "latest", c["image"]
            if "/dagster/" in repository:
                assert tag == DAGSTER_VERSION, c["image"]


def test_image_overrides_reach_the_pods() -> None:
    image = Image(repository="registry.example.com/dagster", tag="custom", pull_policy="Always")
    config = DagsterSystemConfig(
        postgresql=PostgreSqlSettings(password="x"),
        run_launcher=K8sRunLauncher(),
        webserver=WebserverSettings(image=image),
        pipeline_run_image=image,
    )
    objects = synth_config(config)
    web = container(find(objects, "Deployment", "dagster-dagster-webserver"))
    assert (web["image"], web["imagePullPolicy"]) == ("registry.example.com/dagster:custom", "Always")
    env = find(objects, "ConfigMap", "dagster-pipeline-env")["data"]
    assert env["DAGSTER_K8S_PIPELINE_RUN_IMAGE"] == "registry.example.com/dagster:custom"
    assert env["DAGSTER_K8S_PIPELINE_RUN_IMAGE_PULL_POLICY"] == "Always"


def test_namespace_reaches_every_object_and_launched_runs() -> None:
    objects = synth_variant("external")
    assert {o["metadata"].get("namespace") for o in objects} == {"dagster"}
    assert find(objects, "ConfigMap", "dagster-pipeline-env")["data"]["DAGSTER_K8S_PIPELINE_RUN_NAMESPACE"] == "dagster"


def test_runs_in_another_namespace_get_their_rbac_there() -> None:
    config = DagsterSystemConfig(
        namespace="dagster",
        postgresql=PostgreSqlSettings(password="x"),
        run_launcher=CeleryK8sRunLauncher(job_namespace="dagster-runs"),
        broker=RabbitMqSettings(password="y"),
    )
    objects = synth_config(config)
    assert find(objects, "Role", "dagster-role")["metadata"]["namespace"] == "dagster-runs"
    assert find(objects, "ServiceAccount", "dagster")["metadata"]["namespace"] == "dagster"
    assert (
        find(objects, "ConfigMap", "dagster-daemon-env")["data"]["DAGSTER_K8S_PIPELINE_RUN_NAMESPACE"] == "dagster-runs"
    )


def test_every_dagster_pod_mounts_the_instance_and_gets_the_password(variant_objects: list[Manifest]) -> None:
    for obj in variant_objects:
        if obj["kind"] not in WORKLOADS or obj["metadata"]["labels"].get("component") not in {
            "dagster-webserver",
            "dagster-webserver-read-only",
            "dagster-daemon",
            "celery",
            "migrate",
        }:
            continue
        main = pod_spec(obj)["containers"][0]
        assert any(m["mountPath"].endswith("/dagster.yaml") for m in main["volumeMounts"]), obj["metadata"]["name"]
        assert "DAGSTER_PG_PASSWORD" in [e["name"] for e in main["env"]]


def test_multi_location_workspace_lists_every_location() -> None:
    import yaml

    objects = synth_variant("multi-location")
    workspace = yaml.safe_load(find(objects, "ConfigMap", "dagster-workspace-yaml")["data"]["workspace.yaml"])
    assert [s["grpc_server"]["location_name"] for s in workspace["load_from"]] == [
        "k8s-example-user-code-1",
        "analytics",
        "ml-pipelines",
    ]
    assert [s["grpc_server"]["port"] for s in workspace["load_from"]] == [3030, 4000, 3030]


def test_the_dagster_venv_pins_the_deployed_version() -> None:
    script = (ROOT / "scripts" / "dagster-venv.sh").read_text()
    assert f"dagster=={DAGSTER_VERSION}" in script
    assert set(re.findall(r"dagster-webserver==(\S+)", script)) == {DAGSTER_VERSION}


@pytest.mark.parametrize(
    "name", ["celery-rabbitmq", "celery-redis", "k8s", "custom-launcher", "external", "multi-location"]
)
def test_variant_configs_build(name: str) -> None:
    assert isinstance(build_variant(name, TEST_PASSWORDS), DagsterSystemConfig)


def test_readme_documents_every_variant() -> None:
    readme = Path(ROOT / "README.md").read_text()
    from constructs_lib import VARIANTS

    for name in VARIANTS:
        assert f"`{name}`" in readme
