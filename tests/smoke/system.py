"""A whole synthesized system booted on this machine, and the clients the tests check it with."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .api_server import KubeApi
from .images import image_stand_ins
from .kubelet import Container, Node, Pod, PodFailed
from .manifests import Cluster, Manifest
from .network import Endpoint, workload_key
from .processes import STEP_TIMEOUT, Completed, PortAllocator, SmokeError, run

__all__ = ["HttpResponse", "SmokeSystem", "Tools", "http_request"]


@dataclass(frozen=True)
class Tools:
    """What the harness runs: the Dagster venv, PostgreSQL's binaries, the example location."""

    dagster_venv: Path
    pg_bin: Path
    example_repo: Path


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(endpoint: Endpoint, path: str, *, data: bytes | None = None, timeout: float = 10.0,
                 headers: dict[str, str] | None = None) -> HttpResponse:
    """GET (or POST ``data``) ``path`` at ``endpoint``; any status is returned, not raised."""
    request = urllib.request.Request(f"http://{endpoint}{path}", data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpResponse(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return HttpResponse(exc.code, exc.read())


class SmokeSystem:
    """The manifests' workloads as local processes (see :mod:`.kubelet`), under one temp root.

    Creating it already prepares every pod (volumes written, env and commands resolved and
    mapped), so a manifest that cannot work fails here, before anything runs.
    """

    def __init__(self, objects: list[Manifest], *, name: str, tools: Tools) -> None:
        self.name = name
        self.cluster = Cluster(objects)
        self.root = Path(tempfile.mkdtemp(prefix=f"dagster-smoke-{name}-"))
        self.root.chmod(0o711)  # PostgreSQL runs as its own user below this directory
        self.tools = tools
        self.errors: dict[str, SmokeError] = {}
        self.timings: dict[str, float] = {}
        images = image_stand_ins(dagster_venv=tools.dagster_venv, pg_bin=tools.pg_bin, example_repo=tools.example_repo)
        try:
            allocator = PortAllocator()
            self.api = KubeApi(namespace=self.cluster.namespace, port=allocator.allocate(), workdir=self.root / "api")
            self.node = Node(self.cluster, self.root, images, allocator, api=self.api)
            self.api.start(self.node)
            self.pods: dict[str, Pod] = {workload_key(w): self.node.pod(w) for w in self.cluster.workloads()}
        except BaseException:
            self.close()
            raise

    # ---- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop every process group the system started and remove its files."""
        try:
            if hasattr(self, "node"):
                self.node.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> SmokeSystem:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def keys(self, kind: str) -> list[str]:
        return [key for key, pod in self.pods.items() if pod.kind == kind]

    def boot(self, kinds: Iterable[str] = ("StatefulSet", "Job", "Deployment")) -> None:
        """StatefulSets until ready (a failure raises: nothing works without them), then Jobs to
        completion, then Deployments until ready; failures of those are kept per workload and
        raised by :meth:`ready`, so each test reports its own component."""
        for kind in kinds:
            began = time.monotonic()
            self.bring_up(self.keys(kind))
            self.timings[kind] = time.monotonic() - began
            if kind == "StatefulSet":
                for key in self.keys(kind):
                    self.ready(key)

    def bring_up(self, keys: list[str]) -> None:
        """Start the pods of ``keys`` concurrently and wait until each is ready (or completed)."""
        if not keys:
            return
        with ThreadPoolExecutor(max_workers=len(keys)) as pool:
            futures = {key: pool.submit(self._bring_up, self.pods[key]) for key in keys}
        for key, future in futures.items():
            error = future.exception()
            if isinstance(error, SmokeError):
                self.errors[key] = error
            elif error is not None:
                raise error

    @staticmethod
    def _bring_up(pod: Pod) -> None:
        pod.start()
        if pod.kind == "Job":
            pod.wait_completed()
            return
        for container in pod.containers.values():
            for kind in ("startupProbe", "readinessProbe"):
                if container.probe_spec(kind):
                    pod.wait_probe(container, kind)

    def ready(self, key: str) -> Pod:
        """The pod of workload ``key`` (``Deployment/<name>`` ...); raises why it did not come up."""
        if key not in self.pods:
            raise SmokeError(f"{key} is not a workload of the manifests ({', '.join(self.pods)})")
        if key in self.errors:
            raise self.errors[key]
        return self.pods[key]

    # ---- clients -------------------------------------------------------------------------------------
    def endpoint(self, service: str, port: int) -> Endpoint:
        return self.node.services.endpoint(service, port)

    def wait_http(self, endpoint: Endpoint, path: str, *, data: bytes | None = None,
                  headers: dict[str, str] | None = None, timeout: float = STEP_TIMEOUT,
                  until: Any = None) -> HttpResponse:
        """Repeat a request until it answers 200 (and ``until(response)`` holds)."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while True:
            try:
                response = http_request(endpoint, path, data=data, headers=headers)
                if response.status == 200 and (until is None or until(response)):
                    return response
                last = f"HTTP {response.status}: {response.body[:500]!r}"
            except OSError as exc:
                last = str(exc)
            if time.monotonic() > deadline:
                raise SmokeError(f"{path} at {endpoint} did not answer as expected within {timeout:.0f}s: {last}")
            time.sleep(1.0)

    def postgres_from(self, pod: Pod, container: Container) -> dict[str, Any]:
        """The storage connection ``container`` uses: its mounted ``dagster.yaml`` and env."""
        home = container.env["DAGSTER_HOME"]
        config = yaml.safe_load((Path(home) / "dagster.yaml").read_text())
        db = config["run_storage"]["config"]["postgres_db"]
        password = db["password"]
        if isinstance(password, dict):
            password = container.env.get(password["env"], "")
        return {"host": db["hostname"], "port": int(db.get("port", 5432)), "user": db["username"],
                "dbname": db["db_name"], "password": password}

    def psql(self, connection: dict[str, Any], sql: str) -> Completed:
        """Run ``sql`` with ``psql`` (PostgreSQL's client) as a pod with that connection would."""
        env = {"PATH": f"{self.tools.pg_bin}:/usr/bin:/bin", "PGPASSWORD": str(connection["password"]),
               "PGCONNECT_TIMEOUT": "10", "LANG": "C.UTF-8"}
        argv = ["psql", "-h", str(connection["host"]), "-p", str(connection["port"]), "-U", str(connection["user"]),
                "-d", str(connection["dbname"]), "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-c", sql]
        return run(argv, env=env, cwd=self.root, timeout=30)


@contextmanager
def booted(objects: list[Manifest], *, name: str, tools: Tools,
           kinds: Iterable[str] = ("StatefulSet", "Job", "Deployment")) -> Iterator[SmokeSystem]:
    """A booted system, torn down (processes stopped, files removed) however the block ends."""
    system = SmokeSystem(objects, name=name, tools=tools)
    try:
        system.boot(kinds)
        yield system
    finally:
        system.close()


def exec_python(pod: Pod, container: Container, script: str, *args: str, timeout: float = STEP_TIMEOUT) -> Any:
    """Run a Python ``script`` in ``container`` (``kubectl exec ... python -c``); returns its last
    stdout line parsed as JSON."""
    result = pod.exec(container, ["python", "-c", script, *args], timeout=timeout)
    if not result.ok:
        raise PodFailed(f"{pod.key}: exec in container {container.name}: {result.describe()}")
    lines = [line for line in result.output.splitlines() if line.strip()]
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as exc:
        raise SmokeError(f"{pod.key}: exec printed no JSON:\n{result.output[-2000:]}") from exc
