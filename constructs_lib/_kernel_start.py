"""Start the jsii kernel (Node) first, and import Python while it starts (cold start).

Every cdk8s app starts a Node process (jsii's kernel) at its first ``import cdk8s``, then loads
the ``constructs`` and ``cdk8s`` assemblies into it; Python waits for each step (about 0.3 s of
Node work on the 2-core machine), having imported jsii's Python runtime before, and imports its
own modules (``cdk8s``'s, ours, ``typeguard`` at the first type check) after, one after the other.

Imported first by the package (after :mod:`._quiet`), :func:`start` launches the same Node
process jsii would launch (same runtime files, arguments and environment; ``JSII_NODE`` and
``JSII_RUNTIME`` honoured) and writes it the two ``load`` requests ``import cdk8s`` sends, then
returns at once: Node starts and loads on one core while Python imports on the other. jsii
adopts that process when it first needs its kernel (its ``_NodeProcess.start``, hooked here),
and its ``load`` of those two assemblies (``import cdk8s``) returns at once, as the kernel is
already loading them (``ProcessProvider.load``, hooked for those two requests only). Nothing
is read from the kernel until something is first written to it: before that first write (a
create, an invoke, another assembly's load, the exit), the kernel's greeting and the two
loads' answers are read and checked, and a failed load raises what jsii's own ``load`` raises.
So Python waits for Node's start only when it first needs the kernel (``cdk8s.App()``), not
at ``import cdk8s``.

Nothing is changed when jsii is already imported (the user imported ``cdk8s`` first: the
kernel may be running), when the installed jsii is not the one this was written against, or
when an assembly's files are not where its generated module says; jsii then starts its kernel
itself. ``DAGSTER_CDK8S_EARLY_KERNEL=0`` turns this off.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import platform
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from . import _quiet  # noqa: F401  (the banner's variables are part of the kernel's environment)

#: Environment variable that turns the early start off (``0``).
SWITCH = "DAGSTER_CDK8S_EARLY_KERNEL"
#: The jsii Python runtime this was written against (its process provider's internals).
_JSII_VERSIONS = ("1.142.",)
#: The assemblies ``import cdk8s`` loads, in its order.
_ASSEMBLIES = ("constructs", "cdk8s")


class _Early:
    """A Node process started before jsii, and the ``load`` requests written to it
    (``(name, version, tarball)``: their answers are not read yet)."""

    def __init__(self, process: subprocess.Popen[bytes], tmpdir: str | None,
                 loads: list[tuple[str, str, str]]) -> None:
        self.process = process
        self.tmpdir = tmpdir
        self.loads = loads


_early: _Early | None = None
#: The process id of the kernel jsii adopted from :func:`start` (None: jsii started its own).
adopted_pid: int | None = None


def _package_dir(name: str) -> Path | None:
    """The folder of an installed top-level package, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _jsii_version(jsii_dir: Path) -> str | None:
    """The installed jsii Python runtime's version (what ``jsii.__version__`` reads)."""
    try:
        version = json.loads((jsii_dir / "_metadata.json").read_text())["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return version if isinstance(version, str) else None


def _load_request(package: str) -> tuple[str, str, str] | None:
    """The ``load`` request (name, version, tarball) the generated ``<package>._jsii`` module
    makes jsii send."""
    folder = _package_dir(package)
    if folder is None:
        return None
    init = folder / "_jsii" / "__init__.py"
    try:
        text = init.read_text()
    except OSError:
        return None
    match = re.search(r'jsii\.JSIIAssembly\.load\(\s*"([^"]+)",\s*"([^"]+)",\s*__name__\[0:-6\],\s*"([^"]+)",?\s*\)',
                      text)
    if match is None:
        return None
    name, version, filename = match.groups()
    tarball = folder / "_jsii" / filename
    if not tarball.is_file():
        return None
    return name, version, str(tarball)


def _runtime(jsii_dir: Path) -> tuple[str, str | None] | None:
    """The kernel's entry point (jsii's embedded files copied as jsii copies them), and the
    temporary folder holding it (None for ``JSII_RUNTIME``)."""
    if os.environ.get("JSII_RUNTIME"):
        return os.environ["JSII_RUNTIME"], None
    embedded = jsii_dir / "_embedded" / "jsii"
    match = re.search(r"EMBEDDED_FILES = (\{[^}]*\})", (embedded / "__init__.py").read_text())
    if match is None:
        return None
    files: dict[str, str] = json.loads(re.sub(r",\s*}", "}", match.group(1)))
    tmpdir = tempfile.mkdtemp()
    try:
        for resource, filename in files.items():
            target = Path(tmpdir, *filename.split("/"))
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(embedded / resource, target)
    except OSError:
        shutil.rmtree(tmpdir, ignore_errors=True)
        return None
    return str(Path(tmpdir, "bin", "jsii-runtime.js")), tmpdir


def start() -> None:
    """Launch jsii's kernel now and hook jsii to adopt it (see the module's docstring)."""
    global _early
    if _early is not None or "jsii" in sys.modules or os.environ.get(SWITCH) == "0":
        return
    jsii_dir = _package_dir("jsii")
    if jsii_dir is None or not (_jsii_version(jsii_dir) or "").startswith(_JSII_VERSIONS):
        return
    found = [_load_request(package) for package in _ASSEMBLIES]
    loads = [load for load in found if load is not None]
    if len(loads) < len(found):
        return
    runtime = _runtime(jsii_dir)
    if runtime is None:
        return
    entry, tmpdir = runtime
    env = {**os.environ, "JSII_AGENT": f"Python/{platform.python_version()}"}
    try:
        process = _launch(entry, env)
        assert process.stdin is not None
        process.stdin.write(b"".join(json.dumps({"name": name, "version": version, "tarball": tarball,
                                                  "api": "load"}).encode() + b"\n"
                                     for name, version, tarball in loads))
        process.stdin.flush()
    except OSError:  # no node: jsii's own start reports it
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
        return
    _early = _Early(process, tmpdir, loads)
    atexit.register(_abandon)
    _hook()


#: Node's arguments for the kernel, as jsii's relay gives them to the kernel it starts.
KERNEL_ARGS = ("--max-old-space-size=4069", "--preserve-symlinks")
#: Run by ``/bin/sh`` before Node: the API socket (its stdin) becomes fd 3, where the kernel talks.
_FD3 = 'exec 3<&0 0</dev/null; exec "$@"'


def _launch(entry: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start the kernel: Node running jsii's ``lib/program.js`` itself, not jsii's relay.

    jsii's entry point (``bin/jsii-runtime.js``) is a relay: a Node process whose only work is to
    start a second Node process, the kernel, and copy bytes between Python's pipes and the
    kernel's fd 3 (a socket, both directions), wrapping the kernel's stdout and stderr in JSON
    lines. Here Python starts the kernel with that socket itself: one Node start fewer on the
    cold path (Node's start is the critical path of a cold run), one process and its heap fewer
    in memory (about 45-50 MiB resident), one copy fewer per message. The kernel gets the
    arguments the relay gives it. A user's ``JSII_RUNTIME``, or a system without ``/bin/sh``,
    gets jsii's relay as before.
    """
    node = os.environ.get("JSII_NODE", "node")
    program = Path(entry).parent.parent / "lib" / "program.js"
    if os.environ.get("JSII_RUNTIME") or os.name != "posix" or not os.path.exists("/bin/sh") \
            or not program.is_file():
        return subprocess.Popen([node, "--max-old-space-size=4069", entry],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    ours, theirs = socket.socketpair()
    try:
        process = subprocess.Popen(["/bin/sh", "-c", _FD3, "sh", node, *KERNEL_ARGS, str(program)],
                                   stdin=theirs.fileno(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    channel = _Channel(ours)
    assert process.stdout is not None and process.stderr is not None
    process.console = (process.stdout, process.stderr)  # type: ignore[attr-defined]
    process.stdin = channel.writer  # type: ignore[assignment]
    process.stdout = channel.reader  # type: ignore[assignment]
    return process


class _Channel:
    """The kernel's API socket, as the process's ``stdin`` (:attr:`writer`) and ``stdout``
    (:attr:`reader`) jsii and this package write and read.

    Neither side ever waits for the other: a write that cannot go on (the kernel is writing
    answers Python has not read yet, and is not reading) reads what the kernel wrote meanwhile
    and keeps it for :meth:`readline` (jsii's relay kept it in its memory).
    """

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._fd = sock.fileno()
        self._in = bytearray()  # read from the kernel, not yet returned; lines start at _pos
        self._pos = 0
        self._scan = 0  # no newline in _in before this
        self._eof = False
        self._out = bytearray()  # written, not sent yet (sent by flush)
        self.writer = _Writer(self)
        self.reader = _Reader(self)

    def _fill(self) -> None:
        try:
            data = self._sock.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            self._in += data
        else:
            self._eof = True

    def flush(self) -> None:
        out = memoryview(self._out)
        sent = 0
        try:
            while sent < len(out):
                try:
                    sent += self._sock.send(out[sent:])
                    continue
                except (BlockingIOError, InterruptedError):
                    pass
                # wait until the kernel reads, reading what it writes meanwhile (not after its end)
                events = dict(_poll(self._fd, select.POLLOUT if self._eof else select.POLLIN | select.POLLOUT))
                if not self._eof and events.get(self._fd, 0) & (select.POLLIN | select.POLLHUP):
                    self._fill()
        finally:
            out.release()
            del self._out[:sent]

    def readline(self) -> bytes:
        while True:
            end = self._in.find(b"\n", max(self._pos, self._scan))
            if end >= 0:
                line = bytes(self._in[self._pos:end + 1])
                self._pos = self._scan = end + 1
                if self._pos >= len(self._in):
                    self._in.clear()
                    self._pos = self._scan = 0
                elif self._pos > 1 << 16:
                    del self._in[:self._pos]
                    self._scan -= self._pos
                    self._pos = 0
                return line
            self._scan = len(self._in)
            if self._eof:
                line = bytes(self._in[self._pos:])
                self._in.clear()
                self._pos = self._scan = 0
                return line
            _poll(self._fd, select.POLLIN)
            self._fill()


def _poll(fd: int, events: int) -> list[tuple[int, int]]:
    poller = select.poll()
    poller.register(fd, events)
    return poller.poll()


class _Writer:
    """The channel's writing end, as jsii uses a process's ``stdin``; ``close`` ends the
    kernel's input (it exits at its end)."""

    def __init__(self, channel: _Channel) -> None:
        self._channel = channel
        self.closed = False

    def write(self, data: bytes) -> int:
        self._channel._out += data
        return len(data)

    def flush(self) -> None:
        self._channel.flush()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._channel.flush()
            self._channel._sock.shutdown(socket.SHUT_WR)
        except OSError:  # the kernel is gone already
            pass


class _Reader:
    """The channel's reading end, as jsii uses a process's ``stdout``."""

    def __init__(self, channel: _Channel) -> None:
        self._channel = channel
        self.closed = False

    def readline(self) -> bytes:
        return self._channel.readline()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._channel.writer.close()
            self._channel._sock.close()


def _console(pipes: tuple[IO[bytes], IO[bytes]]) -> None:
    """Copy the kernel's stdout and stderr to Python's (jsii's relay sent them to jsii's sink)."""
    import selectors

    targets = {pipes[0].fileno(): sys.stdout, pipes[1].fileno(): sys.stderr}
    with selectors.DefaultSelector() as selector:
        for pipe in pipes:
            selector.register(pipe, selectors.EVENT_READ)
        while selector.get_map():
            for key, _ in selector.select():
                try:
                    data = os.read(key.fd, 1 << 16)
                except OSError:
                    data = b""
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                stream = targets[key.fd]
                try:
                    buffer = getattr(stream, "buffer", None)
                    if buffer is not None:
                        buffer.write(data)
                    else:
                        stream.write(data.decode(errors="replace"))
                    stream.flush()
                except (OSError, ValueError):  # a closed or replaced stream: the output is dropped
                    pass
    pipes[0].close()


def _abandon() -> None:
    """At exit, a process jsii never adopted (the import failed half-way): end it, remove its files."""
    global _early
    early, _early = _early, None
    if early is None:
        return
    try:
        assert early.process.stdin is not None
        early.process.stdin.close()  # the kernel exits at the end of its input
        early.process.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        early.process.kill()
    if early.tmpdir is not None:
        shutil.rmtree(early.tmpdir, ignore_errors=True)


def _hook() -> None:
    from jsii._kernel.providers import process

    provider: Any = process
    original = provider._NodeProcess.start
    original_load = provider.ProcessProvider.load
    assert _early is not None
    unanswered = set(_early.loads)

    def start(self: Any) -> None:
        global _early
        early, _early = _early, None
        provider._NodeProcess.start = original  # once
        if early is None:
            unanswered.clear()
            original(self)
            return
        _adopt(provider, self, early)

    def load(self: Any, request: Any) -> Any:
        node = self._process  # jsii's kernel: started (adopted) at the first request
        key = (request.name, request.version, request.tarball)
        if key not in unanswered or node._process.pid != adopted_pid:
            return original_load(self, request)
        unanswered.discard(key)  # written already; its answer is read before the next write
        if not unanswered:
            provider.ProcessProvider.load = original_load
        return None  # jsii's Kernel.load discards the answer

    provider._NodeProcess.start = start
    provider.ProcessProvider.load = load


class _Answers:
    """The kernel's stdin, until the first write: which first reads the answers not read yet."""

    def __init__(self, stdin: IO[bytes], read: Callable[[], None]) -> None:
        self._stdin = stdin
        self._read: Callable[[], None] | None = read

    def write(self, data: bytes) -> int:
        if self._read is not None:
            read, self._read = self._read, None
            read()
        return self._stdin.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stdin, name)


def _adopt(provider: Any, node: Any, early: _Early) -> None:
    """jsii's ``_NodeProcess.start`` with the process already launched, its greeting and the early
    loads' answers left to be read before the first write."""
    global adopted_pid
    import threading

    atexit.unregister(_abandon)
    node._process = early.process
    adopted_pid = early.process.pid
    if early.tmpdir is not None:
        node._ctx_stack.callback(shutil.rmtree, early.tmpdir, True)
    console = getattr(early.process, "console", None)
    if console is not None:  # the kernel itself (see _launch): its own stdout and stderr
        node.sink_thread = threading.Thread(name="process.stderr_sink", target=_console, args=(console,),
                                            daemon=True)
    else:  # jsii's relay: the kernel's output comes as JSON lines on the relay's stderr
        node.sink_thread = threading.Thread(name="process.stderr_sink", target=provider.stderr_sink,
                                            args=(early.process.stderr,), daemon=True)
    node.sink_thread.start()
    atexit.register(node.stop)

    def read() -> None:
        node.handshake()
        failed = None
        for _ in early.loads:
            answer = node._next_message()  # {"ok": {"assembly": ..., "types": ...}}
            if failed is None and "error" in answer:
                failed = answer
        if failed is not None:  # what jsii's own load of that assembly raises
            from jsii.errors import JavaScriptError, JSIIError

            raise JSIIError(failed["error"]) from JavaScriptError(failed.get("stack"))  # type: ignore[no-untyped-call]

    assert early.process.stdin is not None
    early.process.stdin = _Answers(early.process.stdin, read)  # type: ignore[assignment]


def _meanwhile() -> None:
    """Python's work that needs no kernel, done first while Node starts: ``typeguard`` (jsii
    imports it at its first type check, which every cdk8s app makes) and the package's modules
    that do not import cdk8s. Any wait for the kernel during the package's import (a request
    that needs its answer, such as loading another assembly) ends the overlap; this runs before."""
    import importlib

    for module in ("yaml", "errors", "apiserver", "images", "naming", "instance_config"):
        importlib.import_module(module if module == "yaml" else f"{__package__}.{module}")
    if __debug__:  # jsii checks types only then
        from jsii import _type_checking

        resolve = getattr(_type_checking, "_resolve_check", None)
        if resolve is not None:
            resolve()


start()
if _early is not None:
    _meanwhile()
