"""Fixtures of the smoke tests: the tools they need, and one booted system per variant."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, synth_config

from .processes import SmokeError, namespaces_available
from .runs import SCENARIO_TIMES, smoke_config, user_objects
from .system import SmokeSystem, Tools, booted

#: The variants the smoke tests boot (constructs_lib.VARIANTS names).
SMOKE_VARIANTS = ("celery-rabbitmq", "celery-redis", "k8s")
DAGSTER_VENV = ROOT / ".venv-dagster"
EXAMPLE_REPO = Path(__file__).resolve().parent / "example_location" / "repo.py"
_SETUP_HINT = ("run `bash scripts/smoke-deps.sh` as root (it runs scripts/dagster-venv.sh too), "
               "or deselect them: -m 'not smoke'")


def find_pg_bin() -> Path | None:
    """The directory with PostgreSQL's server binaries (``initdb``, ``postgres``), newest first."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parent.name.split(".")], reverse=True)
    for directory in [*candidates, Path("/usr/local/pgsql/bin"), Path("/usr/local/bin"), Path("/usr/bin")]:
        if (directory / "initdb").exists() and (directory / "postgres").exists():
            return directory
    return None


def searchable_for_pod_users(path: Path) -> None:
    """Give "others" search permission (``o+x``, never read) on every directory above ``path``
    that lacks it. The pods' non-root users (runAsUser 10001) keep CAP_DAC_READ_SEARCH, but
    ``access(2)`` checks with the real UID and without capabilities: Dagster's alembic check
    (``os.access(..., F_OK)``) did not find its scripts in a venv under a 0700 folder, such as
    the ``mktemp -d`` a clean clone is made in."""
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if not mode & 0o001:
            print(f"smoke: o+x on {directory} (the pods' non-root users must reach {path})")
            directory.chmod(mode | 0o001)


@pytest.fixture(scope="session")
def smoke_tools() -> Tools:
    """What the smoke tests run; missing pieces fail with the command that installs them."""
    missing: list[str] = []
    venv_python = DAGSTER_VENV / "bin" / "python"
    if not (DAGSTER_VENV / "bin" / "dagster").exists():
        missing.append(f"{DAGSTER_VENV}/bin/dagster")
    elif subprocess.run([str(venv_python), "-c", "import redis, flower, dagster_celery_k8s"],
                        capture_output=True).returncode != 0:
        missing.append("redis/flower/dagster_celery_k8s in .venv-dagster")
    pg_bin = find_pg_bin()
    if pg_bin is None:
        missing.append("PostgreSQL server binaries (initdb, postgres)")
    for tool in ("rabbitmq-server", "redis-server", "epmd", "pg_isready", "setpriv", "openssl"):
        if shutil.which(tool) is None and not (pg_bin and (pg_bin / tool).exists()):
            missing.append(tool)
    if not namespaces_available():
        missing.append("`unshare --mount --uts` (root or CAP_SYS_ADMIN)")
    if missing:
        pytest.fail(f"smoke tests need: {', '.join(missing)}; {_SETUP_HINT}", pytrace=False)
    assert pg_bin is not None
    for path in (ROOT, DAGSTER_VENV.resolve()):
        searchable_for_pod_users(path)
    return Tools(dagster_venv=DAGSTER_VENV, pg_bin=pg_bin, example_repo=EXAMPLE_REPO)


#: Per variant: seconds per boot phase, and from synthesis to teardown (shown after the run).
TIMINGS: dict[str, dict[str, float]] = {}


@pytest.fixture(scope="session", params=SMOKE_VARIANTS)
def system(request: pytest.FixtureRequest, smoke_tools: Tools) -> Iterator[SmokeSystem]:
    """One booted variant (:func:`.runs.smoke_config`, and the user's objects it names), shared by
    every test of the session that uses it: its servers, migrate Job and Deployments, and the
    Kubernetes API stand-in the runs go through. One variant is up at a time."""
    began = time.monotonic()
    booted_system: SmokeSystem | None = None
    config = smoke_config(request.param)
    try:
        with booted([*synth_config(config), *user_objects(config)], name=request.param,
                    tools=smoke_tools) as booted_system:
            TIMINGS[request.param] = {"boot": time.monotonic() - began, **booted_system.timings}
            yield booted_system
    except SmokeError as exc:
        pytest.fail(f"variant {request.param} did not boot: {exc}", pytrace=False)
    finally:
        TIMINGS.setdefault(request.param, {})["total"] = time.monotonic() - began


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A failure of the system under test is reported by its message (which names the object,
    the field and the output), without the harness's traceback."""
    try:
        return (yield)
    except SmokeError as exc:
        pytest.fail(str(exc), pytrace=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for variant, timings in TIMINGS.items():
        phases = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings.items())
        terminalreporter.write_line(f"smoke {variant}: {phases}")
    for scenario, seconds in SCENARIO_TIMES.items():
        terminalreporter.write_line(f"smoke run scenario {scenario}: {seconds:.1f}s")
