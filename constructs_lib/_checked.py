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


Check = Callable[[Any], bool]
_MAPPINGS = (collections.abc.Mapping, dict, collections.abc.MutableMapping)
_SEQUENCES = (collections.abc.Sequence, list, tuple, collections.abc.Iterable)


def _anything(value: Any) -> bool:
    return True


def _plain_class(tp: Any) -> bool:
    """Whether :func:`_compile` checks ``tp`` with ``isinstance(v, tp)`` (``None``: its type)."""
    return tp is type(None) or (isinstance(tp, type) and tp is not Any and typing.get_origin(tp) is None
                                and tp not in (int, float))


def _compile(tp: Any, depth: int = 0) -> Check:
    """A function that tells whether a value matches ``tp`` (worked out once per parameter:
    a construct is made hundreds of times in a large system)."""
    if tp is Any or tp is _UNRESOLVED or isinstance(tp, TypeVar):
        return _anything
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if all(_plain_class(a) for a in args):  # (X | None, the usual): one isinstance
            classes = tuple(args)
            return lambda v: isinstance(v, classes)
        parts = tuple(_compile(a, depth) for a in args)

        def union(v: Any) -> bool:
            return any(part(v) for part in parts)

        return union
    if tp is type(None) or tp is None:
        return lambda v: v is None
    if origin is typing.Literal:
        return lambda v: any(v == a and type(v) is type(a) for a in args)
    if origin in _MAPPINGS:
        if depth > 0 or not args:
            return lambda v: isinstance(v, collections.abc.Mapping)
        key, item = _compile(args[0], depth + 1), _compile(args[1], depth + 1)
        return lambda v: isinstance(v, collections.abc.Mapping) and all(key(k) and item(x) for k, x in v.items())
    if origin in _SEQUENCES:
        container = origin if origin in (list, tuple) else collections.abc.Iterable
        one_type = bool(args) and (origin is not tuple or (len(args) == 2 and args[1] is ...))
        element = _compile(args[0], depth + 1) if one_type and depth == 0 else _anything
        return lambda v: (not isinstance(v, (str, bytes)) and isinstance(v, container)
                          and (element is _anything or all(element(x) for x in v)))
    if origin is not None:  # Callable[...] and other generics: their origin class
        return (lambda v: isinstance(v, origin)) if isinstance(origin, type) else _anything
    if tp is float:
        return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    if tp is int:
        return lambda v: isinstance(v, int) and not isinstance(v, bool)
    if isinstance(tp, type):
        return lambda v: isinstance(v, tp)
    return _anything


def checked(init: F) -> F:
    """Decorates a construct's ``__init__``: every argument given is checked against its
    annotation before the construct is built (see the module docstring)."""
    signature = inspect.signature(init)
    owner = init.__qualname__.split(".")[0]
    checks: dict[str, tuple[Any, Check]] = {}
    params = signature.parameters
    simple = all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params.values())
    positional = [n for n, p in params.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    required = {n for n, p in params.items() if p.default is p.empty}

    def arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """What ``signature.bind(...).arguments`` holds (names in the signature's order), worked
        out directly for a call that binds plainly; any other call goes through ``bind``."""
        if simple and len(args) <= len(positional) and not kwargs.keys() & positional[:len(args)]:
            given = dict(zip(positional, args, strict=False))
            given.update(kwargs)
            if given.keys() <= params.keys() and required <= given.keys():
                return [(name, given[name]) for name in params if name in given]
        return signature.bind(*args, **kwargs).arguments.items()  # a missing or unknown argument: TypeError

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        if not checks:  # annotations resolve once the modules they name are imported
            for name, p in signature.parameters.items():
                if name != "self" and p.annotation is not p.empty:
                    tp = _resolve(p.annotation, init.__module__)
                    checks[name] = (tp, _compile(tp))
        for name, value in arguments((self, *args), kwargs):
            check = checks.get(name)
            if check is not None and not check[1](value):
                raise ConfigError(f"{owner}.{name}", value, _describe(check[0]))
        init(self, *args, **kwargs)

    return typing.cast(F, wrapper)
