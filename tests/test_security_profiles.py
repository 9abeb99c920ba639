"""Issue #11: security profiles. Under ``hardened`` every pod template of every shipped system
passes the Pod Security Standards "restricted" level (init containers included); under
``default`` every pod passes "baseline" and gets the settings that do not break the stock
images. The PSS checker itself is shown to catch each control it checks."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from constructs_lib import (
    HARDENED_UID,
    NON_ROOT_UID,
    VARIANTS,
    ConfigError,
    DagsterSystemConfig,
    K8sRunLauncher,
    PostgreSqlSettings,
    WebserverSettings,
    WorkloadOptions,
    build_variant,
)
from constructs_lib.helm import from_helm_values
from constructs_lib.security_profile import SECRET_ENV_DIR, SECRET_ENV_WRAPPER, parse_quantity
from constructs_lib.testing.k8s_schema import (
    KUBERNETES_VERSIONS,
    crd_files_from_cdk8s_yaml,
    load_crd_schemas,
    schema_problems,
)
from constructs_lib.testing.pod_security import pss_problems

from .conftest import ROOT, TEST_PASSWORDS, Manifest, find, synth_config
from .validation.manifests import containers, pod_spec, workloads

#: The two systems of the issue: the chart's defaults, and Celery + RabbitMQ + Flower.
HELM_SYSTEMS: dict[str, dict[str, Any]] = {
    "chart-defaults": {"postgresql": {"postgresqlPassword": "pw"}},
    "celery-rabbitmq-flower": {"postgresql": {"postgresqlPassword": "pw"},
                               "runLauncher": {"type": "CeleryK8sRunLauncher"},
                               "rabbitmq": {"enabled": True, "rabbitmq": {"password": "pw2"}},
                               "flower": {"enabled": True}},
}


PG = PostgreSqlSettings(password="pw")


def systems(profile: str) -> dict[str, DagsterSystemConfig]:
    out = {name: dataclasses.replace(build_variant(name, TEST_PASSWORDS), security_profile=profile)
           for name in sorted(VARIANTS)}
    for name, values in HELM_SYSTEMS.items():
        out[name] = from_helm_values({**values, "securityProfile": profile})
    return out


def pods(objects: list[Manifest]) -> list[tuple[str, Manifest]]:
    return [(f"{o['kind']}/{o['metadata']['name']}", o) for o in workloads(objects)]


@pytest.fixture(scope="module")
def hardened() -> dict[str, list[Manifest]]:
    return {name: synth_config(config) for name, config in systems("hardened").items()}


@pytest.fixture(scope="module")
def default() -> dict[str, list[Manifest]]:
    return {name: synth_config(config) for name, config in systems("default").items()}


def test_hardened_every_pod_passes_pss_restricted(hardened: dict[str, list[Manifest]]) -> None:
    checked = 0
    for system, objects in hardened.items():
        for where, workload in pods(objects):
            template = workload["spec"]["template"]
            problems = pss_problems(template["spec"], level="restricted",
                                    annotations=template["metadata"].get("annotations"))
            assert not problems, f"{system} {where}:\n" + "\n".join(problems)
            checked += 1
    assert checked >= 40  # every variant's and both Helm systems' pods


def test_default_passes_restricted_too(default: dict[str, list[Manifest]]) -> None:
    # Every process runs as a non-root user (Dagster's as NON_ROOT_UID), no capability is
    # added (the webserver binds port 80 through the safe sysctl): "restricted" holds too.
    checked = 0
    for system, objects in default.items():
        for where, workload in pods(objects):
            problems = pss_problems(pod_spec(workload), level="restricted")
            assert not problems, f"{system} {where}:\n" + "\n".join(problems)
            checked += 1
    assert checked >= 40
    # ...unless the user asks for root: then only "baseline".
    values = {**HELM_SYSTEMS["chart-defaults"], "dagsterWebserver": {"podSecurityContext": {"runAsUser": 0}}}
    webserver = pod_spec(find(synth_config(from_helm_values(values)), "Deployment", "dagster-dagster-webserver"))
    assert "runAsNonRoot" not in webserver["securityContext"]
    assert any("Non-root" in p for p in pss_problems(webserver)) and not pss_problems(webserver, level="baseline")


def test_default_profile_settings(default: dict[str, list[Manifest]]) -> None:
    objects = default["celery-rabbitmq-flower"]
    for _, workload in pods(objects):
        spec = pod_spec(workload)
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for c in containers(spec):
            assert c["securityContext"]["allowPrivilegeEscalation"] is False
            assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]) <= set(c["resources"]["limits"])
            assert c["securityContext"]["readOnlyRootFilesystem"] is True
        for c in spec["containers"]:
            if workload["kind"] != "Job":  # long-running: probes
                assert "livenessProbe" in c and "readinessProbe" in c, workload["metadata"]["name"]
    # The bundled services run as their official images' non-root users, Dagster's processes
    # (their images define none) as NON_ROOT_UID.
    for name in ("dagster-postgresql", "dagster-rabbitmq"):
        sc = pod_spec(find(objects, "StatefulSet", name))["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] == sc["runAsGroup"] == sc["fsGroup"] == 999
    for workload in workloads(objects):
        if workload["kind"] == "Deployment":
            sc = pod_spec(workload)["securityContext"]
            assert sc["runAsNonRoot"] is True and sc["runAsUser"] == sc["fsGroup"] == NON_ROOT_UID
    # PostgreSQL reads its password from a file (POSTGRES_PASSWORD_FILE), not from env.
    postgres = pod_spec(find(objects, "StatefulSet", "dagster-postgresql"))["containers"][0]
    env = {e["name"]: e for e in postgres["env"]}
    assert "POSTGRES_PASSWORD" not in env and env["POSTGRES_PASSWORD_FILE"]["value"].startswith(SECRET_ENV_DIR)
    # The token only where the Kubernetes API is called.
    tokens = {w["metadata"]["name"]: pod_spec(w).get("automountServiceAccountToken") for w in workloads(objects)}
    assert tokens == {
        "dagster-postgresql": False, "dagster-rabbitmq": False, "dagster-flower": False,
        "dagster-dagster-user-deployments-k8s-example-user-code-1": False,
        "dagster-dagster-webserver": True, "dagster-daemon": True, "dagster-celery-workers-dagster": True,
    }
    # The webserver listens on port 80 as the chart's does: no capability, the safe sysctl.
    webserver = pod_spec(find(objects, "Deployment", "dagster-dagster-webserver"))
    main = webserver["containers"][0]
    assert main["ports"][0]["containerPort"] == 80
    assert main["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert webserver["securityContext"]["sysctls"] == [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "80"}]


def test_hardened_settings(hardened: dict[str, list[Manifest]]) -> None:
    objects = hardened["celery-rabbitmq-flower"]
    for _, workload in pods(objects):
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsUser"] == HARDENED_UID
        assert spec["automountServiceAccountToken"] is False
        for c in containers(spec):
            assert c["securityContext"]["readOnlyRootFilesystem"] is True
            assert {"cpu", "memory"} <= set(c["resources"]["limits"])
            assert c["imagePullPolicy"] == "Always"
    # emptyDirs exactly where each process writes.
    def writable(name: str, kind: str = "Deployment") -> set[str]:
        spec = pod_spec(find(objects, kind, name))
        empty = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        return {m["mountPath"] for m in spec["containers"][0]["volumeMounts"] if m["name"] in empty}
    assert writable("dagster-postgresql", "StatefulSet") == {"/var/run/postgresql", "/tmp"}
    assert writable("dagster-rabbitmq", "StatefulSet") == {"/tmp"}
    assert writable("dagster-daemon") == {"/opt/dagster/dagster_home", "/tmp"}
    # The API token, where needed, is an explicit projected volume.
    daemon = pod_spec(find(objects, "Deployment", "dagster-daemon"))
    assert any(m["mountPath"] == "/var/run/secrets/kubernetes.io/serviceaccount"
               for m in daemon["containers"][0]["volumeMounts"])
    flower = pod_spec(find(objects, "Deployment", "dagster-flower"))
    assert all(v["name"] != "kube-api-access" for v in flower["volumes"])
    # Non-root cannot bind port 80: the webserver listens on 8080, its Service stays on 80.
    webserver = pod_spec(find(objects, "Deployment", "dagster-dagster-webserver"))["containers"][0]
    assert webserver["ports"][0]["containerPort"] == 8080 and "8080" in webserver["command"]
    service = find(objects, "Service", "dagster-dagster-webserver")
    assert service["spec"]["ports"][0]["port"] == 80 and service["spec"]["ports"][0]["targetPort"] == "http"


def test_user_values_win_over_the_profile() -> None:
    options = WorkloadOptions(
        security_profile="hardened", pod_security_context={"runAsUser": 2000, "fsGroup": 3000},
        security_context={"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}},
        resources={"requests": {"memory": "4Gi"}, "limits": {"cpu": "50m"}})
    config = DagsterSystemConfig(postgresql=PG, run_launcher=K8sRunLauncher(),
                                 webserver=WebserverSettings(options=options))
    webserver = pod_spec(find(synth_config(config), "Deployment", "dagster-dagster-webserver"))
    assert webserver["securityContext"]["runAsUser"] == 2000 and webserver["securityContext"]["fsGroup"] == 3000
    assert webserver["securityContext"]["runAsGroup"] == HARDENED_UID  # not given: the profile's
    main = webserver["containers"][0]
    assert main["securityContext"]["capabilities"]["add"] == ["NET_BIND_SERVICE"]
    # The profile's defaults never contradict the user: limit >= request, request <= limit.
    assert main["resources"] == {"requests": {"cpu": "50m", "memory": "4Gi"},
                                 "limits": {"cpu": "50m", "memory": "4Gi"}}
    assert not pss_problems(webserver)


def test_system_profile_reaches_every_workload_and_a_workload_choice_wins() -> None:
    config = DagsterSystemConfig(postgresql=PG, run_launcher=K8sRunLauncher(), security_profile="hardened",
                                 webserver=WebserverSettings(options=WorkloadOptions(security_profile="default")))
    objects = synth_config(config)
    webserver = pod_spec(find(objects, "Deployment", "dagster-dagster-webserver"))
    assert webserver["containers"][0]["ports"][0]["containerPort"] == 80  # hardened: 8080
    assert pod_spec(find(objects, "Deployment", "dagster-daemon"))["securityContext"]["runAsUser"] == HARDENED_UID


@pytest.mark.parametrize("build", [
    lambda: DagsterSystemConfig(postgresql=PG, run_launcher=K8sRunLauncher(), security_profile="strict"),
    lambda: WorkloadOptions(security_profile="Hardened"),
])
def test_unknown_profile_is_a_config_error(build: Any) -> None:
    with pytest.raises(ConfigError, match=r"security_profile.*default, hardened"):
        build()


def test_quantities() -> None:
    assert parse_quantity("100m") == pytest.approx(0.1)
    assert parse_quantity("1Gi") == 2**30 and parse_quantity("2") == 2 and parse_quantity("1.5G") == 1.5e9
    assert parse_quantity("lots") is None


# ---- the checker catches what it checks ------------------------------------------------------
def _good_spec() -> Manifest:
    return {"securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [], "volumes": [{"name": "t", "emptyDir": {}}],
            "containers": [{"name": "c", "image": "x:1", "securityContext": {
                "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}]}


PLANTED = {
    "hostNetwork": (lambda s: s.update(hostNetwork=True), "Host Namespaces"),
    "hostPath": (lambda s: s["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "HostPath"),
    "privileged": (lambda s: s["containers"][0]["securityContext"].update(privileged=True), "Privileged"),
    "cap add": (lambda s: s["containers"][0]["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]),
                "Capabilities"),
    "hostPort": (lambda s: s["containers"][0].update(ports=[{"containerPort": 80, "hostPort": 80}]), "Host Ports"),
    "procMount": (lambda s: s["containers"][0]["securityContext"].update(procMount="Unmasked"), "/proc"),
    "sysctl": (lambda s: s["securityContext"].update(sysctls=[{"name": "kernel.msgmax", "value": "1"}]), "Sysctls"),
    "selinux": (lambda s: s["securityContext"].update(seLinuxOptions={"user": "root"}), "SELinux"),
    "apparmor": (lambda s: s["securityContext"].update(appArmorProfile={"type": "Unconfined"}), "AppArmor"),
    "unconfined": (lambda s: s["containers"][0]["securityContext"].update(
        seccompProfile={"type": "Unconfined"}), "Seccomp"),
    "no seccomp": (lambda s: s["securityContext"].pop("seccompProfile"), "Seccomp"),
    "escalation": (lambda s: s["containers"][0]["securityContext"].pop("allowPrivilegeEscalation"),
                   "Privilege Escalation"),
    "root": (lambda s: s["securityContext"].pop("runAsNonRoot"), "Non-root"),
    "uid 0": (lambda s: s["securityContext"].update(runAsUser=0), "Non-root user"),
    "no drop": (lambda s: s["containers"][0]["securityContext"]["capabilities"].pop("drop"), "drop ALL"),
    "nfs": (lambda s: s["volumes"].append({"name": "n", "nfs": {"server": "x", "path": "/"}}), "Volume Types"),
    "init container": (lambda s: s["initContainers"].append({"name": "i", "image": "x:1"}), "initContainers[i]"),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_pss_checker_catches(case: str) -> None:
    spec = _good_spec()
    assert pss_problems(spec) == []
    plant, expected = PLANTED[case]
    broken = copy.deepcopy(spec)
    plant(broken)
    problems = pss_problems(broken)
    assert any(expected in p for p in problems), problems


# ---- hardened: Secrets reach the process as files -------------------------------------------
def test_hardened_secrets_are_files_not_env(hardened: dict[str, list[Manifest]]) -> None:
    for system in ("chart-defaults", "celery-rabbitmq-flower"):
        for where, workload in pods(hardened[system]):
            for c in containers(pod_spec(workload)):
                assert not [e for e in c.get("env", []) if "secretKeyRef" in (e.get("valueFrom") or {})], where
                assert not [e for e in c.get("envFrom", []) if "secretRef" in e], where
    objects = hardened["celery-rabbitmq-flower"]
    postgres = pod_spec(find(objects, "StatefulSet", "dagster-postgresql"))["containers"][0]
    assert {"name": "POSTGRES_PASSWORD_FILE", "value": f"{SECRET_ENV_DIR}/POSTGRES_PASSWORD"} in postgres["env"]
    rabbitmq = find(objects, "Secret", "dagster-rabbitmq")
    assert set(rabbitmq["data"]) == {"rabbitmq-username", "rabbitmq-password", "20-default-user.conf"}
    daemon = pod_spec(find(objects, "Deployment", "dagster-daemon"))["containers"][0]
    assert daemon["command"][:4] == ["/bin/sh", "-c", SECRET_ENV_WRAPPER, SECRET_ENV_DIR]
    assert daemon["livenessProbe"]["exec"]["command"][:4] == daemon["command"][:4]


def test_the_secret_env_wrapper_exports_every_file(tmp_path: Path) -> None:
    """The wrapper, run by a real sh: each file of the directory becomes a variable of the
    exec'd process, values verbatim (spaces, quotes, '$'), and the process keeps its args."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "DAGSTER_PG_PASSWORD").write_text("p@ss w'o\"rd $HOME")
    (secrets / "DAGSTER_CELERY_BROKER_URL").write_text("pyamqp://u:p@h:5672//")
    (secrets / "..data").mkdir()  # what a projected volume also holds: skipped
    script = ("import os, sys; print(os.environ['DAGSTER_PG_PASSWORD']); "
              "print(os.environ['DAGSTER_CELERY_BROKER_URL']); print(sys.argv[1:])")
    argv = ["/bin/sh", "-c", SECRET_ENV_WRAPPER, str(secrets), sys.executable, "-c", script, "a b", "c"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["p@ss w'o\"rd $HOME", "pyamqp://u:p@h:5672//", "['a b', 'c']"]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_hardened_output_is_valid_kubernetes(hardened: dict[str, list[Manifest]], version: str) -> None:
    crds = load_crd_schemas(crd_files_from_cdk8s_yaml(ROOT / "cdk8s.yaml"))  # KEDA's, for autoscaled queues
    problems = [p for objects in hardened.values() for obj in objects for p in schema_problems(obj, version, crds)]
    assert not problems, "\n".join(problems)
