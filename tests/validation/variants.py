"""Each variant synthesized once per test session (with conftest's ``synth_variant``); every
caller gets its own copy, free to break for a planted-defect test."""

from __future__ import annotations

import functools
import json

from constructs_lib import DagsterSystemConfig, build_variant

from ..conftest import TEST_PASSWORDS, synth_variant
from .manifests import Manifest


@functools.cache
def _synthesized(name: str) -> str:
    return json.dumps(synth_variant(name))


def variant_objects(name: str) -> list[Manifest]:
    """The objects of variant ``name`` (a fresh copy on every call)."""
    objects: list[Manifest] = json.loads(_synthesized(name))
    return objects


def variant_config(name: str) -> DagsterSystemConfig:
    """The configuration variant ``name`` is synthesized from (with the test passwords)."""
    return build_variant(name, TEST_PASSWORDS)
