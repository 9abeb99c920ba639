"""One readable YAML snapshot per deployment variant, with the plugin's ``dagster_snapshot``
(``constructs_lib.testing``: keys sorted, ``apiVersion``/``kind``/``metadata`` first)."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import VARIANTS

from .validation.variants import variant_objects


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_snapshot(name: str, dagster_snapshot: SnapshotAssertion) -> None:
    assert variant_objects(name) == dagster_snapshot
