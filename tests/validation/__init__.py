"""The validators moved into the package (:mod:`constructs_lib.testing`, issue 14); these
aliases keep ``tests.validation.manifests`` / ``.crossref`` / ``.k8s_schema`` /
``.dagster_check`` importing the one implementation. :mod:`.variants` (the project's own
variants, synthesized once per session) stays here: it is about our suite, not a user's chart.
"""

import sys

from constructs_lib.testing import crossref, dagster_check, k8s_schema, manifests, pod_security

for _module in (manifests, crossref, k8s_schema, dagster_check, pod_security):
    sys.modules[f"{__name__}.{_module.__name__.rpartition('.')[2]}"] = _module
