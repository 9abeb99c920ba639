"""A warm process for one side of the bench: builds on request, reports time, objects, memory.

    python bench/worker.py ours|helm CHART_DIR

Reads one JSON request a line on stdin, answers one JSON line on stdout:
``{"values": FILE, "outdir": DIR}`` builds once (ours: ``load_values`` -> ``from_helm_values`` ->
``DagsterChart`` -> ``App.synth()``, exactly what ``main.py -f FILE`` does; helm: load the chart
and render it with the same values file) and answers ``{"seconds": ..., "objects": ...}``;
``{"memory": true}`` answers the resident and peak memory of this process and of its Node
children (the jsii kernel). Ours also answers ``"round_trips"`` (the requests that waited for the
kernel's answer) and, asked with ``"phases": true``, ``"phases"``: per step of the build its wall
time, this process's CPU time and its Node children's CPU time.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (KiB) of a process."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def memory() -> dict[str, float]:
    """MiB: this process and its descendants (the jsii kernel's Node processes), now and at peak."""
    me = _status(os.getpid())
    rss = hwm = 0
    for pid in _descendants(os.getpid()):
        try:
            st = _status(pid)
        except OSError:
            continue
        rss += st.get("VmRSS", 0)
        hwm += st.get("VmHWM", 0)
    return {"python_rss": me["VmRSS"] / 1024, "python_peak": me["VmHWM"] / 1024,
            "node_rss": rss / 1024, "node_peak": hwm / 1024}


_kernel: list[int] = []


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's descendants (the jsii kernel's Node processes,
    found once: reading two stat files costs microseconds)."""
    if not _kernel:
        _kernel.extend(_descendants(os.getpid()))
    total = 0
    for pid in _kernel:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


#: The steps of a build, as the bench reports them.
PHASES = ("read the values files", "translate values to constructs' props", "build the constructs",
          "App.synth() (render, hand over, YAML)", "release the jsii objects")


def ours(cdk8s_first: bool = False) -> Any:
    """Our side. The library is imported first, as ``main.py`` and the CLI do: it then starts the
    jsii kernel itself (``constructs_lib/_kernel_start.py``: early, one Node process). With
    ``cdk8s_first`` (what a program that imports ``cdk8s`` before the library gets), jsii starts its
    kernel at ``import cdk8s``: its relay and the kernel, two Node processes."""
    import importlib

    for module in ("cdk8s", "constructs_lib") if cdk8s_first else ("constructs_lib", "cdk8s"):
        importlib.import_module(module)
    import cdk8s
    from jsii._kernel.providers import process

    from constructs_lib import DagsterChart, released
    from constructs_lib.helm import from_helm_values, load_values

    round_trips = [0]
    send = process._NodeProcess.send

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        round_trips[0] += 1
        return send(self, *args, **kwargs)

    process._NodeProcess.send = counting  # type: ignore[method-assign]

    def build(values: str, outdir: str, phases: bool) -> dict[str, Any]:
        marks: list[tuple[float, float, float]] = []

        def mark() -> None:
            if phases:
                marks.append((time.perf_counter(), time.process_time(), _children_cpu()))

        round_trips[0] = 0
        mark()
        raw = load_values([values])
        mark()
        config = from_helm_values(raw, release="dagster", namespace=None)
        mark()
        with released():  # a long-running process frees each build's jsii objects
            app = cdk8s.App(outdir=outdir)
            DagsterChart(app, "dagster", config=config)
            mark()
            app.synth()
            mark()
        mark()
        if not phases:
            return {"round_trips": round_trips[0]}
        return {"round_trips": round_trips[0], "phases": {
            name: [b[i] - a[i] for i in range(3)] for name, a, b in zip(PHASES, marks[:-1], marks[1:], strict=True)}}

    def count(outdir: str) -> int:
        text = (Path(outdir) / "dagster.k8s.yaml").read_text()
        return text.count("\n---\n") + 1

    return build, count


def helm(chart_dir: str) -> Any:
    import yaml

    from bench.helm_render import render

    def build(values: str, outdir: str, phases: bool) -> dict[str, Any]:
        manifests = render(chart_dir, yaml.load(Path(values).read_text(), Loader=yaml.CSafeLoader))
        (Path(outdir) / "helm.yaml").write_text(manifests)
        return {}

    def count(outdir: str) -> int:
        docs = yaml.load_all((Path(outdir) / "helm.yaml").read_text(), Loader=yaml.CSafeLoader)
        return sum(1 for d in docs if d)

    return build, count


def main() -> None:
    side, chart_dir = sys.argv[1:3]
    build, count = ours(side == "ours-cdk8s-first") if side.startswith("ours") else helm(chart_dir)
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("memory"):
            answer: dict[str, Any] = memory()
        else:
            Path(request["outdir"]).mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            facts = build(request["values"], request["outdir"], bool(request.get("phases")))
            seconds = time.perf_counter() - start
            answer = {"seconds": seconds, "objects": count(request["outdir"]), **facts}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
