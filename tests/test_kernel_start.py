"""The early jsii kernel (``constructs_lib._kernel_start``): jsii adopts the Node process the library
started, the output is the same without it, and nothing is left behind (processes, files)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from constructs_lib import _kernel_start

from .conftest import ROOT

ENV = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "DAGSTER_PG_PASSWORD": "a",
       "DAGSTER_RABBITMQ_PASSWORD": "b", "DAGSTER_REDIS_PASSWORD": "c"}
ENV.pop(_kernel_start.SWITCH, None)


def python(code: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it prints one JSON line, returned."""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env or ENV, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "!!" not in result.stderr, "the Node banner stays quiet"
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


KERNEL = """
import json, os, jsii
from constructs_lib import _kernel_start
process = jsii.kernel.provider._process._process
print(json.dumps({"adopted": _kernel_start.adopted_pid, "kernel": process.pid, "args": process.args}))
"""


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_jsii_adopts_the_kernel_the_library_started_and_it_is_jsii_s_kernel_without_the_relay() -> None:
    code = ("import constructs_lib, cdk8s\ncdk8s.App()\n" + KERNEL.replace(
        '"args": process.args', '"args": process.args, "cmdline": open(f"/proc/{process.pid}/cmdline").read(),'
        ' "children": open(f"/proc/{process.pid}/task/{process.pid}/children").read(),'
        ' "mine": open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read()'))
    facts = python(code)
    assert facts["adopted"] == facts["kernel"]
    cmdline = facts["cmdline"].split("\0")[:-1]
    # what jsii's relay (bin/jsii-runtime.js) runs: node, jsii's flags and the relay's, lib/program.js
    assert cmdline[:3] == ["node", "--max-old-space-size=4069", "--preserve-symlinks"]
    assert cmdline[3].endswith("/lib/program.js") and len(cmdline) == 4
    assert facts["children"].split() == [], "the kernel starts no relay or other process"
    assert facts["mine"].split() == [str(facts["kernel"])], "one Node process: the kernel"


def test_a_user_s_jsii_runtime_keeps_jsii_s_relay() -> None:
    runtime = Path(sys.modules["jsii"].__file__ or "").parent / "_embedded" / "jsii"
    if not (runtime / "bin__jsii-runtime.js").is_file():
        pytest.skip("jsii's embedded runtime is not where jsii 1.142 keeps it")
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for resource in ("bin__jsii-runtime.js", "lib__program.js", "lib__runtime-index-worker.js"):
            target = Path(tmp, *resource.split("__"))
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(runtime / resource, target)
        facts = python("import constructs_lib, cdk8s\ncdk8s.App()\n" + KERNEL,
                       {**ENV, "JSII_RUNTIME": str(Path(tmp, "bin", "jsii-runtime.js"))})
    assert facts["adopted"] == facts["kernel"]
    assert facts["args"][:2] == ["node", "--max-old-space-size=4069"]  # as jsii launches it
    assert facts["args"][2].endswith("/bin/jsii-runtime.js")


@pytest.mark.parametrize("first, env", [("import cdk8s; import constructs_lib", {}),
                                        ("import constructs_lib", {_kernel_start.SWITCH: "0"})])
def test_jsii_starts_its_own_kernel_when_cdk8s_came_first_or_when_switched_off(first: str,
                                                                                env: dict[str, str]) -> None:
    facts = python(first + "\n" + KERNEL, {**ENV, **env})
    assert facts["adopted"] is None and facts["kernel"]


def test_the_output_is_the_same_with_and_without_the_early_kernel(tmp_path: Path) -> None:
    for name, env in (("early", ENV), ("off", {**ENV, _kernel_start.SWITCH: "0"})):
        result = subprocess.run([sys.executable, "main.py", "--all-variants", "--outdir", str(tmp_path / name)],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)
        assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "early").glob("*.k8s.yaml"))
    assert len(files) > 1
    for name in files:
        assert (tmp_path / "early" / name).read_bytes() == (tmp_path / "off" / name).read_bytes(), name


def test_the_load_requests_are_the_ones_the_generated_modules_send() -> None:
    import importlib

    for module in (importlib.import_module("constructs._jsii"), importlib.import_module("cdk8s._jsii")):
        assembly = module.__jsii_assembly__
        request = _kernel_start._load_request(assembly.module)
        assert request is not None
        name, version, tarball = request
        assert (name, version) == (assembly.name, assembly.version)
        assert Path(tarball) == Path(str(module.__file__)).parent / assembly.filename


def test_nothing_is_left_behind_at_exit() -> None:
    facts = python("import constructs_lib, json, jsii, os\n"
                   "print(json.dumps({'pid': jsii.kernel.provider._process._process.pid,"
                   " 'args': jsii.kernel.provider._process._process.args}))")
    runtime = Path(facts["args"][-1])
    assert runtime.name == "program.js" and not runtime.parent.parent.exists(), "the runtime's copy is removed"
    assert not Path(f"/proc/{facts['pid']}").exists() or "zombie" in Path(f"/proc/{facts['pid']}/status").read_text()


def test_a_kernel_never_adopted_is_ended_at_exit() -> None:
    """The package's import fails after the kernel started (jsii never asks for it)."""
    code = """
import importlib.abc, json, sys
class Broken(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "constructs_lib._release":
            raise ImportError("broken on purpose")
sys.meta_path.insert(0, Broken())
try:
    import constructs_lib
except ImportError:
    pass
early = sys.modules["constructs_lib._kernel_start"]._early
print(json.dumps({"pid": early.process.pid, "tmpdir": early.tmpdir}))
"""
    facts = python(code)
    assert not Path(facts["tmpdir"]).exists()
    status = Path(f"/proc/{facts['pid']}/status")
    assert not status.exists() or "zombie" in status.read_text()


class _Node:
    """A stand-in for jsii's ``_NodeProcess`` whose kernel answered the early loads with ``answers``."""

    def __init__(self, answers: list[dict[str, Any]]) -> None:
        import contextlib

        self.answers = answers
        self._ctx_stack = contextlib.ExitStack()
        self.shook_hands = False

    def handshake(self) -> None:
        self.shook_hands = True

    def _next_message(self) -> dict[str, Any]:
        return self.answers.pop(0)

    def stop(self) -> None:
        pass


class _Process:
    pid = 0

    def __init__(self) -> None:
        self.stdin: Any = io.BytesIO()
        self.stderr = io.BytesIO(b"")


def test_the_early_answers_are_read_before_the_first_write_and_a_failed_load_raises_what_jsii_raises() -> None:
    import atexit

    from jsii._kernel.providers import process as provider
    from jsii.errors import JSIIError

    node = _Node([{"ok": {"assembly": "constructs", "types": 1}}, {"error": "Error for package tarball x: boom",
                                                                   "name": "@jsii/kernel.Fault", "stack": "at x"}])
    process = _Process()
    raw = process.stdin
    early = _kernel_start._Early(process, None, [("constructs", "1", "a.tgz"),  # type: ignore[arg-type]
                                                 ("cdk8s", "2", "b.tgz")])
    try:
        _kernel_start._adopt(provider, node, early)
        assert not node.shook_hands and len(node.answers) == 2, "nothing read at adoption"
        with pytest.raises(JSIIError, match="boom"):
            process.stdin.write(b"{}\n")
        assert node.shook_hands and not node.answers
        process.stdin.write(b'{"api": "stats"}\n')  # read once: later writes go straight through
        assert raw.getvalue() == b'{"api": "stats"}\n'
    finally:
        atexit.unregister(node.stop)


def test_the_channel_never_waits_on_a_kernel_that_writes_while_python_writes() -> None:
    """Python writes 4 MiB while the other end writes 4 MiB of answers before reading anything:
    with two blocking writes that is a deadlock (each socket buffer holds about 200 KiB); jsii's
    relay process buffered it, the channel reads the answers while it writes."""
    import socket
    import threading

    ours, theirs = socket.socketpair()
    channel = _kernel_start._Channel(ours)
    answers = [b'{"ok":{"n":%d,"pad":"%s"}}\n' % (i, b"x" * (i % 300)) for i in range(20000)]
    requests = [b'{"api":"create","n":%d,"pad":"%s"}\n' % (i, b"y" * (i % 400)) for i in range(20000)]
    received = bytearray()

    def kernel() -> None:
        theirs.sendall(b"".join(answers))  # all answers first, before reading a byte
        while len(received) < sum(map(len, requests)):
            chunk = theirs.recv(1 << 16)
            if not chunk:
                break
            received.extend(chunk)
        theirs.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=kernel, daemon=True)
    thread.start()
    for request in requests:
        channel.writer.write(request)
    channel.writer.flush()  # would block for good without reading
    lines = [channel.reader.readline() for _ in answers]
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert lines == answers and bytes(received) == b"".join(requests)
    assert channel.reader.readline() == b"", "the end of the kernel's output"
    channel.reader.close()
    assert channel.writer.closed and channel.reader.closed


def test_the_channel_reads_lines_split_across_reads_and_a_last_line_without_newline() -> None:
    import socket

    ours, theirs = socket.socketpair()
    channel = _kernel_start._Channel(ours)
    theirs.sendall(b'{"a"')
    theirs.sendall(b':1}\n{"b":2}\n{"c"')
    assert channel.reader.readline() == b'{"a":1}\n'
    assert channel.reader.readline() == b'{"b":2}\n'
    theirs.sendall(b":3}")
    theirs.close()
    assert channel.reader.readline() == b'{"c":3}'
    assert channel.reader.readline() == b""


def test_the_kernel_s_own_stdout_and_stderr_reach_python_s() -> None:
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    os.write(out_w, b"from console.log\n")
    os.write(err_w, b"from console.error\n")
    os.close(out_w)
    os.close(err_w)
    stdout, stderr = io.TextIOWrapper(io.BytesIO()), io.TextIOWrapper(io.BytesIO())
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    try:
        _kernel_start._console((os.fdopen(out_r, "rb"), os.fdopen(err_r, "rb")))
    finally:
        sys.stdout, sys.stderr = saved
    assert stdout.buffer.getvalue() == b"from console.log\n"  # type: ignore[attr-defined]
    assert stderr.buffer.getvalue() == b"from console.error\n"  # type: ignore[attr-defined]


def test_the_kernel_s_log_reaches_python_s_stderr() -> None:
    """``JSII_DEBUG=1``: the kernel logs each request on its stderr."""
    result = subprocess.run([sys.executable, "-c", "import constructs_lib, cdk8s\ncdk8s.App()\nprint('done')"],
                            cwd=ROOT, env={**ENV, "JSII_DEBUG": "1"}, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    assert '> {"name":"constructs","version":' in result.stderr
    assert "[@jsii/kernel] load {" in result.stderr
