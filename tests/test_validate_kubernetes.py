"""Issue #4: every synthesized object is valid Kubernetes, per the published OpenAPI schemas
(``kubernetes-validate``, strict: unknown fields are errors) of the oldest and newest versions
the library targets, custom resources per their CRD's schema, and names and labels per the
rules the API server enforces beyond the schemas."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from constructs_lib import VARIANTS, CodeLocationSettings, ConfigError, Release
from constructs_lib.apiserver import object_problems

from .conftest import ROOT, synth_config
from .validation.k8s_schema import (
    KUBERNETES_VERSIONS,
    CrdSchemas,
    crd_files_from_cdk8s_yaml,
    load_crd_schemas,
    name_problems,
    schema_problems,
)
from .validation.manifests import Manifest
from .validation.variants import variant_config, variant_objects

#: KEDA's CRDs, beside the repository (CI puts shared/ next to the clone).
SHARED_CRDS = ROOT.parent / "shared" / "crds"
KEDA_CRD = SHARED_CRDS / "keda.sh_scaledobjects.yaml"
KEDA_KINDS = [("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication")]


@pytest.fixture(scope="module")
def project_crds() -> CrdSchemas:
    """Schemas of the CRDs the project imports in ``cdk8s.yaml`` (KEDA's)."""
    return load_crd_schemas(crd_files_from_cdk8s_yaml(ROOT / "cdk8s.yaml"))


@pytest.fixture(scope="module")
def keda_crds() -> CrdSchemas:
    return load_crd_schemas([KEDA_CRD])


def problems_of(objects: list[Manifest], version: str, crds: CrdSchemas | None = None) -> list[str]:
    return [problem for obj in objects for problem in schema_problems(obj, version, crds)]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid_kubernetes(variant: str, version: str, project_crds: CrdSchemas) -> None:
    objects = variant_objects(variant)
    assert objects
    problems = problems_of(objects, version, project_crds)
    assert not problems, f"{variant}: {len(problems)} of {len(objects)} objects are invalid:\n" + "\n".join(problems)


def test_names_and_labels_are_valid_kubernetes(variant: str) -> None:
    problems = [problem for obj in variant_objects(variant) for problem in name_problems(obj)]
    assert not problems, f"{variant}:\n" + "\n".join(problems)


# ---- configurations the library accepts, beyond the variants -----------------------------------
#: The longest release name ``Release`` accepts (53 characters, Helm's limit).
LONGEST_RELEASE_NAME = "r" * 53


def test_release_names_give_valid_names_or_a_config_error() -> None:
    """Every release name the library accepts either yields names the API server accepts, or
    fails at construction with a ConfigError naming the object name that would be invalid."""
    for length in (1, 8, 16, 22, 25, 28, 31, 34, 40, len(LONGEST_RELEASE_NAME)):
        release = Release(name=LONGEST_RELEASE_NAME[:length].rstrip("-") or "a")
        for variant in sorted(VARIANTS):
            try:
                objects = synth_config(replace(variant_config(variant), release=release))
            except ConfigError as error:
                assert "shorten Release.name" in str(error), str(error)
                continue
            problems = [problem for obj in objects for problem in name_problems(obj)]
            assert not problems, f"release {release.name!r}, {variant}:\n" + "\n".join(problems)


def test_the_longest_release_name_is_refused_with_the_name_it_would_break() -> None:
    with pytest.raises(ConfigError, match=r"Service name: invalid value '.*'; expected a DNS-1035 label .* "
                                          r"at most 63 characters: shorten Release.name"):
        synth_config(replace(variant_config("k8s"), release=Release(name=LONGEST_RELEASE_NAME)))


def test_a_code_location_name_that_is_no_service_name_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"CodeLocationSettings.name: invalid value '1st-location'; expected a "
                                          r"name starting with a letter"):
        CodeLocationSettings(name="1st-location", grpc_args=["--module-name", "first"])


# ---- the validators catch what they should ------------------------------------------------------
def deployment(objects: list[Manifest], name: str) -> Manifest:
    return next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == name)


def test_unknown_field_is_rejected() -> None:
    objects = variant_objects("k8s")  # a fresh copy
    deployment(objects, "dagster-daemon")["spec"]["replica"] = 2  # typo of replicas
    for version in KUBERNETES_VERSIONS:
        assert problems_of(objects, version) == [
            f"Deployment/dagster-daemon (Kubernetes {version}): spec: Additional properties are not allowed "
            "('replica' was unexpected)"]


def test_wrong_type_and_missing_required_field_are_rejected() -> None:
    objects = variant_objects("k8s")  # a fresh copy
    webserver = deployment(objects, "dagster-dagster-webserver")
    webserver["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    daemon = deployment(objects, "dagster-daemon")
    del daemon["spec"]["template"]["spec"]["containers"][0]["name"]
    problems = problems_of(objects, "1.25.0")
    assert problems == [
        "Deployment/dagster-dagster-webserver (Kubernetes 1.25.0): spec.template.spec.containers.0.ports.0."
        "containerPort: 'http' is not of type 'integer'",
        "Deployment/dagster-daemon (Kubernetes 1.25.0): spec.template.spec.containers.0: "
        "'name' is a required property",
    ]


def test_both_ends_of_the_version_range_matter() -> None:
    """A field newer than 1.25 fails only against 1.25; an API removed since fails only on 1.37."""
    objects = variant_objects("k8s")  # a fresh copy
    deployment(objects, "dagster-daemon")["spec"]["template"]["spec"]["resources"] = {"limits": {"cpu": "1"}}
    assert problems_of(objects, "1.37.0") == []
    assert problems_of(objects, "1.25.0") == [
        "Deployment/dagster-daemon (Kubernetes 1.25.0): spec.template.spec: Additional properties are not "
        "allowed ('resources' was unexpected)"]
    hpa = {"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "dagster-daemon"},
                    "maxReplicas": 3}}
    assert schema_problems(hpa, "1.25.0") == []
    assert schema_problems(hpa, "1.37.0") == [
        "HorizontalPodAutoscaler/x (Kubernetes 1.37.0): Couldn't find schema for kind HorizontalPodAutoscaler "
        "with api version autoscaling/v2beta2 for kubernetes version 1.37 (a custom resource needs its CRD "
        "imported in cdk8s.yaml)"]


def test_invalid_names_and_labels_are_rejected() -> None:
    objects = variant_objects("k8s")  # a fresh copy
    service = next(o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == "dagster-postgresql")
    service["metadata"]["name"] = "Dagster-PostgreSQL"
    service["metadata"]["labels"]["team/owner"] = "x" * 64
    postgres = next(o for o in objects if o["kind"] == "StatefulSet")
    postgres["spec"]["template"]["spec"]["containers"][0]["name"] = "postgresql_server"
    postgres["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"] = "tcp-postgresql-main"
    job = next(o for o in objects if o["kind"] == "Job")
    job["metadata"]["name"] = "dagster-" + "m" * 60
    job["spec"]["template"]["metadata"]["labels"]["bad key!"] = "x"
    # The rules of constructs_lib.apiserver (the library's own check at every synth): one model.
    found = [p for o in objects for p in name_problems(o)]
    assert [(p.object, p.field) for p in found] == [
        ("Service/Dagster-PostgreSQL", "metadata.name"),
        ("Service/Dagster-PostgreSQL", "metadata.labels.team/owner"),
        ("StatefulSet/dagster-postgresql", "spec.template.spec.containers[0].name"),
        ("StatefulSet/dagster-postgresql", "spec.template.spec.containers[0].ports[0].name"),
        (f"Job/dagster-{'m' * 60}", "metadata.name"),
        (f"Job/dagster-{'m' * 60}", "spec.template.metadata.labels.bad key!"),
    ]
    assert found[0] == ("Service/Dagster-PostgreSQL: metadata.name: invalid value 'Dagster-PostgreSQL'; expected a "
                        "DNS-1035 label (lower-case alphanumerics and '-', starting with a letter) of at most 63 "
                        "characters")
    assert "expected a DNS-1123 subdomain (it becomes the pods' job-name label) of at most 63" in found[4]


def test_the_testing_kits_api_server_rules_are_the_librarys() -> None:
    """One model: the testing kit reports exactly what the library's own synth-time check finds,
    also on kinds the library never writes (a CronJob's job template, a bare Pod)."""
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "n" * 53}, "spec": {
        "schedule": "* * * * *", "jobTemplate": {"spec": {"backoffLimit": -1, "template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1", "resources": {
                "limits": {"cpu": "lots"}}}]}}}}}}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "Bad Image"}]}}
    for obj in (cron, pod):
        assert [(p.field, p.value) for p in name_problems(obj)] == [
            (path, value) for path, value, _ in object_problems(obj)]
    assert [p.field for p in name_problems(cron)] == [
        "metadata.name", "spec.jobTemplate.spec.backoffLimit",
        "spec.jobTemplate.spec.template.spec.containers[0].resources.limits.cpu"]
    assert [p.field for p in name_problems(pod)] == ["spec.containers[0].image"]


# ---- custom resources ---------------------------------------------------------------------------
def scaled_object() -> Manifest:
    """A KEDA ScaledObject scaling the default variant's Celery workers on their queue length."""
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "dagster-celery-workers-dagster"},
        "spec": {
            "scaleTargetRef": {"name": "dagster-celery-workers-dagster"},
            "minReplicaCount": 1,
            "maxReplicaCount": 10,
            "triggers": [{"type": "rabbitmq", "metadata": {"queueName": "dagster", "mode": "QueueLength",
                                                           "value": "5", "hostFromEnv": "BROKER_URL"}}],
        },
    }


def test_the_project_imports_kedas_crds_from_shared(project_crds: CrdSchemas) -> None:
    """The variant test above validates KEDA's kinds against these (read from ../shared/crds)."""
    assert sorted(project_crds) == KEDA_KINDS
    assert crd_files_from_cdk8s_yaml(ROOT / "cdk8s.yaml") == sorted(SHARED_CRDS.resolve().glob("keda.sh_*.yaml"))


def test_a_custom_resource_validates_against_its_crd(keda_crds: CrdSchemas) -> None:
    assert list(keda_crds) == [("keda.sh/v1alpha1", "ScaledObject")]
    for version in KUBERNETES_VERSIONS:
        assert problems_of([*variant_objects("celery-rabbitmq"), scaled_object()], version, keda_crds) == []


def test_an_invalid_custom_resource_is_rejected(keda_crds: CrdSchemas) -> None:
    broken = scaled_object()
    broken["spec"]["minReplicaCount"] = "one"
    broken["spec"]["scaleTargetRef"]["nmae"] = "typo"
    del broken["spec"]["triggers"]
    broken["metadata"] = {"labels": {}}
    where = "ScaledObject/<no name> (Kubernetes 1.25.0)"
    assert schema_problems(broken, "1.25.0", keda_crds) == [
        f"{where}: metadata: 'name' is a required property",
        f"{where}: spec: 'triggers' is a required property",
        f"{where}: spec.minReplicaCount: 'one' is not of type 'integer'",
        f"{where}: spec.scaleTargetRef: Additional properties are not allowed ('nmae' was unexpected)",
    ]


def test_a_custom_resource_without_its_crd_is_rejected() -> None:
    assert schema_problems(scaled_object(), "1.37.0") == [
        "ScaledObject/dagster-celery-workers-dagster (Kubernetes 1.37.0): Couldn't find schema for kind "
        "ScaledObject with api version keda.sh/v1alpha1 for kubernetes version 1.37 (a custom resource needs "
        "its CRD imported in cdk8s.yaml)"]


def test_crd_files_are_read_from_cdk8s_yaml(tmp_path: Path) -> None:
    (tmp_path / "crds").mkdir()
    (tmp_path / "crds" / KEDA_CRD.name).write_bytes(KEDA_CRD.read_bytes())
    cdk8s_yaml = tmp_path / "cdk8s.yaml"
    cdk8s_yaml.write_text(f"language: python\napp: python main.py\nimports:\n  - k8s@1.25.0\n"
                          f"  - keda:=crds/{KEDA_CRD.name}\n")
    files = crd_files_from_cdk8s_yaml(cdk8s_yaml)
    assert files == [(tmp_path / "crds" / KEDA_CRD.name).resolve()]
    assert list(load_crd_schemas(files)) == [("keda.sh/v1alpha1", "ScaledObject")]

    cdk8s_yaml.write_text("imports:\n  - https://example.com/crd.yaml\n")
    with pytest.raises(ValueError, match="is a URL; vendor the CRD file"):
        crd_files_from_cdk8s_yaml(cdk8s_yaml)
