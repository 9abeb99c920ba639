"""Issue #14, done when: ``pip install 'dagster-cdk8s[testing]'`` in a fresh virtualenv gives
a user the fixtures. Builds the wheel of this repository, installs it with the ``testing``
extra from PyPI into a new virtualenv, and runs the README's user test and the example's test
there (nothing of this checkout on ``sys.path``), with Dagster's checks in ``.venv-dagster``
(without Dagster the tests are skipped with a reason: ``test_testing_kit.py``).

Wall time: about 2-4 minutes (building the wheel, the downloads, two user sessions); needs PyPI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import ROOT, copy_packaged_sources

EXAMPLES = ROOT / "examples" / "python"
DAGSTER_PYTHON = ROOT / ".venv-dagster" / "bin" / "python"


def run(args: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None,
        timeout: int = 900) -> subprocess.CompletedProcess[str]:
    process = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                             timeout=timeout, check=False)
    assert process.returncode == 0, (
        f"{' '.join(map(str, args))} exited {process.returncode}:\n{process.stdout[-3000:]}\n{process.stderr[-3000:]}")
    return process


def readme_user_test() -> str:
    """The complete user test the README's "Testing your chart" section shows."""
    section = ROOT.joinpath("README.md").read_text().split("## Testing your chart", 1)[1].split("\n## ", 1)[0]
    [test] = [block for block in re.findall(r"```python\n(.*?)```", section, re.S) if "def test_" in block]
    return test


def test_a_fresh_virtualenv_gets_the_fixtures_from_the_wheel(tmp_path: Path) -> None:
    source = copy_packaged_sources(tmp_path / "source")  # only what the wheel is built from: no build/
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp_path / "wheels", source],
        cwd=tmp_path)
    [wheel] = (tmp_path / "wheels").glob("dagster_cdk8s-*.whl")

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    # The pinned versions (constraints.txt): the ranges of pyproject.toml would take the newest.
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "-c", ROOT / "constraints.txt",
         f"{wheel}[testing]"], cwd=tmp_path)

    project = tmp_path / "project"  # a user's repository
    (project / "tests").mkdir(parents=True)
    shutil.copy(EXAMPLES / "analytics_chart.py", project / "analytics_chart.py")
    (project / "my_platform.py").write_text(textwrap.dedent('''
        import analytics_chart

        def build(app):
            return analytics_chart.build(app, pg_password="test-only-password")
    '''))
    (project / "tests" / "test_my_chart.py").write_text(readme_user_test())
    shutil.copy(EXAMPLES / "test_analytics_chart.py", project / "tests" / "test_analytics_chart.py")
    (project / "pytest.ini").write_text("[pytest]\npythonpath = .\n")

    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "DAGSTER_CDK8S_PYTHON": str(DAGSTER_PYTHON)}
    pytest_args: list[str | Path] = [venv / "bin" / "python", "-m", "pytest", "-p", "no:cacheprovider", "-rs"]
    first = run([*pytest_args, "--snapshot-update"], cwd=project, env=env)
    plugins = re.search(r"^plugins: (.*)$", first.stdout, re.M)
    assert plugins and {"dagster-cdk8s-0.1.0", "syrupy-7.0.2"} <= set(plugins[1].split(", ")), first.stdout
    assert "2 passed" in first.stdout and "2 snapshots generated" in first.stdout, first.stdout
    assert sorted(p.name for p in (project / "tests" / "__snapshots__").rglob("*.yaml")) == [
        "test_analytics_chart.yaml", "test_my_chart.yaml"]
    again = run(pytest_args, cwd=project, env=env)
    assert "2 passed" in again.stdout and "2 snapshots passed" in again.stdout, again.stdout
