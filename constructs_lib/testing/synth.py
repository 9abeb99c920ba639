"""Synthesize a chart or an app to plain objects, in memory."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import cdk8s
import yaml
from constructs import Construct

from .manifests import Manifest

__all__ = ["Synthesizable", "synth", "to_yaml"]

#: What :func:`synth` accepts: a chart, an app, charts, or objects already synthesized.
Synthesizable = cdk8s.Chart | cdk8s.App | Iterable[cdk8s.Chart] | Iterable[Mapping[str, Any]]

#: Keys a Kubernetes object starts with, as kubectl and cdk8s write them; all others are sorted.
_HEAD = ("apiVersion", "kind", "metadata")


def _chart_objects(root: Construct) -> list[Any]:
    """The objects of every chart in ``root``'s tree (``root`` included), charts in preorder
    (a chart before the charts nested in it, siblings in the order they were added)."""
    return [obj for chart in root.node.find_all() if isinstance(chart, cdk8s.Chart)
            for obj in cdk8s.Testing.synth(chart)]


def synth(target: Synthesizable) -> list[Manifest]:
    """The Kubernetes objects of ``target``: a chart's (with the charts nested in it), an app's
    (every chart), those of each chart of a list of charts, or a copy of a list of objects.
    Charts come in the order they were added to the tree, a chart before its nested charts;
    a chart's objects in cdk8s' order. In memory (no files, nothing in
    ``outdir``) and deterministic: the same chart gives equal objects. Every call returns new
    objects, free to modify."""
    if isinstance(target, (cdk8s.App, cdk8s.Chart)):
        objects: list[Any] = _chart_objects(target)
    elif isinstance(target, Construct):
        raise TypeError(f"synth() takes a cdk8s Chart or App, not the construct {target.node.path!r}: "
                        "pass the chart that contains it")
    else:
        items = list(target)
        objects = [obj for item in items for obj in (_chart_objects(item) if isinstance(item, cdk8s.Chart)
                                                     else [item])]
    copied: list[Manifest] = json.loads(json.dumps(objects))
    return copied


def _sorted(value: Any, *, top: bool = False) -> Any:
    if isinstance(value, Mapping):
        keys = sorted(value, key=str)
        if top:
            keys = [k for k in _HEAD if k in value] + [k for k in keys if k not in _HEAD]
        return {key: _sorted(value[key]) for key in keys}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Block style, sequences indented under their key, multi-line strings as ``|`` blocks,
    no line folding: a diff shows the line that changed."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def to_yaml(objects: Iterable[Mapping[str, Any]]) -> str:
    """The objects as one multi-document YAML text: each object's keys ``apiVersion``, ``kind``,
    ``metadata`` first, every other key (at every depth) sorted; objects in their given order.
    The same objects give the same text, whatever order their keys were built in."""
    return yaml.dump_all([_sorted(o, top=True) for o in objects], Dumper=_Dumper, sort_keys=False,
                         default_flow_style=False, allow_unicode=True, width=float("inf"), explicit_start=False)
