"""Issue #9: the `dagster-cdk8s` console script, installed from a wheel into a fresh venv.

One wheel and one venv serve every test of this module (about 30 s in all): the wheel is built
from this checkout without network (`pip wheel --no-build-isolation`), installed without its
dependencies into a new venv, and the dependencies are taken from the project's `.venv` through
a `.pth` line (so the package itself comes from the wheel, not from the checkout).
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from constructs_lib.cli import load_subcommands
from constructs_lib.helm.schema import SCHEMA_PATH

from .conftest import copy_packaged_sources

ENV = {k: v for k, v in os.environ.items() if k not in ("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION",
                                                        "PYTHONPATH")}
ENV.update({"CDK8S_CHECK_UPGRADE": "false", "DAGSTER_PG_PASSWORD": "a", "DAGSTER_RABBITMQ_PASSWORD": "b",
            "DAGSTER_REDIS_PASSWORD": "c"})


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``dagster-cdk8s`` of a fresh venv the wheel is installed in."""
    where = tmp_path_factory.mktemp("cli")
    source = copy_packaged_sources(where / "source")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-build-isolation", "--no-deps",
                    "--wheel-dir", str(where / "wheel"), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = (where / "wheel").glob("dagster_cdk8s-*.whl")
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True, timeout=300)
    purelib = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "project-deps.pth").write_text(site.getsitepackages()[0] + "\n")
    return venv / "bin" / "dagster-cdk8s"


def run(script: Path, *args: str, cwd: Path | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(script), *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=300,
                          check=False, input=stdin)


def test_the_package_comes_from_the_wheel(script: Path) -> None:
    python = script.parent / "python"
    where = subprocess.run([str(python), "-c", "import constructs_lib; print(constructs_lib.__file__)"],
                           env=ENV, cwd="/", capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(script.parent.parent)), where


def test_help_lists_every_subcommand(script: Path) -> None:
    result = run(script, "--help")
    assert result.returncode == 0, result.stderr
    for name in ("synth", "diff", "schema", "migrate-values", "diagram"):
        assert name in load_subcommands() and name in result.stdout


def test_synth_writes_the_system_without_the_node_banner(script: Path, tmp_path: Path) -> None:
    result = run(script, "synth", "--variant", "k8s", "--release", "prod", "--outdir", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["out/dagster.k8s.yaml"]
    assert "!!" not in result.stderr and "end-of-life" not in result.stderr
    docs = list(yaml.safe_load_all((tmp_path / "out" / "dagster.k8s.yaml").read_text()))
    assert ("Deployment", "prod-dagster-webserver") in {(d["kind"], d["metadata"]["name"]) for d in docs}
    values = tmp_path / "values.yaml"
    values.write_text("postgresql:\n  postgresqlPassword: pw\ndagsterWebserver:\n  replicaCont: 2\n")
    bad = run(script, "synth", "-f", str(values), "--outdir", "bad", cwd=tmp_path)
    assert bad.returncode == 2 and "dagsterWebserver.replicaCount" in bad.stderr, bad.stderr
    assert not (tmp_path / "bad").exists()


def test_schema_prints_the_committed_values_schema(script: Path) -> None:
    result = run(script, "schema")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(SCHEMA_PATH.read_text())


def test_diff_prints_per_object_what_changed(script: Path, tmp_path: Path) -> None:
    # Celery: the runs' namespace is a literal in the env ConfigMaps (under K8sRunLauncher the pods
    # read their own, so only metadata.namespace would change).
    assert run(script, "synth", "--variant", "celery-rabbitmq", "--outdir", "a", cwd=tmp_path).returncode == 0
    assert run(script, "synth", "--variant", "celery-rabbitmq", "--namespace", "prod", "--outdir", "b",
               cwd=tmp_path).returncode == 0
    same = run(script, "diff", "a", "a/dagster.k8s.yaml", cwd=tmp_path)
    assert (same.returncode, same.stdout) == (0, "0 changed, 0 added, 0 removed\n")
    moved = run(script, "diff", "a", "b", cwd=tmp_path)
    assert moved.returncode == 1
    assert "- Deployment dagster-daemon (removed)" in moved.stdout
    assert "+ Deployment prod/dagster-daemon (added)" in moved.stdout
    inside = run(script, "diff", "--namespace", "prod", "a", "b", cwd=tmp_path)
    assert inside.returncode == 1
    assert "~ ConfigMap prod/dagster-webserver-env (changed)" in inside.stdout
    assert '    data.DAGSTER_K8S_PIPELINE_RUN_NAMESPACE: "default" -> "prod"' in inside.stdout
    ignored = run(script, "diff", "--namespace", "prod", "--ignore", "data*", "--ignore", "subjects", "a", "b",
                  cwd=tmp_path)
    assert "ConfigMap prod/dagster-webserver-env" not in ignored.stdout
    helm_like = (tmp_path / "a" / "dagster.k8s.yaml").read_text().replace(
        "replicas: 1", "replicas: 3", 1)
    from_stdin = run(script, "diff", "a", "-", cwd=tmp_path, stdin=helm_like)
    assert from_stdin.returncode == 1 and "spec.replicas: 1 -> 3" in from_stdin.stdout
    broken = run(script, "diff", "a", "nowhere", cwd=tmp_path)
    assert broken.returncode == 2 and "nowhere" in broken.stderr


def test_migrate_values_prints_the_seed_era_file_in_todays_spelling(script: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text("dagit:\n  replicaCount: 2\ncelery:\n  enabled: false\nk8sRunLauncher:\n  enabled: true\n")
    result = run(script, "migrate-values", str(old))
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == {"dagsterWebserver": {"replicaCount": 2},
                                             "runLauncher": {"type": "K8sRunLauncher"}}
    assert len([line for line in result.stderr.splitlines() if line.startswith("deprecated")]) == 3


def test_diagram_draws_the_system_synth_would_write(script: Path, tmp_path: Path) -> None:
    result = run(script, "diagram", "--variant", "k8s", "--release", "prod", "system.mmd", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["system.mmd"]
    mermaid = (tmp_path / "system.mmd").read_text()
    assert mermaid.startswith("flowchart LR") and "prod-dagster-webserver" in mermaid
    assert not list(tmp_path.glob("*.k8s.yaml")) and not (tmp_path / "dist").exists(), "a diagram writes no YAML"
    values = tmp_path / "values.yaml"
    values.write_text("postgresql:\n  postgresqlPassword: pw\nrunLauncher:\n  type: K8sRunLauncher\n")
    from_values = run(script, "diagram", "-f", str(values), "values.dot", cwd=tmp_path)
    assert from_values.returncode == 0, from_values.stderr
    assert (tmp_path / "values.dot").read_text().startswith("digraph")
    several = run(script, "diagram", "--all-variants", "all.mmd", cwd=tmp_path)
    assert several.returncode == 2 and "a diagram draws one system" in several.stderr
    bad = run(script, "diagram", "--variant", "k8s", "system.png", cwd=tmp_path)
    assert bad.returncode == 2 and ".svg" in bad.stderr
