"""The front door: values files and ``--set`` layers are checked before anything is built.

One loader (:func:`load_yaml`) reads every values file: strict UTF-8, a size limit, a nesting
limit, a limit on the values a document expands to (so an alias bomb is refused before it is
expanded), no duplicate keys, string keys only, and only JSON's types (a ``2024-06-01`` stays
the string Helm reads, ``!!binary`` and the like are refused). :func:`check_tree` applies the
nesting and size limits to values that did not come from a file (``--set`` layers, a mapping
given to ``from_helm_values``). Each problem is one short :class:`~..errors.ConfigError` line.
It uses libyaml (PyYAML's C loader) where PyYAML was built with it, else PyYAML's pure-Python one.

A plain document (maps, lists and untagged scalars: no anchor, alias or tag, as values files
mostly are) is built in one pass over the parser's events with every check on the way
(:func:`_plain_load`); any other document, and every problem, takes the general path
(:func:`_general_load`), which gives the value or the error. ``tests/test_yaml_paths.py`` holds
the two paths, under both parsers, to the same value or the same error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import yaml

from ..errors import ConfigError, short
from .strvals import MAX_SET_INDEX

try:  # libyaml: several times faster than the pure-Python parser
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "MAX_SET_BYTES",
    "MAX_SET_INDEX",
    "InputError",
    "check_tree",
    "load_yaml",
    "read_yaml",
]

#: Largest values file (bytes); Helm's default limit for a file of a chart is 5 MiB too.
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Deepest nesting of maps and lists (the chart's values need about 12 levels).
MAX_DEPTH = 100
#: Most values (maps, lists, scalars) one document may expand to, counting every alias
#: expansion: the chart's own values.yaml has about 700.
MAX_NODES = 200_000
# Text counts against MAX_NODES too: one value per this many characters (so at most ~12 MiB).
_BYTES_PER_VALUE = 64
#: Most bytes of all ``--set``/``--set-string`` arguments together.
MAX_SET_BYTES = 1024 * 1024

_MERGE_TAG = "tag:yaml.org,2002:merge"


class InputError(ConfigError):
    """Input refused at the front door: ``field`` is the file (or ``--set``), the message one line."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(source, None, message)
        self.args = (f"{source}: {message}",)


class _Loader(_BaseLoader):
    """Safe loading with duplicate keys refused and timestamps kept as strings (as Helm reads them)."""

    source = "<values>"

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise InputError(self.source, f"line {line}: key {short(key)} is not a string (quote it)")
            if key in seen:
                raise InputError(self.source, f"line {line}: duplicate key {short(key)} (first at line {seen[key]})")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_undefined(self, node: yaml.Node) -> Any:
        raise InputError(self.source, f"line {node.start_mark.line + 1}: unsupported YAML tag {short(node.tag)}")


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
for _tag in ("binary", "set", "omap", "pairs", "timestamp"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _Loader.construct_undefined)
_Loader.add_constructor(None, _Loader.construct_undefined)


def _yaml_error(source: str, error: yaml.YAMLError) -> InputError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or getattr(error, "context", None) or str(error).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return InputError(source, f"invalid YAML: {where}{short(str(problem), quote=False)}")


def _decode(data: bytes, source: str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise InputError(source, f"too large ({len(data):,} bytes); at most {MAX_FILE_BYTES:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(source, f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})") from None
    return text.removeprefix("\ufeff")


def _check_events(text: str, source: str) -> None:
    """Nesting and the unexpanded size, from libyaml's event stream (no recursion, no objects)."""
    depth = events = 0
    for event in yaml.parse(text, Loader=_Loader):
        events += 1
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise InputError(source, f"line {line}: nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if events > 2 * MAX_NODES:
            raise InputError(source, f"more than {MAX_NODES:,} values")


def _expanded_size(node: yaml.Node, source: str) -> int:
    """How many values ``node`` becomes once every alias is expanded (each node counted once);
    a scalar counts one value per started 64 bytes, so text repeated by aliases counts too."""
    sizes: dict[int, int] = {}

    def size(n: yaml.Node, active: frozenset[int]) -> int:
        known = sizes.get(id(n))
        if known is not None:
            return known
        if id(n) in active:
            raise InputError(source, f"line {n.start_mark.line + 1}: an alias refers to a node that contains it")
        total = 1
        if isinstance(n, yaml.ScalarNode):
            total += len(n.value) // _BYTES_PER_VALUE
        elif isinstance(n, yaml.SequenceNode):
            for child in n.value:
                total += size(child, active | {id(n)})
                if total > MAX_NODES:
                    break
        elif isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                total += size(key, active | {id(n)}) + size(value, active | {id(n)})
                if total > MAX_NODES:
                    break
        if total > MAX_NODES:
            raise InputError(source, f"line {n.start_mark.line + 1}: expands to more than {MAX_NODES:,} values "
                             "(YAML aliases?)")
        sizes[id(n)] = total
        return total

    size(node, frozenset())
    return sizes[id(node)]


_NOT_PLAIN = object()  # what _plain_load answers for a document it leaves to the general path
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float"))
_STR_TAG = "tag:yaml.org,2002:str"


def _plain_scalar(loader: _Loader, text: str) -> Any:
    """An untagged plain scalar as the general path constructs it (the loader's own resolver and
    constructors), or :data:`_NOT_PLAIN` (a merge key, ``=``, a number JSON cannot hold)."""
    tag = loader.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    if tag == _STR_TAG:
        return text
    if tag not in _SCALAR_TAGS:
        return _NOT_PLAIN
    value = _Loader.yaml_constructors[tag](loader, yaml.ScalarNode(tag, text))
    if isinstance(value, float) and not math.isfinite(value):
        return _NOT_PLAIN
    return value


def _plain_load(text: str) -> Any:
    """The document built in one pass over the parser's events, when it is plain: one document of
    maps, lists and untagged scalars, no anchor, alias or tag, unique string keys, finite numbers,
    within the nesting and size limits. Otherwise (anything else, any problem, a YAML error)
    :data:`_NOT_PLAIN`: :func:`load_yaml` then takes the general path, which gives the value or
    the error. A plain document's value is the general path's (``tests/test_yaml_paths.py``
    compares them), and the general path accepts it: with no alias the expanded size is the sum
    counted here, the nesting the events' nesting, and :func:`check_tree` has nothing to refuse."""
    try:
        loader = _Loader(text)  # the pure-Python reader checks the characters here
    except yaml.YAMLError:
        return _NOT_PLAIN
    try:
        get: Callable[[], Any] = loader.get_event
        if get().__class__ is not yaml.StreamStartEvent:
            return _NOT_PLAIN
        event = get()
        if event.__class__ is yaml.StreamEndEvent:
            return None
        if event.__class__ is not yaml.DocumentStartEvent:
            return _NOT_PLAIN
        missing = _NOT_PLAIN
        scalars: dict[str, Any] = {}  # plain scalar text -> its value, within this document
        containers: list[Any] = []  # the open maps and lists, innermost last
        keys: list[Any] = []  # per open map its key awaiting a value (else `missing`); None for a list
        root: Any = missing
        events, size, limit = 2, 0, 2 * MAX_NODES
        while True:
            event = get()
            cls = event.__class__
            events += 1
            if cls is yaml.ScalarEvent:
                if event.anchor is not None or event.tag is not None:
                    return _NOT_PLAIN
                value = event.value
                size += 1 + len(value) // _BYTES_PER_VALUE
                if event.implicit[0]:
                    written = value
                    value = scalars.get(written, missing)
                    if value is missing:
                        value = scalars[written] = _plain_scalar(loader, written)
                        if value is missing:
                            return _NOT_PLAIN
                node: Any = value
                opened = False
            elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                if event.anchor is not None or event.tag is not None or len(containers) >= MAX_DEPTH:
                    return _NOT_PLAIN
                size += 1
                node = {} if cls is yaml.MappingStartEvent else []
                opened = True
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                containers.pop()
                keys.pop()
                continue
            elif cls is yaml.DocumentEndEvent:
                if get().__class__ is not yaml.StreamEndEvent or events + 1 > limit:
                    return _NOT_PLAIN  # another document, or too many events
                return root
            else:  # an alias
                return _NOT_PLAIN
            if events > limit or size > MAX_NODES:
                return _NOT_PLAIN
            if not containers:
                root = node
            else:
                top = containers[-1]
                key = keys[-1]
                if key is None:
                    top.append(node)
                elif key is missing:  # node is a key
                    if node.__class__ is not str or node in top:
                        return _NOT_PLAIN
                    keys[-1] = node
                else:
                    top[key] = node
                    keys[-1] = missing
            if opened:
                containers.append(node)
                keys.append(missing if cls is yaml.MappingStartEvent else None)
    except yaml.YAMLError:
        return _NOT_PLAIN
    finally:
        loader.dispose()


def load_yaml(data: bytes | str, source: str = "<values>") -> Any:
    """The one YAML document in ``data``, checked as described above (``None`` when empty)."""
    return read_yaml(data, source)[0]


def read_yaml(data: bytes | str, source: str = "<values>") -> tuple[Any, bool]:
    """:func:`load_yaml`'s value, and whether it was a plain document: then no object appears
    twice in the value (no alias), and the caller may take its parts without copying them."""
    text = _decode(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data, source)
    value = _plain_load(text)
    if value is not _NOT_PLAIN:
        return value, True
    return _general_load(text, source), False


def _general_load(text: str, source: str) -> Any:
    """Any document: the checks one at a time over libyaml's node graph (aliases expanded
    by count before anything is constructed), each problem as its :class:`InputError`."""
    try:
        _check_events(text, source)
        loader = _Loader(text)
        loader.source = source
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _expanded_size(node, source)
            value = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        raise _yaml_error(source, error) from None
    check_tree(value, source)
    return value


_LEAVES = frozenset({str, int, bool, type(None)})  # values check_tree accepts as they are (a float: if finite)


def check_tree(value: Any, source: str) -> None:
    """Nesting, size and types of a values tree: JSON's types, string keys, finite numbers."""
    count = 0
    path: list[str | int] = []

    def where() -> str:
        text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        return short(text or "<top>", quote=False)

    def walk(node: Any, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise InputError(source, f"more than {MAX_NODES:,} values")
        if depth > MAX_DEPTH:
            raise InputError(source, f"{where()}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key, child in node.items():
                if not isinstance(key, str):
                    raise InputError(source, f"{where()}: key {short(key)} is not a string")
                if type(child) in _LEAVES and depth < MAX_DEPTH:  # nothing to check but the count
                    count += 1
                    if count > MAX_NODES:
                        raise InputError(source, f"more than {MAX_NODES:,} values")
                    continue
                path.append(key)
                walk(child, depth + 1)
                path.pop()
        elif isinstance(node, list):
            for index, child in enumerate(node):
                if type(child) in _LEAVES and depth < MAX_DEPTH:
                    count += 1
                    if count > MAX_NODES:
                        raise InputError(source, f"more than {MAX_NODES:,} values")
                    continue
                path.append(index)
                walk(child, depth + 1)
                path.pop()
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise InputError(source, f"{where()}: {node} is not a number JSON can hold")
        elif node is not None and not isinstance(node, (str, int, bool)):
            raise InputError(source, f"{where()}: a {type(node).__name__} is not a JSON value")

    walk(value, 0)
