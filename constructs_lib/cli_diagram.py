"""``dagster-cdk8s diagram FILE``: draw the system ``synth`` would write (same system options).

``FILE.svg`` is laid out by Graphviz (``pip install 'dagster-cdk8s[diagram]'`` and Graphviz's
``dot``), ``FILE.mmd`` is Mermaid text, ``FILE.dot`` Graphviz source; see
:mod:`constructs_lib.diagram` for what the picture shows and how it is derived.
"""

from __future__ import annotations

import argparse

from .cli import Run, add_synth_arguments, check_synth_arguments, configs, subcommand


@subcommand("diagram", help="draw the synthesized system: FILE.svg (Graphviz), FILE.mmd (Mermaid) or FILE.dot")
def _diagram(parser: argparse.ArgumentParser) -> Run:
    parser.add_argument("file", metavar="FILE", help="where to draw: *.svg, *.mmd or *.dot")
    add_synth_arguments(parser)

    def run(args: argparse.Namespace) -> int:
        from .diagram import config_graph, write_diagram

        check_synth_arguments(args.parser, args)
        systems = configs(args)
        if len(systems) != 1:
            args.parser.error("a diagram draws one system: give --variant or values, not --all-variants")
        [config] = systems.values()
        print(write_diagram(config_graph(config), args.file))
        return 0

    return run
