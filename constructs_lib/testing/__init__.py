"""Testing kit for charts built with these constructs: the checks our own suite runs, for yours.

    from constructs_lib.testing import synth, check, check_dagster

- :func:`synth`: a chart's or an app's objects, in memory; :func:`to_yaml`: them as key-sorted YAML.
- :func:`check`: cross references and strict Kubernetes schema validation, as :class:`Finding` s.
- :func:`check_dagster`: Dagster's own validators over the Dagster config files.
- :class:`~.snapshot.DagsterYamlSnapshot`: a syrupy extension, one YAML file per chart
  (``constructs_lib.testing.snapshot``; needs syrupy).
- The pytest plugin (:mod:`.plugin`, loaded by the ``pytest11`` entry point): fixtures
  ``dagster_snapshot`` and ``dagster_checks``.

Install with the ``testing`` extra (``pip install 'dagster-cdk8s[testing]'``): pytest, syrupy,
kubernetes-validate. Modules:

- :mod:`.manifests`: reading synthesized objects (workloads, pod specs, embedded YAML files).
- :mod:`.k8s_schema`: Kubernetes OpenAPI schemas (``kubernetes-validate``) and CRD schemas.
- :mod:`.pod_security`: the Pod Security Standards (baseline, restricted) as a pod spec checker.
- :mod:`.crossref`: references between objects (selectors, Services, names, env, hosts, RBAC).
- :mod:`.dagster_check`: loads Dagster's own config files with Dagster itself; also runs as a
  script under another Python (so it imports nothing from this package).

No module here may be named like a package the scripts import (``dagster``, ``kubernetes``,
``yaml``, ``celery``): a script's directory can end up first on ``sys.path``.
"""

from .checks import (
    CHECKS,
    DAGSTER_PYTHON_ENV,
    KUBERNETES_VERSIONS,
    DagsterCheckError,
    DagsterNotAvailable,
    check,
    check_dagster,
    externals_of,
)
from .crossref import Externals, declared_externals
from .findings import Finding
from .synth import synth, to_yaml

__all__ = [
    "CHECKS",
    "DAGSTER_PYTHON_ENV",
    "KUBERNETES_VERSIONS",
    "DagsterCheckError",
    "DagsterNotAvailable",
    "Externals",
    "Finding",
    "check",
    "check_dagster",
    "declared_externals",
    "externals_of",
    "synth",
    "to_yaml",
]
