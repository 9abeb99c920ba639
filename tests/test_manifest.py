"""``manifest()`` objects render in Python; they must synthesize exactly as a plain
``cdk8s.ApiObject`` carrying the same body as JSON patches, and keep cdk8s's escape hatches."""

from __future__ import annotations

import json
from typing import Any

import cdk8s
import jsii
import pytest
from constructs import Construct

from constructs_lib import DagsterChart, Release, RunLauncherRbac, _transport, build_variant
from constructs_lib._manifest import Manifest, RenderedChart, builds_chart, manifest

from .conftest import TEST_PASSWORDS, find, synth_variant

BODY: dict[str, Any] = {
    "spec": {"zeta": 1, "alpha": {"10": "ten", "9": "nine", "b": None, "a": []}, "list": [{"y": 1, "x": 2}]},
    "data": {},
    "type": "Opaque",
}
CASES: list[dict[str, Any]] = [
    {"name": "plain"},
    {"name": "labelled", "labels": {"zz": "1", "app.kubernetes.io/name": "x", "9": "n", "10": "t"},
     "annotations": {"b": "2", "a": "1"}},
    {"name": "namespaced", "namespace": "other", "labels": {"k": "v"}},
    {"name": "empty-body", "body": {}},
]


def _reference(scope: Construct, id: str, kind: str, *, name: str, labels: Any = None, annotations: Any = None,
               namespace: str | None = None, body: Any = BODY) -> cdk8s.ApiObject:
    """How objects were emitted before: an ApiObject plus one JSON patch per top-level field."""
    obj = cdk8s.ApiObject(scope, id, api_version="v1", kind=kind, metadata=cdk8s.ApiObjectMetadata(
        name=name, namespace=namespace, labels=labels, annotations=annotations))
    for key, value in body.items():
        obj.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", value))
    return obj


def _synth(emit: Any, chart_labels: dict[str, str] | None, chart_namespace: str | None) -> str:
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "c", labels=chart_labels, namespace=chart_namespace, disable_resource_name_hashes=True)
    for case in CASES:
        emit(chart, case["name"], "ConfigMap", **{"body": BODY, **case})
    return app.synth_yaml()


@pytest.mark.parametrize("chart_labels, chart_namespace", [(None, None), ({"team": "data", "a": "b"}, "ns")])
def test_renders_exactly_as_an_api_object_with_json_patches(chart_labels: Any, chart_namespace: Any) -> None:
    assert _synth(manifest, chart_labels, chart_namespace) == _synth(_reference, chart_labels, chart_namespace)


def test_json_patch_escape_hatch_applies_after_the_body() -> None:
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "c")
    obj = manifest(chart, "cm", "ConfigMap", name="cm", body={"data": {"a": "1"}})
    obj.add_json_patch(cdk8s.JsonPatch.replace("/data/a", "2"), cdk8s.JsonPatch.add("/data/b", "3"))
    assert isinstance(obj, Manifest) and not obj.rendered_in_python
    assert cdk8s.Testing.synth(chart) == [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "2", "b": "3"}}]


def test_metadata_escape_hatch_reaches_the_output() -> None:
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "c", namespace="ns")
    obj = manifest(chart, "cm", "ConfigMap", name="cm", labels={"x": "1"}, body={"data": {"a": "1"}})
    obj.metadata.add_label("added", "yes")
    obj.metadata.add_annotation("note", "hi")
    assert cdk8s.Testing.synth(chart) == [{
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"annotations": {"note": "hi"}, "labels": {"added": "yes", "x": "1"}, "name": "cm",
                     "namespace": "ns"},
        "data": {"a": "1"}}]


def test_objects_of_a_dagster_chart_are_reachable_and_patchable() -> None:
    app = cdk8s.Testing.app()
    chart = DagsterChart(app, "dagster", config=build_variant("k8s", TEST_PASSWORDS))
    deployment = next(c for c in chart.webserver.node.find_all()
                      if isinstance(c, cdk8s.ApiObject) and c.kind == "Deployment")
    assert isinstance(deployment, Manifest) and deployment.rendered_in_python
    deployment.add_json_patch(cdk8s.JsonPatch.replace("/spec/replicas", 3))
    objects = cdk8s.Testing.synth(chart)
    assert find(objects, "Deployment", deployment.name)["spec"]["replicas"] == 3
    untouched = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] != deployment.name]
    assert untouched and all(o["spec"]["replicas"] == 1 for o in untouched)


def test_constructs_in_a_namespaced_labelled_chart_of_ones_own() -> None:
    """Outside DagsterChart the chart's labels and namespace still reach every object."""
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "mine", namespace="team", labels={"owner": "me"})
    RunLauncherRbac(chart, "rbac", release=Release(name="x"))
    objects = cdk8s.Testing.synth(chart)
    assert objects and all(o["metadata"]["namespace"] == "team" for o in objects if o["kind"] != "RoleBinding")
    assert all(o["metadata"]["labels"]["owner"] == "me" for o in objects)


def test_dagster_chart_objects_carry_the_chart_namespace() -> None:
    objects = synth_variant("external")
    assert {o["metadata"].get("namespace") for o in objects} == {"dagster"}


def _app_synth_objects(app: cdk8s.App, tmp_path: Any) -> list[Any]:
    import yaml

    app.synth()
    path = next(p for p in sorted(tmp_path.iterdir()) if p.name.endswith("dagster.k8s.yaml"))
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_app_synth_renders_a_dagster_chart_in_one_go(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """App.synth() asks DagsterChart once, not each object (no per-object callback)."""
    app = cdk8s.App(outdir=str(tmp_path))
    chart = DagsterChart(app, "dagster", config=build_variant("celery-rabbitmq", TEST_PASSWORDS))
    expected = cdk8s.Testing.synth(chart)  # cdk8s's own path: one callback per object

    def no_callback(self: Manifest) -> Any:
        raise AssertionError("rendered one by one")

    monkeypatch.setattr(Manifest, "to_json", no_callback)
    assert _app_synth_objects(app, tmp_path) == expected


def test_dependencies_order_objects_as_cdk8s_does(tmp_path: Any) -> None:
    app = cdk8s.App(outdir=str(tmp_path))
    chart = DagsterChart(app, "dagster", config=build_variant("k8s", TEST_PASSWORDS))
    assert chart.migrate is not None
    chart.webserver.node.add_dependency(chart.migrate)  # construct-level: cdk8s resolves it at synth
    objects = _app_synth_objects(app, tmp_path)
    names = [o["metadata"]["name"] for o in objects]
    assert names.index(chart.migrate.job_name) < names.index(chart.webserver.service_name)
    assert objects == cdk8s.Testing.synth(chart)


def test_a_chart_nested_in_a_dagster_chart_keeps_its_own_objects(tmp_path: Any) -> None:
    app = cdk8s.App(outdir=str(tmp_path))
    chart = DagsterChart(app, "dagster", config=build_variant("k8s", TEST_PASSWORDS))
    inner = cdk8s.Chart(chart, "inner", namespace="elsewhere")
    manifest(inner, "cm", "ConfigMap", name="inner-cm", body={"data": {"a": "1"}})
    objects = _app_synth_objects(app, tmp_path)
    assert "inner-cm" not in [o["metadata"]["name"] for o in objects]
    inner_yaml = next(p for p in tmp_path.iterdir() if "inner" in p.name).read_text()
    assert "namespace: elsewhere" in inner_yaml and "name: inner-cm" in inner_yaml


# --- queued creates and one-piece callback results (constructs_lib/_transport.py) ----------

class _Queued(RenderedChart):
    """A chart built as DagsterChart is: objects made in its constructor are queued."""

    @builds_chart
    def __init__(self, scope: Construct, id: str, ids: list[str]) -> None:
        super().__init__(scope, id)
        for i in ids:
            manifest(self, i, "ConfigMap", name=i, body={"data": {"k": i}})
        self.seen_queued = len(_transport._queue)


@pytest.fixture
def queue_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of queued creates in each write to the kernel, as they happen."""
    writes: list[int] = []
    original = _transport._write_queue

    def counting(process: Any, *, flush: bool) -> None:
        writes.append(len(_transport._queue))
        original(process, flush=flush)

    monkeypatch.setattr(_transport, "_write_queue", counting)
    return writes


def test_objects_made_while_a_chart_is_built_are_created_in_one_write(queue_writes: list[int]) -> None:
    writes = queue_writes
    chart = _Queued(cdk8s.Testing.app(), "c", ["a", "b", "c"])
    assert chart.seen_queued == 3 and writes == [3] and not _transport._queue
    objs = [c for c in chart.node.children if isinstance(c, Manifest)]
    assert [o.name for o in objs] == ["a", "b", "c"]  # the Node side knows them, in order
    objs[1].add_json_patch(cdk8s.JsonPatch.add("/data/extra", "x"))
    assert [o["data"] for o in cdk8s.Testing.synth(chart)] == [{"k": "a"}, {"k": "b", "extra": "x"}, {"k": "c"}]


def test_a_long_queue_goes_in_bounded_writes(queue_writes: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """The answers of one write fit in a pipe's buffer: the kernel never waits for Python to read."""
    monkeypatch.setattr(_transport, "_MAX_QUEUE", 4)
    chart = _Queued(cdk8s.Testing.app(), "c", [f"m{i}" for i in range(10)])
    assert queue_writes == [4, 4, 2]
    assert [o["metadata"]["name"] for o in cdk8s.Testing.synth(chart)] == [f"m{i}" for i in range(10)]


def test_queued_constructs_are_scopes_of_queued_objects() -> None:
    class Nesting(RenderedChart):
        @builds_chart
        def __init__(self, scope: Construct, id: str) -> None:
            super().__init__(scope, id)  # the chart: created at once, its answer starts the numbering
            Construct(self, "first")
            group = Construct(self, "group")
            self.child = manifest(group, "cm", "ConfigMap", name="cm", body={"data": {"k": "v"}})
            self.inner = Construct(self.child, "inner")  # an object as a scope
            self.queued = [ref for _, _, ref in _transport._queue]

    chart = Nesting(cdk8s.Testing.app(), "c")
    assert len(chart.queued) == 4 and not _transport._queue
    assert chart.inner.node.path == "c/group/cm/inner"  # the Node side put each under its scope
    assert [c.node.id for c in chart.node.find_all()] == ["c", "first", "group", "cm", "inner"]
    assert cdk8s.Testing.synth(chart)[0]["data"] == {"k": "v"}


def test_a_kernel_numbering_other_than_predicted_fails_loudly() -> None:
    class Skewed(RenderedChart):
        @builds_chart
        def __init__(self, scope: Construct, id: str) -> None:
            super().__init__(scope, id)
            Construct(self, "first")
            assert _transport._next_id is not None
            _transport._next_id += 7  # as if the kernel had registered objects Python never saw
            Construct(self, "second")

    with pytest.raises(RuntimeError, match="numbered a queued object"):
        Skewed(cdk8s.Testing.app(), "c")
    assert _transport._next_id is None and not _transport._queue
    assert len(_Queued(cdk8s.Testing.app(), "c", ["a"]).node.children) == 1  # the next build is fine


def test_an_error_of_a_queued_create_surfaces_in_the_chart_constructor() -> None:
    with pytest.raises(Exception, match="already a Construct with name 'a'"):
        _Queued(cdk8s.Testing.app(), "c", ["a", "b", "a"])
    assert not _transport._queue
    assert [c.node.id for c in _Queued(cdk8s.Testing.app(), "c", ["a", "b"]).node.children] == ["a", "b"]


def test_a_callback_result_crosses_as_one_json_text() -> None:
    plain = [{"kind": "ConfigMap", "data": {"a": [1, None, True, "x"]}}]
    wired = _transport.result(plain)
    assert isinstance(wired, _transport.Wired) and json.loads(wired.text) == plain
    reserved = [{"data": {"$jsii.byref": "not a reference"}}]  # a key the wire format reserves: wrapped
    assert json.loads(_transport.result(reserved).text) == [{"$jsii.map": {"data": {"$jsii.map": {
        "$jsii.byref": "not a reference"}}}}]


def test_creates_are_written_ahead_and_their_answers_read_before_the_next_request(
        queue_writes: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel creates one write's objects while Python builds the next: their answers are read
    before the next write or request, never mixed with another answer."""
    monkeypatch.setattr(_transport, "_MAX_QUEUE", 3)
    outstanding: list[int] = []

    class Watching(RenderedChart):
        @builds_chart
        def __init__(self, scope: Construct, id: str) -> None:
            super().__init__(scope, id)
            for i in range(7):
                manifest(self, f"m{i}", "ConfigMap", name=f"m{i}", body={"data": {"k": str(i)}})
                outstanding.append(len(_transport._sent))
            self.namespace_seen = self.node.id  # a synchronous request with a write outstanding

    chart = Watching(cdk8s.Testing.app(), "c")
    assert queue_writes == [3, 3, 1] and 3 in outstanding and not _transport._sent
    assert [o["metadata"]["name"] for o in cdk8s.Testing.synth(chart)] == [f"m{i}" for i in range(7)]


def test_an_error_in_a_write_made_ahead_surfaces_in_the_chart_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_transport, "_MAX_QUEUE", 2)
    with pytest.raises(Exception, match="already a Construct with name 'a'"):
        _Queued(cdk8s.Testing.app(), "c", ["a", "a", "b", "c", "d"])
    assert not _transport._queue and not _transport._sent
    assert [c.node.id for c in _Queued(cdk8s.Testing.app(), "c", ["a", "b", "c"]).node.children] == ["a", "b", "c"]


# --- what crosses to the Node side, and when ------------------------------------------------

def test_a_create_carries_only_what_cdk8s_needs_to_place_the_object() -> None:
    """Labels, annotations and body stay in Python until an escape hatch hands them over."""
    class Lines(RenderedChart):
        @builds_chart
        def __init__(self, scope: Construct, id: str) -> None:
            super().__init__(scope, id)
            manifest(self, "cm", "ConfigMap", name="cm", namespace="ns", labels={"secret-label": "v"},
                     annotations={"secret-annotation": "w"}, body={"data": {"secret-key": "x"}})
            self.lines = [line for _, line, _ in _transport._queue]

    chart = Lines(cdk8s.Testing.app(), "c")
    assert len(chart.lines) == 1
    request = json.loads(chart.lines[0])
    assert request["api"] == "create" and request["fqn"] == "cdk8s.ApiObject"
    assert request["args"][1:] == ["cm", {"$jsii.map": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "$jsii.map": {"name": "cm", "namespace": "ns"}}}}]
    obj = next(c for c in chart.node.children if isinstance(c, Manifest))
    assert obj.rendered_in_python and obj.name == "cm"


@pytest.mark.parametrize("hatch", ["json_patch", "metadata"])
def test_an_escape_hatch_hands_labels_and_annotations_over_with_the_body(hatch: str) -> None:
    def patched(emit: Any) -> list[Any]:
        app = cdk8s.Testing.app()
        chart = cdk8s.Chart(app, "c", labels={"team": "data", "zz": "chart"}, namespace="ns")
        obj = emit(chart, "cm", "ConfigMap", name="cm", labels={"zz": "own", "app.kubernetes.io/name": "x"},
                   annotations={"b": "2", "a": "1"}, body=BODY)
        if hatch == "json_patch":
            obj.add_json_patch(cdk8s.JsonPatch.add("/data/extra", "x"))
        else:
            obj.metadata.add_label("added", "yes")
        if isinstance(obj, Manifest):
            assert not obj.rendered_in_python
        return cdk8s.Testing.synth(chart)

    mine = patched(manifest)
    assert mine == patched(_reference)
    assert mine[0]["metadata"]["labels"]["zz"] == "own" and mine[0]["metadata"]["annotations"] == {"a": "1", "b": "2"}


def test_objects_only_the_node_side_knows_render_in_a_dagster_chart(tmp_path: Any) -> None:
    """cdk8s.Include makes its ApiObjects on the Node side (Python never holds them): they render
    there, in cdk8s's order among the library's objects."""
    included = tmp_path / "included.yaml"
    included.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: included\ndata:\n  k: v\n")
    app = cdk8s.App(outdir=str(tmp_path / "out"))
    chart = DagsterChart(app, "dagster", config=build_variant("k8s", TEST_PASSWORDS))
    cdk8s.Include(chart, "include", url=str(included))
    expected = cdk8s.Testing.synth(chart)
    assert any(o["metadata"]["name"] == "included" for o in expected)
    out = tmp_path / "out"
    out.mkdir()
    assert _app_synth_objects(app, out) == expected


def test_render_json_answers_the_documents_in_the_order_asked() -> None:
    app = cdk8s.Testing.app()
    chart = _Queued(app, "c", ["a", "b"])
    plain = cdk8s.ApiObject(chart, "plain", api_version="v1", kind="ConfigMap",
                            metadata=cdk8s.ApiObjectMetadata(name="plain"))
    a, b = (c for c in chart.node.children if isinstance(c, Manifest))
    chart._dagster_cdk8s_validated = True  # as App.synth's validation leaves it
    answer = chart.render_json(" ".join([b.__jsii_ref__.ref, "", plain.__jsii_ref__.ref, a.__jsii_ref__.ref]))
    text = json.loads(answer.text) if isinstance(answer, _transport.Wired) else answer
    assert [d if d == 0 else d["metadata"]["name"] for d in json.loads(text)] == ["b", 0, 0, "a"]
    assert chart.render_json("") == ""  # validated once: the next rendering is cdk8s's own


def test_strings_of_every_kind_cross_in_the_one_answer(tmp_path: Any) -> None:
    tricky = {"quote": 'say "hi"', "backslash": "a\\b", "newline": "a\nb\n",
              "unicode": "\u00e9t\u00e9 \u2028 \U0001f600", "control": "a\tb\x01", "json": '{"a": ["b"]}',
              "hole": "\u0000dagster-cdk8s-result\u0000"}

    class Tricky(RenderedChart):
        @builds_chart
        def __init__(self, scope: Construct, id: str) -> None:
            super().__init__(scope, id)
            manifest(self, "cm", "ConfigMap", name="cm", annotations={"note": '"quoted"'}, body={"data": tricky})

    app = cdk8s.App(outdir=str(tmp_path))
    chart = Tricky(app, "tricky")
    expected = cdk8s.Testing.synth(chart)
    assert expected[0]["data"] == tricky
    app.synth()
    assert (tmp_path / "tricky.k8s.yaml").read_text() == cdk8s.Yaml.stringify(*expected)


def test_with_host_stack_traces_nothing_is_queued(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JSII_HOST_STACK_TRACES", "1")
    chart = _Queued(cdk8s.Testing.app(), "c", ["a", "b"])
    assert chart.seen_queued == 0
    assert [o["data"] for o in cdk8s.Testing.synth(chart)] == [{"k": "a"}, {"k": "b"}]


def test_a_create_declares_only_the_interfaces_its_class_does_not_implement_itself() -> None:
    """The kernel drops, at every create, the interfaces the jsii class implements itself: they are
    not sent; one a Python subclass adds is."""

    @jsii.implements(cdk8s.IResolver)
    class Resolving(Construct):
        def resolve(self, context: cdk8s.ResolutionContext) -> None:
            pass

    assert _transport._interfaces(Construct) == [] and _transport._interfaces(Manifest) == []
    assert _transport._interfaces(Resolving) == ["constructs.IConstruct", "cdk8s.IResolver"]

    class Chart(RenderedChart):
        @builds_chart
        def __init__(self, scope: Construct, id: str) -> None:
            super().__init__(scope, id)
            Construct(self, "plain")
            self.resolving = Resolving(self, "resolving")
            self.lines = [json.loads(line) for _, line, _ in _transport._queue]

    chart = Chart(cdk8s.Testing.app(), "c")
    assert [line["interfaces"] for line in chart.lines] == [[], ["constructs.IConstruct", "cdk8s.IResolver"]]
    assert chart.resolving.node.path == "c/resolving"
