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

Passwords of the Secrets the shipped variants create come from DAGSTER_PG_PASSWORD,
DAGSTER_RABBITMQ_PASSWORD and DAGSTER_REDIS_PASSWORD. Unset, a demo password is used and a
warning printed: set them for anything but a demo. With --values, passwords come from the
values, as with Helm.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import cdk8s

from constructs_lib import (
    DEFAULT_VARIANT,
    SECURITY_PROFILES,
    VARIANTS,
    ConfigError,
    DagsterChart,
    DagsterSystemConfig,
    Passwords,
    Release,
    build_variant,
)
from constructs_lib.errors import check_dns1123_label

DEMO_PASSWORD = "demo-only-change-me"


def passwords_from_env() -> Passwords:
    values, unset = {}, []
    for key, env in (("postgresql", "DAGSTER_PG_PASSWORD"), ("rabbitmq", "DAGSTER_RABBITMQ_PASSWORD"),
                     ("redis", "DAGSTER_REDIS_PASSWORD")):
        values[key] = os.environ.get(env) or DEMO_PASSWORD
        if not os.environ.get(env):
            unset.append(env)
    if unset:
        print(f"warning: {', '.join(unset)} not set: the Secrets that use them get a demo password",
              file=sys.stderr)
    return Passwords(**values)


def synth(charts: dict[str, DagsterSystemConfig], outdir: str | None, diagram: str | None = None) -> list[str]:
    """Synthesize one chart (and one file) per entry; returns the file paths. With ``diagram``,
    also draw the (one) synthesized system into that file."""
    app = cdk8s.App(outdir=outdir) if outdir else cdk8s.App()
    built = [DagsterChart(app, chart_id, config=config) for chart_id, config in charts.items()]
    app.synth()
    paths = [os.path.join(app.outdir, f"{chart_id}.k8s.yaml") for chart_id in charts]
    if diagram is not None:
        from constructs_lib.diagram import chart_graph, write_diagram

        paths.append(str(write_diagram(chart_graph(built[0]), diagram)))
    return paths


class _Ordered(argparse.Action):
    """Keeps --set and --set-string in command-line order, as Helm applies them."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        namespace.sets = [*namespace.sets, (self.dest, values)]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outdir", help="output directory (default: dist, or $CDK8S_OUTDIR)")
    parser.add_argument("--variant", choices=sorted(VARIANTS), help=f"a shipped variant (default: {DEFAULT_VARIANT})")
    parser.add_argument("--all-variants", action="store_true", help="synthesize every shipped variant")
    parser.add_argument("-f", "--values", action="append", default=[], metavar="FILE",
                        help="a values file of the official Dagster Helm chart (repeatable; later files win)")
    parser.add_argument("--set", dest="set", action=_Ordered, metavar="KEY=VALUE",
                        help="set values on the command line, Helm syntax (repeatable)")
    parser.add_argument("--set-string", dest="set-string", action=_Ordered, metavar="KEY=VALUE",
                        help="like --set, values always strings")
    parser.add_argument("--release", help="release name every object name derives from (default: dagster)")
    parser.add_argument("--namespace", help="namespace of every object and of launched runs")
    parser.add_argument("--diagram", metavar="FILE",
                        help="also draw the synthesized system: FILE.svg (Graphviz), FILE.mmd (Mermaid) or FILE.dot")
    parser.add_argument("--security-profile", choices=SECURITY_PROFILES,
                        help="security profile of every pod (default: default, or the values' securityProfile)")
    parser.set_defaults(sets=[])
    args = parser.parse_args(argv)
    helm_mode = bool(args.values or args.sets)
    if helm_mode and (args.variant or args.all_variants):
        parser.error("--values/--set describe one system: do not combine them with --variant/--all-variants")
    if args.all_variants and args.variant:
        parser.error("--variant and --all-variants exclude each other")
    if args.diagram and args.all_variants:
        parser.error("--diagram draws one system: give --variant or values, not --all-variants")
    return args


def configs(args: argparse.Namespace) -> dict[str, DagsterSystemConfig]:
    out = _configs(args)
    if args.security_profile:
        out = {k: dataclasses.replace(c, security_profile=args.security_profile) for k, c in out.items()}
    return out


def _configs(args: argparse.Namespace) -> dict[str, DagsterSystemConfig]:
    if args.release is not None:
        check_dns1123_label("--release", args.release, max_length=53)
    if args.values or args.sets:
        # Imported here: the Helm layer's pydantic models cost a tenth of a second to import.
        from constructs_lib.helm import from_helm_values, load_values

        values = load_values(args.values, set_order=args.sets)
        release = "dagster" if args.release is None else args.release
        return {"dagster": from_helm_values(values, release=release, namespace=args.namespace)}
    names = list(VARIANTS) if args.all_variants else [args.variant or DEFAULT_VARIANT]
    passwords = passwords_from_env()
    out = {}
    for name in names:
        config = build_variant(name, passwords)
        if args.release is not None:
            config = dataclasses.replace(config, release=Release(name=args.release))
        if args.namespace is not None:
            config = dataclasses.replace(config, namespace=args.namespace)
        out["dagster" if len(names) == 1 else name] = config
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        paths = synth(configs(args), args.outdir, args.diagram)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
