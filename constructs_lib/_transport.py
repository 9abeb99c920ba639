"""Fewer and cheaper messages to the jsii kernel (the Node process behind every cdk8s object).

A jsii call is a request written to the kernel and an answer read back; the wait for the answer,
not the work, is what an object costs (a few tenths of a millisecond, more on a busy machine).
Two things here cut that:

* :func:`create` lets the objects a chart makes while it is being built (``Manifest``) be
  *queued*: their create requests are written to the kernel in one go, in order, just before
  the next request of any kind (or when the chart is built), and their answers are read
  together. The kernel sees exactly the requests, in exactly the order, it would have seen one
  by one; only the waiting in between is gone. A queued object that Python hands to the kernel
  (as a scope, an argument) is created first: its ``__jsii_ref__`` is read through
  :class:`LazyRef`, which sends the queue.
* :class:`Wired` is a callback result already in the kernel's wire format (``$jsii.map`` around
  every map): the JSON of a whole chart crosses in one ``json.dumps`` instead of jsii's generic
  per-value conversion (``_make_reference_for_native`` and then cattrs), which cost more than
  rendering the objects.

Both hook the kernel's one ``send`` method and fall back to jsii's own behaviour when the
installed jsii is not the one this was written against (then nothing is queued and results are
converted by jsii).
"""

from __future__ import annotations

import json
from typing import Any

import cdk8s
import jsii
from jsii import _reference_map

try:  # jsii internals (jsii 1.x): without them, nothing is queued and results take jsii's path
    from jsii._kernel import _get_overides
    from jsii._kernel.providers import process as _process
    from jsii._kernel.types import CreateResponse, ObjRef
    from jsii._stack_trace import is_enabled as _stack_traces_enabled

    _SUPPORTED = all(hasattr(_process, n) for n in ("_NodeProcess", "_CompleteRequest", "_OkayResponse",
                                                     "_CallbackResponse", "_ProcessResponse", "jdefault"))
except ImportError:  # pragma: no cover - another jsii runtime
    _SUPPORTED = False

_MAP = "$jsii.map"
_HOLE = "\u0000dagster-cdk8s-result\u0000"  # where the result goes in the request's JSON


class Wired:
    """A callback result as the JSON text of its wire format (see :func:`result`)."""

    #: Passed through untouched by jsii's ``_make_reference_for_native`` (it returns any object
    #: with a jsii type and no struct mapping as is); :func:`_send_wired` sends the text.
    __jsii_type__ = "Object"

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def wire(value: Any) -> Any:
    """Plain JSON (dicts, lists, scalars) in jsii's wire format: every map as ``{"$jsii.map": ...}``
    (what ``_make_reference_for_native`` makes of it), so keys such as ``$jsii.byref`` stay data."""
    if isinstance(value, dict):
        return {_MAP: {k: wire(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    return value


def result(value: Any) -> Any:
    """``value`` (plain JSON: dicts, lists, strings, numbers, booleans, None) as the result of a jsii
    callback, serialized in one ``json.dumps``.

    The kernel reads a plain JSON map exactly as the ``{"$jsii.map": ...}`` jsii wraps around each
    one, unless the map has a key the wire format reserves (``$jsii.byref``, ...): only then is
    the value wrapped (:func:`wire`)."""
    if not _installed:
        return value
    text = json.dumps(value)
    if '"$jsii.' in text:
        text = json.dumps(wire(value))
    return Wired(text)


# --- queued creates --------------------------------------------------------------------------

_queue: list[tuple[Any, bytes]] = []
_overrides: dict[tuple[type, type], list[Any]] = {}
_fixed: dict[tuple[type, type], dict[str, Any]] = {}
_installed = False


class LazyRef:
    """``__jsii_ref__`` of a class whose instances may be queued: reading it sends the queue."""

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            return obj.__dict__["__jsii_ref__"]
        except KeyError:
            if not _queue:
                raise AttributeError("__jsii_ref__") from None
            flush()
            return obj.__dict__["__jsii_ref__"]

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__["__jsii_ref__"] = value


class QueueingMeta(type(cdk8s.ApiObject)):  # type: ignore[misc]
    """Metaclass of a jsii class whose instances may be queued (see :func:`create`): what
    ``JSIIMeta.__call__`` does, except that a queued instance is registered in jsii's reference
    map when the queue is sent (registering reads its ``__jsii_ref__``, which would send it now)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        inst = type.__call__(cls, *args, **kwargs)
        if "__jsii_ref__" in inst.__dict__:
            _reference_map.register_reference(inst)
        return inst


def create(klass: type, obj: Any, scope: Any, id: str, props: dict[str, Any], *, queue: bool) -> None:
    """``jsii.create(klass, obj, [scope, id, props])`` (``props``: plain JSON); with ``queue``, sent
    with the next request (the caller guarantees the kernel makes no callback while creating it)."""
    if not (queue and _installed) or _stack_traces_enabled():
        jsii.create(klass, obj, [scope, id, props])
        return
    fixed = _fixed.get((klass, type(obj)))
    if fixed is None:
        serializer = jsii.kernel.provider._process._serializer  # type: ignore[attr-defined]
        fixed = _fixed[klass, type(obj)] = {
            "fqn": klass.__jsii_type__,  # type: ignore[attr-defined]
            "overrides": serializer.unstructure(overrides(klass, type(obj))),
            "interfaces": [i.__jsii_type__ for i in getattr(klass, "__jsii_ifaces__", [])],
            "api": "create"}
    # The request jsii would write (its generic conversion of the arguments, done directly:
    # the scope as a reference, the props map in wire format).
    request = {**fixed, "args": [scope, id, wire(props)]}
    _queue.append((obj, json.dumps(request, default=_process.jdefault).encode("utf8") + b"\n"))


def overrides(klass: type, cls: type) -> list[Any]:
    """The jsii overrides (methods and properties of ``klass`` redefined in Python) of instances of
    ``cls``, a subclass of ``klass`` (what ``jsii.create`` works out at every create)."""
    found = _overrides.get((klass, cls))
    if found is None:
        found = _overrides[klass, cls] = _get_overides(klass, object.__new__(cls)) if _SUPPORTED else []
    return found


def flush() -> None:
    """Send the queued creates (one write), read their answers, register the objects."""
    if not _queue:
        return
    process = jsii.kernel.provider._process  # type: ignore[attr-defined]
    _send_queue(process)


def _send_queue(process: Any) -> None:
    queued = _queue[:]
    del _queue[:]
    assert process._process.stdin is not None
    process._process.stdin.write(b"".join(data for _, data in queued))
    process._process.stdin.flush()
    serializer = process._serializer
    error: BaseException | None = None
    for obj, _ in queued:
        message = process._next_message()
        ok = message.get("ok")
        if type(ok) is ObjRef:  # the usual answer, read without cattrs
            obj.__jsii_ref__ = ok
            _reference_map.register_reference(obj)
            continue
        resp = serializer.structure(message, _process._ProcessResponse)
        if isinstance(resp, _process._OkayResponse):
            obj.__jsii_ref__ = serializer.structure(resp.ok, CreateResponse)
            _reference_map.register_reference(obj)
        elif isinstance(resp, _process._CallbackResponse):  # pragma: no cover - excluded by the callers
            raise RuntimeError("jsii kernel made a callback while creating a queued object")
        elif error is None:
            error = _error(resp)
    if error is not None:
        raise error


def _error(resp: Any) -> BaseException:
    from jsii.errors import ErrorType, JavaScriptError, JSIIError

    exc: BaseException = (JSIIError(resp.error) if resp.name == ErrorType.JSII_FAULT.value
                          else RuntimeError(resp.error))
    exc.__cause__ = JavaScriptError(resp.stack)  # type: ignore[no-untyped-call]
    return exc


def _send(original: Any) -> Any:
    def send(self: Any, request: Any, response_type: Any) -> Any:
        if _queue:
            _send_queue(self)
        if type(request) is _process._CompleteRequest and isinstance(request.complete.result, Wired):
            return _send_wired(self, request, response_type)
        return original(self, request, response_type)

    send.__wrapped__ = original  # type: ignore[attr-defined]
    return send


def _send_wired(self: Any, request: Any, response_type: Any) -> Any:
    """``_NodeProcess.send`` for a callback result already in wire format."""
    complete = request.complete
    req_dict = self._serializer.unstructure(
        _process._CompleteRequest(complete=type(complete)(cbid=complete.cbid, err=complete.err, result=_HOLE)))
    envelope = json.dumps(req_dict, default=_process.jdefault)
    data = envelope.replace(json.dumps(_HOLE), complete.result.text, 1).encode("utf8")
    assert self._process.stdin is not None
    self._process.stdin.write(b"%b\n" % (data,))
    self._process.stdin.flush()
    resp = self._serializer.structure(self._next_message(), _process._ProcessResponse)
    if isinstance(resp, _process._OkayResponse):
        return self._serializer.structure(resp.ok, response_type)
    if isinstance(resp, _process._CallbackResponse):
        return resp.callback
    raise _error(resp)


def install() -> None:
    """Hook the kernel's ``send`` (once)."""
    global _installed
    if _installed or not _SUPPORTED:
        return
    node_process: Any = _process._NodeProcess
    if not getattr(node_process.send, "__wrapped__", None):
        node_process.send = _send(node_process.send)
    _installed = True
