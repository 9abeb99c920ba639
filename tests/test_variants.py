"""One readable YAML snapshot per deployment variant (what `main.py --variant X` writes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from constructs_lib import VARIANTS

from .conftest import synth_variant_yaml


class YamlSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "yaml"


@pytest.fixture
def snapshot_yaml(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(YamlSnapshot)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_snapshot(name: str, tmp_path: Path, snapshot_yaml: SnapshotAssertion) -> None:
    assert synth_variant_yaml(name, tmp_path) == snapshot_yaml
