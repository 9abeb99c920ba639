"""The bitnami subcharts' pod keys keep their meaning on the library's own StatefulSets, and
compose with the security profile: the user's values win, the profile fills in the rest, and
under ``hardened`` a value that breaks Pod Security "restricted" is an error naming its key."""

from __future__ import annotations

import argparse
import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib import Persistence, PostgreSql, PostgreSqlSettings, WorkloadOptions
from constructs_lib.cli import configs
from constructs_lib.errors import ConfigError
from constructs_lib.helm import ValuesError, from_helm_values
from constructs_lib.helm.translate import SUBCHART_KEYS
from constructs_lib.testing.pod_security import pss_problems

from .conftest import Manifest, find, pod_spec, synth_chart, synth_config

PG: dict[str, Any] = {"postgresql": {"postgresqlPassword": "pw"}}
CELERY = {"runLauncher": {"type": "CeleryK8sRunLauncher"}}
#: values section -> (the values that deploy it, where its pod keys go, its StatefulSet)
SERVICES: dict[str, tuple[dict[str, Any], str, str]] = {
    "postgresql": (PG, "postgresql", "dagster-postgresql"),
    "rabbitmq": ({**PG, **CELERY, "rabbitmq": {"enabled": True, "rabbitmq": {"password": "mq"}}},
                 "rabbitmq", "dagster-rabbitmq"),
    "redis": ({**PG, **CELERY, "redis": {"enabled": True, "internal": True}}, "redis.master", "dagster-redis-master"),
}


def _with(service: str, knobs: dict[str, Any], **top: Any) -> dict[str, Any]:
    """The values deploying ``service`` with ``knobs`` where its subchart spells pod keys."""
    base, at, _ = SERVICES[service]
    values = copy.deepcopy(base)
    node = values
    for part in at.split("."):
        node = node.setdefault(part, {})
    node.update(copy.deepcopy(knobs))
    values[service].update(top)
    return values


def _sts(service: str, knobs: dict[str, Any], **top: Any) -> Manifest:
    return find(synth_config(from_helm_values(_with(service, knobs, **top))), "StatefulSet", SERVICES[service][2])


def _raises(values: dict[str, Any]) -> str:
    with pytest.raises(ValuesError) as error:
        from_helm_values(values)
    return str(error.value)


def _error(service: str, knobs: dict[str, Any], **top: Any) -> str:
    return _raises(_with(service, knobs, **top))


ALL = pytest.mark.parametrize("service", sorted(SERVICES))


# ---- persistence ------------------------------------------------------------------------------------
@ALL
def test_persistence_size_class_and_modes(service: str) -> None:
    sts = _sts(service, {"persistence": {"size": "20Gi", "storageClass": "fast-ssd",
                                         "accessModes": ["ReadWriteOncePod"]}})
    assert sts["spec"]["volumeClaimTemplates"] == [{"metadata": {"name": "data"}, "spec": {
        "accessModes": ["ReadWriteOncePod"], "resources": {"requests": {"storage": "20Gi"}},
        "storageClassName": "fast-ssd"}}]


@ALL
def test_persistence_defaults_are_the_subcharts(service: str) -> None:
    claim = _sts(service, {})["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "8Gi"}}}


@ALL
def test_storage_class_dash_means_none(service: str) -> None:
    claim = _sts(service, {"persistence": {"storageClass": "-"}})["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["storageClassName"] == ""


@ALL
def test_persistence_off_is_an_empty_dir(service: str) -> None:
    sts = _sts(service, {"persistence": {"enabled": False}})
    assert "volumeClaimTemplates" not in sts["spec"]
    assert {"name": "data", "emptyDir": {}} in pod_spec(sts)["volumes"]


@ALL
def test_existing_claim(service: str) -> None:
    sts = _sts(service, {"persistence": {"existingClaim": "my-data"}})
    assert "volumeClaimTemplates" not in sts["spec"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "my-data"}} in pod_spec(sts)["volumes"]


def test_rabbitmq_access_mode_as_its_subchart_spells_it() -> None:
    claim = _sts("rabbitmq", {"persistence": {"accessMode": "ReadWriteMany"}})["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert "not both" in _error("rabbitmq", {"persistence": {"accessMode": "ReadWriteMany",
                                                             "accessModes": ["ReadWriteOnce"]}})


@ALL
def test_a_bad_persistence_value_names_the_values_key(service: str) -> None:
    at = SERVICES[service][1]
    assert f"{at}.persistence.accessModes" in _error(service, {"persistence": {"accessModes": ["Sometimes"]}})
    assert f"{at}.persistence.storageClass" in _error(service, {"persistence": {"storageClass": "Fast_SSD"}})
    assert f"{at}.persistence.existingClaim" in _error(service, {"persistence": {"existingClaim": "My Claim"}})


def test_a_bad_persistence_value_names_the_key_as_given() -> None:
    assert "rabbitmq.persistence.accessMode:" in _error("rabbitmq", {"persistence": {"accessMode": "Sometimes"}})
    assert "redis.persistence.existingClaim:" in _error("redis", {}, persistence={"existingClaim": "My Claim"})


def test_persistence_from_python() -> None:
    objects = synth_chart(lambda chart: PostgreSql(chart, "pg", settings=PostgreSqlSettings(
        password="pw", persistence=Persistence(enabled=False))))
    assert {"name": "data", "emptyDir": {}} in pod_spec(find(objects, "StatefulSet", "dagster-postgresql"))["volumes"]
    with pytest.raises(ConfigError, match=r"Persistence\.access_modes"):
        Persistence(access_modes=())


# ---- placement, labels, annotations ------------------------------------------------------------------
@ALL
def test_node_selector_tolerations_affinity(service: str) -> None:
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "pool", "operator": "In", "values": ["data"]}]}]}}}
    spec = pod_spec(_sts(service, {"nodeSelector": {"pool": "data"}, "affinity": affinity,
                                   "tolerations": [{"key": "data", "operator": "Exists", "effect": "NoSchedule"}]}))
    assert spec["nodeSelector"] == {"pool": "data"}
    assert spec["affinity"] == affinity
    assert spec["tolerations"] == [{"effect": "NoSchedule", "key": "data", "operator": "Exists"}]


@ALL
def test_pod_annotations_and_labels(service: str) -> None:
    sts = _sts(service, {"podAnnotations": {"backup.example.com/enabled": "true"}, "podLabels": {"tier": "data"}})
    meta = sts["spec"]["template"]["metadata"]
    assert meta["annotations"] == {"backup.example.com/enabled": "true"}
    assert meta["labels"]["tier"] == "data"
    assert "tier" not in sts["spec"]["selector"]["matchLabels"]


def test_postgresql_master_placement_as_bitnami_spells_it() -> None:
    sts = _sts("postgresql", {"nodeSelector": {"pool": "any"}, "master": {
        "nodeSelector": {"pool": "db"}, "podLabels": {"tier": "db"}, "podAnnotations": {"a": "b"},
        "tolerations": [{"key": "db", "operator": "Exists"}]}})
    assert pod_spec(sts)["nodeSelector"] == {"pool": "db"}  # master.* wins
    assert sts["spec"]["template"]["metadata"]["labels"]["tier"] == "db"
    assert sts["spec"]["template"]["metadata"]["annotations"] == {"a": "b"}
    assert pod_spec(sts)["tolerations"] == [{"key": "db", "operator": "Exists"}]


def test_a_bad_placement_value_names_the_key_it_came_from() -> None:
    message = _error("postgresql", {"tolerations": [{"key": "a", "operator": "Exists"}],
                                    "master": {"tolerations": [{"key": "b", "operatr": "Exists"}]}})
    assert "postgresql.master.tolerations[0].operatr" in message
    assert "postgresql.master.podLabels" in _error("postgresql", {"master": {"podLabels": {"tier": "a b"}}})
    assert "redis.master.affinity.nodeAffinty" in _error("redis", {"affinity": {"nodeAffinty": {}}})


# ---- resources and security contexts: the user's values win, the profile fills in --------------------
@ALL
def test_resources_win_over_the_profile(service: str) -> None:
    resources = {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
    assert pod_spec(_sts(service, {"resources": resources}))["containers"][0]["resources"] == resources


@ALL
def test_requests_alone_get_the_profiles_limits_never_below_them(service: str) -> None:
    container = pod_spec(_sts(service, {"resources": {"requests": {"cpu": "4", "memory": "512Mi"}}}))["containers"][0]
    assert container["resources"]["requests"] == {"cpu": "4", "memory": "512Mi"}
    assert container["resources"]["limits"]["cpu"] == "4"  # the profile's default limit raised to the request


@pytest.mark.parametrize("service", ["postgresql", "rabbitmq"])
def test_bitnami_security_context_form(service: str) -> None:
    spec = pod_spec(_sts(service, {"securityContext": {"enabled": True, "fsGroup": 1001, "runAsUser": 1001}}))
    # The user's UID and fsGroup win; the rest (the image's group 999, non-root, seccomp) is the profile's.
    assert spec["securityContext"] == {"fsGroup": 1001, "runAsGroup": 999, "runAsNonRoot": True, "runAsUser": 1001,
                                       "seccompProfile": {"type": "RuntimeDefault"}}
    assert spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


def test_redis_security_contexts_at_the_top_as_its_subchart_spells_them() -> None:
    spec = pod_spec(_sts("redis", {}, securityContext={"enabled": True, "fsGroup": 2000},
                         containerSecurityContext={"enabled": True, "runAsUser": 2000}))
    assert spec["securityContext"]["fsGroup"] == 2000
    assert spec["containers"][0]["securityContext"]["runAsUser"] == 2000
    # redis.master's own keys win over the top-level ones
    spec = pod_spec(_sts("redis", {"podSecurityContext": {"fsGroup": 3000}}, securityContext={"fsGroup": 2000}))
    assert spec["securityContext"]["fsGroup"] == 3000


@ALL
def test_security_context_disabled_leaves_the_profiles(service: str) -> None:
    default = pod_spec(_sts(service, {}))["securityContext"]
    key = "securityContext"
    top = {key: {"enabled": False, "runAsUser": 1001}} if service == "redis" else {}
    knobs = {} if service == "redis" else {key: {"enabled": False, "runAsUser": 1001}}
    assert pod_spec(_sts(service, knobs, **top))["securityContext"] == default
    assert default["runAsUser"] == 999


@ALL
def test_container_security_context_merges_with_the_profile(service: str) -> None:
    knobs = {"containerSecurityContext": {"readOnlyRootFilesystem": False}}
    container = pod_spec(_sts(service, knobs))["containers"][0]
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                            "readOnlyRootFilesystem": False}


def test_rabbitmq_security_context_extra_is_merged() -> None:
    spec = pod_spec(_sts("rabbitmq", {"securityContext": {"enabled": True, "runAsUser": 1001, "fsGroup": 1001,
                                                          "extra": {"supplementalGroups": [5000]}}}))
    assert spec["securityContext"]["supplementalGroups"] == [5000]


def test_root_given_under_the_default_profile_is_not_marked_non_root() -> None:
    spec = pod_spec(_sts("postgresql", {"podSecurityContext": {"runAsUser": 0}}))
    assert spec["securityContext"]["runAsUser"] == 0 and "runAsNonRoot" not in spec["securityContext"]


# ---- hardened: what breaks Pod Security "restricted" is an error naming the key ----------------------
HARDENED = {"securityProfile": "hardened"}


@ALL
def test_hardened_with_the_users_knobs_still_passes_restricted(service: str) -> None:
    values = {**_with(service, {"resources": {"requests": {"cpu": "1"}},
                                "podSecurityContext": {"runAsUser": 20000, "fsGroup": 20000},
                                "containerSecurityContext": {"readOnlyRootFilesystem": True}}), **HARDENED}
    sts = find(synth_config(from_helm_values(values)), "StatefulSet", SERVICES[service][2])
    spec = pod_spec(sts)
    assert spec["securityContext"]["runAsUser"] == 20000
    assert pss_problems(spec, level="restricted") == []


@pytest.mark.parametrize(("knobs", "key"), [
    ({"podSecurityContext": {"runAsUser": 0}}, "podSecurityContext.runAsUser"),
    ({"securityContext": {"enabled": True, "runAsNonRoot": False}}, "securityContext.runAsNonRoot"),
    ({"containerSecurityContext": {"privileged": True}}, "containerSecurityContext.privileged"),
    ({"containerSecurityContext": {"allowPrivilegeEscalation": True}},
     "containerSecurityContext.allowPrivilegeEscalation"),
    ({"containerSecurityContext": {"capabilities": {"add": ["SYS_ADMIN"], "drop": ["ALL"]}}},
     "containerSecurityContext.capabilities.add"),
    ({"containerSecurityContext": {"capabilities": {"drop": ["NET_RAW"]}}},
     "containerSecurityContext.capabilities.drop"),
    ({"podSecurityContext": {"seccompProfile": {"type": "Unconfined"}}}, "podSecurityContext.seccompProfile.type"),
])
@ALL
def test_hardened_rejects_what_breaks_restricted(service: str, knobs: dict[str, Any], key: str) -> None:
    message = _raises({**_with(service, knobs), **HARDENED})
    assert f"{SERVICES[service][1]}.{key}" in message and 'Pod Security "restricted"' in message


def test_the_same_values_pass_under_the_default_profile() -> None:
    spec = pod_spec(_sts("postgresql", {"containerSecurityContext": {"privileged": True}}))
    assert spec["containers"][0]["securityContext"]["privileged"] is True


def test_hardened_names_redis_top_level_keys() -> None:
    values = {**_with("redis", {}, securityContext={"enabled": True, "runAsUser": 0}), **HARDENED}
    assert "redis.securityContext.runAsUser" in _raises(values)


def test_hardened_checks_the_dagster_workloads_too() -> None:
    values = {**PG, **HARDENED, "dagsterWebserver": {"securityContext": {"privileged": True}}}
    assert "dagsterWebserver.securityContext.privileged" in _raises(values)
    values = {**PG, **HARDENED, "dagsterDaemon": {"volumes": [{"name": "host", "hostPath": {"path": "/"}}]}}
    assert "dagsterDaemon.volumes[0]" in _raises(values)


def test_hardened_from_python_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"WorkloadOptions\.pod_security_context\.runAsUser"):
        WorkloadOptions(security_profile="hardened", pod_security_context={"runAsUser": 0})
    with pytest.raises(ConfigError, match=r"WorkloadOptions\.security_context\.procMount"):
        WorkloadOptions(security_profile="hardened", security_context={"procMount": "Unmasked"})
    WorkloadOptions(security_profile="hardened", security_context={"runAsUser": 20000})


# ---- any other subchart key ------------------------------------------------------------------------
@pytest.mark.parametrize(("values", "path"), [
    ({**PG, "postgresql": {"postgresqlPassword": "pw", "replication": {"enabled": True}}}, "postgresql.replication"),
    ({"postgresql": {"postgresqlPassword": "pw", "metrics": {"enabled": True}}}, "postgresql.metrics"),
    ({**PG, **CELERY, "rabbitmq": {"enabled": True, "rabbitmq": {"password": "mq"}, "clustering": {"enabled": False}}},
     "rabbitmq.clustering"),
    ({**PG, **CELERY, "redis": {"enabled": True, "internal": True, "cluster": {"enabled": False}}}, "redis.cluster"),
    ({**PG, **CELERY, "redis": {"enabled": True, "internal": True, "master": {"extraFlags": ["--x"]}}},
     "redis.master.extraFlags"),
])
def test_other_subchart_keys_say_what_the_bundled_service_is_now(values: dict[str, Any], path: str) -> None:
    message = _raises(values)
    assert f"unknown key {path!r}" in message and "official" in message and "StatefulSet" in message
    for key in ("persistence.enabled/size/storageClass/accessModes/existingClaim", "resources", "nodeSelector",
                "tolerations", "affinity", "securityContext", "podSecurityContext", "podAnnotations", "podLabels"):
        assert key in message


def _expand(spelled: str) -> list[str]:
    """``a.{b,c}`` -> ``a.b``, ``a.c``."""
    match = re.search(r"\{([^{}]*)\}", spelled)
    if not match:
        return [spelled]
    return [x for part in match[1].split(",")
            for x in _expand(spelled[:match.start()] + part + spelled[match.end():])]


def test_the_readme_lists_exactly_the_supported_subchart_keys() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("| service | keys |", 1)[1].split("\n\n", 1)[0]
    listed = {key for row in table.splitlines()[2:] for code in re.findall(r"`([^`]+)`", row.split("|")[2])
              if "." in code and "*" not in code for key in _expand(code)}
    assert listed == set(SUBCHART_KEYS)


def test_the_command_lines_hardened_profile_names_the_values_key(tmp_path: Path) -> None:
    """``--security-profile hardened`` with ``-f``: the check runs on the values, so the error names their key."""
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(_with("postgresql", {"podSecurityContext": {"runAsUser": 0}})))
    args = argparse.Namespace(values=[str(values)], sets=[], release=None, namespace=None, variant=None,
                              all_variants=False, security_profile="hardened")
    with pytest.raises(ValuesError, match=r"postgresql\.podSecurityContext\.runAsUser"):
        configs(args)
    assert configs(argparse.Namespace(**{**vars(args), "security_profile": "default"}))
