"""The reference for the Helm side, cold: Helm's Go SDK (helm-python-sdk) loads the official chart
and renders it with a values file, writing the manifests to OUTDIR/helm.yaml (as `helm template`)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from helm_python import Chart


def render(chart_dir: str, values: dict[str, object]) -> str:
    """One `helm template dagster CHART -f values`: load (fresh: rendering drops disabled
    subcharts from the loaded chart in place) and render; returns the manifests."""
    with Chart.load(chart_dir) as chart:
        rendered = chart.render(values, name="dagster", namespace="default")
    return "".join(f"---\n# Source: {name}\n{text}\n" for name, text in sorted(rendered.items())
                   if name.endswith((".yaml", ".yml")) and text.strip())


if __name__ == "__main__":
    chart_dir, values_file, outdir = sys.argv[1:4]
    values = yaml.load(Path(values_file).read_text(), Loader=yaml.CSafeLoader)
    Path(outdir).mkdir(parents=True, exist_ok=True)
    (Path(outdir) / "helm.yaml").write_text(render(chart_dir, values))
