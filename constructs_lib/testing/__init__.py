"""Testing kit for charts built with these constructs (issue 14).

- :mod:`.manifests`: reading synthesized objects (workloads, pod specs, embedded YAML files).
- :mod:`.k8s_schema`: Kubernetes OpenAPI schemas (``kubernetes-validate``) and CRD schemas.
- :mod:`.crossref`: references between objects (selectors, Services, names, env, hosts, RBAC).
- :mod:`.dagster_check`: loads Dagster's own config files with Dagster itself; runs as a script
  under another Python (it must not import anything from this package).

No module here may be named like a package the scripts import (``dagster``, ``kubernetes``,
``yaml``, ``celery``): a script's directory can end up first on ``sys.path``.
"""
