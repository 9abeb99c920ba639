"""Issue #4: every Dagster config file the variants synthesize (``dagster.yaml``,
``workspace.yaml``, each queue's ``celery.yaml``) loads in Dagster itself.

The files are checked by ``constructs_lib/testing/dagster_check.py`` under ``.venv-dagster`` (the
pinned Dagster the library deploys, created by ``bash scripts/dagster-venv.sh``), all variants
and planted defects in one subprocess per test session.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib import DAGSTER_VERSION, VARIANTS, CeleryK8sRunLauncher
from constructs_lib.testing import DagsterCheckError
from constructs_lib.testing.checks import DAGSTER_FILE_KINDS, run_dagster_checker

from .conftest import ROOT
from .validation.manifests import EmbeddedYaml, embedded_yaml_files
from .validation.variants import variant_config, variant_objects

DAGSTER_PYTHON = ROOT / ".venv-dagster" / "bin" / "python"
MISSING_VENV = (f"{DAGSTER_PYTHON} does not exist: run `bash scripts/dagster-venv.sh` to create the pinned "
                "Dagster virtualenv these tests validate with")
#: ConfigMap key -> the checker's kind of file.
FILE_KINDS = DAGSTER_FILE_KINDS
VENV_SCRIPT = ROOT / "scripts" / "dagster-venv.sh"


@dataclass(frozen=True)
class ConfigFile:
    """One config file handed to the checker: a variant's, or a planted defect."""

    origin: str  # variant name, or "planted: <defect>"
    kind: str
    where: str
    path: Path


@dataclass
class DagsterRun:
    """The checker's verdicts, by file path, or why there are none."""

    files: list[ConfigFile] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None

    def require(self) -> DagsterRun:
        if self.error is not None:
            pytest.fail(self.error, pytrace=False)
        return self

    def of(self, origin: str) -> list[tuple[ConfigFile, dict[str, Any]]]:
        return [(f, self.results[str(f.path)]) for f in self.files if f.origin == origin]


# ---- planted defects: (variant, ConfigMap key, edit, expected start of the only error) --------
def _rename_key(mapping: dict[str, Any], old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


def _set(path: list[str | int], value: Any) -> Callable[[Any], None]:
    def edit(content: Any) -> None:
        target = content
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return edit


PLANTED: dict[str, tuple[str, str, Callable[[Any], None], str]] = {
    "run_launcher.config.job_namespce": (
        "k8s", "dagster.yaml", lambda c: _rename_key(c["run_launcher"]["config"], "job_namespace", "job_namespce"),
        'run_launcher: dagster_k8s.K8sRunLauncher: Received unexpected config entry "job_namespce" at the root.'),
    "run_coordinator.config.max_concurrent_runs not an int": (
        "celery-rabbitmq", "dagster.yaml", _set(["run_coordinator", "config", "max_concurrent_runs"], "x"),
        "run_coordinator: dagster._core.run_coordinator.QueuedRunCoordinator: Invalid scalar at path "
        'root:max_concurrent_runs. Value "x"'),
    "dagster.core module, class typo": (
        "custom-launcher", "dagster.yaml", _set(["run_launcher", "class"], "DefaultRunLaunchr"),
        "run_launcher: dagster._core.launcher.DefaultRunLaunchr: module 'dagster._core.launcher' has no class "
        "'DefaultRunLaunchr'"),
    "compute_logs class of the wrong kind": (
        "k8s", "dagster.yaml", _set(["compute_logs"], {"module": "dagster.core.run_coordinator",
                                                       "class": "DefaultRunCoordinator"}),
        "compute_logs: dagster._core.run_coordinator.DefaultRunCoordinator: not a subclass of ComputeLogManager"),
    "run_storage postgres_db without hostname": (
        "k8s", "dagster.yaml", lambda c: c["run_storage"]["config"]["postgres_db"].pop("hostname"),
        "run_storage: dagster_postgres.run_storage.PostgresRunStorage: Missing required config entry "
        '"hostname" at path root:postgres_db.'),
    "run_monitoring setting of the wrong type": (
        "k8s", "dagster.yaml", _set(["run_monitoring", "start_timeout_seconds"], "soon"),
        "InstanceRef.from_dir: Invalid scalar at path root:run_monitoring:start_timeout_seconds."),
    'workspace port "abc"': (
        "multi-location", "workspace.yaml", _set(["load_from", 1, "grpc_server", "port"], "abc"),
        'Invalid scalar at path root:load_from[1]:grpc_server:port. Value "abc"'),
    "celery.yaml without execution.celery": (
        "celery-redis", "celery.yaml", lambda c: _rename_key(c, "execution", "executor"),
        "no `execution.config` (or legacy `execution.celery`) mapping: dagster-celery would silently use its "
        "defaults"),
    "celery.yaml without a broker": (
        "celery-redis", "celery.yaml", lambda c: c["execution"]["celery"].pop("broker"),
        "no `broker`: the worker would connect to Celery's default broker on localhost"),
    "celery.yaml unknown key": (
        "celery-rabbitmq", "celery.yaml", lambda c: _rename_key(c["execution"]["celery"], "backend", "backnd"),
        'Received unexpected config entry "backnd" at the root.'),
}


def _write(outdir: Path, origin: str, file: EmbeddedYaml, text: str) -> ConfigFile:
    path = outdir / origin.replace(" ", "_").replace(":", "") / file.config_map["metadata"]["name"] / file.key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return ConfigFile(origin, FILE_KINDS[file.key], file.where, path)


def config_files(outdir: Path) -> list[ConfigFile]:
    """Every variant's Dagster config files, and one file per planted defect, written to ``outdir``."""
    files = [_write(outdir, variant, file, file.text) for variant in sorted(VARIANTS)
             for file in embedded_yaml_files(variant_objects(variant)) if file.key in FILE_KINDS]
    for defect, (variant, key, edit, _) in PLANTED.items():
        file = embedded_yaml_files(variant_objects(variant), key)[0]
        content = file.load()
        edit(content)
        files.append(_write(outdir, f"planted: {defect}", file, yaml.safe_dump(content, sort_keys=False)))
    return files


def run_dagster_check(files: list[ConfigFile], workdir: Path, python: Path = DAGSTER_PYTHON) -> DagsterRun:
    """Run the checker on ``files`` in one ``python`` process (the package's runner, which the
    ``dagster_checks`` fixture uses too)."""
    run = DagsterRun(files=files)
    if not python.exists():
        run.error = MISSING_VENV
        return run
    try:
        report = run_dagster_checker([(f.kind, f.path) for f in files], workdir, python)
    except DagsterCheckError as error:
        run.error = str(error)
        return run
    run.versions = report["versions"]
    run.results = {r["path"]: r for r in report["results"]}
    return run


@pytest.fixture(scope="module")
def dagster_run(tmp_path_factory: pytest.TempPathFactory) -> DagsterRun:
    workdir = tmp_path_factory.mktemp("dagster-check")
    return run_dagster_check(config_files(workdir / "files"), workdir)


# ---- the pinned Dagster ---------------------------------------------------------------------
def test_dagster_venv_has_the_version_the_library_deploys(dagster_run: DagsterRun) -> None:
    """The validating Dagster is the one the library deploys, with the libraries the script pins."""
    pins = dict(re.findall(r"\b(dagster(?:-[a-z0-9-]+)?)==(\S+)", VENV_SCRIPT.read_text()))
    versions = dagster_run.require().versions
    assert versions["dagster"] == pins["dagster"] == DAGSTER_VERSION
    assert versions == {name: pins[name] for name in versions}
    assert set(versions) == {"dagster", "dagster-k8s", "dagster-celery", "dagster-celery-k8s", "dagster-postgres"}


def test_a_missing_dagster_venv_fails_and_says_how_to_create_it(tmp_path: Path) -> None:
    run = run_dagster_check([], tmp_path, python=tmp_path / "no-venv" / "bin" / "python")
    with pytest.raises(pytest.fail.Exception, match=r"run `bash scripts/dagster-venv\.sh`"):
        run.require()


# ---- every variant --------------------------------------------------------------------------
def test_every_config_file_is_valid_dagster_config(variant: str, dagster_run: DagsterRun) -> None:
    results = dagster_run.require().of(variant)
    problems = [f"{file.where}: {error}" for file, result in results for error in result["errors"]]
    assert not problems, f"{variant}:\n" + "\n".join(problems)


def test_every_expected_config_file_was_checked(variant: str, dagster_run: DagsterRun) -> None:
    """The check is not vacuous: one dagster.yaml, the workspace, a celery.yaml per queue."""
    config = variant_config(variant)
    release = config.release
    expected = {("instance", f"ConfigMap/{release.instance_config_map}[dagster.yaml]")}
    if config.external_workspace_config_map is None:
        expected.add(("workspace", f"ConfigMap/{release.workspace_config_map}[workspace.yaml]"))
    if config.uses_celery:
        expected |= {("celery", f"ConfigMap/{release.celery_queue_config_map(q.name)}[celery.yaml]")
                     for q in config.celery_workers.queues}
    assert {(f.kind, f.where) for f, _ in dagster_run.require().of(variant)} == expected


def test_every_instance_block_was_validated_by_its_class(variant: str, dagster_run: DagsterRun) -> None:
    [(file, result)] = [(f, r) for f, r in dagster_run.require().of(variant) if f.kind == "instance"]
    instance = yaml.safe_load(file.path.read_text())
    blocks = ["scheduler", "run_coordinator", "run_launcher", "compute_logs",
              "run_storage", "event_log_storage", "schedule_storage"]
    validated = {line.split(":")[0] for line in result["checked"]}
    assert validated == {"InstanceRef.from_dir", *(b for b in blocks if b in instance)}
    assert {"scheduler", "run_launcher", "run_storage"} <= set(instance)
    if isinstance(variant_config(variant).run_launcher, CeleryK8sRunLauncher):
        assert "run_launcher: dagster_celery_k8s.CeleryK8sRunLauncher" in result["checked"]


def test_dagster_core_modules_are_loaded_as_dagster_does(dagster_run: DagsterRun) -> None:
    """``custom-launcher`` names ``dagster.core.launcher``; Dagster loads ``dagster._core.launcher``."""
    [(_, result)] = [(f, r) for f, r in dagster_run.require().of("custom-launcher") if f.kind == "instance"]
    assert "run_launcher: dagster._core.launcher.DefaultRunLauncher" in result["checked"]


# ---- planted defects --------------------------------------------------------------------------
@pytest.mark.parametrize("defect", list(PLANTED))
def test_planted_defect_is_caught(defect: str, dagster_run: DagsterRun) -> None:
    [(file, result)] = dagster_run.require().of(f"planted: {defect}")
    expected = PLANTED[defect][3]
    assert len(result["errors"]) == 1 and result["errors"][0].startswith(expected), (
        f"{file.path}: expected one error starting {expected!r}, got {result['errors']}")
