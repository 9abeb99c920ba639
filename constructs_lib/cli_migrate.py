"""``dagster-cdk8s migrate-values OLD.yaml``: a seed-era values file in today's spelling.

Prints to stdout the values file that today's chart (1.9) reads as ``OLD.yaml`` was meant
(see ``helm/seed_era.py``): ``synth -f`` of the printed file gives byte-identical output to
``synth -f OLD.yaml``. One deprecation line per rewritten key goes to stderr. Several files
are layered as Helm layers them (later files win) and printed as one. Comments of the old
file are not carried over. Exit status: 0 done, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from .cli import Run, subcommand

__all__ = ["migrated_yaml"]


def migrated_yaml(values: dict[str, Any], sources: list[str]) -> str:
    """``values`` (already migrated) as a values file, with a header naming its ``sources``."""
    header = (f"# Migrated by `dagster-cdk8s migrate-values` from {', '.join(sources)}\n"
              "# (Helm chart 0.11 and earlier -> 1.9 spelling); comments of the original are not carried over.\n")
    body = yaml.safe_dump(values, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)
    return header + body


@subcommand("migrate-values", help="print a seed-era (Helm chart 0.11 and earlier) values file in today's spelling")
def _migrate_values(parser: argparse.ArgumentParser) -> Run:
    parser.add_argument("files", nargs="+", metavar="OLD.yaml",
                        help="values file(s) written for the seed-era chart (later files win, as with helm -f)")

    def run(args: argparse.Namespace) -> int:
        from .helm import load_values, migrate_values

        migration = migrate_values(load_values(args.files))
        for deprecation in migration.deprecations:
            print(deprecation, file=sys.stderr)
        sys.stdout.write(migrated_yaml(migration.values, list(args.files)))
        return 0

    return run
