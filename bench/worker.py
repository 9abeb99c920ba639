"""A warm process for one side of the bench: builds on request, reports time, objects, memory.

    python bench/worker.py ours|helm CHART_DIR

Reads one JSON request a line on stdin, answers one JSON line on stdout:
``{"values": FILE, "outdir": DIR}`` builds once (ours: ``load_values`` -> ``from_helm_values`` ->
``DagsterChart`` -> ``App.synth()``, exactly what ``main.py -f FILE`` does; helm: load the chart
and render it with the same values file) and answers ``{"seconds": ..., "objects": ...}``;
``{"memory": true}`` answers the resident and peak memory of this process and of its Node
children (the jsii kernel).
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


def ours() -> Any:
    import cdk8s

    from constructs_lib import DagsterChart, released
    from constructs_lib.helm import from_helm_values, load_values

    def build(values: str, outdir: str) -> int:
        config = from_helm_values(load_values([values]), release="dagster", namespace=None)
        with released():  # a long-running process frees each build's jsii objects
            app = cdk8s.App(outdir=outdir)
            DagsterChart(app, "dagster", config=config)
            app.synth()
        return 0

    def count(outdir: str) -> int:
        text = (Path(outdir) / "dagster.k8s.yaml").read_text()
        return text.count("\n---\n") + 1

    return build, count


def helm(chart_dir: str) -> Any:
    import yaml

    from bench.helm_render import render

    def build(values: str, outdir: str) -> int:
        manifests = render(chart_dir, yaml.load(Path(values).read_text(), Loader=yaml.CSafeLoader))
        (Path(outdir) / "helm.yaml").write_text(manifests)
        return 0

    def count(outdir: str) -> int:
        docs = yaml.load_all((Path(outdir) / "helm.yaml").read_text(), Loader=yaml.CSafeLoader)
        return sum(1 for d in docs if d)

    return build, count


def main() -> None:
    side, chart_dir = sys.argv[1:3]
    build, count = ours() if side == "ours" else helm(chart_dir)
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("memory"):
            answer: dict[str, Any] = memory()
        else:
            Path(request["outdir"]).mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            build(request["values"], request["outdir"])
            seconds = time.perf_counter() - start
            answer = {"seconds": seconds, "objects": count(request["outdir"])}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
