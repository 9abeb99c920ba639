"""The scanner gate: checkov (pinned, its own venv, offline) over our output and the chart's.

Synthesizes the chart's defaults and Celery + RabbitMQ + Flower through the Helm drop-in
(``main.py --set ...``), each under the ``default`` and the ``hardened`` security profile,
without and with a namespace, scans them together with the official chart 1.9.3's renders
of the same two systems (``../shared/reference/official-chart-1.9.3/``, plain renders without
a namespace), prints the failed-check counts side by side and fails (exit 1) unless:

- ``hardened`` fails nothing but CKV_K8S_43 (images by digest) and, without a namespace,
  CKV_K8S_21 (objects in the ``default`` namespace);
- ``default``, like for like with the chart (both rendered without a namespace), fails at
  most a quarter of the chart's count, CKV_K8S_21 left out on both sides: that check fails
  once per namespaced object that has no ``metadata.namespace`` (the chart's render: 24 and
  39 objects; ours: 22 and 33), so without a namespace no output with as many objects as the
  chart's can reach a quarter of the chart's total (21 for the defaults: our 22 namespaced
  objects alone exceed it). The namespace is an input of the install (``helm install -n``,
  ``kubectl apply -n``), which checkov itself models for Helm with ``HELM_NAMESPACE`` (then
  CKV_K8S_21 passes everywhere, the chart's included); every other check is counted;
- ``default`` with a namespace (``--namespace``: ``metadata.namespace`` on every object)
  fails at most a quarter of the chart's total, CKV_K8S_21 included;
- ours has no more objects failing CKV_K8S_21 than the chart's render (the left-out check
  does not hide extra objects).

    .venv/bin/python scripts/checkov_gate.py [--checkov .venv-checkov/bin/checkov] [--keep DIR]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHART_RENDERS = ROOT.parent / "shared" / "reference" / "official-chart-1.9.3"
PASSWORDS = ["--set", "postgresql.postgresqlPassword=scan-only", "--set", "rabbitmq.rabbitmq.password=scan-only"]
#: The two systems of the issue: Helm values as --set, and the chart's render of the same.
SYSTEMS = {
    "chart-defaults": ([], "k8s-run-launcher.yaml"),
    "celery-rabbitmq-flower": (["--set", "runLauncher.type=CeleryK8sRunLauncher", "--set", "rabbitmq.enabled=true",
                                "--set", "flower.enabled=true"], "celery-rabbitmq-flower.yaml"),
}
PROFILES = ("default", "hardened")
NAMESPACE = "dagster"
DIGEST = "CKV_K8S_43"
DEFAULT_NAMESPACE = "CKV_K8S_21"
OFFICIAL = "official chart 1.9.3"


def synthesize(outdir: Path) -> dict[str, Path]:
    """One YAML file per (system, profile, namespace); returns them by scan label."""
    files = {}
    for system, (sets, _) in SYSTEMS.items():
        for profile in PROFILES:
            for namespace in (None, NAMESPACE):
                label = f"{system}/{profile}" + (f"/ns={namespace}" if namespace else "")
                target = outdir / label.replace("/", "__").replace("=", "-")
                args = [sys.executable, str(ROOT / "main.py"), *PASSWORDS, *sets, "--security-profile", profile,
                        "--outdir", str(target)]
                if namespace:
                    args += ["--namespace", namespace]
                subprocess.run(args, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
                files[label] = target / "dagster.k8s.yaml"
    for system, (_, render) in SYSTEMS.items():
        target = outdir / f"official__{system}"
        target.mkdir()
        # The renders carry a `# Source:` comment per document; checkov reads the YAML as it is.
        (target / "chart.yaml").write_text((CHART_RENDERS / render).read_text())
        files[f"{system}/{OFFICIAL}"] = target / "chart.yaml"
    return files


def scan(checkov: str, files: dict[str, Path], outdir: Path) -> dict[str, collections.Counter[str]]:
    """Failed checks per file (check id -> count), one checkov run over all files, offline."""
    outdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    args = [checkov, "--skip-download", "--framework", "kubernetes", "--quiet", "--compact", "-o", "json",
            "--output-file-path", str(outdir / "report")]
    for path in files.values():
        args += ["-f", str(path)]
    result = subprocess.run(args, env=env, cwd=outdir, capture_output=True, text=True)
    report_path = outdir / "report" / "results_json.json"
    if result.returncode not in (0, 1) or not report_path.exists():
        sys.exit(f"checkov failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    report = json.loads(report_path.read_text())
    reports = report if isinstance(report, list) else [report]
    by_path = {str(p.resolve()): label for label, p in files.items()}
    failed: dict[str, collections.Counter[str]] = {label: collections.Counter() for label in files}
    for rep in reports:
        for finding in rep.get("results", {}).get("failed_checks", []):
            path = str(Path(finding["file_abs_path"]).resolve())
            failed[by_path[path]][finding["check_id"]] += 1
    return failed


def _without(counts: collections.Counter[str], check: str) -> int:
    return sum(n for k, n in counts.items() if k != check)


def gate(failed: dict[str, collections.Counter[str]]) -> list[str]:
    problems = []
    for system in SYSTEMS:
        chart = failed[f"{system}/{OFFICIAL}"]
        ours, ours_ns = failed[f"{system}/default"], failed[f"{system}/default/ns={NAMESPACE}"]
        like = _without(chart, DEFAULT_NAMESPACE) // 4
        if _without(ours, DEFAULT_NAMESPACE) > like:
            problems.append(f"{system}: default profile fails {_without(ours, DEFAULT_NAMESPACE)} checks other than "
                            f"{DEFAULT_NAMESPACE} without a namespace; at most {like} (a quarter of the official "
                            f"chart's {_without(chart, DEFAULT_NAMESPACE)})")
        total = sum(chart.values()) // 4
        if sum(ours_ns.values()) > total:
            problems.append(f"{system}: default profile fails {sum(ours_ns.values())} checks in a namespace; at most "
                            f"{total} (a quarter of the official chart's {sum(chart.values())})")
        if ours[DEFAULT_NAMESPACE] > chart[DEFAULT_NAMESPACE]:
            problems.append(f"{system}: {ours[DEFAULT_NAMESPACE]} objects fail {DEFAULT_NAMESPACE} without a "
                            f"namespace, more than the official chart's {chart[DEFAULT_NAMESPACE]}")
        for label, allowed in ((f"{system}/hardened", {DIGEST, DEFAULT_NAMESPACE}),
                               (f"{system}/hardened/ns={NAMESPACE}", {DIGEST})):
            extra = sorted(set(failed[label]) - allowed)
            if extra:
                problems.append(f"{label}: fails {extra} (allowed: {sorted(allowed)})")
    return problems


def table(failed: dict[str, collections.Counter[str]]) -> str:
    lines = [f"{'scan':52} {'failed':>6} {'w/o ' + DEFAULT_NAMESPACE:>15}  by check"]
    for label, counts in failed.items():
        detail = " ".join(f"{k}:{v}" for k, v in sorted(counts.items()))
        lines.append(f"{label:52} {sum(counts.values()):>6} {_without(counts, DEFAULT_NAMESPACE):>15}  {detail}")
    lines += ["", "side by side (failed checks; in brackets: without CKV_K8S_21):"]
    lines.append(f"{'system':24} {OFFICIAL:>21} {'bound':>9} {'default':>9} {'default ns':>11} "
                 f"{'hardened':>9} {'hardened ns':>12}")
    for system in SYSTEMS:
        chart = failed[f"{system}/{OFFICIAL}"]

        def cell(counts: collections.Counter[str], width: int) -> str:
            return f"{sum(counts.values())} ({_without(counts, DEFAULT_NAMESPACE)})".rjust(width)

        bound = f"{sum(chart.values()) // 4} ({_without(chart, DEFAULT_NAMESPACE) // 4})"
        lines.append(f"{system:24} {cell(chart, 21)} {bound:>9} {cell(failed[f'{system}/default'], 9)} "
                     f"{cell(failed[f'{system}/default/ns={NAMESPACE}'], 11)} {cell(failed[f'{system}/hardened'], 9)} "
                     f"{cell(failed[f'{system}/hardened/ns={NAMESPACE}'], 12)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkov", default=str(ROOT / ".venv-checkov" / "bin" / "checkov"))
    parser.add_argument("--keep", type=Path, help="write the scanned files and the report here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="checkov-gate-") as tmp:
        outdir = args.keep or Path(tmp)
        outdir.mkdir(parents=True, exist_ok=True)
        files = synthesize(outdir)
        # Two runs: checkov's graph checks (CKV2_K8S_6) connect objects across the files of
        # one run, and our NetworkPolicies select the chart's pods (same labels).
        ours = {k: p for k, p in files.items() if not k.endswith(OFFICIAL)}
        official = {k: p for k, p in files.items() if k.endswith(OFFICIAL)}
        failed = {**scan(args.checkov, ours, outdir / "ours"), **scan(args.checkov, official, outdir / "official")}
    print(table(failed))
    problems = gate(failed)
    print(f"checkov gate: {'FAILED' if problems else 'passed'} ({time.monotonic() - started:.0f}s)")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
