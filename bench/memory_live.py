"""Leak or heap sizing? What grows over many warm builds in one process.

    python -m bench.memory_live [BUILDS]     # default 300

Builds the Celery + RabbitMQ + Flower system BUILDS times in one process, exactly as the bench's
memory rows do (``bench/worker.py``: read the values, translate them, ``DagsterChart``,
``App.synth()``, inside ``constructs_lib.released()``), and prints at checkpoints:

- the jsii kernel's object table (jsii's ``stats`` request) and Python's jsii reference map:
  both 0 after each released build, or jsii objects leak;
- the resident memory of this process and of its Node children (what the bench reports);
- from inside the kernel (``bench/heap_probe.js``, preloaded with ``--expose-gc``: a full GC every
  250 ms while it serves requests): V8's live heap after a full GC, and the heap V8 keeps (young
  generation and old generation). A leak grows the live heap; heap sizing grows only the kept heap.

The probe's forced collections change what they observe (the kept heap stays smaller than in the
bench's rows): read its live heap, and take resident memory from ``make bench``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    builds = int(argv[0]) if argv else 300
    checkpoints = sorted({1, 10, 50, 100, 150, builds, *range(0, builds + 1, 50)} - {0})
    with tempfile.TemporaryDirectory(prefix="dagster-cdk8s-memory-") as tmp:
        probe = Path(tmp) / "heap.jsonl"
        os.environ["HEAP_PROBE_FILE"] = str(probe)
        os.environ["NODE_OPTIONS"] = " ".join(filter(None, [
            os.environ.get("NODE_OPTIONS"), "--expose-gc", f"--require={ROOT / 'bench' / 'heap_probe.js'}"]))
        sys.path.insert(0, str(ROOT))
        import jsii
        from jsii import _reference_map

        from bench.run import celery_values
        from bench.worker import memory, ours

        values = Path(tmp) / "celery.yaml"
        values.write_text(yaml.safe_dump(celery_values(), sort_keys=False))
        outdir = Path(tmp) / "out"
        outdir.mkdir()
        build, _ = ours()
        stats: Any = jsii.kernel.stats  # the kernel's object count (jsii's stats request)
        rows: list[list[str]] = []
        for n in range(1, builds + 1):
            build(str(values), str(outdir), False)
            if n not in checkpoints:
                continue
            m = memory()
            last: dict[str, Any] = json.loads(probe.read_text().splitlines()[-1]) if probe.exists() else {}
            spaces = last.get("spaces", {})
            rows.append([str(n), str(stats().object_count), str(len(_reference_map._refs._refs)),
                         f"{m['python_rss']:.0f} + {m['node_rss']:.0f}",
                         f"{last.get('live_after_gc', '?')}", f"{last.get('heap_size', '?')}",
                         f"{spaces.get('new_space', '?')} / {spaces.get('old_space', '?')}"])
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    header = ["build", "kernel objects", "Python refs", "resident MiB (Python + Node)",
              "kernel live heap after full GC (MiB)", "kernel heap kept (MiB)", "young / old generation (MiB)"]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    print("\n".join("| " + " | ".join(r) + " |" for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
