"""The one way this library emits a Kubernetes object.

Objects are ``cdk8s.ApiObject`` instances in the caller's construct tree. Their body (every
top-level field but ``apiVersion``/``kind``/``metadata``) is plain JSON built by the constructs,
so every field is under the library's control (no hidden defaults, no hashed names).

Speed: every call into cdk8s is a round trip to the jsii kernel (a Node process), and that
round trip, not the work, is what an object costs. So an object is created with one call that
carries only what cdk8s needs to place it (type, name, namespace: the kernel reads a create's
arguments value by value, and the labels were most of them), its labels, annotations and body
stay in Python, and the object renders itself when synthesized (``to_json``, a jsii override):
metadata exactly as ``ApiObject`` renders it (the chart's labels and namespace, keys sorted,
empty fields dropped), then the body in the order the construct built it (as the JSON patches
that used to carry it put it). An object made while a chart decorated with
:func:`builds_chart` (``DagsterChart``) is being built knows that chart's labels and namespace;
any other asks the Node side for its chart once when rendered.

Escape hatches stay cdk8s's own: ``add_json_patch`` or reading ``.metadata`` (to change labels,
annotations, ...) hands labels and annotations (``addLabel``/``addAnnotation``) and the body (as
JSON patches) to the Node side first, after which the object renders exactly as any
``ApiObject`` created with them does, with the user's patches and metadata changes applied.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import cdk8s
import jsii
from constructs import Construct, IValidation
from jsii import _reference_map

from . import _native, _transport
from .apiserver import check_object
from .errors import ConfigError

_transport.install()

Json = dict[str, Any]


class Gvk(NamedTuple):
    """apiVersion and kind of one object type."""

    api_version: str
    kind: str


#: The object types ``manifest`` emits (plain strings: importing the typed bindings of
#: ``cdk8s_plus_25`` for these constants would cost a tenth of a second at every start).
GVK = {
    "ConfigMap": Gvk("v1", "ConfigMap"),
    "Secret": Gvk("v1", "Secret"),
    "Service": Gvk("v1", "Service"),
    "ServiceAccount": Gvk("v1", "ServiceAccount"),
    "Role": Gvk("rbac.authorization.k8s.io/v1", "Role"),
    "RoleBinding": Gvk("rbac.authorization.k8s.io/v1", "RoleBinding"),
    "Deployment": Gvk("apps/v1", "Deployment"),
    "StatefulSet": Gvk("apps/v1", "StatefulSet"),
    "Job": Gvk("batch/v1", "Job"),
    "Ingress": Gvk("networking.k8s.io/v1", "Ingress"),
    "NetworkPolicy": Gvk("networking.k8s.io/v1", "NetworkPolicy"),
    "PodDisruptionBudget": Gvk("policy/v1", "PodDisruptionBudget"),
}


def manifest(
    scope: Construct,
    id: str,
    kind: str,
    *,
    name: str,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    namespace: str | None = None,
    body: Mapping[str, Any] | None = None,
) -> cdk8s.ApiObject:
    """Add one object of ``kind`` named ``name`` with top-level fields ``body``."""
    _check_name(kind, name)
    gvk = GVK[kind]
    check_object({"apiVersion": gvk.api_version, "kind": gvk.kind,
                  "metadata": {"name": name, "namespace": namespace, "labels": labels, "annotations": annotations},
                  **(body or {})})
    obj = Manifest(scope, id, api_version=gvk.api_version, kind=gvk.kind, name=name, labels=labels,
                   annotations=annotations, namespace=namespace, body=body)
    building: _Building | None = getattr(_local, "building", None)
    if building is not None:
        obj._chart_meta = building.meta()
    return obj


class _ChartMeta(NamedTuple):
    labels: dict[str, str]
    namespace: str | None


class _NodeSideMetadata:
    """``Manifest.metadata``: the Node-side metadata, for a caller who may change it.

    A non-data descriptor (``__get__`` only), so jsii does not register it as a property
    override (the Node side keeps reading its own ``metadata``).
    """

    def __get__(self, obj: Manifest | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        obj._hand_over()
        return cdk8s.ApiObject.metadata.fget(obj)  # type: ignore[attr-defined]


class Manifest(cdk8s.ApiObject):
    """An ``ApiObject`` whose body is rendered in Python (see the module docstring)."""

    def __init__(self, scope: Construct, id: str, *, api_version: str, kind: str, name: str,
                 labels: Mapping[str, str] | None = None, annotations: Mapping[str, str] | None = None,
                 namespace: str | None = None, body: Mapping[str, Any] | None = None) -> None:
        self._labels = dict(labels) if labels else None
        self._annotations = dict(annotations) if annotations else None
        self._namespace = namespace
        self._body: Json | None = dict(body or {})
        # The Node side gets what cdk8s needs to place the object: its type, name and namespace.
        # Labels and annotations stay in Python with the body (they cross when an escape hatch
        # hands the object over, :meth:`_hand_over`): read value by value by the kernel, they
        # were most of the cost of creating an object. No run-time type checks of the arguments
        # (ApiObject.__init__'s): they are ours, already typed. While a chart is being built, the
        # create is queued and sent with the next request.
        metadata = {"name": name} if namespace is None else {"name": name, "namespace": namespace}
        _transport.create_api_object(type(self), self, scope, id, api_version=api_version, kind=kind, metadata=metadata)
        # Kept in Python: reading them back from the Node side would cost a round trip each.
        self._api_version = api_version
        self._kind = kind
        self._name = name
        #: The labels and namespace of the chart the object is in, when known without asking.
        self._chart_meta: _ChartMeta | None = None

    metadata = _NodeSideMetadata()

    def add_json_patch(self, *ops: cdk8s.JsonPatch) -> None:
        """Apply RFC 6902 JSON patches to the synthesized object (as ``ApiObject.add_json_patch``)."""
        self._hand_over()
        super().add_json_patch(*ops)

    def to_json(self) -> Any:
        """The object as Kubernetes JSON (what ``ApiObject.to_json`` returns)."""
        if self._body is None:
            return super().to_json()
        return self.render(self._chart_meta or chart_meta(self.chart))

    def render(self, chart: _ChartMeta) -> Json:
        """The object's JSON in a chart with these labels and namespace (body still in Python)."""
        assert self._body is not None
        # cdk8s's metadata: keys in JavaScript's order (annotations, labels, name, namespace),
        # nulls and empty maps dropped (:func:`_sanitize`, done directly for maps of strings).
        metadata: Json = {}
        if self._annotations:
            annotations = _strings(self._annotations)
            if annotations:
                metadata["annotations"] = annotations
        labels = _strings({**chart.labels, **self._labels} if self._labels else chart.labels)
        if labels:
            metadata["labels"] = labels
        if self._name is not None:
            metadata["name"] = self._name
        namespace = self._namespace if self._namespace is not None else chart.namespace
        if namespace is not None:
            metadata["namespace"] = namespace
        return {"apiVersion": self._api_version, "kind": self._kind, "metadata": metadata, **self._body}

    @property
    def rendered_in_python(self) -> bool:
        """Whether the body is still in Python (no escape hatch used yet)."""
        return self._body is not None

    def _hand_over(self) -> None:
        """Move labels, annotations and body to the Node side (before any patch or metadata change
        of the caller's): the object then renders exactly as an ``ApiObject`` created with them."""
        if self._body is None:
            return
        body, self._body = self._body, None
        if self._labels or self._annotations:
            metadata = cdk8s.ApiObject.metadata.fget(self)  # type: ignore[attr-defined]
            for key, value in (self._labels or {}).items():
                if value is not None:  # as cdk8s drops a null label
                    metadata.add_label(key, value)
            for key, value in (self._annotations or {}).items():
                if value is not None:
                    metadata.add_annotation(key, value)
        if body:
            super().add_json_patch(*[cdk8s.JsonPatch.add(f"/{_pointer(key)}", value) for key, value in body.items()])


def _pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


# --- the chart an object renders in ------------------------------------------------------

_local = threading.local()


def chart_meta(chart: cdk8s.Chart) -> _ChartMeta:
    """The labels and namespace a chart gives its objects (read once per chart: both are fixed)."""
    cached: _ChartMeta | None = getattr(chart, "_dagster_cdk8s_meta", None)
    if cached is None:
        cached = _ChartMeta(labels=dict(chart.labels or {}), namespace=chart.namespace)
        object.__setattr__(chart, "_dagster_cdk8s_meta", cached)
    return cached


def chart_namespace(scope: Construct) -> str | None:
    """The namespace of the chart ``scope`` is in (no round trip while a chart is being built)."""
    building: _Building | None = getattr(_local, "building", None)
    if building is not None:
        return building.meta().namespace
    return chart_meta(cdk8s.Chart.of(scope)).namespace


class _Building:
    def __init__(self, chart: cdk8s.Chart) -> None:
        self.chart = chart
        self._meta: _ChartMeta | None = None
        #: Whether objects may be created queued: the kernel calls nothing back while creating an
        #: ``ApiObject`` (it reads the chart's labels and namespace: not overridden in Python).
        self.queue_safe = _reads_no_overrides(type(chart))

    def meta(self) -> _ChartMeta:
        if self._meta is None:
            self._meta = chart_meta(self.chart)
        return self._meta


_SAFE: dict[type, bool] = {}


def _reads_no_overrides(chart_type: type) -> bool:
    safe = _SAFE.get(chart_type)
    if safe is None:
        overridden = {o.property for o in _transport.overrides(cdk8s.Chart, chart_type)}
        safe = _SAFE[chart_type] = not overridden & {"labels", "namespace"}
    return safe


_Init = TypeVar("_Init", bound=Callable[..., None])


def builds_chart(init: _Init) -> _Init:
    """Decorates a ``cdk8s.Chart`` subclass's ``__init__`` whose every ``manifest`` call puts the
    object directly into that chart's tree (no nested chart in between): those objects then know
    the chart's labels and namespace without a round trip each."""

    @functools.wraps(init)
    def wrapper(self: cdk8s.Chart, *args: Any, **kwargs: Any) -> None:
        previous = getattr(_local, "building", None)
        _local.building = building = _Building(self)
        try:
            if building.queue_safe:  # the chart's objects go to the kernel in a few writes
                with _transport.queueing():
                    init(self, *args, **kwargs)
            else:
                init(self, *args, **kwargs)
        finally:
            _local.building = previous

    return wrapper  # type: ignore[return-value]


if TYPE_CHECKING:
    _ChartBase = cdk8s.Chart
else:
    _ChartBase = _native.CHART_BASE  # cdk8s.Chart, or the native assembly's RenderedChart


class RenderedChart(_ChartBase):
    """A ``cdk8s.Chart`` that renders its :class:`Manifest` objects in one go when ``App.synth()``
    (or ``synth_yaml()``) synthesizes it, instead of one callback per object.

    The order is cdk8s's own (``DependencyGraph(chart.node).topology()``), other ``ApiObject`` objects
    render themselves, and anything unusual (a chart nested inside, or a synthesis that did not
    first validate the app: ``Testing.synth``, ``chart.to_json()``) takes cdk8s's own path.
    The documents cross to Node as one JSON text (``_native``: Node's ``toJson`` works out the
    order and asks :meth:`render_json` for the documents of the objects it names), or, without the
    native assembly, as one callback result of ``to_json`` (the order read from Python).
    """

    def __init__(self, scope: Construct, id: str, **props: Any) -> None:
        _native.ensure_loaded()  # the native assembly, at the first chart (a failed load: _plain_path)
        super().__init__(scope, id, **props)
        # What ``chart_meta`` would read back from the Node side (Chart keeps both as given).
        self._dagster_cdk8s_meta = _ChartMeta(labels=dict(props.get("labels") or {}), namespace=props.get("namespace"))
        self._dagster_cdk8s_validated = False
        self.node.add_validation(_SynthesisStarts(self))

    def render_json(self, order: str) -> Any:
        """The documents of the objects ``order`` names (their kernel references, space-separated,
        in cdk8s's order: ``_native.js`` works it out on the Node side) as one JSON list, ``0`` for
        each object the Node side renders itself (anything but a :class:`Manifest` rendered in
        Python); "" for cdk8s's own path."""
        if not self._dagster_cdk8s_validated:
            return ""
        # App.synth()/synth_yaml() validated the app and resolved dependencies just before this.
        self._dagster_cdk8s_validated = False
        meta = chart_meta(self)
        known = _reference_map._refs._refs  # kernel reference -> the Python object (jsii's map)
        out: list[Any] = []
        for ref in order.split(" ") if order else ():
            obj = known.get(ref)
            out.append(obj.render(meta) if isinstance(obj, Manifest) and obj._body is not None else 0)
        # A string for the kernel, written into the answer as it is (see _transport.string_result).
        return _transport.string_result(json.dumps(out, separators=(",", ":"), allow_nan=False))

    def cdk8s_rendered(self) -> None:
        """cdk8s's own ``Chart.toJson`` rendered the chart (its validation was not App.synth's pass)."""
        self._dagster_cdk8s_validated = False

    def _render(self) -> list[Any] | None:
        """The chart's objects as Kubernetes JSON (as ``Chart.to_json``), or None for cdk8s's own path."""
        if not self._dagster_cdk8s_validated:
            return None
        # App.synth()/synth_yaml() validated the app and resolved dependencies just before this.
        self._dagster_cdk8s_validated = False
        meta = chart_meta(self)
        out: list[Any] = []
        for construct in cdk8s.DependencyGraph(self.node).topology():
            if isinstance(construct, cdk8s.Chart):
                if construct is self:
                    continue
                return None  # a nested chart: cdk8s decides which object is whose
            if isinstance(construct, Manifest) and construct.rendered_in_python:
                out.append(construct.render(meta))
            elif isinstance(construct, cdk8s.ApiObject):
                out.append(construct.to_json())
        return out


def _python_to_json(self: RenderedChart) -> Any:
    """``Chart.to_json`` without the native assembly: the objects cross as one callback result."""
    objects = self._render()
    if objects is None:
        result = cdk8s.Chart.to_json(self)
        self._dagster_cdk8s_validated = False  # that synthesis validated too: not App.synth's pass
        return result
    return _transport.result(objects)  # the kernel asked (App.synth): crosses in one json.dumps


def _plain_path() -> None:
    """Without the native assembly: ``RenderedChart`` on ``cdk8s.Chart``, its objects crossing as one
    callback result of ``to_json``."""
    if RenderedChart.__bases__ != (cdk8s.Chart,):
        RenderedChart.__bases__ = (cdk8s.Chart,)  # a failed load: before any chart was made
    RenderedChart.to_json = _python_to_json  # type: ignore[method-assign,assignment]


if _native.LOADED:
    _native.on_failure(_plain_path)
else:
    _plain_path()


@jsii.implements(IValidation)
class _SynthesisStarts:
    """Validation hook: cdk8s validates the whole app before it asks charts for their objects."""

    def __init__(self, chart: RenderedChart) -> None:
        self._chart = chart

    def validate(self) -> list[str]:
        self._chart._dagster_cdk8s_validated = True
        return []


# --- what cdk8s's sanitizeValue does to metadata -------------------------------------------

def _sanitize(value: Any) -> Any:
    """cdk8s ``sanitizeValue(x, {filterEmptyArrays, filterEmptyObjects})``: nulls and empty
    maps/lists dropped, map keys sorted as JavaScript sorts strings (UTF-16 code units)."""
    if isinstance(value, Mapping):
        out = {}
        for key in sorted(value, key=_js_order):
            item = _sanitize(value[key])
            if item is not None:
                out[key] = item
        return out or None
    if isinstance(value, list | tuple):
        return [_sanitize(v) for v in value] or None
    return value


@functools.lru_cache(maxsize=4096)  # the same label keys on every object
def _js_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _strings(value: Mapping[str, Any]) -> Any:
    """:func:`_sanitize` of a map (labels, annotations): for a map of strings, only its keys sorted."""
    for item in value.values():
        if type(item) is not str:
            return _sanitize(value)
    return {key: value[key] for key in sorted(value, key=_js_order)} or None


# What the API server accepts as a name, per kind: Services are DNS-1035 labels; a
# StatefulSet's name goes into its pods' controller-revision-hash label (name + 11 chars)
# and a Job's into its pods' job-name label, both at most 63 characters.
_NAME_RULES = {
    "Service": (63, re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$"), "a DNS-1035 label (starting with a letter)"),
    "StatefulSet": (52, re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), "a DNS-1123 label"),
    "Job": (63, re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), "a DNS-1123 label"),
}
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _check_name(kind: str, name: str) -> None:
    limit, pattern, what = _NAME_RULES.get(kind, (253, _SUBDOMAIN, "a DNS-1123 subdomain"))
    if len(name) > limit or not pattern.match(name):
        raise ConfigError(f"{kind} name", name,
                          f"{what} of at most {limit} characters: shorten Release.name (or set "
                          "Release.fullname_override) or the component's name")


def secret_data(values: Mapping[str, str]) -> Json:
    """Secret ``data``: base64 of each value, keys in the given order."""
    return {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
