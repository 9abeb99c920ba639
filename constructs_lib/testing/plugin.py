"""What the pytest plugin of dagster-cdk8s does (its entry point ``pytest11`` is the top-level
module ``dagster_cdk8s_pytest``, which imports nothing of the library until a fixture is used:
a pytest session that uses neither fixture starts no Node; ``-p no:dagster_cdk8s`` turns it
off). Fixtures:

- ``dagster_snapshot``: a syrupy snapshot storing a chart as one key-sorted YAML file
  (``assert chart == dagster_snapshot``; ``pytest --snapshot-update`` writes it).
- ``dagster_checks``: ``dagster_checks(chart)`` runs :func:`~.checks.check` (cross references,
  strict schemas of every Kubernetes version) and then :func:`~.checks.check_dagster`, and
  fails the test with every finding; it returns the synthesized objects. Without Dagster,
  the test is skipped after the other checks pass, saying how to enable the Dagster checks.

Settings (pytest ini): ``dagster_python`` (a Python with the Dagster you deploy, e.g. a
virtualenv's ``bin/python``; relative to the rootdir), ``dagster_kubernetes_versions``,
``dagster_cdk8s_yaml`` (whose imported CRD files validate custom resources; default: the
rootdir's ``cdk8s.yaml`` when there is one).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .crossref import Externals
    from .findings import Finding
    from .manifests import Manifest
    from .synth import Synthesizable

def _report(findings: Sequence[Finding], count: int) -> str:
    lines = [f"dagster_checks: {len(findings)} finding(s) in {count} objects"]
    for finding in findings:
        lines += [f"[{finding.check}] {finding}",
                  f"    object: {finding.object}  field: {finding.field}  value: {finding.value!r}"]
    return "\n".join(lines)


class DagsterChecks:
    """The ``dagster_checks`` fixture: call it with a chart, an app or synthesized objects."""

    def __init__(self, config: pytest.Config) -> None:
        root = Path(config.rootpath)
        python = str(config.getini("dagster_python"))
        self.python: Path | None = root / python if python else None
        self.kubernetes_versions: tuple[str, ...] = tuple(config.getini("dagster_kubernetes_versions"))
        cdk8s_yaml = str(config.getini("dagster_cdk8s_yaml"))
        self.cdk8s_yaml: Path | None = root / cdk8s_yaml if cdk8s_yaml else (
            root / "cdk8s.yaml" if (root / "cdk8s.yaml").is_file() else None)

    def crd_files(self) -> list[Path]:
        from .k8s_schema import crd_files_from_cdk8s_yaml

        return crd_files_from_cdk8s_yaml(self.cdk8s_yaml) if self.cdk8s_yaml else []

    def findings(self, target: Synthesizable, *, externals: Externals | None = None,
                 kubernetes_versions: Sequence[str] | None = None, crds: Iterable[Path | str] | None = None,
                 skip: Collection[str] = ()) -> list[Finding]:
        """What :func:`~.checks.check` finds (with this session's settings), without failing."""
        from .checks import KUBERNETES_VERSIONS, check

        versions = kubernetes_versions or self.kubernetes_versions or KUBERNETES_VERSIONS
        return check(target, kubernetes_versions=versions, externals=externals,
                     crds=self.crd_files() if crds is None else crds, skip=skip)

    def __call__(self, target: Synthesizable, *, externals: Externals | None = None,
                 kubernetes_versions: Sequence[str] | None = None, crds: Iterable[Path | str] | None = None,
                 skip: Collection[str] = (), dagster: bool = True) -> list[Manifest]:
        """Fail the test with every finding of :func:`~.checks.check`, then of
        :func:`~.checks.check_dagster` (unless ``dagster=False``); returns the objects."""
        import cdk8s

        from .checks import DagsterNotAvailable, check_dagster, externals_of, merge_externals
        from .synth import synth

        if not isinstance(target, (cdk8s.Chart, cdk8s.App)):
            target = list[Any](target)  # read twice below
        declared = externals_of(target) if externals is None else merge_externals(externals_of(target), externals)
        objects = synth(target)
        findings = self.findings(objects, externals=declared, kubernetes_versions=kubernetes_versions,
                                 crds=crds, skip=skip)
        if findings:
            pytest.fail(_report(findings, len(objects)), pytrace=False)
        if dagster:
            try:
                findings = check_dagster(objects, python=self.python)
            except DagsterNotAvailable as reason:
                pytest.skip(f"the Kubernetes checks passed; {reason}")
            if findings:
                pytest.fail(_report(findings, len(objects)), pytrace=False)
        return objects
