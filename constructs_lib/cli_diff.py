"""``dagster-cdk8s diff OLD NEW``: a semantic diff of two Kubernetes outputs.

Each side is a YAML file (``-`` for stdin), or a folder whose ``*.yaml`` / ``*.yml`` files are
read, e.g. two ``synth`` outputs, or ours and ``helm template`` output. Objects are matched by
kind, namespace and name (``--namespace`` fills in the namespace of objects that carry none);
per object the changed paths are printed with their old and new values. Key order, YAML style,
comments and document order do not count. Exit status: 0 same, 1 different, 2 bad input.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from .cli import Run, subcommand
from .errors import ConfigError

__all__ = ["ObjectKey", "diff_objects", "format_diff", "load_objects"]

ObjectKey = tuple[str, str, str]  # kind, namespace, name


def _documents(text: str, where: str) -> Iterator[Any]:
    try:
        yield from yaml.safe_load_all(text)
    except yaml.YAMLError as error:
        raise ConfigError(where, "<unparseable YAML>", f"Kubernetes YAML ({error})") from None


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise ConfigError(str(path), f"<byte 0x{data[error.start]:02x} at offset {error.start}>",
                          "UTF-8 Kubernetes YAML") from None


def load_objects(source: str, *, namespace: str = "") -> dict[ObjectKey, Any]:
    """The Kubernetes objects of a file, a folder of YAML files, or ``-`` (stdin), by key."""
    if source == "-":
        texts = [("<stdin>", sys.stdin.read())]
    else:
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.is_file():
            files = [path]
        else:
            raise ConfigError("diff", source, "an existing YAML file, a folder of YAML files or '-'")
        texts = [(str(p), _text(p)) for p in files]
    objects: dict[ObjectKey, Any] = {}
    for where, text in texts:
        for doc in _documents(text, where):
            if doc is None:
                continue
            items = doc.get("items") if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") else [doc]
            for obj in items or []:
                if not isinstance(obj, dict) or "kind" not in obj or not isinstance(obj.get("metadata"), dict):
                    raise ConfigError(where, str(obj)[:60], "Kubernetes objects (with kind and metadata)")
                meta = obj["metadata"]
                if namespace and not meta.get("namespace"):
                    obj = {**obj, "metadata": {**meta, "namespace": namespace}}
                key = (str(obj["kind"]), str(meta.get("namespace") or namespace), str(meta.get("name", "")))
                if key in objects:
                    raise ConfigError(where, "/".join(k for k in key if k), "each object once")
                objects[key] = obj
    return objects


def _path(parent: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    key = str(key)
    plain = key.replace("-", "").replace("_", "").isalnum()
    return f"{parent}.{key}" if plain and parent else (key if plain else f"{parent}[{json.dumps(key)}]")


def _changes(old: Any, new: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            yield from _changes(old.get(key, _MISSING), new.get(key, _MISSING), _path(path, key))
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _changes(a, b, _path(path, index))
    elif old != new:
        yield path, old, new


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


_MISSING = _Missing()


def diff_objects(old: dict[ObjectKey, Any], new: dict[ObjectKey, Any],
                 ignore: Sequence[str] = ()) -> list[tuple[str, ObjectKey, list[tuple[str, Any, Any]]]]:
    """``(status, key, changes)`` per object that differs: ``removed``, ``added`` or ``changed``
    (with ``(path, old, new)`` per changed path not matching an ``ignore`` glob)."""
    result: list[tuple[str, ObjectKey, list[tuple[str, Any, Any]]]] = []
    for key in sorted(set(old) | set(new)):
        if key not in new:
            result.append(("removed", key, []))
        elif key not in old:
            result.append(("added", key, []))
        else:
            changes = [c for c in _changes(old[key], new[key], "")
                       if not any(fnmatch.fnmatchcase(c[0], pattern) or c[0].startswith((pattern + ".", pattern + "["))
                                  for pattern in ignore)]
            if changes:
                result.append(("changed", key, changes))
    return result


def _show(value: Any) -> str:
    if isinstance(value, _Missing):
        return "(absent)"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


def format_diff(diffs: list[tuple[str, ObjectKey, list[tuple[str, Any, Any]]]]) -> str:
    lines = []
    sign = {"removed": "-", "added": "+", "changed": "~"}
    for status, (kind, namespace, name), changes in diffs:
        lines.append(f"{sign[status]} {kind} {namespace + '/' if namespace else ''}{name} ({status})")
        for path, old, new in changes:
            lines.append(f"    {path}: {_show(old)} -> {_show(new)}")
    counts = {s: sum(1 for d in diffs if d[0] == s) for s in sign}
    lines.append(f"{counts['changed']} changed, {counts['added']} added, {counts['removed']} removed")
    return "\n".join(lines) + "\n"


@subcommand("diff", help="semantic diff of two outputs (files or folders of YAML; e.g. ours vs helm template)")
def _diff(parser: argparse.ArgumentParser) -> Run:
    parser.add_argument("old", help="YAML file, folder of YAML files, or - for stdin")
    parser.add_argument("new", help="YAML file, folder of YAML files, or - for stdin")
    parser.add_argument("--namespace", default="",
                        help="namespace of objects that carry none (as kubectl apply -n would give them)")
    parser.add_argument("--ignore", action="append", default=[], metavar="PATH",
                        help="leave out this path and below (glob), e.g. metadata.labels or "
                             "'spec.template.metadata.labels.helm.sh/*' (repeatable)")

    def run(args: argparse.Namespace) -> int:
        if args.old == "-" and args.new == "-":
            args.parser.error("only one side can be stdin")
        diffs = diff_objects(load_objects(args.old, namespace=args.namespace),
                             load_objects(args.new, namespace=args.namespace), args.ignore)
        sys.stdout.write(format_diff(diffs))
        return 1 if diffs else 0

    return run
