"""Fewer and cheaper messages to the jsii kernel (the Node process behind every cdk8s object).

A jsii call is a request written to the kernel and an answer read back; the wait for the answer,
not the work, is what an object costs (a few tenths of a millisecond, more on a busy machine).
Two things here cut that:

* Inside :class:`queueing` (a chart being built: ``builds_chart``), creating a ``Construct`` or
  an ``ApiObject`` whose constructor cannot call back into Python does not wait: the request is
  *queued*, the object gets at once the reference the kernel will give it (the kernel numbers
  objects in order, see :class:`queueing`), and the queue is written with the next request of
  any kind (one write; the answers are read and checked together). The kernel sees exactly the
  requests, in exactly the order, it would have seen one by one; only the waiting is gone. A
  DagsterChart of 200 code locations and 50 queues took about 1,400 round trips, now a dozen.
  A long queue is written in pieces, each *ahead*: the kernel creates one piece's objects
  while Python builds the next (two processes, two cores), and the piece's answers are read
  and checked before anything else is written (so an error still surfaces in the chart's
  constructor).
* :class:`Wired` is a callback result as JSON text: the objects of a whole chart cross
  ``App.synth``'s callback in one ``json.dumps`` instead of jsii's generic per-value conversion
  (``_make_reference_for_native``, then cattrs), which cost more than rendering the objects.

Both hook jsii (``_NodeProcess.send``, ``jsii.create``, its JSON object hook) and fall back to
jsii's own behaviour when the installed jsii is not the one this was written against (then
nothing is queued and results are converted by jsii).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import jsii
from jsii import _reference_map

try:  # jsii internals (jsii 1.x): without them, nothing is queued and results take jsii's path
    from jsii._kernel import _get_overides
    from jsii._kernel.providers import process as _process
    from jsii._kernel.types import ObjRef
    from jsii._stack_trace import is_enabled as _stack_traces_enabled

    _SUPPORTED = all(hasattr(_process, n) for n in ("_NodeProcess", "_CompleteRequest", "_OkayResponse",
                                                     "_CallbackResponse", "_ProcessResponse", "jdefault"))
except ImportError:  # pragma: no cover - another jsii runtime
    _SUPPORTED = False

_MAP = "$jsii.map"
#: JSON text of a string (``json.dumps`` of one ``str``, without its dispatch: C, ASCII output).
_string = json.encoder.encode_basestring_ascii
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


def string_result(text: str) -> Any:
    """``text`` as the result of a jsii callback declared to return a string, escaped in one pass
    (jsii's generic ``json.dumps`` of the answer around a long string took three times as long)."""
    return Wired(_string(text)) if _installed else text


# --- queued creates --------------------------------------------------------------------------

#: (object, request line, the reference the kernel will give it), in the order made.
_queue: list[tuple[Any, bytes, str]] = []
_overrides: dict[tuple[type, type], list[Any]] = {}
_fixed: dict[tuple[type, type], _Fixed | None] = {}
_installed = False
#: Whether creates are queued now (inside :func:`queueing`).
_queueing = False
#: The number the kernel gives the next object it registers, while known (see :func:`queueing`).
_next_id: int | None = None


class queueing:
    """Queue eligible creates (:func:`_queueable`) inside the block; send the queue when it ends.

    The kernel numbers the objects it registers (``fqn@10000``, ``fqn@10001``, ...) in the order
    it registers them, and it registers an object only when it hands it to Python or Python
    creates it. So once one create's answer is known, the reference of each later create is the
    next number, counting every reference any answer carries (:func:`_ohook`): a queued object
    gets its reference at once, and a queued object can be the scope of the next one. Each answer
    is checked against the reference given when the queue is sent.
    """

    def __enter__(self) -> None:
        global _queueing, _next_id
        self._outer = _queueing
        # With jsii's host stack traces on (JSII_HOST_STACK_TRACES), every request carries the
        # stack of its caller: nothing is queued then (read once per block: a look-up costs).
        if not self._outer and _installed and not _stack_traces_enabled():
            _next_id = None  # learnt from the first create's answer
            _queueing = True

    def __exit__(self, *exc: object) -> None:
        global _queueing, _next_id
        if self._outer or not _queueing:
            return
        _queueing = False
        try:
            flush()  # errors of queued creates surface here, in the chart's constructor
        finally:
            _next_id = None


def overrides(klass: type, cls: type) -> list[Any]:
    """The jsii overrides (methods and properties of ``klass`` redefined in Python) of instances of
    ``cls``, a subclass of ``klass`` (what ``jsii.create`` works out at every create)."""
    found = _overrides.get((klass, cls))
    if found is None:
        found = _overrides[klass, cls] = _get_overides(klass, object.__new__(cls)) if _SUPPORTED else []
    return found


#: The jsii types whose constructors call nothing back into Python: a ``Construct`` only adds
#: itself to its scope, an ``ApiObject`` also reads its chart's labels and namespace (the
#: chart is checked by the caller of :func:`queueing`).
_QUEUEABLE = ("constructs.Construct", "cdk8s.ApiObject")


class _Fixed(NamedTuple):
    """The part of a create request that is the same for every object of one Python class."""

    fqn: str
    #: The request's JSON up to its arguments: ``{"fqn": ..., "overrides": ..., ..., "args": [``.
    prefix: str


def _interfaces(klass: type) -> list[str]:
    """The interfaces a create of ``klass`` declares (as ``jsii.create``), less those its jsii class
    implements itself: the kernel works those out and drops them at every create (a few
    microseconds of Node each; one a Python subclass adds with ``jsii.implements`` is sent)."""
    declared = [i.__jsii_type__ for i in getattr(klass, "__jsii_ifaces__", [])]
    own = _reference_map._types.get(getattr(klass, "__jsii_type__", None) or "")
    if own is not None and declared == [i.__jsii_type__ for i in getattr(own, "__jsii_ifaces__", [])]:
        return []
    return declared


def _queueable(klass: type, cls: type) -> _Fixed | None:
    """The fixed part of a create request for ``cls`` (a Python subclass of ``klass``), or None
    when it may not be queued (a type other than :data:`_QUEUEABLE`, or a Python property override
    the kernel could read while constructing)."""
    key = (klass, cls)
    if key not in _fixed:
        found = overrides(klass, cls)
        ok = getattr(klass, "__jsii_type__", None) in _QUEUEABLE and not any(o.property for o in found)
        serializer = jsii.kernel.provider._process._serializer  # type: ignore[attr-defined]
        fixed = {"fqn": klass.__jsii_type__,  # type: ignore[attr-defined]
                 "overrides": serializer.unstructure(found),
                 "interfaces": _interfaces(klass),
                 "api": "create"}
        text = json.dumps({**fixed, "args": []})
        assert text.endswith("[]}")
        _fixed[key] = _Fixed(fqn=fixed["fqn"], prefix=text[:-2]) if ok else None
    return _fixed[key]


def _ref(obj: Any) -> str | None:
    """The JSON text of a reference to ``obj`` (as jsii's ``jdefault`` writes it), or None when it is
    not a plain reference (one carrying interfaces: jsii's own conversion then)."""
    ref = getattr(obj, "__jsii_ref__", None)
    if not isinstance(ref, ObjRef) or ref.interfaces:
        return None
    return f'{{"$jsii.byref": {_string(ref.ref)}}}'


def create_api_object(klass: type, obj: Any, scope: Any, id: str, *, api_version: str, kind: str,
                      metadata: dict[str, str]) -> Any:
    """``jsii.create(klass, obj, [scope, id, {"apiVersion", "kind", "metadata"}])`` (``metadata``:
    strings only, such as name and namespace), queued inside :func:`queueing` when the type
    allows it; the request is written as text, one ``json.dumps`` of nothing."""
    fixed = _queueable(klass, type(obj)) if _queueing and _next_id is not None else None
    scope_ref = _ref(scope) if fixed is not None else None
    if fixed is None or scope_ref is None:
        return _jsii_create(klass, obj, [scope, id, {"apiVersion": api_version, "kind": kind, "metadata": metadata}])
    meta = ", ".join(f"{_string(key)}: {_string(value)}" for key, value in metadata.items())
    return _enqueue(obj, fixed, f'{scope_ref}, {_string(id)}, {{"{_MAP}": {{"apiVersion": {_string(api_version)}, '
                                f'"kind": {_string(kind)}, "metadata": {{"{_MAP}": {{{meta}}}}}}}}}')


def _enqueue(obj: Any, fixed: _Fixed, args: str) -> Any:
    """Queue a create whose arguments are the JSON text ``args`` (without the list's brackets)."""
    global _next_id
    assert _next_id is not None
    ref = ObjRef(ref=f"{fixed.fqn}@{_next_id}")
    _next_id += 1
    line = f"{fixed.prefix}{args}]}}\n".encode()  # ASCII: every piece is json.dumps's ASCII output
    obj.__jsii_ref__ = ref
    _reference_map.register_reference(obj)
    _queue.append((obj, line, ref.ref))
    if len(_queue) >= _MAX_QUEUE:
        _write_ahead()
    return ref


def _jsii_create(klass: type, obj: Any, args: list[Any]) -> Any:
    """jsii's own create (synchronous); inside :func:`queueing` its answer starts the numbering."""
    global _next_id
    ref = _original_create(klass, obj, args)
    if _queueing and _next_id is None:
        _next_id = _number(ref.ref) + 1
    return ref


def _create_hook(klass: type, obj: Any, args: list[Any] | None = None) -> Any:
    """``jsii.create``: the generated constructors of ``Construct`` subclasses call it."""
    if (_queueing and _next_id is not None and args is not None and len(args) == 2
            and type(args[1]) is str):
        fixed = _queueable(klass, type(obj))
        scope_ref = _ref(args[0]) if fixed is not None else None
        if fixed is not None and scope_ref is not None:
            return _enqueue(obj, fixed, f"{scope_ref}, {_string(args[1])}")
    return _jsii_create(klass, obj, args or [])


def _number(ref: str) -> int:
    return int(ref.rsplit("@", 1)[1])


def _ohook(original: Any) -> Any:
    """jsii's JSON object hook, counting the references the kernel hands out (:func:`queueing`)."""

    def ohook(d: dict[str, Any]) -> Any:
        global _next_id
        value = original(d)
        if _next_id is not None and type(value) is ObjRef:
            number = _number(value.ref)
            if number >= _next_id:
                _next_id = number + 1
        return value

    ohook.__wrapped__ = original  # type: ignore[attr-defined]
    return ohook


def flush() -> None:
    """Send the queued creates (one write) and check their answers (and those written ahead)."""
    if _queue or _sent:
        process = jsii.kernel.provider._process  # type: ignore[attr-defined]
        _settle(process)
        if _queue:
            _write_queue(process, flush=True)
            error = _read_queue(process)
            if error is not None:
                raise error


def _write_ahead() -> None:
    """Write the queue and go on without its answers: the kernel creates these objects while
    Python builds the next ones (on another core). The answers are read before anything else
    is written (:func:`_settle`): at most one write's answers wait in the pipe."""
    process = jsii.kernel.provider._process  # type: ignore[attr-defined]
    _settle(process)
    _write_queue(process, flush=True)


def _settle(process: Any) -> None:
    """Read the answers of the write made ahead, if any; on an error the queue is void too."""
    if _sent:
        error = _read_queue(process)
        if error is not None:
            _forget(_queue)
            del _queue[:]
            raise error


def _forget(entries: list[tuple[Any, bytes, str]]) -> None:
    """Objects whose predicted references are not theirs (a create before them failed)."""
    for failed, _, failed_ref in entries:
        if _reference_map._refs._refs.get(failed_ref) is failed:
            del _reference_map._refs._refs[failed_ref]
        failed.__dict__.pop("__jsii_ref__", None)


#: Creates written to the kernel whose answers are not read yet.
_sent: list[tuple[Any, bytes, str]] = []
#: Queued creates sent at most together: their answers (about 50 bytes each) fit in a pipe's
#: buffer, so the kernel never waits for Python to read while Python waits to write; small
#: enough that the kernel works on one write while Python builds the next.
_MAX_QUEUE = 128


def _write_queue(process: Any, *, flush: bool) -> None:
    assert not _sent, "the answers of the previous write are read first (_settle)"
    _sent[:] = _queue
    del _queue[:]
    assert process._process.stdin is not None
    process._process.stdin.write(b"".join(line for _, line, _ in _sent))
    if flush:
        process._process.stdin.flush()


def _read_queue(process: Any) -> BaseException | None:
    """Read the answers to the sent queue: the first error (and the objects from the failed one
    on forgotten: their references are not theirs), or None."""
    global _next_id
    sent = _sent[:]
    del _sent[:]
    error: BaseException | None = None
    stdout = process._process.stdout
    for i, (_, _, ref) in enumerate(sent):
        line = stdout.readline()
        if error is None and line == b'{"ok":{"$jsii.byref":"%s"}}\n' % ref.encode():
            continue  # the usual answer, checked without parsing it
        message = json.loads(line, object_hook=_process.ohook)
        ok = message.get("ok")
        if error is None and type(ok) is ObjRef and ok.ref == ref:
            continue
        if error is None:
            if type(ok) is ObjRef:
                error = RuntimeError(f"jsii kernel numbered a queued object {ok.ref}, not {ref}")
            elif "callback" in message:  # pragma: no cover - excluded by _queueable
                error = RuntimeError("jsii kernel made a callback while creating a queued object")
            else:
                error = _error(process._serializer.structure(message, _process._ProcessResponse))
            _forget(sent[i:])
            _next_id = None  # relearnt from the next synchronous create
    return error


def _error(resp: Any) -> BaseException:
    from jsii.errors import ErrorType, JavaScriptError, JSIIError

    exc: BaseException = (JSIIError(resp.error) if resp.name == ErrorType.JSII_FAULT.value
                          else RuntimeError(resp.error))
    exc.__cause__ = JavaScriptError(resp.stack)  # type: ignore[no-untyped-call]
    return exc


def _send(original: Any) -> Any:
    def send(self: Any, request: Any, response_type: Any) -> Any:
        if type(request) is _process._CompleteRequest and isinstance(request.complete.result, Wired):
            flush()
            return _send_wired(self, request, response_type)
        _settle(self)  # answers of creates written ahead come before this request's
        if not _queue:
            return original(self, request, response_type)
        # The queue and this request in one write; the queue's answers come first.
        _write_queue(self, flush=False)
        errors: list[BaseException] = []

        def next_message() -> Any:
            del self._next_message  # jsii's own again
            error = _read_queue(self)
            if error is not None:
                errors.append(error)
            return self._next_message()

        self._next_message = next_message
        try:
            response = original(self, request, response_type)
        except BaseException:
            if errors:
                raise errors[0] from None
            raise
        finally:
            self.__dict__.pop("_next_message", None)
        if errors:
            raise errors[0]
        return response

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


_original_create: Any = jsii.create


def install() -> None:
    """Hook the kernel's ``send``, jsii's ``create`` and its JSON object hook (once)."""
    global _installed
    if _installed or not _SUPPORTED:
        return
    node_process: Any = _process._NodeProcess
    if not getattr(node_process.send, "__wrapped__", None):
        node_process.send = _send(node_process.send)
    if not getattr(_process.ohook, "__wrapped__", None):
        _process.ohook = _ohook(_process.ohook)
    jsii.create = _create_hook
    _installed = True
