"""The harness's own rules (no processes, no servers): kubelet expansion, the Service map,
re-rooting. Fast, so they run without the ``smoke`` marker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from constructs_lib.naming import Release
from tests.conftest import synth_config, synth_variant

from .api_server import KubeApi
from .filesystem import PodFilesystem, reroot
from .kubelet import expand
from .manifests import Cluster
from .network import LOOPBACK, PodPorts, ServiceMap, UnknownServiceHost
from .processes import PortAllocator

RELEASE = Release()
VALUES = {"VAR": "value", "EMPTY": ""}


@pytest.mark.parametrize(("text", "expected"), [
    ("$(VAR)", "value"),
    ("a-$(VAR)-b", "a-value-b"),
    ("$$(VAR)", "$(VAR)"),
    ("$$$(VAR)", "$value"),
    ("$(UNSET)", "$(UNSET)"),
    ("$(EMPTY)x", "x"),
    ("$(VAR", "$(VAR"),
    ("$VAR", "$VAR"),
    ("x$", "x$"),
    ("$$", "$"),
    ("()", "()"),
])
def test_expand_follows_kubernetes(text: str, expected: str) -> None:
    assert expand(text, VALUES.get) == expected


@pytest.fixture(scope="module")
def redis_map() -> ServiceMap:
    return ServiceMap(Cluster(synth_variant("celery-redis")), PodPorts(PortAllocator()), api_server_port=1)


def test_service_names_resolve_in_every_dns_form(redis_map: ServiceMap) -> None:
    endpoint = redis_map.resolve(RELEASE.redis, 6379, "test")
    assert endpoint.host == LOOPBACK
    for host in (f"{RELEASE.redis}.default", f"{RELEASE.redis}.default.svc.cluster.local",
                 f"{RELEASE.redis}-headless"):
        assert redis_map.resolve(host, 6379, "test") == endpoint
    assert redis_map.resolve(RELEASE.postgresql, 5432, "test") != endpoint


def test_urls_and_commands_are_mapped(redis_map: ServiceMap) -> None:
    redis = redis_map.resolve(RELEASE.redis, 6379, "test")
    pg = redis_map.resolve(RELEASE.postgresql, 5432, "test")
    assert (redis_map.rewrite_value(f"redis://:p%40ss@{RELEASE.redis}:6379/1", "test")
            == f"redis://:p%40ss@{redis}/1")
    assert redis_map.rewrite_value("rpc://", "test") == "rpc://"
    script = f"until pg_isready -h {RELEASE.postgresql} -p 5432 -U dagster; do sleep 2; done"
    assert redis_map.rewrite_command(["sh", "-c", script], "test", {}) == [
        "sh", "-c", f"until pg_isready -h {LOOPBACK} -p {pg.port} -U dagster; do sleep 2; done"]
    assert redis_map.rewrite_command(["server", "-h", "0.0.0.0", "-p", "80"], "test", {80: 1234}) == [
        "server", "-h", LOOPBACK, "-p", "1234"]


def test_unknown_hosts_are_errors(redis_map: ServiceMap) -> None:
    with pytest.raises(UnknownServiceHost, match="names host 'nowhere'"):
        redis_map.rewrite_value("redis://nowhere:6379/0", "test")
    with pytest.raises(UnknownServiceHost, match="connects to host 'nowhere'"):
        redis_map.rewrite_command(["pg_isready", "-h", "nowhere"], "test", {})
    with pytest.raises(UnknownServiceHost, match="names host 'nowhere'"):
        redis_map.rewrite_file(b"load_from:\n- grpc_server: {host: nowhere, port: 3030}\n", "test")


def test_service_links_carry_local_endpoints(redis_map: ServiceMap) -> None:
    env = redis_map.service_link_env()
    pg = redis_map.resolve(RELEASE.postgresql, 5432, "test")
    assert env["DAGSTER_POSTGRESQL_SERVICE_HOST"] == LOOPBACK
    assert env["DAGSTER_POSTGRESQL_SERVICE_PORT"] == str(pg.port)
    assert env["DAGSTER_POSTGRESQL_PORT_5432_TCP"] == f"tcp://{pg}"
    assert "DAGSTER_POSTGRESQL_HEADLESS_SERVICE_HOST" not in env  # headless: no links
    assert env["KUBERNETES_SERVICE_HOST"] == LOOPBACK


def test_reroot_keeps_paths_under_the_root(tmp_path: Path) -> None:
    home = "opt/dagster/dagster_home"
    assert reroot(tmp_path, f"/{home}/dagster.yaml") == tmp_path / home / "dagster.yaml"
    with pytest.raises(ValueError, match="escapes"):
        reroot(tmp_path, "/opt/../../etc/passwd")
    fs = PodFilesystem(tmp_path)
    fs.provide(["/opt/dagster/dagster_home/celery.yaml"], with_parent=True)
    assert fs.reroot_text("x -y /opt/dagster/dagster_home/celery.yaml | grep") == (
        f"x -y {tmp_path}/opt/dagster/dagster_home/celery.yaml | grep")
    assert fs.reroot_text("/bin/sh /opt/dagster/other /opt/dagster/dagster_home") == (
        f"/bin/sh /opt/dagster/other {tmp_path}/{home}")


# ---- the Kubernetes API stand-in (routing only: no server, no pods) ----------------------------
@pytest.fixture(scope="module")
def kube_api(tmp_path_factory: pytest.TempPathFactory) -> KubeApi:
    return KubeApi(namespace="default", port=1, workdir=tmp_path_factory.mktemp("api"))


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/apis/apps/v1/namespaces/default/deployments"),
    ("PATCH", "/apis/batch/v1/namespaces/default/jobs/x"),
    ("GET", "/api/v1/namespaces/default/secrets/x"),
    ("GET", "/api/v1/pods"),
    ("GET", "/apis/batch/v1/namespaces/default/jobs?watch=true"),
    ("GET", "/api/v1/namespaces/default/pods?labelSelector=job-name+in+(a,b)"),
    ("GET", "/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dn"),
])
def test_api_answers_what_it_does_not_emulate_with_the_method_and_path(kube_api: KubeApi, method: str,
                                                                     path: str) -> None:
    status, body = kube_api.handle(method, path, None)
    assert status == 501, body
    assert body["kind"] == "Status" and f"{method} {path.split('?')[0]}" in body["message"], body


def test_api_lists_by_selector_and_reports_missing_objects(kube_api: KubeApi) -> None:
    assert kube_api.handle("GET", "/api/v1/namespaces/default/pods?labelSelector=job-name%3Dx", None) == (
        200, {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": []})
    status, body = kube_api.handle("GET", "/apis/batch/v1/namespaces/default/jobs/nope/status", None)
    assert (status, body["reason"]) == (404, "NotFound")  # dagster-k8s reads a 404 as "no such Job"
    status, body = kube_api.handle("GET", "/apis/batch/v1/namespaces/other/jobs", None)
    assert status == 404 and "one namespace" in body["message"]
    assert kube_api.identify("bearer not-issued") is None
    token = kube_api.issue_token("pod-a", "sa")
    assert kube_api.identify(f"bearer {token}") == kube_api.identify(f"Bearer {token}") == ("pod-a", "sa")


def test_a_pod_user_runs_as_its_ids_with_fs_group_and_reads_only() -> None:
    from .processes import _wrap

    if os.geteuid() != 0:
        pytest.skip("only root changes users: the harness runs everything as itself")
    wrapped = _wrap(["dagster", "x"], None, "10001:10001:10001,5", [])
    assert wrapped == ["setpriv", "--reuid=10001", "--regid=10001", "--groups", "10001,5",
                       "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search", "--", "dagster", "x"]
    assert _wrap(["postgres"], None, "postgres", [])[:5] == ["setpriv", "--reuid=postgres", "--regid=postgres",
                                                             "--init-groups", "--"]


def test_celery_redis_boots_with_the_users_broker_secrets() -> None:
    """The celery-redis boot takes the broker password from the user's Secrets only: the library
    renders no Redis or Celery Secret, the Redis server and every Celery pod read the user's, and
    with the user's objects every Secret and key a pod (or a launched run) reads exists."""
    from constructs_lib.testing.crossref import Externals, check_object_references

    from .runs import CELERY_URLS_SECRET, EXISTING_SECRET_VARIANT, REDIS_AUTH, smoke_config, user_objects

    config = smoke_config(EXISTING_SECRET_VARIANT)
    objects = synth_config(config)
    secrets = {o["metadata"]["name"] for o in objects if o["kind"] == "Secret"}
    assert secrets.isdisjoint({config.release.redis_secret, config.release.celery_config_secret}), secrets
    redis = next(o for o in objects if o["kind"] == "StatefulSet" and o["metadata"]["name"] == config.release.redis)
    env = redis["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": REDIS_AUTH.name,
                                                                       "key": REDIS_AUTH.key}}} in env
    workers = [o for o in objects if o["kind"] == "Deployment" and "celery-workers" in o["metadata"]["name"]]
    assert workers
    for worker in workers:
        assert {"secretRef": {"name": CELERY_URLS_SECRET}} in worker["spec"]["template"]["spec"]["containers"][0][
            "envFrom"]
    assert check_object_references([*objects, *user_objects(config)], Externals()) == []
