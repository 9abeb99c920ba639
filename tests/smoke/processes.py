"""Processes the smoke harness starts: each in its own process group, logged to a file,
bounded by a timeout, and stopped (the whole group) on teardown.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "STEP_TIMEOUT",
    "Completed",
    "PortAllocator",
    "Process",
    "SmokeError",
    "namespaces_available",
    "run",
    "start",
    "tail",
]

#: The longest any single step of the harness may take (seconds).
STEP_TIMEOUT = 60.0
#: How long a stopped process group gets between SIGTERM and SIGKILL.
STOP_GRACE = 10.0


class SmokeError(AssertionError):
    """The system under test (or a manifest) failed; the message points at the cause."""


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file (or a note that there is none)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no output)"
    kept = text.rstrip().splitlines()[-lines:]
    return "\n".join("    " + line for line in kept) if kept else "(no output)"


@functools.cache
def namespaces_available() -> bool:
    """Whether ``unshare --mount --uts`` works here (root or CAP_SYS_ADMIN): the harness gives
    each pod process its hostname and its ServiceAccount directory that way."""
    try:
        result = subprocess.run(["unshare", "--mount", "--uts", "--propagation", "private", "true"],
                                capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


#: Runs in the new namespaces: set the hostname, bind-mount each SOURCE read-only on TARGET, exec.
_POD_SHELL = (
    'hostname "$1" || exit 126; shift; '
    'while [ "$1" != "--" ]; do '
    'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" || exit 126; shift 2; done; '
    'shift; exec "$@"'
)


def _wrap(argv: Sequence[str], hostname: str | None, user: str | None,
          binds: Sequence[tuple[str, str]]) -> list[str]:
    """``argv`` as ``user`` (when root: a user name, or ``UID:GID:GROUPS`` numeric), in private UTS
    and mount namespaces (when a ``hostname`` is given) with hostname ``hostname`` and each host
    directory bound read-only on its target."""
    wrapped = list(argv)
    if user is not None and os.geteuid() == 0:
        if ":" in user:  # "UID:GID:GROUP,GROUP" (a pod's runAsUser/runAsGroup/fsGroup): no passwd entry
            uid, gid, groups = user.split(":", 2)
            ids = ["--groups", groups] if groups else ["--clear-groups"]
            # The stand-ins' programs are this machine's (the Dagster venv's interpreter may live
            # under a 0700 /root): reading and searching stay allowed (CAP_DAC_READ_SEARCH, ambient),
            # writing is checked as the pod's user, which is what the security profiles decide.
            caps = ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
            wrapped = ["setpriv", f"--reuid={uid}", f"--regid={gid}", *ids, *caps, "--", *wrapped]
        else:  # a user of this machine (PostgreSQL's), with its groups
            wrapped = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--", *wrapped]
    if hostname is not None:
        if not namespaces_available():
            raise SmokeError("the smoke harness needs `unshare --mount --uts` (root or CAP_SYS_ADMIN) to give a pod "
                             "its hostname and ServiceAccount mount")
        mounts = [path for pair in binds for path in pair]
        wrapped = ["unshare", "--mount", "--uts", "--propagation", "private", "/bin/sh", "-c", _POD_SHELL, "pod",
                   hostname, *mounts, "--", *wrapped]
    return wrapped


@dataclass
class Process:
    """A started process group."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM the process group, then SIGKILL it after ``grace`` seconds."""
        pgid = self.popen.pid  # start_new_session: the group id is the leader's pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        # Children may outlive the leader: kill whatever is left of the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=grace)


def start(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
    hostname: str | None = None,
    user: str | None = None,
    binds: Sequence[tuple[str, str]] = (),
) -> Process:
    """Start ``argv`` in a new session (its own process group), output appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        log.write(f"$ {' '.join(argv)}\n".encode())
        log.flush()
        try:
            popen = subprocess.Popen(
                _wrap(argv, hostname, user, binds), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        except OSError as exc:
            raise SmokeError(f"{name}: cannot start {argv[0]!r}: {exc}") from exc
    return Process(name=name, popen=popen, log_path=log_path)


@dataclass(frozen=True)
class Completed:
    """A command that ran to completion (or was killed at its timeout)."""

    argv: list[str]
    returncode: int | None  # None: killed at the timeout
    output: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def describe(self) -> str:
        status = "timed out" if self.returncode is None else f"exited {self.returncode}"
        out = "\n".join("    " + line for line in self.output.rstrip().splitlines()[-30:]) or "    (no output)"
        return f"`{' '.join(self.argv)}` {status} after {self.seconds:.1f}s:\n{out}"


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    timeout: float,
    hostname: str | None = None,
    user: str | None = None,
    binds: Sequence[tuple[str, str]] = (),
    stdin: str | None = None,
) -> Completed:
    """Run ``argv`` to completion in its own process group; kill the group at ``timeout``."""
    began = time.monotonic()
    try:
        popen = subprocess.Popen(
            _wrap(argv, hostname, user, binds), env=dict(env), cwd=cwd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
    except OSError as exc:
        return Completed(list(argv), 127, f"cannot start {argv[0]!r}: {exc}", 0.0)
    try:
        out, _ = popen.communicate(input=stdin.encode() if stdin is not None else None, timeout=timeout)
        code: int | None = popen.returncode
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(popen.pid, signal.SIGKILL)
        out, _ = popen.communicate()
        code = None
    else:
        # Leave nothing behind that the command forked into its group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(popen.pid, signal.SIGKILL)
    return Completed(list(argv), code, out.decode(errors="replace"), time.monotonic() - began)


class PortAllocator:
    """Free loopback ports, each handed out once per session."""

    def __init__(self) -> None:
        self._taken: set[int] = set()
        self._lock = threading.Lock()

    def allocate(self) -> int:
        with self._lock:
            for _ in range(100):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.bind(("127.0.0.1", 0))
                    port = int(sock.getsockname()[1])
                if port not in self._taken:
                    self._taken.add(port)
                    return port
        raise SmokeError("no free loopback port found")
