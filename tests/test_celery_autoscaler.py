"""Issue #13: KEDA scales Celery queues' workers with the queues' length.

The RabbitMQ case is the ``celery-autoscaling`` variant (snapshot in test_variants, schema
checks in test_validate_kubernetes); the Redis case is snapshotted here. Both are checked
against KEDA's CRD schemas (from ../shared/crds), and cross-checked: the trigger reads the
worker's queue on the broker's Service, the credentials come from a Secret key that exists,
and no credential appears in a ScaledObject.
"""

from __future__ import annotations

import base64
import copy
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    BrokerConnection,
    CeleryQueue,
    CeleryWorkersSettings,
    ConfigError,
    DagsterSystemConfig,
    QueueAutoscaling,
    RedisSettings,
    SecretKeyRef,
    build_variant,
)
from constructs_lib.helm import from_helm_values, load_values
from constructs_lib.testing.k8s_schema import KUBERNETES_VERSIONS, CrdSchemas, load_crd_schemas, schema_problems

from .conftest import ROOT, TEST_PASSWORDS, Manifest, copy_packaged_sources, find, synth_config
from .validation.variants import variant_objects

SHARED_CRDS = ROOT.parent / "shared" / "crds"
KEDA_KINDS = ("ScaledObject", "TriggerAuthentication")


@pytest.fixture(scope="module")
def keda_crds() -> CrdSchemas:
    return load_crd_schemas(sorted(SHARED_CRDS.glob("keda.sh_*.yaml")))


def redis_autoscaling_config(namespace: str | None = "dagster") -> DagsterSystemConfig:
    """The celery-redis variant with KEDA on one of its two queues."""
    config = build_variant("celery-redis", TEST_PASSWORDS)
    queues = [CeleryQueue(name="dagster", autoscaling=QueueAutoscaling(max_replicas=8, target_queue_length=3)),
              CeleryQueue(name="high-priority", replicas=1)]
    return replace(config, namespace=namespace, celery_workers=CeleryWorkersSettings(queues=queues))


@pytest.fixture(scope="module")
def redis_objects() -> list[Manifest]:
    return synth_config(redis_autoscaling_config())


@pytest.fixture(scope="module")
def rabbitmq_objects() -> list[Manifest]:
    return variant_objects("celery-autoscaling")


def of_kind(objects: list[Manifest], kind: str) -> list[Manifest]:
    return [o for o in objects if o["kind"] == kind]


def _secret_keys(objects: list[Manifest]) -> dict[str, dict[str, str]]:
    return {s["metadata"]["name"]: {k: base64.b64decode(v).decode() for k, v in (s.get("data") or {}).items()}
            for s in of_kind(objects, "Secret")}


def keda_problems(objects: list[Manifest]) -> list[str]:
    """What makes the KEDA objects of one output wrong: a target that is no Celery worker
    Deployment of the trigger's queue, a broker host that is not the broker Service's full name
    and port, an authentication or Secret key that does not exist, a replica count in the
    Deployment KEDA owns, a credential in a ScaledObject."""
    problems: list[str] = []
    secrets = _secret_keys(objects)
    auths = {a["metadata"]["name"]: a for a in of_kind(objects, "TriggerAuthentication")}
    services = {s["metadata"]["name"]: s for s in of_kind(objects, "Service")}
    # Secret values but user names (a user name such as ``dagster`` is part of many object names).
    credentials = [v for keys in secrets.values() for k, v in keys.items() if "username" not in k]
    for so in of_kind(objects, "ScaledObject"):
        name, spec = so["metadata"]["name"], so["spec"]
        namespace = so["metadata"].get("namespace")
        target = spec["scaleTargetRef"]
        deployments = [d for d in of_kind(objects, "Deployment") if d["metadata"]["name"] == target["name"]]
        if target.get("kind", "Deployment") != "Deployment" or len(deployments) != 1:
            problems.append(f"ScaledObject/{name}: target {target} is not a Deployment of this output")
            continue
        deployment = deployments[0]
        if "replicas" in deployment["spec"]:
            problems.append(f"ScaledObject/{name}: Deployment/{target['name']} sets replicas, which KEDA owns")
        args = deployment["spec"]["template"]["spec"]["containers"][0].get("args") or []
        worker_queue = args[args.index("-q") + 1] if "-q" in args else None
        for trigger in spec["triggers"]:
            meta = trigger["metadata"]
            queue = meta.get("queueName") or meta.get("listName")
            if queue != worker_queue:
                problems.append(f"ScaledObject/{name}: trigger reads queue {queue!r}, the workers consume "
                                f"{worker_queue!r}")
            host_port = meta.get("address") or meta.get("host", "").split("://", 1)[-1].split("/", 1)[0]
            if "@" in host_port:
                problems.append(f"ScaledObject/{name}: the broker host carries credentials")
            host, _, port = host_port.rpartition(":")
            service_name, _, rest = host.partition(".")
            service = services.get(service_name)
            ports = [p["port"] for p in (service or {}).get("spec", {}).get("ports", [])]
            if service is None or rest != f"{namespace}.svc" or int(port) not in ports:
                problems.append(f"ScaledObject/{name}: broker {host_port!r} is not a Service of this output by its "
                                f"full name <service>.{namespace}.svc and port")
            auth_name = (trigger.get("authenticationRef") or {}).get("name")
            if auth_name is not None and auth_name not in auths:
                problems.append(f"ScaledObject/{name}: TriggerAuthentication/{auth_name} does not exist")
        text = yaml.safe_dump(so)
        problems += [f"ScaledObject/{name}: contains a credential" for value in credentials if value in text]
    for auth_name, auth in auths.items():
        for ref in auth["spec"].get("secretTargetRef") or []:
            if ref["key"] not in secrets.get(ref["name"], {}):
                problems.append(f"TriggerAuthentication/{auth_name}: Secret {ref['name']} has no key {ref['key']!r}")
    return problems


# ---- the Redis case: snapshot, schemas, references -----------------------------------------------
def test_redis_keda_objects_snapshot(redis_objects: list[Manifest], dagster_snapshot: SnapshotAssertion) -> None:
    """The KEDA objects and the worker Deployments (the autoscaled one without replicas)."""
    workers = [o for o in of_kind(redis_objects, "Deployment") if o["metadata"]["name"].startswith("dagster-celery")]
    assert [o for o in redis_objects if o["kind"] in KEDA_KINDS] + workers == dagster_snapshot


@pytest.mark.parametrize("broker", ["rabbitmq", "redis"])
def test_keda_objects_validate_strictly_against_the_crds(
        broker: str, keda_crds: CrdSchemas, rabbitmq_objects: list[Manifest], redis_objects: list[Manifest]) -> None:
    objects = rabbitmq_objects if broker == "rabbitmq" else redis_objects
    keda = [o for o in objects if o["kind"] in KEDA_KINDS]
    assert sorted({o["kind"] for o in keda}) == list(KEDA_KINDS)
    for version in KUBERNETES_VERSIONS:
        assert [p for o in keda for p in schema_problems(o, version, keda_crds)] == []
    typo = copy.deepcopy(next(o for o in keda if o["kind"] == "ScaledObject"))
    typo["spec"]["minReplicas"] = typo["spec"].pop("minReplicaCount")
    assert schema_problems(typo, "1.37.0", keda_crds) == [
        f"ScaledObject/{typo['metadata']['name']} (Kubernetes 1.37.0): spec: Additional properties are not allowed "
        "('minReplicas' was unexpected)"]


def test_rabbitmq_trigger_reads_the_queue_on_the_broker_service(rabbitmq_objects: list[Manifest]) -> None:
    assert keda_problems(rabbitmq_objects) == []
    so = find(rabbitmq_objects, "ScaledObject", "dagster-celery-workers-backfills")
    assert so["spec"] | {"triggers": None} == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "dagster-celery-workers-backfills"},
        "minReplicaCount": 0, "maxReplicaCount": 20, "pollingInterval": 15, "cooldownPeriod": 600, "triggers": None}
    assert so["spec"]["triggers"] == [{"type": "rabbitmq", "authenticationRef": {"name": "dagster-celery-broker"},
                                       "metadata": {"protocol": "amqp",
                                                    "host": "amqp://dagster-rabbitmq.dagster.svc:5672//",
                                                    "queueName": "backfills", "mode": "QueueLength", "value": "10",
                                                    "activationValue": "2"}}]
    auth = find(rabbitmq_objects, "TriggerAuthentication", "dagster-celery-broker")
    assert auth["spec"] == {"secretTargetRef": [
        {"parameter": "username", "name": "dagster-rabbitmq", "key": "rabbitmq-username"},
        {"parameter": "password", "name": "dagster-rabbitmq", "key": "rabbitmq-password"}]}
    # The server reads the same user from the same Secret.
    server_env = find(rabbitmq_objects, "StatefulSet", "dagster-rabbitmq")["spec"]["template"]["spec"][
        "containers"][0]["env"]
    assert {e["name"]: e["valueFrom"]["secretKeyRef"] for e in server_env} == {
        "RABBITMQ_DEFAULT_USER": {"name": "dagster-rabbitmq", "key": "rabbitmq-username"},
        "RABBITMQ_DEFAULT_PASS": {"name": "dagster-rabbitmq", "key": "rabbitmq-password"}}


def test_redis_trigger_reads_the_list_of_the_queue(redis_objects: list[Manifest]) -> None:
    assert keda_problems(redis_objects) == []
    so = find(redis_objects, "ScaledObject", "dagster-celery-workers-dagster")
    assert so["spec"]["triggers"][0]["metadata"] == {
        "address": "dagster-redis-master.dagster.svc:6379", "databaseIndex": "0", "listName": "dagster",
        "listLength": "3", "activationListLength": "0"}
    assert find(redis_objects, "TriggerAuthentication", "dagster-celery-broker")["spec"] == {
        "secretTargetRef": [{"parameter": "password", "name": "dagster-redis", "key": "redis-password"}]}
    # Only the autoscaled queue leaves its replicas to KEDA.
    assert find(redis_objects, "Deployment", "dagster-celery-workers-high-priority")["spec"]["replicas"] == 1
    assert [o["metadata"]["name"] for o in of_kind(redis_objects, "ScaledObject")] == [
        "dagster-celery-workers-dagster"]


def _break(objects: list[Manifest], kind: str, edit: Any) -> list[Manifest]:
    broken = copy.deepcopy(objects)
    edit(next(o for o in broken if o["kind"] == kind))
    return broken


@pytest.mark.parametrize(("kind", "edit", "problem"), [
    ("ScaledObject", lambda o: o["spec"]["triggers"][0]["metadata"].update(queueName="dagsterr"),
     "trigger reads queue 'dagsterr', the workers consume 'dagster'"),
    ("ScaledObject", lambda o: o["spec"]["triggers"][0]["metadata"].update(host="amqp://dagster-rabbitmq:5672//"),
     "is not a Service of this output by its full name"),
    ("ScaledObject", lambda o: o["spec"]["triggers"][0]["metadata"].update(
        host=f"amqp://dagster:{TEST_PASSWORDS.rabbitmq}@dagster-rabbitmq.dagster.svc:5672//"),
     "the broker host carries credentials"),
    ("ScaledObject", lambda o: o["spec"]["scaleTargetRef"].update(name="dagster-daemon-typo"),
     "is not a Deployment of this output"),
    ("TriggerAuthentication", lambda o: o["spec"]["secretTargetRef"][1].update(key="password"),
     "Secret dagster-rabbitmq has no key 'password'"),
    ("Deployment", lambda o: o["spec"].update(replicas=2), "sets replicas, which KEDA owns"),
])
def test_the_keda_checks_catch_planted_defects(rabbitmq_objects: list[Manifest], kind: str, edit: Any,
                                               problem: str) -> None:
    objects = copy.deepcopy(rabbitmq_objects)
    if kind == "Deployment":
        edit(find(objects, "Deployment", "dagster-celery-workers-dagster"))
    else:
        edit(next(o for o in objects if o["kind"] == kind))
    assert any(problem in p for p in keda_problems(objects)), keda_problems(objects)


# ---- brokers outside the output, and bad input --------------------------------------------------
def test_an_external_broker_needs_its_credentials_in_a_secret() -> None:
    url = "redis://:s3cr3t@redis.cache.svc.cluster.local:6380/2"
    queues = [CeleryQueue(name="dagster", autoscaling=QueueAutoscaling())]
    base = replace(build_variant("external", TEST_PASSWORDS), namespace=None,
                   celery_workers=CeleryWorkersSettings(queues=queues))
    with pytest.raises(ConfigError, match=r"CeleryAutoscaler.broker.password_secret: .*KEDA reads broker credentials "
                                          r"only from a Secret"):
        synth_config(replace(base, broker=BrokerConnection(broker_url=url, backend_url=url)))
    secret = SecretKeyRef(name="redis-credentials", key="password")
    objects = synth_config(replace(base, broker=BrokerConnection(broker_url=url, backend_url=url,
                                                                 password_secret=secret)))
    # A host with a domain is used as given: no namespace needed.
    assert find(objects, "ScaledObject", "dagster-celery-workers-dagster")["spec"]["triggers"][0]["metadata"] == {
        "address": "redis.cache.svc.cluster.local:6380", "databaseIndex": "2", "listName": "dagster",
        "listLength": "5", "activationListLength": "0"}
    assert "s3cr3t" not in yaml.safe_dump_all(of_kind(objects, "ScaledObject"))
    # An external Redis given as settings gets its password Secret, which KEDA reads.
    objects = synth_config(replace(base, broker=RedisSettings(bundled=False, host="redis.cache.svc", password="pw")))
    auth = find(objects, "TriggerAuthentication", "dagster-celery-broker")
    assert auth["spec"]["secretTargetRef"] == [{"parameter": "password", "name": "dagster-redis",
                                                "key": "redis-password"}]
    assert _secret_keys(objects)["dagster-redis"] == {"redis-password": "pw"}


@pytest.mark.parametrize(("change", "message"), [
    ({"namespace": None}, r"CeleryAutoscaler.broker.host: invalid value 'dagster-rabbitmq'; expected a namespace "
                          r"for the system .*full name 'dagster-rabbitmq.<namespace>.svc'"),
    ({"broker": None, "celery_config_secret_name": "my-celery"},
     r"CeleryQueue\(dagster\).autoscaling: .*expected None, or a broker connection"),
    ({"broker": BrokerConnection(broker_url="sqs://", backend_url="rpc://")},
     r"expected a RabbitMQ \(pyamqp://, amqp://, amqps://\) or Redis"),
])
def test_autoscaling_errors_name_what_to_set(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        synth_config(replace(build_variant("celery-autoscaling", TEST_PASSWORDS), **change))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"min_replicas": -1}, r"QueueAutoscaling.min_replicas: invalid value -1"),
    ({"min_replicas": 5, "max_replicas": 2}, r"QueueAutoscaling.max_replicas: invalid value 2; expected at least "
                                             r"min_replicas \(5\)"),
    ({"target_queue_length": 0}, r"QueueAutoscaling.target_queue_length: invalid value 0"),
    ({"polling_interval": "30"}, r"QueueAutoscaling.polling_interval: invalid value '30'"),
])
def test_bad_autoscaling_settings(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        QueueAutoscaling(**kwargs)


# ---- Helm values: the extension key -------------------------------------------------------------
QUEUES = "runLauncher.config.celeryK8sRunLauncher.workerQueues"


def helm(*sets: str, namespace: str | None = "dagster") -> DagsterSystemConfig:
    base = ["runLauncher.type=CeleryK8sRunLauncher", "rabbitmq.enabled=true", "postgresql.postgresqlPassword=pg",
            "rabbitmq.rabbitmq.password=mq", f"{QUEUES}[0].name=dagster"]
    return from_helm_values(load_values(sets=[*base, *sets]), namespace=namespace)


def test_helm_autoscaling_key() -> None:
    queue = helm(f"{QUEUES}[0].autoscaling.maxReplicaCount=4", f"{QUEUES}[0].autoscaling.queueLength=2"
                 ).celery_workers.queues[0]
    assert queue.autoscaling == QueueAutoscaling(max_replicas=4, target_queue_length=2)
    assert helm(f"{QUEUES}[0].autoscaling.enabled=false").celery_workers.queues[0].autoscaling is None


@pytest.mark.parametrize(("sets", "namespace", "message"), [
    ([f"{QUEUES}[0].autoscaling.minReplicaCount=3", f"{QUEUES}[0].autoscaling.maxReplicaCount=2"], "dagster",
     rf"{QUEUES}\[0\].autoscaling.maxReplicaCount: invalid value 2; expected at least min_replicas \(3\)"),
    ([f"{QUEUES}[0].autoscaling.queueLenght=2"], "dagster", rf"did you mean '{QUEUES}\[0\].autoscaling.queueLength'"),
    ([f"{QUEUES}[0].autoscaling.enabled=true"], None, r"--namespace: .*KEDA's operator runs in its own namespace"),
    (["runLauncher.type=K8sRunLauncher", "rabbitmq.enabled=false", f"{QUEUES}[0].autoscaling.enabled=true"],
     "dagster", rf"{QUEUES}\[0\].autoscaling: .*runLauncher.type is K8sRunLauncher, which runs no Celery workers"),
])
def test_helm_autoscaling_errors(sets: list[str], namespace: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        helm(*sets, namespace=namespace)


# ---- packaging: the generated bindings ship inside the library -----------------------------------
def test_a_built_wheel_contains_and_imports_the_keda_bindings(tmp_path: Path) -> None:
    """Built from a copy of the packaged sources, installed alone into a fresh venv that
    borrows the dependencies; imported and used outside the repository (about 5 s)."""
    source = copy_packaged_sources(tmp_path / "src")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("dagster_cdk8s-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith("imports/")]
    for module in ("keda_scaledobjects", "keda_triggerauthentications"):
        assert f"constructs_lib/_imports/{module}/__init__.py" in names
        assert any(n.startswith(f"constructs_lib/_imports/{module}/_jsii/") and n.endswith(".jsii.tgz") for n in names)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = next(venv.glob("lib/python3*/site-packages"))
    zipfile.ZipFile(wheel).extractall(site)
    deps = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    (site / "deps.pth").write_text(f"{deps}\n")  # a plain path: the editable install there stays inactive
    program = (
        "import cdk8s, constructs_lib\n"
        f"assert constructs_lib.__file__.startswith({str(site)!r}), constructs_lib.__file__\n"
        "from constructs_lib import DagsterChart, Passwords, build_variant\n"
        "app = cdk8s.App()\n"
        "chart = DagsterChart(app, 'd', config=build_variant('celery-autoscaling', Passwords(postgresql='a', "
        "rabbitmq='b', redis='c')))\n"
        "print(sorted({o['kind'] for o in chart.to_json() if o['apiVersion'].startswith('keda.sh/')}))\n"
    )
    result = subprocess.run([str(venv / "bin" / "python"), "-c", program], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['ScaledObject', 'TriggerAuthentication']"


def test_the_bindings_are_generated_from_the_crds_cdk8s_yaml_imports() -> None:
    """``cdk8s.yaml`` imports ../shared/crds; the committed bindings carry their schemas."""
    config = yaml.safe_load((ROOT / "cdk8s.yaml").read_text())
    assert config["imports"] == [f"keda_{plural}:=../shared/crds/keda.sh_{plural}.yaml"
                                 for plural in ("scaledobjects", "triggerauthentications")]
    generated = (ROOT / "imports/keda_scaledobjects/sh/keda/__init__.py").read_text()
    assert "class ScaledObjectSpecTriggersAuthenticationRef" in generated
    assert "\nimports: " in (ROOT / "Makefile").read_text()  # `make imports` regenerates them
