"""Release the jsii objects of finished builds (for processes that build many apps).

jsii never frees an object on its own: the Node side keeps every object that ever crossed to
Python in its object table, and the Python side keeps every object it created in its reference
map, so each ``App`` built in one long-running process stays in memory for good (about a MiB
of Node heap per Dagster system). :func:`released` ends that for a block of code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import cdk8s
import jsii
from jsii import _reference_map
from jsii._kernel.types import ObjRef

from . import _transport

#: JSON text of a string (C, ASCII output).
_string = json.encoder.encode_basestring_ascii


@contextmanager
def released() -> Iterator[None]:
    """Release every jsii object made (or handed to Python) inside the block when it ends.

    For processes that build many apps one after another (services, test suites, benchmarks)::

        with released():
            app = cdk8s.App(outdir=...)
            DagsterChart(app, "dagster", config=config)
            app.synth()

    Objects made inside the block (the app, its charts, constructs and ``ApiObject`` objects)
    must not be used after it. Objects made before it are untouched.
    """
    refs: Any = _reference_map._refs  # ref id -> Python object, for objects Python created
    before = set(refs._refs)
    seen: set[str] = set()
    resolve: Any = _reference_map.resolve_reference

    def resolving(kernel: Any, ref: ObjRef) -> Any:
        seen.add(ref.ref)  # an object the Node side hands to Python (new, or made by Python)
        return resolve(kernel, ref)

    _reference_map.resolve_reference = resolving
    first = sys.maxsize
    try:
        # The Node side numbers objects in order: this one and any numbered after it are the block's.
        marker: Any = cdk8s.JsonPatch.remove("/")
        first = _number(marker.__jsii_ref__.ref)
        yield
    finally:
        _transport.flush()  # objects still queued (a block that ends inside a chart's constructor)
        _reference_map.resolve_reference = resolve
        made = [ref for ref in refs._refs if ref not in before]
        handed = [ref for ref in seen if ref not in refs._refs and _number(ref) >= first]
        for ref in made:
            del refs._refs[ref]
        _delete(made + handed)


def _number(ref: str) -> int:
    return int(ref.rsplit("@", 1)[1])


def _delete(refs: list[str]) -> None:
    """Drop ``refs`` from the Node side's object table, all requests sent before any answer is
    read (one round trip, not one each); sequentially if this jsii runtime is not the one
    this was written against."""
    process = getattr(getattr(jsii.kernel, "provider", None), "_process", None)
    stdin = getattr(getattr(process, "_process", None), "stdin", None)
    stdout = getattr(getattr(process, "_process", None), "stdout", None)
    if process is None or stdin is None or stdout is None:
        for ref in refs:
            try:
                jsii.kernel.delete(ObjRef(ref=ref))
            except Exception:  # already gone on the Node side: nothing to release
                pass
        return
    # The request jsii writes for each ({"objref": {"$jsii.byref": ref}, "api": "del"}), as text.
    payload = "".join(f'{{"objref": {{"$jsii.byref": {_string(ref)}}}, "api": "del"}}\n' for ref in refs).encode()
    stdin.write(payload)
    stdin.flush()
    for _ in refs:
        line = stdout.readline()
        if line != b'{"ok":{}}\n':  # the usual answer, checked without parsing it
            json.loads(line)  # an error for an object already gone: nothing to release
