"""``released()``: a build's jsii objects leave the Node side's object table and Python's map."""

from __future__ import annotations

from pathlib import Path

import cdk8s
import jsii
from jsii import _reference_map

from constructs_lib import DagsterChart, build_variant, released

from .conftest import TEST_PASSWORDS


def _counts() -> tuple[int, int]:
    return jsii.kernel.stats().object_count, len(_reference_map._refs._refs)


def test_a_released_build_leaves_nothing_behind(tmp_path: Path) -> None:
    keep = cdk8s.App(outdir=str(tmp_path / "kept"))  # made before: untouched
    before = _counts()
    for _ in range(2):
        with released():
            app = cdk8s.App(outdir=str(tmp_path))
            chart = DagsterChart(app, "dagster", config=build_variant("celery-rabbitmq", TEST_PASSWORDS))
            chart.webserver.node.find_all()  # objects the Node side hands to Python count too
            app.synth()
        assert _counts() == before
    assert (tmp_path / "dagster.k8s.yaml").read_text().count("kind: Deployment") >= 4
    cdk8s.Chart(keep, "still-usable")
    keep.synth()


def test_without_release_objects_stay() -> None:
    before = _counts()
    cdk8s.Chart(cdk8s.App(), "c")
    assert _counts() > before


def test_objects_handed_out_before_the_block_stay_usable(tmp_path: Path) -> None:
    app = cdk8s.App(outdir=str(tmp_path))
    chart = cdk8s.Chart(app, "c")
    node = chart.node  # made by the Node side, handed to Python before the block
    with released():
        assert chart.node.id == "c"  # handed again inside
    assert node.id == "c" and chart.node.path == "c"


def test_releasing_an_object_already_gone_is_harmless() -> None:
    from constructs_lib import _release

    with released():
        chart = cdk8s.Chart(cdk8s.App(), "c")
        ref = chart.__jsii_ref__.ref
    _release._delete([ref, "cdk8s.ApiObject@99999999"])  # both gone: the kernel answers errors, read and dropped
    assert cdk8s.Chart(cdk8s.App(), "next").node.id == "next"  # the answers did not stay in the pipe
