"""``dagster-cdk8s``: the command-line front end of the library.

    dagster-cdk8s synth [--variant V | --all-variants | -f values.yaml ...] [--outdir DIR] ...
    dagster-cdk8s diff OLD NEW        # per object, what changed between two outputs
    dagster-cdk8s schema              # the JSON schema of the accepted Helm values
    dagster-cdk8s migrate-values OLD.yaml   # a seed-era (chart 0.11) values file in today's spelling

Subcommands register themselves with :func:`subcommand`, in a module listed in
:data:`SUBCOMMAND_MODULES`; a new one is a function that adds its arguments and returns the
function that runs it::

    @subcommand("hello", help="say hello")
    def _hello(parser: argparse.ArgumentParser) -> Run:
        parser.add_argument("--name", default="world")
        return lambda args: print(f"hello {args.name}") or 0

``main.py`` (the cdk8s app) runs :func:`synth_main`, the same code as ``dagster-cdk8s synth``.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .errors import ConfigError, check_dns1123_label

__all__ = ["DEMO_PASSWORD", "SUBCOMMANDS", "SUBCOMMAND_MODULES", "Run", "load_subcommands", "main", "subcommand",
           "synth_main"]

DEMO_PASSWORD = "demo-only-change-me"

Run = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], Run]


@dataclasses.dataclass(frozen=True)
class _Subcommand:
    help: str
    configure: Configure


#: Every subcommand, by name, in registration order (complete after :func:`load_subcommands`).
SUBCOMMANDS: dict[str, _Subcommand] = {}
#: Modules (of this package) whose import registers more subcommands: add yours here.
SUBCOMMAND_MODULES = ("cli_diff", "cli_migrate", "cli_diagram")


def subcommand(name: str, *, help: str) -> Callable[[Configure], Configure]:
    """Register ``dagster-cdk8s NAME``: the decorated function adds the subcommand's arguments
    to its parser and returns the function that runs it (``args -> exit code``)."""

    def register(configure: Configure) -> Configure:
        if name in SUBCOMMANDS:
            raise ValueError(f"subcommand {name!r} registered twice")
        SUBCOMMANDS[name] = _Subcommand(help=help, configure=configure)
        return configure

    return register


def load_subcommands() -> dict[str, _Subcommand]:
    """Import the :data:`SUBCOMMAND_MODULES` (each registers its subcommands); returns them all."""
    for module in SUBCOMMAND_MODULES:
        importlib.import_module(f"{__package__}.{module}")
    return SUBCOMMANDS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dagster-cdk8s", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in load_subcommands().items():
        sub = commands.add_parser(name, help=command.help, description=command.help)
        sub.set_defaults(run=command.configure(sub), parser=sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``dagster-cdk8s``: parse ``argv`` and run the subcommand; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        code = int(args.run(args))
        sys.stdout.flush()  # a full disk or a closed pipe is reported here, not at interpreter exit
        return code
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `dagster-cdk8s schema | head`: the reader had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:  # the disk or the machine refused (a wrong path is a ConfigError)
        print(f"error: {error.strerror or error}" + (f": {error.filename}" if error.filename else ""),
              file=sys.stderr)
        return 1


# ---- synth ------------------------------------------------------------------------------------
class _Ordered(argparse.Action):
    """Keeps --set and --set-string in command-line order, as Helm applies them."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        namespace.sets = [*namespace.sets, (self.dest, values)]


def passwords_from_env() -> Any:
    from .variants import Passwords

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


def add_synth_arguments(parser: argparse.ArgumentParser) -> None:
    from .security_profile import SECURITY_PROFILES
    from .variants import DEFAULT_VARIANT, VARIANTS

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


def check_synth_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if (args.values or args.sets) and (args.variant or args.all_variants):
        parser.error("--values/--set describe one system: do not combine them with --variant/--all-variants")
    if args.all_variants and args.variant:
        parser.error("--variant and --all-variants exclude each other")
    if args.diagram and args.all_variants:
        parser.error("--diagram draws one system: give --variant or values, not --all-variants")


def configs(args: argparse.Namespace) -> dict[str, Any]:
    """The systems ``args`` describe, by chart id (one output file each)."""
    out = _configs(args)
    if args.security_profile:
        out = {k: dataclasses.replace(c, security_profile=args.security_profile) for k, c in out.items()}
    return out


def _configs(args: argparse.Namespace) -> dict[str, Any]:
    from .naming import Release
    from .variants import DEFAULT_VARIANT, VARIANTS, build_variant

    if args.release is not None:
        check_dns1123_label("--release", args.release, max_length=53)
    if args.namespace is not None:
        check_dns1123_label("--namespace", args.namespace)
    if args.values or args.sets:
        from .helm import from_helm_values, load_values

        values = load_values(args.values, set_order=args.sets)
        if args.security_profile:  # checked against the values, so that an error names their keys
            values = {**values, "securityProfile": args.security_profile}
        args.helm_values = values  # synthesis errors name the key that holds the offending value
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


def run_synth(args: argparse.Namespace) -> int:
    from .output import synth_charts

    check_synth_arguments(args.parser, args)
    outdir = args.outdir or os.environ.get("CDK8S_OUTDIR") or "dist"
    systems = configs(args)
    try:
        paths = synth_charts(systems, outdir, diagram=args.diagram)
    except ConfigError as error:
        if getattr(args, "helm_values", None) is None:
            raise
        from .helm import synthesis_error

        raise synthesis_error(error, args.helm_values) from None
    except OSError as error:
        if error.errno not in _PATH_ERRORS:  # a full disk, an I/O error: main() reports it as one line
            raise
        # A folder that cannot be made or written: the user's input, not a crash.
        failed = os.path.abspath(error.filename if error.filename is not None else outdir)
        on_diagram = bool(args.diagram) and _related(os.path.abspath(args.diagram), failed) and not _related(
            os.path.abspath(outdir), failed)
        option, value = ("--diagram", args.diagram) if on_diagram else ("--outdir", outdir)
        raise ConfigError(option, value, f"a path this user can write ({error.strerror or error}: {failed})") from None
    for path in paths:
        print(path)
    return 0


#: OSErrors that mean the path given is wrong (not the disk or the machine).
_PATH_ERRORS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.EACCES, errno.EPERM,
                          errno.EROFS, errno.ENAMETOOLONG, errno.ELOOP})


def _related(path: str, other: str) -> bool:
    """``path`` is ``other``, inside it, or holds it."""
    return path == other or path.startswith(other + os.sep) or other.startswith(path + os.sep)


@subcommand("synth", help="synthesize the Dagster system to Kubernetes YAML (*.k8s.yaml in --outdir)")
def _synth(parser: argparse.ArgumentParser) -> Run:
    add_synth_arguments(parser)
    return run_synth


def synth_main(argv: Sequence[str] | None = None) -> int:
    """``main.py``: ``dagster-cdk8s synth`` with ``argv``."""
    return main(["synth", *(sys.argv[1:] if argv is None else argv)])


# ---- schema -----------------------------------------------------------------------------------
@subcommand("schema", help="print the JSON schema of the Helm values synth -f accepts")
def _schema(parser: argparse.ArgumentParser) -> Run:
    def run(args: argparse.Namespace) -> int:
        from .helm.schema import render

        sys.stdout.write(render())
        return 0

    return run
