"""``check``: the cross-reference checks and strict schema validation over a chart's objects;
``check_dagster``: Dagster's own config checks over the config files the chart carries."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cdk8s

from constructs_lib import DagsterSystemConfig, ExternalPostgreSql

from . import dagster_check
from .crossref import (
    Externals,
    check_ingress_backends,
    check_launcher_rbac,
    check_mounted_config_env,
    check_network_endpoints,
    check_object_references,
    check_service_selectors,
    check_workload_selectors,
    declared_externals,
)
from .findings import Finding
from .manifests import Manifest, embedded_yaml_files, ref
from .synth import Synthesizable, synth

if TYPE_CHECKING:
    from .k8s_schema import CrdSchemas

__all__ = [
    "CHECKS",
    "DAGSTER_FILE_KINDS",
    "DAGSTER_PYTHON_ENV",
    "KUBERNETES_VERSIONS",
    "DagsterCheckError",
    "DagsterNotAvailable",
    "check",
    "check_dagster",
    "externals_of",
    "merge_externals",
    "run_dagster_checker",
]

#: The oldest Kubernetes the library targets (its bindings are cdk8s-plus-25) and the newest
#: the pinned kubernetes-validate knows (:data:`.k8s_schema.KUBERNETES_VERSIONS`).
KUBERNETES_VERSIONS = ("1.25.0", "1.37.0")

#: Names of the checks :func:`check` runs (``skip`` takes these).
CHECKS = (
    "workload selectors",
    "service selectors and ports",
    "ingress backends",
    "object references",
    "env of mounted config",
    "network endpoints",
    "launcher RBAC",
    "kubernetes schema",
    "names and labels",
)

#: ConfigMap key -> the kind of Dagster config file :mod:`.dagster_check` loads it as.
DAGSTER_FILE_KINDS = {"dagster.yaml": "instance", "workspace.yaml": "workspace", "celery.yaml": "celery"}
#: Environment variable naming a Python with Dagster to run :func:`check_dagster` in.
DAGSTER_PYTHON_ENV = "DAGSTER_CDK8S_PYTHON"


# ---- what the chart's configuration declares external -----------------------------------------
def externals_of(target: Synthesizable) -> Externals:
    """What the configurations of the Dagster systems in ``target`` (a chart, an app or charts:
    every construct in them with a ``config`` that is a :class:`DagsterSystemConfig`) declare to
    exist outside the output: existing Secrets, external databases, brokers and code servers...;
    and an :class:`ExternalPostgreSql` used on its own: its host and its password Secret."""
    roots = [target] if isinstance(target, (cdk8s.Chart, cdk8s.App)) else \
        [item for item in target if isinstance(item, cdk8s.Chart)]
    found = Externals()
    for root in roots:
        for construct in root.node.find_all():
            config = getattr(construct, "config", None)
            if isinstance(config, DagsterSystemConfig):
                found = merge_externals(found, declared_externals(config))
            if isinstance(construct, ExternalPostgreSql):  # used on its own, outside a DagsterChart
                db, secret = construct.connection, construct.connection.password_secret
                found = merge_externals(found, Externals(hosts=frozenset({(db.host, db.port)}),
                                                         secrets=frozenset({secret.name}),
                                                         secret_keys=frozenset({(secret.name, secret.key)})))
    return found


def merge_externals(a: Externals, b: Externals) -> Externals:
    """Everything ``a`` or ``b`` declares external."""
    return Externals(**{f.name: getattr(a, f.name) | getattr(b, f.name) for f in fields(Externals)})


# ---- check ------------------------------------------------------------------------------------
def check(target: Synthesizable, *, kubernetes_versions: Sequence[str] = KUBERNETES_VERSIONS,
          externals: Externals | None = None, crds: Iterable[Path | str] | CrdSchemas = (),
          skip: Collection[str] = ()) -> list[Finding]:
    """Every problem in the objects of ``target`` (a chart, an app or synthesized objects), each
    a :class:`Finding` naming the object, the field and the value; empty when all is well.

    - Cross references (:mod:`.crossref`): workload and Service selectors, Service target ports,
      Ingress backends, every ConfigMap/Secret/ServiceAccount/PVC a pod names (and the keys it
      reads), env vars the mounted ``dagster.yaml``/``celery.yaml`` read, hosts and ports of the
      database, broker and code servers, and the run launcher's RBAC (when the output carries a
      ``dagster.yaml``). What the chart's :class:`DagsterSystemConfig` declares external
      (:func:`externals_of`) is known to exist; add your own with ``externals``.
    - Strict schema validation (:mod:`.k8s_schema`) for each of ``kubernetes_versions``
      (unknown fields are errors), custom resources against their CRDs (``crds``: CRD files or
      :func:`~.k8s_schema.load_crd_schemas`' result), names and labels as the API server checks.

    ``skip``: names from :data:`CHECKS` not to run.
    """
    from .k8s_schema import load_crd_schemas, name_problems, schema_problems  # needs the [testing] extra

    unknown = sorted(set(skip) - set(CHECKS))
    if unknown:
        raise ValueError(f"skip: unknown checks {unknown}; the checks are {list(CHECKS)}")
    if not isinstance(target, (cdk8s.Chart, cdk8s.App)):
        target = list[Any](target)  # read twice below
    objects = synth(target)
    declared = merge_externals(externals_of(target), externals or Externals())
    crd_schemas: CrdSchemas = crds if isinstance(crds, dict) else load_crd_schemas(Path(p) for p in crds)
    has_instance = bool(embedded_yaml_files(objects, "dagster.yaml"))
    runs: dict[str, Callable[[], list[Finding]]] = {
        "workload selectors": lambda: check_workload_selectors(objects),
        "service selectors and ports": lambda: check_service_selectors(objects),
        "ingress backends": lambda: check_ingress_backends(objects),
        "object references": lambda: check_object_references(objects, declared),
        "env of mounted config": lambda: check_mounted_config_env(objects, declared),
        "network endpoints": lambda: check_network_endpoints(objects, declared),
        "launcher RBAC": lambda: check_launcher_rbac(objects) if has_instance else [],
        "kubernetes schema": lambda: [finding for version in kubernetes_versions for obj in objects
                                      for finding in schema_problems(obj, version, crd_schemas)],
        "names and labels": lambda: [finding for obj in objects for finding in name_problems(obj)],
    }
    return [finding.of_check(name) for name, run in runs.items() if name not in skip for finding in run()]


# ---- check_dagster ------------------------------------------------------------------------------
class DagsterNotAvailable(Exception):
    """Dagster is neither importable here nor configured (``python=``, :data:`DAGSTER_PYTHON_ENV`)."""


class DagsterCheckError(Exception):
    """The Dagster checker did not produce a report (its Python failed)."""


def _dagster_python(python: Path | str | None) -> Path | None:
    """The Python to run the checker in, ``None`` for this process; raises when there is neither."""
    configured = python or os.environ.get(DAGSTER_PYTHON_ENV)
    if configured:
        path = Path(configured)
        if not path.exists():
            raise FileNotFoundError(f"{path}: the Python configured to run Dagster's config checks does not exist")
        return path
    if importlib.util.find_spec("dagster") is None:
        raise DagsterNotAvailable(
            "Dagster is not installed in this environment, so Dagster's own config checks did not run. Install "
            "the Dagster you deploy (pip install dagster dagster-k8s dagster-celery-k8s dagster-postgres), or "
            f"point to a Python that has it: `dagster_python = <path>` in your pytest ini, or {DAGSTER_PYTHON_ENV}")
    return None


def run_dagster_checker(files: Sequence[tuple[str, Path]], workdir: Path,
                        python: Path | str | None = None) -> dict[str, Any]:
    """Run :mod:`.dagster_check` on ``files`` (``(kind, path)``, kinds of
    :data:`DAGSTER_FILE_KINDS`): in ``python`` (one isolated process: ``-I``, only ``PATH``,
    ``HOME`` and ``DAGSTER_HOME`` in its environment), else in this process if Dagster is
    importable. Returns the checker's JSON report ``{"versions", "results"}``."""
    interpreter = _dagster_python(python)
    if interpreter is None:
        with contextlib.redirect_stdout(sys.stderr):  # Dagster may print while loading
            results = [dagster_check.CHECKS[kind](str(path)) for kind, path in files]
        return {"versions": dagster_check.versions(), "results": [r.__dict__ for r in results]}
    (workdir / "dagster_home").mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir), "LANG": "C.UTF-8",
           "DAGSTER_HOME": str(workdir / "dagster_home")}
    args = [arg for kind, path in files for arg in (f"--{kind}", str(path))]
    process = subprocess.run([str(interpreter), "-I", dagster_check.__file__, "--json", *args], capture_output=True,
                             text=True, env=env, cwd=workdir, timeout=600, check=False)
    try:
        report: dict[str, Any] = json.loads(process.stdout)
    except json.JSONDecodeError:
        raise DagsterCheckError(f"{Path(dagster_check.__file__).name} exited {process.returncode} under "
                                f"{interpreter} without a report:\n{process.stderr[-3000:]}") from None
    return report


def check_dagster(target: Synthesizable, *, python: Path | str | None = None) -> list[Finding]:
    """Dagster's own validators over the Dagster config files in ``target``'s ConfigMaps
    (``dagster.yaml``, ``workspace.yaml``, ``celery.yaml``), each loaded the way the deployed
    process loads it (:mod:`.dagster_check`). Runs in ``python`` (or the one
    :data:`DAGSTER_PYTHON_ENV` names), else in this process; raises :class:`DagsterNotAvailable`
    when Dagster is in neither."""
    objects: list[Manifest] = synth(target)
    files = [file for file in embedded_yaml_files(objects) if file.key in DAGSTER_FILE_KINDS]
    if not files:
        return []
    findings = []
    with tempfile.TemporaryDirectory(prefix="dagster-cdk8s-check-") as tmp:
        paths = []
        for number, file in enumerate(files):
            path = Path(tmp, "files", str(number), file.key)
            path.parent.mkdir(parents=True)
            path.write_text(file.text)
            paths.append((DAGSTER_FILE_KINDS[file.key], path))
        report = run_dagster_checker(paths, Path(tmp), python)
        results = {r["path"]: r for r in report["results"]}
        for file, (_, path) in zip(files, paths, strict=True):
            findings += [Finding(f"{file.where}: {error}", object=ref(file.config_map), field=f"data[{file.key}]",
                                 value=error, check="dagster") for error in results[str(path)]["errors"]]
    return findings
