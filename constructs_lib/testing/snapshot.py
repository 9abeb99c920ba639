"""A syrupy extension: one readable, key-sorted YAML file per snapshot of a chart."""

from __future__ import annotations

from typing import Any

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from .synth import synth, to_yaml

__all__ = ["DagsterYamlSnapshot"]


class DagsterYamlSnapshot(SingleFileSnapshotExtension):
    """Stores what it is compared with (a ``cdk8s.Chart``, a ``cdk8s.App`` or a list of
    objects, see :func:`~.synth.synth`) as one ``.yaml`` file (:func:`~.synth.to_yaml`) under
    ``__snapshots__/<test module>/<test name>.yaml``. A changed chart fails with a line diff.

    For one file per chart of an app: ``assert chart == dagster_snapshot(name=chart.node.id)``
    for each chart."""

    _write_mode = WriteMode.TEXT
    file_extension = "yaml"

    def serialize(self, data: Any, **_: Any) -> str:
        if isinstance(data, str):  # already YAML (the stored snapshot, or text the test made)
            return data
        return to_yaml(synth(data))
