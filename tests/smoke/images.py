"""What the harness runs in place of each container image of the manifests.

An image is its files, its ``ENV``/``WORKDIR``/``ENTRYPOINT``/``CMD``, and what its entrypoint
does. The stand-ins below use this machine's programs instead:

* ``dagster/dagster-celery-k8s`` and ``dagster/user-code-example``: ``.venv-dagster`` (the pinned
  Dagster, dagster-k8s, dagster-celery(-k8s), dagster-postgres, webserver, plus ``redis``
  installed by ``scripts/smoke-deps.sh`` as the images' ``dagster-celery[redis]`` has it).
  The example image's ``/example_project/example_repo/repo.py`` is
  ``tests/smoke/example_location/repo.py``.
* ``mher/flower``: ``celery flower`` from ``.venv-dagster`` (flower 2.2.0 there; the image
  pins 2.0.1), with the image's ``ENV`` and ``WORKDIR /data``.
* ``library/postgres``: the machine's PostgreSQL server binaries; the image entrypoint's
  first-boot work is emulated (``initdb`` with ``POSTGRES_USER``/``POSTGRES_PASSWORD`` or
  ``POSTGRES_PASSWORD_FILE``,
  ``CREATE DATABASE POSTGRES_DB``, password auth on TCP) and the server runs as the
  ``postgres`` user, as the image's ``gosu`` does.
* ``library/rabbitmq`` (``-management``): Debian's ``rabbitmq-server`` with the management
  plugin enabled; ``RABBITMQ_DEFAULT_USER``/``RABBITMQ_DEFAULT_PASS`` come from the pod's env
  (RabbitMQ reads them itself). Node name, ports, epmd, data and log directories are the
  harness's (a unique node on free ports, in the pod's data volume).
* ``library/redis``: Debian's ``redis-server`` running the container's command, told to
  listen on its local port.

Versions differ from the pinned images (PostgreSQL, RabbitMQ and Redis are Debian's); the
tests prove the manifests' wiring, not the images' contents.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
import uuid
from pathlib import Path

from .kubelet import Container, ImageStandIn, Pod, PodFailed, chown_tree, ensure_dir_traversable
from .network import LOOPBACK

__all__ = ["EXAMPLE_REPO_PATH", "image_stand_ins"]

#: Where Dagster's example image keeps the code the variants' ``--python-file`` names.
EXAMPLE_REPO_PATH = "/example_project/example_repo/repo.py"
RABBITMQ_BIN = "/usr/lib/rabbitmq/bin"


def _server_user(name: str) -> str | None:
    """The unprivileged user a server drops to (only when the harness runs as root)."""
    return name if os.geteuid() == 0 else None


def postgres_entrypoint(pod: Pod, container: Container) -> None:
    """The ``postgres`` image's ``docker-entrypoint.sh postgres`` on an empty ``PGDATA``."""
    if container.spec.get("command"):
        return  # a command replaces the entrypoint
    env = container.env
    password = env.get("POSTGRES_PASSWORD", "")
    if not password and env.get("POSTGRES_PASSWORD_FILE"):  # the image's file_env: the variable from a file
        password_file = Path(env["POSTGRES_PASSWORD_FILE"])
        if not password_file.is_file():
            raise PodFailed(f"{pod.key} container {container.name}: POSTGRES_PASSWORD_FILE "
                            f"{env['POSTGRES_PASSWORD_FILE']} is not a file")
        password = password_file.read_text().rstrip("\n")  # as the entrypoint's $(< file)
    if not password:
        raise PodFailed(f"{pod.key} container {container.name}: POSTGRES_PASSWORD is not set: the postgres image "
                        "refuses to initialize the database")
    superuser = env.get("POSTGRES_USER") or "postgres"
    database = env.get("POSTGRES_DB") or superuser
    pgdata = Path(env.get("PGDATA") or pod.fs.path("/var/lib/postgresql/data"))
    port = pod.ports.get(5432)
    if port is None:
        raise PodFailed(f"{pod.key} container {container.name} declares no containerPort 5432 (the image's port)")
    user = _server_user("postgres")
    sockets = pod.fs.path("/var/run/postgresql")
    for directory in (pgdata, sockets):
        directory.mkdir(parents=True, exist_ok=True)
    pwfile = pgdata.parent / ".smoke-pwfile"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    if user is not None:
        for directory in (pgdata, sockets):
            chown_tree(directory, user)
            ensure_dir_traversable(directory, pod.node.root)
        chown_tree(pwfile, user)
        ensure_dir_traversable(pgdata.parent.resolve(), pod.node.root)
    env_c = {**env, "LC_ALL": "C.UTF-8"}
    pod.run_step("initdb", ["initdb", "-D", str(pgdata), f"--username={superuser}", f"--pwfile={pwfile}",
                            "--auth-host=scram-sha-256", "--auth-local=trust", "--encoding=UTF8", "--no-sync"],
                 env_c, user=user)
    pwfile.unlink()
    if database != "postgres":
        quoted = database.replace('"', '""')
        pod.run_step("create-database", ["postgres", "--single", "-D", str(pgdata), "postgres"], env_c,
                     user=user, stdin=f'CREATE DATABASE "{quoted}";\n')
    container.argv = ["postgres", "-D", str(pgdata), "-p", str(port), "-c", f"listen_addresses={LOOPBACK}",
                      "-k", str(sockets), "-c", "fsync=off"]
    container.user = user


def rabbitmq_entrypoint(pod: Pod, container: Container) -> None:
    """``rabbitmq-server`` as a unique local node on the pod's ports, with the management plugin."""
    if container.spec.get("command"):
        return
    amqp, management = pod.ports.get(5672), pod.ports.get(15672)
    if amqp is None:
        raise PodFailed(f"{pod.key} container {container.name} declares no containerPort 5672 (the image's port)")
    base = pod.fs.path("/var/lib/rabbitmq")
    base.mkdir(parents=True, exist_ok=True)
    allocator = pod.node.allocator
    epmd_port, dist_port = allocator.allocate(), allocator.allocate()
    settings = [f"management.tcp.port = {management}", f"management.tcp.ip = {LOOPBACK}"] if management else []
    (base / "rabbitmq.conf").write_text("\n".join(settings) + "\n")
    (base / "enabled_plugins").write_text("[rabbitmq_management].\n" if management else "[].\n")
    container.env.update({
        "HOME": str(base),  # the Erlang cookie lives here, as in the image
        "RABBITMQ_NODENAME": f"smoke-{uuid.uuid4().hex[:10]}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": LOOPBACK,
        "RABBITMQ_NODE_PORT": str(amqp),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "ERL_EPMD_PORT": str(epmd_port),
        "ERL_EPMD_ADDRESS": LOOPBACK,
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_LOGS": "-",
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-start_epmd false",
    })
    pod.start_helper("epmd", ["epmd", "-port", str(epmd_port), "-address", LOOPBACK], container.env)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection((LOOPBACK, epmd_port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise PodFailed(f"{pod.key}: epmd did not listen on port {epmd_port}") from None
            time.sleep(0.1)
    container.argv = ["rabbitmq-server"]


def redis_listen(pod: Pod, container: Container) -> None:
    """Make ``redis-server`` (image default port 6379) listen on the pod's local port, loopback only."""
    port = pod.ports.get(6379)
    if port is None:
        raise PodFailed(f"{pod.key} container {container.name} declares no containerPort 6379 (the image's port)")
    if Path(container.argv[0]).name == "redis-server":
        container.argv = [*container.argv, "--port", str(port), "--bind", LOOPBACK]


def image_stand_ins(*, dagster_venv: Path, pg_bin: Path, example_repo: Path) -> dict[str, ImageStandIn]:
    """Image repository (tag ignored) -> stand-in."""
    python_env = {"LANG": "C.UTF-8", "HOME": "/root"}
    venv_bin = str(dagster_venv / "bin")
    dagster = ImageStandIn(bin_dirs=(venv_bin,), env=python_env, cmd=("python3",))
    return {
        "docker.io/dagster/dagster-celery-k8s": dagster,
        "docker.io/dagster/user-code-example": dataclasses.replace(dagster, files={EXAMPLE_REPO_PATH: example_repo}),
        "docker.io/mher/flower": ImageStandIn(
            bin_dirs=(venv_bin,), workdir="/data", cmd=("celery", "flower"),
            env={"LANG": "C.UTF-8", "HOME": "/home/flower", "PYTHONUNBUFFERED": "1", "PYTHONHASHSEED": "random",
                 "PYTHONDONTWRITEBYTECODE": "1", "FLOWER_DATA_DIR": "/data", "PYTHONPATH": "/data"}),
        "docker.io/library/postgres": ImageStandIn(
            bin_dirs=(str(pg_bin),), env={"LANG": "C.UTF-8", "PGDATA": "/var/lib/postgresql/data"},
            entrypoint=("docker-entrypoint.sh",), cmd=("postgres",), adapt=postgres_entrypoint),
        "docker.io/library/rabbitmq": ImageStandIn(
            bin_dirs=(RABBITMQ_BIN,), env={"LANG": "C.UTF-8", "HOME": "/var/lib/rabbitmq"},
            entrypoint=("docker-entrypoint.sh",), cmd=("rabbitmq-server",), adapt=rabbitmq_entrypoint),
        "docker.io/library/redis": ImageStandIn(
            workdir="/data", entrypoint=("docker-entrypoint.sh",), cmd=("redis-server",), adapt=redis_listen),
    }
