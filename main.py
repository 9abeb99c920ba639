"""The cdk8s app: synthesize the Dagster system to plain Kubernetes YAML.

    python main.py                          # the default system into dist/
    python main.py --outdir DIR             # elsewhere
    python main.py --variant k8s            # another shipped variant
    python main.py --all-variants           # every variant, one file each
    python main.py --diagram FILE.svg       # also draw the synthesized system (.svg Graphviz, .mmd Mermaid)
    python main.py --values values.yaml [--values more.yaml] [--set key.path=value ...]
                   [--set-string key=value] [--release NAME] [--namespace NS]
                                            # the official Helm chart's values, as `helm install` reads them
    python main.py --security-profile hardened  # every pod under the hardened profile (with any of the above)
    python main.py migrate-values OLD.yaml  # a seed-era (chart 0.11) values file in today's spelling, on stdout

The same as ``dagster-cdk8s synth`` (the console script ``pip install`` gives you).
Passwords of the Secrets the shipped variants create come from DAGSTER_PG_PASSWORD,
DAGSTER_RABBITMQ_PASSWORD and DAGSTER_REDIS_PASSWORD. Unset, a demo password is used and a
warning printed: set them for anything but a demo. With --values, passwords come from the
values, as with Helm.
"""

from __future__ import annotations

import sys

from constructs_lib.cli import main as cli_main
from constructs_lib.cli import synth_main


def main(argv: list[str] | None = None) -> int:
    """``dagster-cdk8s synth`` with ``argv`` (default: the command line), or ``dagster-cdk8s
    migrate-values ...`` when ``argv`` starts with ``migrate-values``; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["migrate-values"]:
        return cli_main(args)
    return synth_main(args)


if __name__ == "__main__":
    sys.exit(main())
