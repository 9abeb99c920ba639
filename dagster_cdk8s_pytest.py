"""pytest plugin of dagster-cdk8s (entry point ``pytest11``, loaded in every pytest session
wherever the package is installed; ``-p no:dagster_cdk8s`` turns it off).

This module is deliberately outside ``constructs_lib``: importing any part of that package runs
its ``__init__``, which imports cdk8s and so starts jsii's Node process. Here pytest only
registers the ini settings and the fixtures; the library (and Node) is imported when a test
uses ``dagster_checks`` or ``dagster_snapshot``. The fixtures are documented in
:mod:`constructs_lib.testing.plugin`.

It does run the library's ``_quiet`` module (loaded from its file, without the package): the
variables that keep jsii's Node end-of-life banner out of the output are set before any test
module imports cdk8s, whatever the order of its imports (unless the user set them).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from constructs_lib.testing.plugin import DagsterChecks

INSTALL_HINT = "pip install 'dagster-cdk8s[testing]'"


def _silence_the_node_banner() -> None:
    """Run ``constructs_lib/_quiet.py`` (it only sets two environment variables, unless set)
    without importing ``constructs_lib``, whose ``__init__`` starts Node."""
    package = importlib.util.find_spec("constructs_lib")
    if package is None or not package.submodule_search_locations:
        return
    for folder in package.submodule_search_locations:
        quiet = Path(folder) / "_quiet.py"
        spec = importlib.util.spec_from_file_location("_dagster_cdk8s_quiet", quiet)
        if quiet.is_file() and spec is not None and spec.loader is not None:
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
            return


_silence_the_node_banner()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("dagster_python", "dagster-cdk8s: a Python with Dagster for Dagster's own config checks "
                  "(relative to the rootdir); default: this Python if it has Dagster", default="")
    parser.addini("dagster_kubernetes_versions", "dagster-cdk8s: Kubernetes versions to validate against "
                  "(default: 1.25.0 1.37.0)", type="args", default=[])
    parser.addini("dagster_cdk8s_yaml", "dagster-cdk8s: the cdk8s.yaml whose imported CRDs validate custom "
                  "resources (default: the rootdir's cdk8s.yaml, if any)", default="")


@pytest.fixture
def dagster_checks(pytestconfig: pytest.Config) -> DagsterChecks:
    """``dagster_checks(chart)``: the checks dagster-cdk8s runs on its own charts, on yours."""
    try:
        import kubernetes_validate  # noqa: F401
    except ImportError:
        pytest.fail(f"dagster_checks needs kubernetes-validate: {INSTALL_HINT}", pytrace=False)
    from constructs_lib.testing.plugin import DagsterChecks

    return DagsterChecks(pytestconfig)


@pytest.fixture
def dagster_snapshot(request: pytest.FixtureRequest) -> Any:
    """``assert chart == dagster_snapshot``: the chart as one key-sorted YAML snapshot file."""
    try:
        snapshot = request.getfixturevalue("snapshot")
    except pytest.FixtureLookupError:
        pytest.fail(f"dagster_snapshot needs syrupy: {INSTALL_HINT}", pytrace=False)
    from constructs_lib.testing.snapshot import DagsterYamlSnapshot

    return snapshot.use_extension(DagsterYamlSnapshot)
