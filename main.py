"""The cdk8s app: synthesize the Dagster system to plain Kubernetes YAML.

    python main.py                         # the default system into dist/
    python main.py --outdir DIR            # elsewhere
    python main.py --variant k8s           # another variant
    python main.py --all-variants          # every variant, one file each

Passwords of the Secrets the chart creates come from DAGSTER_PG_PASSWORD,
DAGSTER_RABBITMQ_PASSWORD and DAGSTER_REDIS_PASSWORD. Unset, a demo password is used and a
warning printed: set them for anything but a demo.
"""

from __future__ import annotations

import argparse
import os
import sys

import cdk8s

from constructs_lib import DEFAULT_VARIANT, VARIANTS, ConfigError, DagsterChart, Passwords, build_variant

DEMO_PASSWORD = "demo-only-change-me"


def passwords_from_env() -> Passwords:
    values = {}
    for key, env in (("postgresql", "DAGSTER_PG_PASSWORD"), ("rabbitmq", "DAGSTER_RABBITMQ_PASSWORD"),
                     ("redis", "DAGSTER_REDIS_PASSWORD")):
        value = os.environ.get(env)
        if not value:
            print(f"warning: {env} is not set; its Secret gets the demo password", file=sys.stderr)
            value = DEMO_PASSWORD
        values[key] = value
    return Passwords(**values)


def synth(variants: list[str], outdir: str | None, passwords: Passwords) -> list[str]:
    """Synthesize ``variants`` (one chart and one file each) and return the file paths."""
    app = cdk8s.App(outdir=outdir) if outdir else cdk8s.App()
    for name in variants:
        chart_id = "dagster" if len(variants) == 1 else name
        DagsterChart(app, chart_id, config=build_variant(name, passwords))
    app.synth()
    out = app.outdir
    return [os.path.join(out, f"{'dagster' if len(variants) == 1 else n}.k8s.yaml") for n in variants]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outdir", help="output directory (default: dist, or $CDK8S_OUTDIR)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--variant", default=DEFAULT_VARIANT, choices=sorted(VARIANTS),
                       help=f"the system to synthesize (default: {DEFAULT_VARIANT})")
    group.add_argument("--all-variants", action="store_true", help="synthesize every variant")
    args = parser.parse_args(argv)
    variants = list(VARIANTS) if args.all_variants else [args.variant]
    try:
        paths = synth(variants, args.outdir, passwords_from_env())
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
