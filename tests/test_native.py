"""constructs_lib/_native.py: a chart's documents cross as one string and Node writes them as YAML
in one pass; the output must be exactly what cdk8s writes without it, and the path without the
native assembly must keep working."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import cdk8s
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constructs_lib import DagsterChart, Passwords, _native, build_variant
from constructs_lib.variants import VARIANTS

from .conftest import TEST_PASSWORDS

ROOT = Path(__file__).resolve().parent.parent


def test_the_native_assembly_and_its_fast_yaml_are_installed() -> None:
    assert _native.ensure_loaded(), _native.NOT_LOADED
    assert _native.fast_yaml() == ""
    assert _native.Native.probe() == ""  # the emitter writes every probe value as cdk8s does


def _compare(docs: list[Any]) -> list[str]:
    assert _native.ensure_loaded(), _native.NOT_LOADED
    results = _native.Native.compare(json.dumps(docs))
    different = [r for r in results if r not in ("fast", "yaml")]
    assert not different, different[0]
    return results


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_is_written_by_the_fast_path_exactly_as_yaml_writes_it(name: str, tmp_path: Path) -> None:
    app = cdk8s.App(outdir=str(tmp_path))
    chart = DagsterChart(app, "dagster", config=build_variant(name, TEST_PASSWORDS))
    objects = cdk8s.Testing.synth(chart)  # cdk8s's own path
    assert _compare(objects).count("yaml") <= 2  # a document the emitter is unsure of is yaml's
    app.synth()  # the fast path
    written = (tmp_path / "dagster.k8s.yaml").read_text()
    assert written == cdk8s.Yaml.stringify(*objects)  # not a RenderedChart's documents: yaml's own


_CHARACTERS = [*"ab -:#'\"\\\n\t|>?[]{},&*!%@`~.01eE+_/xyYnN<", "\u00e9", "\u2028", "\x85", "\x00"]
_TRICKY = st.text(alphabet=st.sampled_from(_CHARACTERS), max_size=12)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**53 + 1, max_value=2**53 - 1),
                     st.floats(allow_nan=False, allow_infinity=False), _TRICKY)
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(_TRICKY, inner, max_size=4)), max_leaves=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(_TRICKY, _JSON, max_size=5), min_size=1, max_size=5))
def test_generated_documents_are_written_as_yaml_writes_them_or_left_to_it(docs: list[Any]) -> None:
    _compare(docs)


def test_a_json_patch_on_one_of_our_objects_reaches_app_synth_output(tmp_path: Path) -> None:
    app = cdk8s.App(outdir=str(tmp_path))
    chart = DagsterChart(app, "dagster", config=build_variant("celery-rabbitmq", TEST_PASSWORDS))
    deployment = next(c for c in chart.webserver.node.find_all()
                      if isinstance(c, cdk8s.ApiObject) and c.kind == "Deployment")
    deployment.add_json_patch(cdk8s.JsonPatch.add("/metadata/annotations", {"patched": "by the user"}),
                              cdk8s.JsonPatch.replace("/spec/replicas", 4))
    cdk8s.ApiObject(chart, "mine", api_version="v1", kind="ConfigMap",
                    metadata=cdk8s.ApiObjectMetadata(name="users-own"))
    app.synth()
    docs = list(yaml.safe_load_all((tmp_path / "dagster.k8s.yaml").read_text()))
    patched = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == deployment.name)
    assert patched["metadata"]["annotations"] == {"patched": "by the user"} and patched["spec"]["replicas"] == 4
    assert any(d["metadata"]["name"] == "users-own" for d in docs)


def test_other_charts_and_output_types_keep_cdk8s_s_own_yaml(tmp_path: Path) -> None:
    """One file for the app: our chart's documents and a plain chart's, in cdk8s's order and bytes."""
    app = cdk8s.App(outdir=str(tmp_path), yaml_output_type=cdk8s.YamlOutputType.FILE_PER_APP)
    chart = DagsterChart(app, "dagster", config=build_variant("k8s", TEST_PASSWORDS))
    plain = cdk8s.Chart(app, "plain")
    cdk8s.ApiObject(plain, "cm", api_version="v1", kind="ConfigMap", metadata=cdk8s.ApiObjectMetadata(name="x"))
    expected = cdk8s.Yaml.stringify(*cdk8s.Testing.synth(chart), *cdk8s.Testing.synth(plain))
    app.synth()
    assert (tmp_path / "app.k8s.yaml").read_text() == expected


def test_without_the_native_assembly_the_output_is_the_same(tmp_path: Path) -> None:
    """DAGSTER_CDK8S_NATIVE=0: RenderedChart on cdk8s.Chart, objects as one callback result, yaml's YAML."""
    env = {**os.environ, "DAGSTER_PG_PASSWORD": "p", "DAGSTER_RABBITMQ_PASSWORD": "r", "DAGSTER_REDIS_PASSWORD": "s",
           "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    outputs = {}
    for native in ("0", "1"):
        out = tmp_path / native
        subprocess.run([sys.executable, "main.py", "--all-variants", "--outdir", str(out)], cwd=ROOT, check=True,
                       env={**env, "DAGSTER_CDK8S_NATIVE": native}, capture_output=True)
        outputs[native] = {p.name: p.read_bytes() for p in out.glob("*.k8s.yaml")}
    assert len(outputs["1"]) == len(VARIANTS) and outputs["0"] == outputs["1"]
    check = subprocess.run([sys.executable, "-c", "from constructs_lib import _native; "
                            "print(_native.LOADED, _native.CHART_BASE.__name__, _native.fast_yaml())"],
                           cwd=ROOT, env={**env, "DAGSTER_CDK8S_NATIVE": "0"}, capture_output=True, text=True,
                           check=True)
    assert check.stdout.split() == ["False", "Chart", "DAGSTER_CDK8S_NATIVE=0"]


def test_a_failed_load_moves_rendered_chart_onto_cdk8s_chart(tmp_path: Path) -> None:
    """The assembly is loaded at the first chart; if that fails, the pure-Python path, same bytes."""
    program = f"""
import sys
from constructs_lib import _native
assert not _native._attempted  # importing the library wrote nothing to the kernel
_native._load = lambda: "simulated failure"
import cdk8s
from constructs_lib import DagsterChart, Passwords, build_variant
from constructs_lib._manifest import RenderedChart
app = cdk8s.App(outdir={str(tmp_path)!r})
DagsterChart(app, "dagster", config=build_variant("celery-rabbitmq", Passwords(postgresql="p", rabbitmq="r",
                                                                               redis="s")))
app.synth()
print(_native.LOADED, _native.NOT_LOADED, RenderedChart.__bases__[0].__name__)
"""
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["False", "simulated", "failure", "Chart"]
    app = cdk8s.App(outdir=str(tmp_path / "native"))
    DagsterChart(app, "dagster", config=build_variant("celery-rabbitmq",
                                                      Passwords(postgresql="p", rabbitmq="r", redis="s")))
    app.synth()
    assert ((tmp_path / "dagster.k8s.yaml").read_bytes()
            == (tmp_path / "native" / "dagster.k8s.yaml").read_bytes())
