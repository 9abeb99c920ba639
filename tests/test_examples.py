"""Issue #9: the example apps of examples/python/ run, and what they write passes every
cross-reference check; every Python block of the README runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib.testing.crossref import Externals, declared_externals

from .conftest import ROOT
from .test_cross_references import checks

DAGSTER_PYTHON = ROOT / ".venv-dagster" / "bin" / "python"
EXAMPLES = ROOT / "examples" / "python"
ENV = {**os.environ, "CDK8S_CHECK_UPGRADE": "false", "PYTHONPATH": str(ROOT)}


def run_example(name: str, outdir: Path) -> dict[str, list[Any]]:
    result = subprocess.run([sys.executable, str(EXAMPLES / name), str(outdir)], env=ENV, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert "!!" not in result.stderr, "the Node end-of-life banner is silenced"
    return {p.name: [d for d in yaml.safe_load_all(p.read_text()) if d] for p in sorted(outdir.glob("*.k8s.yaml"))}


def module(name: str) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), EXAMPLES / name)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def assert_consistent(objects: list[Any], externals: Externals) -> None:
    problems = {name: check(objects) for name, check in checks(externals).items()}
    assert problems == {name: [] for name in problems}


def test_whole_system_inside_a_users_chart(tmp_path: Path) -> None:
    files = run_example("whole_system.py", tmp_path)
    # cdk8s writes each chart to a file of its own: the user's chart and the DagsterChart in it.
    assert len(files) == 2 and files.pop("0001-platform.k8s.yaml")[0]["metadata"]["name"] == "team-settings"
    [dagster_file] = files
    assert dagster_file.startswith("0000-platform-dagster-")
    objects = [*files[dagster_file], *run_example("whole_system.py", tmp_path / "again")["0001-platform.k8s.yaml"]]
    assert {o["metadata"].get("namespace") for o in objects} == {"data-platform"}
    assert ("ConfigMap", "team-settings") in {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert not [o for o in objects if o["kind"] == "Secret"], "the password is an existing Secret"
    assert_consistent(objects, declared_externals(module("whole_system.py").CONFIG))


def test_single_constructs_with_an_external_postgresql(tmp_path: Path) -> None:
    example = module("single_constructs.py")
    objects = run_example("single_constructs.py", tmp_path)["dagster-parts.k8s.yaml"]
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert {("Deployment", "dagster-dagster-webserver"), ("Deployment", "dagster-daemon"),
            ("Deployment", "dagster-dagster-user-deployments-etl"), ("ServiceAccount", "dagster")} <= kinds
    assert not [o for o in objects if o["kind"] in ("Secret", "StatefulSet")]
    assert_consistent(objects, Externals(
        secrets=frozenset({example.DB_SECRET.name}),
        secret_keys=frozenset({(example.DB_SECRET.name, example.DB_SECRET.key)}),
        hosts=frozenset({(example.DB_HOST, 5432)})))


def test_two_systems_in_one_app(tmp_path: Path) -> None:
    example = module("two_systems.py")
    files = run_example("two_systems.py", tmp_path)
    assert sorted(files) == ["prod.k8s.yaml", "staging.k8s.yaml"]
    for name, config in example.SYSTEMS.items():
        objects = files[f"{name}.k8s.yaml"]
        assert {o["metadata"]["namespace"] for o in objects} == {config.namespace}
        assert all(o["metadata"]["name"].startswith(name) or o["kind"] == "Service" for o in objects)
        assert_consistent(objects, declared_externals(config))


README_BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
#: The README's testing-kit block imports the user's ``my_platform.build``: here, the whole-system example's.
MY_PLATFORM = "import sys\n\nsys.path.insert(0, {examples!r})\nfrom whole_system import build  # noqa: E402,F401\n"


def test_the_readme_has_python_blocks() -> None:
    assert len(README_BLOCKS) >= 4


def run_python(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # DAGSTER_CDK8S_PYTHON: the testing kit's Dagster validators run in the pinned Dagster venv.
    env = {**ENV, "PG_PASSWORD": "from-the-environment", "DAGSTER_CDK8S_PYTHON": str(DAGSTER_PYTHON)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.mark.parametrize("index", range(len(README_BLOCKS)))
def test_every_python_block_of_the_readme_runs(index: int, tmp_path: Path) -> None:
    """Each block runs as written: an app synthesizes into dist/ without the Node banner; a
    pytest file (``def test_...``) passes under pytest, twice (the snapshot written, then kept)."""
    block = README_BLOCKS[index]
    if re.search(r"^def test_", block, re.M):
        (tmp_path / "my_platform.py").write_text(MY_PLATFORM.format(examples=str(EXAMPLES)))
        (tmp_path / "test_block.py").write_text(block)
        for args in (["--snapshot-update"], []):
            result = run_python(["-m", "pytest", "-q", "-p", "no:cacheprovider", *args, "test_block.py"], tmp_path)
            assert result.returncode == 0, f"README block {index}:\n{block}\n{result.stdout}\n{result.stderr}"
            assert "1 passed" in result.stdout, result.stdout
        assert list((tmp_path / "__snapshots__").rglob("*.yaml"))
        return
    (tmp_path / "block.py").write_text(block)
    result = run_python(["block.py"], tmp_path)
    assert result.returncode == 0, f"README block {index}:\n{block}\n{result.stderr}"
    assert "!!" not in result.stderr, "the Node end-of-life banner is silenced"
    if "app.synth()" in block:
        assert list((tmp_path / "dist").glob("*.k8s.yaml")), "the block synthesizes"
