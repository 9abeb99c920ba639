"""Arguments of a construct checked against their annotations when the construct is made.

The constructs are wired by reference (an instance handle, a settings object, another
construct's attributes): passing the wrong object (``workspace=instance``, ``config=None``, a
string where a :class:`~.naming.Release` belongs) would otherwise surface as an
``AttributeError`` deep inside the construct, or be accepted and written out. :func:`checked`
wraps a construct's ``__init__`` so that each argument is compared with its annotation first
and a mismatch is a :class:`~.errors.ConfigError` naming ``Construct.argument``, the value and
the expected type. Containers are checked one level deep (a list's items, a mapping's keys and
values); the settings dataclasses check their own fields.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import sys
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import ConfigError

__all__ = ["checked"]

F = TypeVar("F", bound=Callable[..., None])

_UNRESOLVED = object()


def _resolve(annotation: Any, module: str) -> Any:
    """The annotation as a type (annotations are strings under ``from __future__ import
    annotations``); ``_UNRESOLVED`` where it names something only a type checker imports."""
    if not isinstance(annotation, str):
        return annotation
    namespace = {**vars(typing), **vars(collections.abc), **vars(sys.modules[module])}
    try:
        return eval(annotation, namespace)
    except Exception:
        return _UNRESOLVED


def _describe(tp: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if tp is type(None):
        return "None"
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in args)
    if origin in (collections.abc.Mapping, dict, collections.abc.MutableMapping):
        return f"a mapping of {_describe(args[0])} to {_describe(args[1])}" if args else "a mapping"
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.Iterable):
        return f"a list of {_describe(args[0])}" if args else "a list"
    if isinstance(tp, type):
        return tp.__name__
    return str(tp)


def _matches(value: Any, tp: Any, depth: int = 0) -> bool:
    if tp is Any or tp is _UNRESOLVED or isinstance(tp, TypeVar):
        return True
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a, depth) for a in args)
    if tp is type(None) or tp is None:
        return value is None
    if origin is typing.Literal:
        return value in args
    if origin in (collections.abc.Mapping, dict, collections.abc.MutableMapping):
        if not isinstance(value, collections.abc.Mapping):
            return False
        return depth > 0 or not args or all(_matches(k, args[0], depth + 1) and _matches(v, args[1], depth + 1)
                                            for k, v in value.items())
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.Iterable):
        if isinstance(value, (str, bytes)) or not isinstance(value, collections.abc.Iterable):
            return False
        if origin in (list, tuple) and not isinstance(value, origin):
            return False
        item = args[0] if args and (origin is not tuple or (len(args) == 2 and args[1] is ...)) else Any
        return depth > 0 or all(_matches(v, item, depth + 1) for v in value)
    if origin is not None:  # Callable[...] and other generics: their origin class
        return isinstance(value, origin) if isinstance(origin, type) else True
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


def checked(init: F) -> F:
    """Decorates a construct's ``__init__``: every argument given is checked against its
    annotation before the construct is built (see the module docstring)."""
    signature = inspect.signature(init)
    owner = init.__qualname__.split(".")[0]
    hints: dict[str, Any] = {}

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        if not hints:
            hints.update({name: _resolve(p.annotation, init.__module__)
                          for name, p in signature.parameters.items() if p.annotation is not p.empty})
        bound = signature.bind(self, *args, **kwargs)  # a missing or unknown argument: Python's TypeError
        for name, value in bound.arguments.items():
            expected = hints.get(name, _UNRESOLVED)
            if name != "self" and not _matches(value, expected):
                raise ConfigError(f"{owner}.{name}", value, _describe(expected))
        init(self, *args, **kwargs)

    return typing.cast(F, wrapper)
