"""``make bench``: how fast dagster-cdk8s synthesizes, next to a bare cdk8s app and to Helm.

    python -m bench.run [--quick] [--out FILE]

Rows (each pair interleaved, medians reported):
- cold ``python main.py`` (default system) vs a bare cdk8s app with one ConfigMap;
- cold ``python main.py -f values`` (Celery + RabbitMQ + Flower) vs Helm's Go SDK
  (``helm-python-sdk``: load + render the official chart, ``../shared/reference/``) in a new process;
- warm, one process each: the same build again vs Helm's load + render again;
- scaling: 1/10/50/200 code locations and 1/10/50 Celery queues, both sides (time, objects,
  time per added object), and 200 locations + 50 queues;
- memory: peak of the Python process and of its Node children (the jsii kernel) in one cold
  build, and both after 150 warm builds against after 10 (the target) and 50, and after 300
  against after 150 (whether it levels off).

Prints a markdown table and writes ``bench/RESULTS.md`` (``--quick``: a few iterations and small
sizes, proving the bench works, written to a temporary file unless ``--out`` is given; CI runs it,
with no assertion on timings: machines are noisy).
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = (ROOT / ".." / "shared" / "reference" / "official-chart-1.9.3" / "chart").resolve()
PYTHON = sys.executable
#: Python caches bytecode as it does for any user (a session may run with PYTHONDONTWRITEBYTECODE).
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
       "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK8S_CHECK_UPGRADE": "false",
       "DAGSTER_PG_PASSWORD": "bench", "DAGSTER_RABBITMQ_PASSWORD": "bench", "DAGSTER_REDIS_PASSWORD": "bench"}
#: The values of the Celery + RabbitMQ + Flower system (what examples/values/ ships), plus passwords.
CELERY_FILES = ("examples/values/_common.yaml", "examples/values/celery-rabbitmq.yaml")
PASSWORDS = {"postgresql": {"postgresqlPassword": "bench"}, "rabbitmq": {"rabbitmq": {"password": "bench"}}}


@dataclass(frozen=True)
class Settings:
    cold_pairs: int
    warm_rounds: int
    scale_rounds: int
    locations: tuple[int, ...]
    queues: tuple[int, ...]
    big: tuple[int, int]
    memory_builds: int
    memory_baseline: int
    memory_checkpoints: tuple[int, ...]
    memory_target: int  # growth from memory_baseline (and the first checkpoint) to this build is the target's


FULL = Settings(cold_pairs=7, warm_rounds=25, scale_rounds=5, locations=(1, 10, 50, 200), queues=(1, 10, 50),
                big=(200, 50), memory_builds=300, memory_baseline=10, memory_checkpoints=(50, 100, 150),
                memory_target=150)
QUICK = Settings(cold_pairs=1, warm_rounds=2, scale_rounds=1, locations=(1, 2), queues=(1, 2), big=(2, 2),
                 memory_builds=3, memory_baseline=1, memory_checkpoints=(2,), memory_target=2)


# ---- values -------------------------------------------------------------------------------------
def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Helm's layering of two values maps (maps merge, the later value wins)."""
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def celery_values() -> dict[str, Any]:
    """One values file for both sides (the bench itself never starts a jsii kernel)."""
    merged: dict[str, Any] = {}
    for file in CELERY_FILES:
        merged = merge(merged, yaml.safe_load((ROOT / file).read_text()))
    return merge(merged, PASSWORDS)


def scaled_values(base: dict[str, Any], locations: int, queues: int) -> dict[str, Any]:
    """``base`` with ``locations`` code locations and ``queues`` Celery queues."""
    values = copy.deepcopy(base)
    template = values["dagster-user-deployments"]["deployments"][0]
    values["dagster-user-deployments"]["deployments"] = [
        {**copy.deepcopy(template), "name": f"location-{i}"} for i in range(locations)]
    celery = values["runLauncher"].setdefault("config", {}).setdefault("celeryK8sRunLauncher", {})
    celery["workerQueues"] = [{"name": "dagster" if i == 0 else f"queue-{i}", "replicaCount": 1}
                              for i in range(queues)]
    return values


# ---- processes ----------------------------------------------------------------------------------
def timed(argv: Sequence[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


class Worker:
    """A warm process of one side (bench/worker.py)."""

    def __init__(self, side: str) -> None:
        self.process = subprocess.Popen([PYTHON, str(ROOT / "bench" / "worker.py"), side, str(CHART)], cwd=ROOT,
                                        env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"bench worker died (exit {self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def build(self, values: Path, outdir: Path, *, phases: bool = False) -> dict[str, Any]:
        return self.ask({"values": str(values), "outdir": str(outdir), "phases": phases})

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


@contextmanager
def workers() -> Iterator[tuple[Worker, Worker]]:
    ours, helm = Worker("ours"), Worker("helm")
    try:
        yield ours, helm
    finally:
        ours.close()
        helm.close()


def interleaved(rounds: int, first: Callable[[], float], second: Callable[[], float]) -> tuple[float, float]:
    """Medians of ``rounds`` pairs, alternating which of the two runs first."""
    a: list[float] = []
    b: list[float] = []
    for i in range(rounds):
        if i % 2:
            b.append(second())
            a.append(first())
        else:
            a.append(first())
            b.append(second())
    return statistics.median(a), statistics.median(b)


# ---- the run ------------------------------------------------------------------------------------
@dataclass
class Row:
    what: str
    ours: str
    reference: str
    ratio: str

    def __post_init__(self) -> None:
        print(f"  {self.what}: {self.ours} | {self.reference} | {self.ratio}", file=sys.stderr, flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def run(s: Settings, work: Path) -> tuple[list[Row], list[list[str]], list[Row], dict[str, Any]]:
    out = work / "out"
    base = celery_values()
    files: dict[tuple[int, int], Path] = {}

    def values_file(locations: int, queues: int) -> Path:
        if (locations, queues) not in files:
            path = work / f"values-{locations}-{queues}.yaml"
            path.write_text(yaml.safe_dump(scaled_values(base, locations, queues), sort_keys=False))
            files[locations, queues] = path
        return files[locations, queues]

    celery = work / "celery.yaml"
    celery.write_text(yaml.safe_dump(base, sort_keys=False))
    rows: list[Row] = []

    # cold: one new process per build
    default_s, bare_s = interleaved(
        s.cold_pairs, lambda: timed([PYTHON, "main.py", "--outdir", str(out / "default")]),
        lambda: timed([PYTHON, "bench/bare_app.py", str(out / "bare")]))
    rows.append(Row("cold `python main.py` (default system) vs a bare cdk8s app with one ConfigMap",
                    ms(default_s), ms(bare_s), f"{default_s / bare_s:.2f}"))
    cold_s, helm_cold_s = interleaved(
        s.cold_pairs, lambda: timed([PYTHON, "main.py", "-f", str(celery), "--outdir", str(out / "celery")]),
        lambda: timed([PYTHON, "bench/helm_render.py", str(CHART), str(celery), str(out / "helm")]))
    rows.append(Row("cold, Celery + RabbitMQ + Flower values, vs Helm's Go SDK (`helm-python-sdk`) load + render",
                    ms(cold_s), ms(helm_cold_s), f"{cold_s / helm_cold_s:.2f}"))

    scale: list[list[str]] = []
    memory_rows: list[Row] = []
    facts: dict[str, Any] = {}
    with workers() as (ours, helm):
        def pair(values: Path, rounds: int) -> tuple[float, float, int, int]:
            counts: dict[str, int] = {}

            def one(worker: Worker, name: str) -> Callable[[], float]:
                def go() -> float:
                    answer = worker.build(values, out / name)
                    counts[name] = answer["objects"]
                    return float(answer["seconds"])
                return go

            one(ours, "ours")()  # warm-up of this input
            one(helm, "helm")()
            a, b = interleaved(rounds, one(ours, "ours"), one(helm, "helm"))
            return a, b, counts["ours"], counts["helm"]

        first_build = {"ours": ours.build(celery, out / "ours"), "helm": helm.build(celery, out / "helm")}
        facts["cold_memory"] = {"ours": ours.ask({"memory": True}), "helm": helm.ask({"memory": True})}
        facts["first_build"] = first_build
        for _ in range(3):
            pair(celery, 1)
        warm_s, helm_warm_s, n_ours, n_helm = pair(celery, s.warm_rounds)
        rows.append(Row(f"warm build + synth in one process, same values ({n_ours} objects; Helm {n_helm}), "
                        "vs Helm load + render", ms(warm_s), ms(helm_warm_s), f"{warm_s / helm_warm_s:.2f}"))
        big_l, big_q = s.big
        big_s, helm_big_s, big_ours, big_helm = pair(values_file(big_l, big_q), s.scale_rounds)
        rows.append(Row(f"warm, {big_l} code locations + {big_q} queues ({big_ours} objects; Helm {big_helm}), "
                        "vs Helm load + render", ms(big_s), ms(helm_big_s), f"{big_s / helm_big_s:.2f}"))
        facts["phases"] = [ours.build(values_file(big_l, big_q), out / "ours", phases=True)
                           for _ in range(s.scale_rounds)]

        for axis, sizes in (("code locations", s.locations), ("queues", s.queues)):
            points = []
            for n in sizes:
                a, b, n_ours, n_helm = pair(values_file(n, 1) if axis == "code locations" else values_file(1, n),
                                            s.scale_rounds)
                points.append((n, a, b, n_ours, n_helm))
                scale.append([f"{n} {axis}", ms(a), str(n_ours), ms(b), str(n_helm), f"{a / b:.2f}"])
                print(f"  {' | '.join(scale[-1])}", file=sys.stderr, flush=True)
            ours_fit = fit([p[3] for p in points], [p[1] for p in points])
            helm_fit = fit([p[4] for p in points], [p[2] for p in points])
            per = axis[:-1]
            scale.append([f"per added object, {axis} (least squares; R²)",
                          f"{ms(ours_fit[0])} (R² {ours_fit[1]:.3f})", "",
                          f"{ms(helm_fit[0])} (R² {helm_fit[1]:.3f})", "",
                          f"{ours_fit[0] / helm_fit[0]:.2f}" if helm_fit[0] > 0 else "-"])
            (n0, a0, b0, o0, h0), (n1, a1, b1, o1, h1) = points[0], points[-1]
            scale.append([f"per added {per} ({n0} -> {n1})", ms((a1 - a0) / (n1 - n0)),
                          f"{(o1 - o0) / (n1 - n0):.0f} each", ms((b1 - b0) / (n1 - n0)),
                          f"{(h1 - h0) / (n1 - n0):.0f} each", ""])

    # memory over many warm builds of the Celery system, in fresh processes (the scaling runs
    # above grew the heaps)
    checkpoints = sorted({s.memory_baseline, *s.memory_checkpoints, s.memory_builds})
    with workers() as (ours, helm):
        first = Worker("ours-cdk8s-first")
        for worker, name in ((ours, "ours"), (helm, "helm"), (first, "ours_cdk8s_first")):
            seen: dict[int, dict[str, float]] = {}
            for build in range(1, s.memory_builds + 1):
                worker.build(celery, out / name)
                if build in checkpoints:
                    seen[build] = worker.ask({"memory": True})
            facts[f"memory_{name}"] = seen
        first.close()
    cm = facts["cold_memory"]
    memory_rows.append(Row("peak, one process that built once: Python / its Node children (jsii kernel)",
                           f"{cm['ours']['python_peak']:.0f} / {cm['ours']['node_peak']:.0f} MiB",
                           f"{cm['helm']['python_peak']:.0f} MiB / - (Go SDK in-process)", ""))
    totals: dict[str, dict[int, float]] = {}
    for name in ("ours", "helm", "ours_cdk8s_first"):
        seen = facts[f"memory_{name}"]
        totals[name] = {b: m["python_rss"] + m["node_rss"] for b, m in seen.items()}
    for build in checkpoints:
        m = facts["memory_ours"][build]
        memory_rows.append(Row(f"resident after {build} warm builds (Python + Node)",
                               f"{totals['ours'][build]:.0f} MiB ({m['python_rss']:.0f} + {m['node_rss']:.0f})",
                               f"{totals['helm'][build]:.0f} MiB", ""))
    growths = [(start, s.memory_target) for start in sorted({s.memory_baseline, *s.memory_checkpoints})[:2]
               if start < s.memory_target]
    if s.memory_builds > s.memory_target:
        growths.append((s.memory_target, s.memory_builds))
    for start, end in growths:
        memory_rows.append(Row(
            f"growth from build {start} to build {end}",
            f"{(totals['ours'][end] / totals['ours'][start] - 1) * 100:+.1f} %",
            f"{(totals['helm'][end] / totals['helm'][start] - 1) * 100:+.1f} %", ""))
    # a program that imports cdk8s before the library: jsii starts its own kernel (relay + kernel)
    cf, start, end = facts["memory_ours_cdk8s_first"], s.memory_baseline, s.memory_target
    memory_rows.append(Row(
        f"cdk8s imported before the library (jsii's own kernel: relay + kernel), resident after {start} / {end} "
        "warm builds (Python + Node)",
        f"{totals['ours_cdk8s_first'][start]:.0f} / {totals['ours_cdk8s_first'][end]:.0f} MiB "
        f"({(totals['ours_cdk8s_first'][end] / totals['ours_cdk8s_first'][start] - 1) * 100:+.1f} %; Node "
        f"{cf[start]['node_rss']:.0f} / {cf[end]['node_rss']:.0f})", "", ""))
    return rows, scale, memory_rows, facts


def phase_table(builds: Sequence[dict[str, Any]]) -> tuple[list[list[str]], int]:
    """Medians per step of builds answered with ``phases`` (wall, Python CPU, Node CPU), a total
    row, and the round trips of one build."""
    steps = list(builds[0]["phases"])
    rows = []
    totals = [0.0, 0.0, 0.0]
    for step in steps:
        med = [statistics.median(b["phases"][step][i] for b in builds) for i in range(3)]
        totals = [t + m for t, m in zip(totals, med, strict=True)]
        rows.append([step, ms(med[0]), ms(med[1]), ms(med[2])])
    rows.append(["**total**", f"**{ms(totals[0])}**", f"**{ms(totals[1])}**", f"**{ms(totals[2])}**"])
    return rows, int(statistics.median(b["round_trips"] for b in builds))


#: What the profiles (cProfile; ``node --cpu-prof`` through ``JSII_NODE``) show is left, and why.
WHAT_IS_LEFT = """\
What is left is work, not waiting: a build of 200 code locations + 50 queues makes about a dozen
round trips to the jsii kernel (it made about 1,400: one per object; now the objects a
DagsterChart makes are queued and written ahead, the kernel creating one batch while Python
builds the next, see `constructs_lib/_transport.py`). A create carries only the object's type,
name and namespace: its labels, annotations and body stay in Python until an escape hatch
(`add_json_patch`, `.metadata`) needs them on the Node side. In `App.synth()` Node works out the
objects' order and asks the DagsterChart for its documents as one JSON string, which the
library's own jsii assembly (`constructs_lib/_native.js`) parses and writes as YAML in one pass,
byte for byte what cdk8s's `yaml` writer writes. The values are read in one pass over libyaml's
events and translated with equal pod settings checked once; the constructs check each distinct
label, name, image and resources block once (`apiserver.py`'s known-good caches; a problem is
never cached) and derive workload variants checking only what changed. What is left per object:
in Python, building and checking each object and rendering it (`json.dumps` of the documents
about 20 ms); in Node, each object's jsii peer (create, registration, release: about 0.05 ms
each) and cdk8s's own synthesis and our YAML writer (about 70 ms). Node's start is in every cold
run, the bare cdk8s app's too. Helm renders Go templates to text in one process; its own
figures move between runs on this machine (200 + 50: 187-318 ms in today's runs)."""


#: Where a cold run's time goes (measured with timestamps in the process and CPU profiles of both sides).
COLD_NOTE = """\
Cold, the critical path is Node's start: jsii's kernel starting and loading the
`constructs` and `cdk8s` libraries takes about 0.3 s of the bare app's 0.6 s, and Python waits for
it (jsii's entry point is a relay: a first Node process that starts the kernel, a second one, and
copies bytes between them). The library launches the kernel itself at its import, one Node process
with the API socket on its fd 3, and sends it the two loads at once
(`constructs_lib/_kernel_start.py`), so its own imports, the values and the command line (about
0.3 s of Python) run on the other core meanwhile, and Python waits only at its first request; after
it come the build, the synthesis and the write. On one core, or on a machine whose cores are busy,
nothing overlaps and the imports add to the wait (`DAGSTER_CDK8S_EARLY_KERNEL=0` shows the
difference)."""

#: What ``python -m bench.memory_live`` shows grows over many warm builds (the rows above are resident memory).
MEMORY_NOTE = """\
The rows above are resident memory, not what the processes keep alive. `python -m bench.memory_live`
(300 warm builds of the same system; inside the jsii kernel a full GC every 250 ms) shows what grows:
after every released build the kernel's object table and Python's jsii reference map are empty (0
objects), and the kernel's live heap after a full GC stays at 8-9 MiB from build 1 to build 300.
What grows is the heap V8 keeps for that live heap: its young generation grows from 8 to 32 MiB
(two semi-spaces of 16 MiB, V8's maximum) within the first ~50 builds, and between full collections
its old generation holds garbage up to an allocation limit V8 sets as a multiple of the live heap.
That is V8 sizing its heap to the allocation rate, not a leak. Capping the young generation
(`--max-semi-space-size` 1-8 MiB for the kernel) made warm builds up to 20 % slower and still grew
(+23-24 % from build 10 to 150: more garbage promoted to the old generation), and starting it at
full size (`--min-semi-space-size=16`) only moves the plateau earlier (+8-10 % from build 10, the
same ~150 MiB after 100 builds); a forced full GC after each build keeps it flat (+5 %) but costs
about 12 ms and makes the next builds slower. So the library keeps V8's defaults. The kernel the
library starts is one Node process; a program that imports `cdk8s` first gets jsii's relay as well
(the last row: about 50 MiB more, the same growth)."""


def fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares slope of ``ys`` over ``xs`` and its R² (1.0: a straight line)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0, 1.0
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    ss_res = sum((y - my - slope * (x - mx)) ** 2 for x, y in zip(xs, ys, strict=True))
    ss_tot = sum((y - my) ** 2 for y in ys)
    return slope, 1 - ss_res / ss_tot if ss_tot else 1.0


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _busy(load: str) -> bool:
    try:
        return float(load.split()[0]) > (os.cpu_count() or 1)
    except (ValueError, IndexError):
        return False


def report(s: Settings, quick: bool) -> str:
    started = datetime.datetime.now(datetime.UTC)
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="dagster-cdk8s-bench-") as tmp:
        t0 = time.perf_counter()
        rows, scale, memory_rows, facts = run(s, Path(tmp))
        took = time.perf_counter() - t0
    phase_rows, round_trips = phase_table(facts["phases"])
    header = (f"# Synthesis speed: dagster-cdk8s vs a bare cdk8s app and Helm\n\n"
              f"Run {'(quick mode: not a measurement) ' if quick else ''}"
              f"{started:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({platform.machine()}, "
              f"Python {platform.python_version()}), load average {load_before} before and "
              f"{load_average()} after; took {took:.0f} s. `make bench` reruns it.\n"
              f"Medians of interleaved pairs ({s.cold_pairs} cold pairs, {s.warm_rounds} warm rounds, "
              f"{s.scale_rounds} per scaling point). Helm is Helm's Go SDK (`helm-python-sdk`) rendering "
              "the official chart 1.9.3 with the same values file (a fresh chart load per render: "
              "rendering drops disabled subcharts from the loaded chart).\n")
    if _busy(load_before):
        header += ("\n**The machine was busy** (load average above its core count): absolute times are "
                   "inflated several-fold and noisy; read the ratios of the interleaved pairs.\n")
    return "\n\n".join([
        header,
        table(["what", "ours", "reference", "ratio"], [[r.what, r.ours, r.reference, r.ratio] for r in rows]),
        COLD_NOTE,
        "### Scaling (warm, one process each)",
        table(["input", "ours", "objects", "Helm", "objects", "ratio"], scale),
        "### Memory",
        table(["what", "ours", "Helm"], [[r.what, r.ours, r.reference] for r in memory_rows]),
        MEMORY_NOTE,
        f"### Where the time goes (warm, {s.big[0]} code locations + {s.big[1]} queues)",
        f"Medians of {len(facts['phases'])} builds; {round_trips} round trips to the jsii kernel per build. "
        "CPU times are this process's and its Node children's (the jsii kernel).",
        table(["step", "wall", "Python CPU", "Node CPU"], phase_rows),
        WHAT_IS_LEFT,
    ]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few iterations, small sizes: proves it works")
    parser.add_argument("--out", help="where to write the markdown (default: bench/RESULTS.md; --quick: a temp file)")
    args = parser.parse_args(argv)
    if not CHART.is_dir():
        parser.error(f"the official chart is not at {CHART}")
    text = report(QUICK if args.quick else FULL, args.quick)
    print(text)
    out = Path(args.out) if args.out else (None if args.quick else ROOT / "bench" / "RESULTS.md")
    if out is not None:
        out.write_text(text)
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
