"""Helm's value layering: ``--set`` parsing and the merge of values files.

``parse_set`` follows Helm 3's ``strvals`` rules: ``a.b=c`` nests, ``a={x,y}`` is a list,
``a[0].b=c`` indexes lists, ``\\.``, ``\\,``, ``\\=`` escape, several assignments are
separated by commas, and values are typed (``true``/``false`` booleans, ``null``, integers
without a leading zero) unless given with ``--set-string``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError, short

#: Largest list index ``--set`` accepts: Helm's strvals ``MaxIndex``.
MAX_SET_INDEX = 65536

__all__ = ["MAX_SET_INDEX", "copy_values", "merge_owned", "merge_values", "parse_set", "prune_nulls", "set_path"]

Token = tuple[str, Any]  # ("key", name) or ("index", n)


def _typed(text: str, as_string: bool) -> Any:
    if as_string:
        return text
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if lowered == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0":
        try:
            return int(text)
        except ValueError:
            pass
    return text


def _split_unescaped(text: str, sep: str, *, braces: bool = False) -> list[str]:
    """Split on ``sep`` outside escapes (and, with ``braces``, outside ``{...}``)."""
    parts, current, depth, i = [], [], 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if braces and ch == "{":
            depth += 1
        elif braces and ch == "}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _key_tokens(expression: str, key: str) -> list[Token]:
    tokens: list[Token] = []
    for segment in _split_unescaped(key, "."):
        name, rest = segment, ""
        bracket = _find_unescaped(segment, "[")
        if bracket >= 0:
            name, rest = segment[:bracket], segment[bracket:]
        name = _unescape(name)
        if not name:
            raise ConfigError("--set", expression, "key.path=value with no empty key segment (e.g. a.b=c)")
        tokens.append(("key", name))
        while rest:
            close = rest.find("]")
            if not rest.startswith("[") or close < 0:
                raise ConfigError("--set", expression, "list indices written as name[0]")
            index = rest[1:close]
            shown = short(index, quote=False, limit=20)
            if not index.isdigit():
                raise ConfigError("--set", expression, f"a non-negative integer list index, not [{shown}]")
            if len(index) > 6 or int(index) > MAX_SET_INDEX:
                raise ConfigError("--set", expression, f"a list index <= {MAX_SET_INDEX} (as Helm), not [{shown}]")
            tokens.append(("index", int(index)))
            rest = rest[close + 1:]
    return tokens


def _find_unescaped(text: str, ch: str) -> int:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == ch:
            return i
        i += 1
    return -1


def parse_set(expression: str, *, as_string: bool = False) -> list[tuple[list[Token], Any]]:
    """The assignments of one ``--set`` argument, in order."""
    assignments = []
    for pair in _split_unescaped(expression, ",", braces=True):
        if pair == "":
            continue
        equals = _find_unescaped(pair, "=")
        if equals < 0:
            raise ConfigError("--set", expression, f"key.path=value (no '=' in {short(pair)})")
        key, raw = pair[:equals], pair[equals + 1:]
        tokens = _key_tokens(expression, key)
        value: Any
        if raw.startswith("{"):
            if not raw.endswith("}"):
                raise ConfigError("--set", expression, "a list closed with '}', e.g. a={x,y}")
            inner = raw[1:-1]
            value = [] if inner == "" else [_typed(_unescape(item), as_string)
                                            for item in _split_unescaped(inner, ",")]
        else:
            value = _typed(_unescape(raw), as_string)
        assignments.append((tokens, value))
    if not assignments:
        raise ConfigError("--set", expression, "at least one key.path=value")
    return assignments


def set_path(root: dict[str, Any], tokens: list[Token], value: Any, *, expression: str = "") -> None:
    """Assign ``value`` at ``tokens`` in ``root``, creating maps and growing lists as Helm does."""
    node: Any = root
    for position, (kind, key) in enumerate(tokens):
        last = position == len(tokens) - 1
        next_container: Any = None if last else ({} if tokens[position + 1][0] == "key" else [])
        parent = "".join(f".{k}" if kind_ == "key" else f"[{k}]" for kind_, k in tokens[:position]).lstrip(".")
        if kind == "key":
            if not isinstance(node, dict):
                raise ConfigError("--set", expression,
                                  f"{parent} to be a map to set key {key!r} in it, but it is a {type(node).__name__}")
            if last:
                node[key] = value
            else:
                if not isinstance(node.get(key), (dict, list)):
                    node[key] = next_container
                node = node[key]
        else:
            if not isinstance(node, list):
                raise ConfigError("--set", expression,
                                  f"{parent} to be a list to set index [{key}], but it is a {type(node).__name__}")
            while len(node) <= key:
                node.append(None)
            if last:
                node[key] = value
            else:
                if not isinstance(node[key], (dict, list)):
                    node[key] = next_container
                node = node[key]


_ATOMS = (str, int, float, bool, type(None))


def copy_values(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy(value, memo)``, object for object (an object that appears twice is copied
    once, as deepcopy does), several times faster on the maps, lists and scalars values are made
    of; anything else is left to ``copy.deepcopy``."""
    cls = type(value)
    if cls in _ATOMS:
        return value
    if memo is None:
        memo = {}
    done = memo.get(id(value), memo)
    if done is not memo:
        return done
    if cls is dict:
        out: dict[Any, Any] = {}
        memo[id(value)] = out
        for key, item in value.items():
            out[key if type(key) is str else copy.deepcopy(key, memo)] = (
                item if type(item) in _ATOMS else copy_values(item, memo))
        return out
    if cls is list:
        items: list[Any] = []
        memo[id(value)] = items
        items.extend(item if type(item) in _ATOMS else copy_values(item, memo) for item in value)
        return items
    return copy.deepcopy(value, memo)


def merge_values(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` over ``base`` as Helm layers values: maps merge, anything else replaces.

    A ``null`` in ``override`` is kept (as ``None``) so that a later :func:`prune_nulls`
    removes the key, which is how Helm lets a values file delete a default.
    """
    merged: dict[str, Any] = copy_values(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = copy_values(value)
    return merged


def merge_owned(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`merge_values` for trees nobody else holds and in which no object appears twice (a
    values file without YAML aliases, a ``--set`` layer): ``override`` merged into ``base`` in
    place, its values taken as they are (no copy)."""
    for key, value in override.items():
        current = base.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            base[key] = merge_owned(current if type(current) is dict else dict(current), value)
        else:
            base[key] = value
    return base


def prune_nulls(values: Any) -> Any:
    """Drop ``None`` map entries (deleted keys), recursively; list items stay."""
    cls = type(values)
    if cls is dict:
        return {k: prune_nulls(v) for k, v in values.items() if v is not None}
    if cls is list:
        return [prune_nulls(v) for v in values]
    if cls is str or cls is int or cls is bool or cls is float:
        return values
    if isinstance(values, Mapping):
        return {k: prune_nulls(v) for k, v in values.items() if v is not None}
    if isinstance(values, list):
        return [prune_nulls(v) for v in values]
    return values
