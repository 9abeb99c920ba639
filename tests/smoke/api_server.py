"""The Kubernetes API stand-in: what ``dagster-k8s`` / ``dagster-celery-k8s`` call, served over
HTTPS on loopback, with the Jobs it accepts run by the harness's kubelet.

Found by reading the pinned ``dagster-k8s`` 0.29.27 (``client.py``, ``launcher.py``,
``executor.py``) and ``dagster-celery-k8s`` 0.29.27 (``launcher.py``, ``executor.py``): the run
launchers, run monitoring (``check_run_worker_health``), run termination, the
``celery_k8s_job_executor``'s step Jobs and the ``k8s_job_executor`` call, through the
``kubernetes`` client, exactly these (namespace in the path):

* ``batch/v1`` Jobs: ``POST .../jobs`` (create), ``GET .../jobs?fieldSelector=|labelSelector=``
  (list), ``GET .../jobs/NAME`` and ``.../jobs/NAME/status`` (read), ``DELETE .../jobs/NAME``;
* ``v1`` Pods: ``GET .../pods?labelSelector=job-name=X|fieldSelector=metadata.name=X`` (list),
  ``GET .../pods/NAME``, ``GET .../pods/NAME/log`` (``container``, ``tailLines``),
  ``DELETE .../pods/NAME``;
* ``v1`` Events: ``GET .../events?fieldSelector=involvedObject.name=X``.

Anything else (another path, method, ``watch``, a selector it does not understand, another
namespace) is answered ``501`` with a message naming the method and path, and recorded in
:attr:`KubeApi.unexpected`, so a newer Dagster that needs more shows up clearly.

Authentication as in the cluster: the kubelet projects a bound ServiceAccount token per pod
(:meth:`KubeApi.issue_token`) and the CA of this server's certificate (a throwaway CA made at
start with ``openssl``) into ``/var/run/secrets/kubernetes.io/serviceaccount``; a request
without a token the server issued is ``401``. Every request is recorded with the pod and
ServiceAccount that made it (:attr:`KubeApi.requests`). RBAC is not evaluated.

A created Job gets a pod (``<job>-<hash>``, labels ``job-name`` / ``controller-uid`` plus the
template's), which the kubelet prepares (env, ``envFrom``, volumes, ServiceAccount, image
stand-in) and runs; its status is reported as Kubernetes reports it: a pod that cannot be
created (a missing Secret or ConfigMap) stays ``Pending`` with its container ``Waiting``
(``CreateContainerConfigError``, an event with the kubelet's message) and the Job ``active``;
a running pod is ``Running``, then ``Succeeded``/``Failed`` with the container's exit code, and
the Job ``succeeded``/``failed`` (``backoffLimit`` is not emulated: one pod per Job).
"""

from __future__ import annotations

import datetime
import json
import secrets
import shutil
import ssl
import subprocess
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .manifests import Manifest
from .network import LOOPBACK
from .processes import SmokeError

if TYPE_CHECKING:
    from .kubelet import Node, Pod

__all__ = ["ApiRequest", "KubeApi", "RUN_POD_TIMEOUT"]

#: The longest a launched Job's pod may run before the harness kills it (seconds).
RUN_POD_TIMEOUT = 300.0


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ApiRequest:
    """One request the stand-in answered: who (pod, ServiceAccount), what, and the status."""

    pod: str | None
    service_account: str | None
    method: str
    path: str
    query: dict[str, str]
    status: int
    body: Any = None


@dataclass
class _JobState:
    job: Manifest
    pod: Manifest
    harness_pod: Pod | None = None
    thread: threading.Thread | None = None
    deleted: threading.Event = field(default_factory=threading.Event)
    log_source: Path | None = None


def _make_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 (``openssl``): (ca, cert, key)."""
    if shutil.which("openssl") is None:
        raise SmokeError("the Kubernetes API stand-in needs `openssl` (apt-get install openssl)")
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (directory / n for n in ("ca.key", "ca.crt", "server.key", "server.csr",
                                                          "server.crt"))
    ext = directory / "server.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,"
                   "DNS:kubernetes.default.svc\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    steps = [
        ["openssl", "req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
         "-subj", "/CN=smoke-kubernetes-ca"],
        ["openssl", "req", *ec, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=kube-apiserver"],
        ["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
         "-out", str(cert), "-days", "2", "-extfile", str(ext)],
    ]
    for argv in steps:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise SmokeError(f"`{' '.join(argv)}` failed: {result.stderr[-1000:]}")
    return ca, cert, key


def _status(code: int, reason: str, message: str, details: Manifest | None = None) -> Manifest:
    body: Manifest = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


def _parse_selector(selector: str, where: str, keys: frozenset[str] | None = None) -> list[tuple[str, bool, str]]:
    """Equality-based selectors (``a=b``, ``a==b``, ``a!=b``, comma-separated), as the API server
    reads them: ``(key, equal, value)`` terms. ``keys``: the only keys allowed (field selectors)."""
    terms = []
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, _, value = term.partition("!=")
            equal = False
        elif "=" in term:
            key, _, value = term.replace("==", "=").partition("=")
            equal = True
        else:
            raise _Unsupported(f"{where} {term!r} (only equality selectors are emulated)")
        key, value = key.strip(), value.strip()
        if " " in key or " " in value or (keys is not None and key not in keys):
            raise _Unsupported(f"{where} {term!r}")
        terms.append((key, equal, value))
    return terms


def _matches(terms: list[tuple[str, bool, str]], values: Callable[[str], str | None]) -> bool:
    return all((values(key) == value) == equal for key, equal, value in terms)


class _Unsupported(Exception):
    pass


class KubeApi:
    """The stand-in API server of one smoke system (one namespace)."""

    def __init__(self, *, namespace: str, port: int, workdir: Path) -> None:
        self.namespace = namespace
        self.port = port
        self.ca, self._cert, self._key = _make_tls(workdir / "tls")
        self.ca_pem = self.ca.read_text()
        self.requests: list[ApiRequest] = []
        self.unexpected: list[str] = []
        self.events: list[Manifest] = []
        self._tokens: dict[str, tuple[str, str]] = {}
        self._jobs: dict[str, _JobState] = {}
        self._lock = threading.RLock()
        self._node: Node | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------------------
    def issue_token(self, pod: str, service_account: str) -> str:
        """A bound ServiceAccount token for ``pod`` (what the kubelet projects)."""
        token = f"smoke.{secrets.token_urlsafe(24)}"
        with self._lock:
            self._tokens[token] = (pod, service_account)
        return token

    def start(self, node: Node) -> None:
        self._node = node
        api = self

        class Handler(_Handler):
            server_api = api

        server = ThreadingHTTPServer((LOOPBACK, self.port), Handler)
        server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self._cert), str(self._key))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="smoke-kube-api", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            states = list(self._jobs.values())
        for state in states:
            state.deleted.set()
            if state.harness_pod is not None:
                state.harness_pod.stop()

    # ---- what the tests read ----------------------------------------------------------------
    def jobs(self) -> list[Manifest]:
        with self._lock:
            return [json.loads(json.dumps(s.job)) for s in self._jobs.values()]

    def job(self, name: str) -> Manifest | None:
        with self._lock:
            state = self._jobs.get(name)
            return json.loads(json.dumps(state.job)) if state else None

    def pod_of(self, job_name: str) -> Pod | None:
        with self._lock:
            state = self._jobs.get(job_name)
            return state.harness_pod if state else None

    def made(self, method: str, path_suffix: str) -> list[ApiRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path.endswith(path_suffix)]

    # ---- requests ------------------------------------------------------------------------------
    def identify(self, authorization: str | None) -> tuple[str, str] | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":  # the in-cluster config sends "bearer <token>"
            return None
        with self._lock:
            return self._tokens.get(token.strip())

    def handle(self, method: str, raw_path: str, body: Any) -> tuple[int, Any]:
        """(status, JSON body or text) for one request."""
        parsed = urllib.parse.urlsplit(raw_path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        parts = [p for p in parsed.path.split("/") if p]
        unsupported = _status(501, "NotImplemented",
                              f"smoke Kubernetes API stand-in: {method} {parsed.path} is not emulated")
        if query.get("watch") in ("true", "1"):
            return 501, _status(501, "NotImplemented", f"smoke Kubernetes API stand-in: {method} {raw_path}: "
                                "watch is not emulated")
        if parts[:2] == ["apis", "batch"] and parts[2:3] == ["v1"]:
            group, rest = "batch", parts[3:]
        elif parts[:2] == ["api", "v1"]:
            group, rest = "", parts[2:]
        else:
            return 501, unsupported
        if len(rest) < 3 or rest[0] != "namespaces":
            return 501, unsupported
        namespace, resource, tail = rest[1], rest[2], rest[3:]
        if namespace != self.namespace:
            return 404, _status(404, "NotFound", f'namespaces "{namespace}" not found (the harness runs one '
                                f'namespace, {self.namespace})', {"name": namespace, "kind": "namespaces"})
        try:
            route = (group, resource, method, len(tail), tail[1] if len(tail) > 1 else None)
            if route == ("batch", "jobs", "POST", 0, None):
                return self._create_job(body)
            if route[:4] == ("batch", "jobs", "GET", 0):
                return 200, self._list("JobList", "batch/v1", [s.job for s in self._states()], query)
            if route in (("batch", "jobs", "GET", 1, None), ("batch", "jobs", "GET", 2, "status")):
                return self._read_job(tail[0])
            if route == ("batch", "jobs", "DELETE", 1, None):
                return self._delete_job(tail[0])
            if route[:4] == ("", "pods", "GET", 0):
                return 200, self._list("PodList", "v1", [s.pod for s in self._states()], query)
            if route in (("", "pods", "GET", 1, None), ("", "pods", "GET", 2, "status")):
                return self._read_pod(tail[0])
            if route == ("", "pods", "GET", 2, "log"):
                return self._pod_log(tail[0], query)
            if route == ("", "pods", "DELETE", 1, None):
                return self._delete_pod(tail[0])
            if route[:4] == ("", "events", "GET", 0):
                with self._lock:
                    events = list(self.events)
                return 200, self._list("EventList", "v1", events, query)
        except _Unsupported as exc:
            return 501, _status(501, "NotImplemented", f"smoke Kubernetes API stand-in: {method} {raw_path}: "
                                f"{exc} is not emulated")
        return 501, unsupported

    def record(self, request: ApiRequest) -> None:
        with self._lock:
            self.requests.append(request)
            if request.status == 501:
                self.unexpected.append(f"{request.method} {request.path}"
                                       + (f"?{urllib.parse.urlencode(request.query)}" if request.query else ""))

    # ---- lists and selectors -------------------------------------------------------------------
    def _states(self) -> list[_JobState]:
        with self._lock:
            return list(self._jobs.values())

    _FIELDS = frozenset({"metadata.name", "metadata.namespace", "involvedObject.name", "involvedObject.kind",
                         "status.phase"})

    def _list(self, kind: str, api_version: str, items: list[Manifest], query: dict[str, str]) -> Manifest:
        labels = _parse_selector(query.get("labelSelector", ""), "label selector")
        fields = _parse_selector(query.get("fieldSelector", ""), "field selector", self._FIELDS)

        def field_value(obj: Manifest) -> Callable[[str], str | None]:
            values = {"metadata.name": obj["metadata"].get("name"),
                      "metadata.namespace": obj["metadata"].get("namespace"),
                      "involvedObject.name": (obj.get("involvedObject") or {}).get("name"),
                      "involvedObject.kind": (obj.get("involvedObject") or {}).get("kind"),
                      "status.phase": (obj.get("status") or {}).get("phase")}
            return lambda path: None if values.get(path) is None else str(values[path])

        with self._lock:
            selected = [json.loads(json.dumps(obj)) for obj in items
                        if _matches(labels, (obj["metadata"].get("labels") or {}).get)
                        and _matches(fields, field_value(obj))]
        return {"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": "1"}, "items": selected}

    # ---- Jobs --------------------------------------------------------------------------------
    def _create_job(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not (body.get("metadata") or {}).get("name"):
            return 422, _status(422, "Invalid", "Job.batch is invalid: metadata.name: Required value")
        name = body["metadata"]["name"]
        template = (body.get("spec") or {}).get("template") or {}
        if not (template.get("spec") or {}).get("containers"):
            return 422, _status(422, "Invalid", f'Job.batch "{name}" is invalid: spec.template.spec.containers: '
                                "Required value")
        with self._lock:
            if name in self._jobs:
                return 409, _status(409, "AlreadyExists", f'jobs.batch "{name}" already exists',
                                    {"name": name, "group": "batch", "kind": "jobs"})
            uid = str(uuid.uuid4())
            job: Manifest = json.loads(json.dumps(body))
            job.setdefault("apiVersion", "batch/v1")
            job.setdefault("kind", "Job")
            meta = job["metadata"]
            meta.update({"namespace": self.namespace, "uid": uid, "creationTimestamp": _now(),
                         "resourceVersion": "1"})
            labels = {**((template.get("metadata") or {}).get("labels") or {}),
                      "controller-uid": uid, "batch.kubernetes.io/controller-uid": uid,
                      "job-name": name, "batch.kubernetes.io/job-name": name}
            job["spec"].setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
            job["spec"]["template"].setdefault("metadata", {})["labels"] = labels
            job["status"] = {"startTime": _now(), "active": 1}
            from .kubelet import _pod_name

            pod: Manifest = {
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": _pod_name("Job", name), "namespace": self.namespace, "labels": labels,
                             "uid": str(uuid.uuid4()), "creationTimestamp": _now(),
                             "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": uid,
                                                  "controller": True, "blockOwnerDeletion": True}]},
                "spec": {**json.loads(json.dumps(template["spec"])), "nodeName": "smoke-node"},
                "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}]},
            }
            state = _JobState(job=job, pod=pod)
            self._jobs[name] = state
            state.thread = threading.Thread(target=self._run_job, args=(state,), name=f"job-{name}", daemon=True)
            state.thread.start()
            return 201, json.loads(json.dumps(job))

    def _read_job(self, name: str) -> tuple[int, Any]:
        with self._lock:
            state = self._jobs.get(name)
            if state is None:
                return 404, _status(404, "NotFound", f'jobs.batch "{name}" not found',
                                    {"name": name, "group": "batch", "kind": "jobs"})
            return 200, json.loads(json.dumps(state.job))

    def _delete_job(self, name: str) -> tuple[int, Any]:
        with self._lock:
            state = self._jobs.pop(name, None)
        if state is None:
            return 404, _status(404, "NotFound", f'jobs.batch "{name}" not found',
                                {"name": name, "group": "batch", "kind": "jobs"})
        state.deleted.set()
        if state.harness_pod is not None:
            state.harness_pod.stop()
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                     "details": {"name": name, "group": "batch", "kind": "jobs", "uid": state.job["metadata"]["uid"]}}

    # ---- Pods ----------------------------------------------------------------------------------
    def _state_of_pod(self, name: str) -> _JobState | None:
        with self._lock:
            return next((s for s in self._jobs.values() if s.pod["metadata"]["name"] == name), None)

    def _read_pod(self, name: str) -> tuple[int, Any]:
        state = self._state_of_pod(name)
        if state is None:
            return 404, _status(404, "NotFound", f'pods "{name}" not found', {"name": name, "kind": "pods"})
        with self._lock:
            return 200, json.loads(json.dumps(state.pod))

    def _pod_log(self, name: str, query: dict[str, str]) -> tuple[int, Any]:
        state = self._state_of_pod(name)
        if state is None:
            return 404, _status(404, "NotFound", f'pods "{name}" not found', {"name": name, "kind": "pods"})
        containers = [c["name"] for c in state.pod["spec"]["containers"]]
        container = query.get("container") or (containers[0] if len(containers) == 1 else "")
        if container not in containers:
            return 400, _status(400, "BadRequest", f"a container name must be specified for pod {name}, choose "
                                f"one of: {containers}")
        pod = state.harness_pod
        path = pod.log_path(container) if pod is not None else None
        if path is None or not path.exists() or state.pod["status"]["phase"] == "Pending":
            return 400, _status(400, "BadRequest", f'container "{container}" in pod "{name}" is waiting to start')
        lines = path.read_text(errors="replace").splitlines()
        if lines and lines[0].startswith("$ "):
            lines = lines[1:]  # the harness's own header line: not the container's output
        if query.get("tailLines"):
            lines = lines[-int(query["tailLines"]):]
        return 200, "".join(line + "\n" for line in lines)

    def _delete_pod(self, name: str) -> tuple[int, Any]:
        state = self._state_of_pod(name)
        if state is None:
            return 404, _status(404, "NotFound", f'pods "{name}" not found', {"name": name, "kind": "pods"})
        if state.harness_pod is not None:
            state.harness_pod.stop()
        with self._lock:
            return 200, json.loads(json.dumps(state.pod))

    # ---- the kubelet side --------------------------------------------------------------------
    def _event(self, kind: str, name: str, reason: str, message: str, type_: str = "Normal") -> None:
        with self._lock:
            self.events.append({
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": f"{name}.{uuid.uuid4().hex[:16]}", "namespace": self.namespace},
                "involvedObject": {"kind": kind, "name": name, "namespace": self.namespace},
                "reason": reason, "message": message, "type": type_, "count": 1,
                "firstTimestamp": _now(), "lastTimestamp": _now(), "source": {"component": "smoke-kubelet"},
            })

    def _container_statuses(self, state: _JobState, make: Callable[[str], Manifest], ready: bool = False) -> None:
        with self._lock:
            state.pod["status"]["containerStatuses"] = [
                {"name": c["name"], "image": c["image"], "imageID": f"smoke-stand-in://{c['image']}",
                 "ready": ready, "restartCount": 0, "started": ready, "state": make(c["name"])}
                for c in state.pod["spec"]["containers"]]

    def _run_job(self, state: _JobState) -> None:
        """Create the Job's pod in the kubelet, run it, and report its status back."""
        from .kubelet import PodConfigError

        assert self._node is not None
        job_name = state.job["metadata"]["name"]
        pod_name = state.pod["metadata"]["name"]
        self._event("Job", job_name, "SuccessfulCreate", f"Created pod: {pod_name}")
        try:
            pod = self._node.job_pod(state.job)
        except PodConfigError as exc:
            # In the cluster: the pod exists, its container never starts; the Job stays active.
            message = str(exc)
            self._event("Pod", pod_name, "Failed", f"Error: {message}", "Warning")
            self._container_statuses(state, lambda _: {"waiting": {"reason": "CreateContainerConfigError",
                                                                     "message": message}})
            with self._lock:
                state.pod["status"]["message"] = message
            return
        except Exception as exc:
            self._event("Pod", pod_name, "Failed", f"smoke harness: {exc}", "Warning")
            self._finish(state, 128, f"smoke harness could not create the pod: {exc}")
            return
        state.harness_pod = pod
        if state.deleted.is_set():
            return
        started = _now()
        try:
            pod.start()
        except SmokeError as exc:
            self._finish(state, 1, str(exc), init_failed=True)
            return
        with self._lock:
            state.pod["status"].update({"phase": "Running", "startTime": started, "podIP": LOOPBACK,
                                        "hostIP": LOOPBACK})
        self._container_statuses(state, lambda _: {"running": {"startedAt": started}}, ready=True)
        self._event("Pod", pod_name, "Started", "Started container")
        deadline = time.monotonic() + RUN_POD_TIMEOUT
        codes: dict[str, int] = {}
        for container in pod.containers.values():
            assert container.process is not None
            while container.process.alive() and not state.deleted.is_set() and time.monotonic() < deadline:
                time.sleep(0.2)
            if container.process.alive():
                container.process.stop()
                codes[container.name] = 137
            else:
                codes[container.name] = container.process.returncode or 0
        if state.deleted.is_set():
            return
        code = max(codes.values(), default=0)
        self._finish(state, code, "DeadlineExceeded" if time.monotonic() >= deadline else None, codes=codes,
                     started=started)

    def _finish(self, state: _JobState, code: int, message: str | None, *, codes: dict[str, int] | None = None,
                started: str | None = None, init_failed: bool = False) -> None:
        finished = _now()
        codes = codes or {c["name"]: code for c in state.pod["spec"]["containers"]}
        reason = {c: ("Completed" if v == 0 else "Error") for c, v in codes.items()}
        self._container_statuses(state, lambda name: {"terminated": {
            "exitCode": codes.get(name, code), "reason": reason.get(name, "Error"), "startedAt": started or finished,
            "finishedAt": finished, **({"message": message} if message else {})}})
        with self._lock:
            phase = "Succeeded" if code == 0 else "Failed"
            state.pod["status"]["phase"] = phase
            if init_failed and message:
                state.pod["status"]["message"] = message
            status = state.job["status"]
            status.pop("active", None)
            status["succeeded" if code == 0 else "failed"] = 1
            status["completionTime" if code == 0 else "failedTime"] = finished
            status["conditions"] = [{"type": "Complete" if code == 0 else "Failed", "status": "True",
                                     "lastProbeTime": finished, "lastTransitionTime": finished,
                                     **({} if code == 0 else {
                                         "reason": "BackoffLimitExceeded",
                                         "message": "Job has reached the specified backoff limit"})}]
        self._event("Job", state.job["metadata"]["name"], "Completed" if code == 0 else "BackoffLimitExceeded",
                    "Job completed" if code == 0 else "Job has reached the specified backoff limit",
                    "Normal" if code == 0 else "Warning")


class _Handler(BaseHTTPRequestHandler):
    server_api: KubeApi
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        api = self.server_api
        parsed = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        who = api.identify(self.headers.get("Authorization"))
        body: Any = None
        if who is None:
            status, answer = 401, _status(401, "Unauthorized", "Unauthorized: no ServiceAccount token the smoke "
                                          "kubelet issued")
        else:
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                status, answer = 400, _status(400, "BadRequest", "the request body is not JSON")
            else:
                status, answer = api.handle(method, self.path, body)
        api.record(ApiRequest(pod=who[0] if who else None, service_account=who[1] if who else None, method=method,
                              path=parsed.path, query=query, status=status, body=body))
        data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" if isinstance(answer, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")
