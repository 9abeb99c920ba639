"""ServiceAccount, Role and RoleBinding that let Dagster launch and watch Kubernetes Jobs."""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from ._checked import checked
from ._manifest import Json, chart_namespace, manifest
from .apiserver import check_annotations
from .errors import ConfigError, check_dns1123_label, check_dns1123_subdomain
from .naming import DEFAULT_RELEASE, Release

__all__ = ["LAUNCHER_RULES", "RunLauncherRbac"]

_ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
_READ = ["get", "list", "watch"]

#: Exactly what Dagster's run launchers and the K8s/Celery executors do with the API.
LAUNCHER_RULES: list[Json] = [
    {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": _ALL},
    {"apiGroups": ["batch"], "resources": ["jobs/status"], "verbs": _READ},
    {"apiGroups": [""], "resources": ["pods", "events"], "verbs": _ALL},
    {"apiGroups": [""], "resources": ["pods/log", "pods/status"], "verbs": _READ},
]


class RunLauncherRbac(Construct):
    """The identity launched runs and the launcher act as.

    Args:
        release: names. @default release ``dagster``
        service_account_name: @default ``<fullname>`` (``dagster``)
        create_service_account: ``False`` binds an existing ServiceAccount. @default ``True``
        create_role: ``False`` creates no Role and RoleBinding (the cluster admin grants the
            launcher's rights some other way). @default ``True``
        service_account_annotations: e.g. cloud IAM bindings. @default none
        role_name / role_binding_name: @default ``<fullname>-role`` / ``-rolebinding``
        job_namespace: where runs are launched; the Role and RoleBinding are made there.
            @default the chart's namespace
        labels: object labels. @default the release's labels

    Attributes:
        service_account_name: for pods' ``serviceAccountName`` and the launcher config.
        role_name, role_binding_name, rules.
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        release: Release = DEFAULT_RELEASE,
        service_account_name: str | None = None,
        create_service_account: bool = True,
        create_role: bool = True,
        service_account_annotations: Mapping[str, str] | None = None,
        role_name: str | None = None,
        role_binding_name: str | None = None,
        job_namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.service_account_name = check_dns1123_subdomain(
            "RunLauncherRbac.service_account_name", service_account_name or release.service_account)
        self.role_name = check_dns1123_subdomain("RunLauncherRbac.role_name", role_name or release.role)
        self.role_binding_name = check_dns1123_subdomain(
            "RunLauncherRbac.role_binding_name", role_binding_name or release.role_binding)
        check_annotations("RunLauncherRbac.service_account_annotations", service_account_annotations or {})
        object_labels = dict(labels) if labels is not None else release.labels()
        self.rules = [dict(rule) for rule in LAUNCHER_RULES]
        namespace_of_chart = chart_namespace(self)
        namespace = None
        subject: Json = {"kind": "ServiceAccount", "name": self.service_account_name}
        if job_namespace is not None and job_namespace != namespace_of_chart:
            check_dns1123_label("RunLauncherRbac.job_namespace", job_namespace)
            if namespace_of_chart is None:
                raise ConfigError("RunLauncherRbac.job_namespace", job_namespace,
                                  "the chart's own namespace, or give the chart a namespace so the "
                                  "RoleBinding can name the ServiceAccount's namespace")
            namespace = job_namespace
            subject["namespace"] = namespace_of_chart
        if create_service_account:
            manifest(self, "service-account", "ServiceAccount", name=self.service_account_name,
                     labels=object_labels, annotations=service_account_annotations or None,
                     body={"automountServiceAccountToken": False})
        if not create_role:
            return
        manifest(self, "role", "Role", name=self.role_name, labels=object_labels, namespace=namespace,
                 body={"rules": self.rules})
        manifest(self, "role-binding", "RoleBinding", name=self.role_binding_name, labels=object_labels,
                 namespace=namespace, body={
                     "subjects": [subject],
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                 "name": self.role_name},
                 })
