"""A chart's documents cross to Node as one string, and Node writes them as YAML without walking them twice.

``App.synth()`` asks each chart for its objects (``Chart.toJson``, declared ``any[]``) and writes
them with cdk8s's ``Yaml.save``. For a chart of 1,000 objects (200 code locations + 50 queues)
two things cost nearly all of the Node side's time there, both proportional to the JSON values
(not to the objects):

* jsii's kernel reads a callback's ``any`` result value by value (for each value it works out
  the value's type again and formats, with ``util.inspect``, a message it only needs on failure);
* the ``yaml`` package builds a document tree of every document and writes it node by node.

This module loads a small jsii assembly of our own into the kernel (``_native.js``, packed
into a tarball when the first ``RenderedChart`` is made: :func:`ensure_loaded`; the kernel's
public ``load`` request, as for any jsii library) with two things in it:

* ``RenderedChart``: a ``cdk8s.Chart`` whose ``toJson`` works out the chart's objects in cdk8s's
  order (``DependencyGraph``, as ``Chart.toJson``) and asks Python's ``renderJson`` for their
  documents, naming them by their kernel references (one string: handing the objects themselves
  to Python made the kernel convert each one, and Python each answer), as one JSON text
  (declared ``string``: the kernel reads one value) which it parses with ``JSON.parse``; where
  Python answers ``0`` (an object it does not render) the object renders itself, and an empty
  text means cdk8s's own ``Chart.toJson``. The Python side is
  :class:`constructs_lib._manifest.RenderedChart`.
* A faster ``cdk8s.Yaml.stringify`` for exactly those documents: it writes the bytes the ``yaml``
  package writes (block style, YAML 1.1, no line folding), and hands every document it is not
  sure about (multi-line strings, strings needing escapes, non-integers) to the original; all
  other documents (other charts', other objects') take the original. Everything else of
  ``App.synth()`` (validation, dependencies, JSON patches, file layout, ``synth_yaml``) is cdk8s's.

Guards: the fast YAML is installed only for the ``yaml`` version it reproduces (2.9.1, the one
cdk8s 2.70 bundles), and with a cdk8s other than the one it was checked against (2.70.115) only
if, at load, it writes a probe of every kind of value and string exactly as cdk8s's
``Yaml.stringify`` does (``Native.fastYaml()`` says why not otherwise; the tests run the probe).
With ``DAGSTER_CDK8S_NATIVE=0`` :data:`CHART_BASE` is ``cdk8s.Chart`` and ``RenderedChart``
takes its pure-Python path (one JSON callback result, see ``_transport.result``); if the
assembly cannot be loaded, ``RenderedChart`` is moved onto ``cdk8s.Chart`` then (its base is
replaced) and takes the same path. The assembly is loaded when the first ``RenderedChart`` is
made, not at import: the library's import writes nothing to the kernel, so it does not wait for
Node's start (``_kernel_start``). ``tests/test_native.py`` runs all three paths and compares the
fast YAML with the ``yaml`` package's on every variant and on generated documents.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tarfile
import tempfile
from collections.abc import Callable
from importlib import resources
from typing import Any, cast

import cdk8s
import jsii

NAME = "dagster-cdk8s-synth"
VERSION = "0.1.0"

_CHART_PARAMETERS = [
    {"name": "scope", "type": {"fqn": "constructs.Construct"}},
    {"name": "id", "type": {"primitive": "string"}},
    {"name": "props", "optional": True, "type": {"fqn": "cdk8s.ChartProps"}},
]
_STRING = {"type": {"primitive": "string"}}

#: The jsii assembly (type system) of ``_native.js``: what the kernel needs to create and call it.
ASSEMBLY: dict[str, Any] = {
    "schema": "jsii/0.10.0",
    "name": NAME,
    "version": VERSION,
    "license": "Apache-2.0",
    "homepage": "https://github.com/dagster-io/dagster",
    "repository": {"type": "git", "url": "https://github.com/dagster-io/dagster"},
    "author": {"name": "dagster-cdk8s", "roles": ["author"]},
    "description": "dagster-cdk8s: a chart's documents as one string, written as YAML in one pass",
    "fingerprint": "dagster-cdk8s-synth",
    "jsiiVersion": "1.142.0",
    "dependencies": {"cdk8s": "^2.70.115", "constructs": "^10.8.1"},
    "types": {
        f"{NAME}.RenderedChart": {
            "assembly": NAME, "fqn": f"{NAME}.RenderedChart", "kind": "class", "name": "RenderedChart",
            "base": "cdk8s.Chart",
            "initializer": {"parameters": _CHART_PARAMETERS},
            "methods": [{"name": "renderJson", "parameters": [{"name": "order", "type": {"primitive": "string"}}],
                         "returns": _STRING},
                        {"name": "cdk8sRendered"}],
        },
        f"{NAME}.Native": {
            "assembly": NAME, "fqn": f"{NAME}.Native", "kind": "class", "name": "Native",
            "methods": [
                {"name": "fastYaml", "static": True, "returns": _STRING},
                {"name": "probe", "static": True, "returns": _STRING},
                {"name": "compare", "static": True, "parameters": [{"name": "json", "type": {"primitive": "string"}}],
                 "returns": {"type": {"collection": {"kind": "array", "elementtype": {"primitive": "string"}}}}},
            ],
        },
    },
}


def _tarball() -> bytes:
    """The npm package the kernel loads: package.json, .jsii and index.js (deterministic bytes)."""
    files = {
        "package/package.json": json.dumps({"name": NAME, "version": VERSION, "main": "index.js",
                                            "license": "Apache-2.0"}).encode(),
        "package/.jsii": json.dumps(ASSEMBLY).encode(),
        "package/index.js": resources.files("constructs_lib").joinpath("_native.js").read_bytes(),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _load() -> str:
    """Load the assembly into the kernel; "" on success, else why not."""
    try:
        with tempfile.TemporaryDirectory(prefix="dagster-cdk8s-") as tmp:
            path = os.path.join(tmp, f"{NAME}-{VERSION}.tgz")
            with open(path, "wb") as out:
                out.write(_tarball())
            jsii.kernel.load(NAME, VERSION, path)
    except Exception as error:  # another jsii or cdk8s: the pure-Python path works without it
        return f"{type(error).__name__}: {error}"
    return ""


#: Why the native path is off ("" while it is on): ``DAGSTER_CDK8S_NATIVE=0``, or a failed load.
NOT_LOADED = "DAGSTER_CDK8S_NATIVE=0" if os.environ.get("DAGSTER_CDK8S_NATIVE", "1") == "0" else ""
#: Whether the native path is on (the assembly itself is loaded by :func:`ensure_loaded`).
LOADED = not NOT_LOADED
_attempted = False
_on_failure: list[Callable[[], None]] = []


def on_failure(callback: Callable[[], None]) -> None:
    """Run ``callback`` if the load fails (the native path turns off)."""
    _on_failure.append(callback)


def ensure_loaded() -> bool:
    """Load the assembly once, at the first chart (so the library's import writes nothing to the
    kernel and does not wait for Node's start, see ``_kernel_start``; a chart's scope means the
    kernel runs by then); whether the native path is on. A failed load turns it off for good:
    the callbacks of :func:`on_failure` run (``RenderedChart`` takes its pure-Python path)."""
    global _attempted, NOT_LOADED, LOADED
    if _attempted or not LOADED:
        return LOADED
    _attempted = True
    why = _load()
    if why:
        NOT_LOADED, LOADED = why, False
        for callback in _on_failure:
            callback()
    return LOADED


class NativeChart(cdk8s.Chart, metaclass=jsii.JSIIMeta, jsii_type=f"{NAME}.RenderedChart"):
    """jsii proxy of ``_native.js``'s ``RenderedChart`` (its constructor is ``cdk8s.Chart``'s)."""

    @jsii.member(jsii_name="renderJson")
    def render_json(self, order: str) -> str:
        """The documents of the chart's objects (kernel references, space-separated, in cdk8s's
        order) as one JSON list, 0 for each object Node renders itself; "" for cdk8s's own
        ``Chart.toJson``."""
        return cast(str, jsii.invoke(self, "renderJson", [order]))

    @jsii.member(jsii_name="cdk8sRendered")
    def cdk8s_rendered(self) -> None:
        """Called after cdk8s's own ``Chart.toJson`` rendered the chart."""
        jsii.invoke(self, "cdk8sRendered", [])


class Native(metaclass=jsii.JSIIMeta, jsii_type=f"{NAME}.Native"):
    """jsii proxy of ``_native.js``'s ``Native`` (static helpers)."""

    @jsii.member(jsii_name="fastYaml")
    @classmethod
    def fast_yaml(cls) -> str:
        """"" when RenderedChart documents take the fast YAML path, else why not."""
        return cast(str, jsii.sinvoke(cls, "fastYaml", []))

    @jsii.member(jsii_name="probe")
    @classmethod
    def probe(cls) -> str:
        """"" when the fast YAML writes its probe (every kind of value and string) exactly as
        cdk8s's ``Yaml.stringify`` does, else the first difference (for tests)."""
        return cast(str, jsii.sinvoke(cls, "probe", []))

    @jsii.member(jsii_name="compare")
    @classmethod
    def compare(cls, text: str) -> list[str]:
        """Per document of the JSON list ``text``: "fast", "yaml" (the emitter was unsure) or
        "DIFFERENT: ..." (for tests)."""
        return cast(list[str], jsii.sinvoke(cls, "compare", [text]))


#: The base of ``_manifest.RenderedChart``.
CHART_BASE: type[cdk8s.Chart] = NativeChart if LOADED else cdk8s.Chart


def fast_yaml() -> str:
    """"" when the fast YAML path is installed, else why not."""
    return Native.fast_yaml() if ensure_loaded() else NOT_LOADED


if __name__ == "__main__":  # pragma: no cover - a diagnostic: python -m constructs_lib._native
    print(f"fast YAML: {fast_yaml() or 'installed'}", file=sys.stderr)
