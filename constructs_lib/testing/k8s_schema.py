"""Kubernetes schema validation: built-in kinds with ``kubernetes-validate`` (the published
OpenAPI schemas, strict: unknown fields are errors), custom resources with their CRD's
``openAPIV3Schema``; and the name and label rules the API server enforces beyond the schemas.

CRDs come from the local files the project's ``cdk8s.yaml`` imports (``cdk8s import`` writes
the Python bindings under ``imports/`` from them), or from any CRD file given explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from .manifests import WORKLOAD_KINDS, Manifest, containers, ref

__all__ = [
    "KUBERNETES_VERSIONS",
    "CrdSchemas",
    "crd_files_from_cdk8s_yaml",
    "load_crd_schemas",
    "name_problems",
    "schema_problems",
]

#: The oldest Kubernetes the library targets (its bindings are cdk8s-plus-25) and the newest
#: the installed kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.25.0", "1.37.0")

#: ``(apiVersion, kind)`` -> JSON Schema of a custom resource.
CrdSchemas = dict[tuple[str, str], dict[str, Any]]


_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMAS = ("items", "additionalProperties", "not")


def _json_schema(schema: Any, *, strict: bool) -> Any:
    """An OpenAPI v3 structural schema as JSON Schema: ``nullable`` becomes a ``null`` type; in
    ``strict`` mode objects reject unknown fields unless they preserve them (as the API server
    does with strict field validation). CEL rules (``x-kubernetes-validations``) are not run."""
    if not isinstance(schema, Mapping):  # ``additionalProperties: true`` and the like
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-kubernetes-") or key == "nullable":
            continue
        if key in _SCHEMA_MAPS:
            out[key] = {name: _json_schema(s, strict=strict) for name, s in value.items()}
        elif key in _SCHEMA_LISTS or (key == "items" and isinstance(value, list)):
            out[key] = [_json_schema(s, strict=strict) for s in value]
        elif key in _SCHEMAS:
            out[key] = _json_schema(value, strict=strict)
        else:
            out[key] = value
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    if (strict and "properties" in schema and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


def load_crd_schemas(paths: Iterable[Path], *, strict: bool = True) -> CrdSchemas:
    """The JSON Schema of every served version of every CRD in the YAML files ``paths``."""
    schemas: CrdSchemas = {}
    for path in paths:
        for crd in yaml.safe_load_all(Path(path).read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                if not version.get("served", True):
                    continue
                schema = _json_schema(version["schema"]["openAPIV3Schema"], strict=strict)
                # The API server requires a name; the CRD schema leaves metadata to it.
                schema = {"allOf": [schema, {"required": ["apiVersion", "kind", "metadata"], "properties": {
                    "metadata": {"type": "object", "required": ["name"],
                                 "properties": {"name": {"type": "string", "minLength": 1}}}}}]}
                schemas[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = schema
    return schemas


def crd_files_from_cdk8s_yaml(cdk8s_yaml: Path) -> list[Path]:
    """The CRD files a ``cdk8s.yaml`` imports (entries ``[name:=]path``; ``k8s[@version]`` is
    the core API, not a CRD). A URL cannot be read offline: vendor the file and import that."""
    config = yaml.safe_load(cdk8s_yaml.read_text()) or {}
    files = []
    for entry in config.get("imports") or []:
        source = str(entry).split(":=", 1)[-1]
        if source == "k8s" or source.startswith("k8s@"):
            continue
        if "://" in source:
            raise ValueError(f"{cdk8s_yaml}: import {source!r} is a URL; vendor the CRD file and import the copy")
        path = (cdk8s_yaml.parent / source).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{cdk8s_yaml}: imported CRD file {source!r} does not exist")
        files.append(path)
    return files


def schema_problems(obj: Manifest, version: str, crds: CrdSchemas | None = None) -> list[str]:
    """Why ``obj`` is invalid for Kubernetes ``version`` (empty when valid): against its CRD's
    schema if ``crds`` has its kind, else with ``kubernetes_validate.validate(strict=True)``."""
    where = f"{ref(obj)} (Kubernetes {version})"
    crd_schema = (crds or {}).get((obj.get("apiVersion", ""), obj.get("kind", "")))
    if crd_schema is not None:
        validator = jsonschema.Draft202012Validator(crd_schema)
        return [f"{where}: {'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))]
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{where}: {'.'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError as error:
        return [f"{where}: {error.message} (a custom resource needs its CRD imported in cdk8s.yaml)"]
    return []


# ---- names and labels (k8s.io/apimachinery/pkg/util/validation) ------------------------------
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_PORT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")  # IANA_SVC_NAME, and no "--", a letter
#: Kind -> (rule, pattern, maximum length) of ``metadata.name``.
_NAME_RULES: dict[str, tuple[str, re.Pattern[str], int]] = {
    "Service": ("a DNS-1035 label", _DNS1035_LABEL, 63),
    "Namespace": ("a DNS-1123 label", _DNS1123_LABEL, 63),
    "StatefulSet": ("a DNS-1123 label", _DNS1123_LABEL, 63),
    # The Job controller puts the Job's name into a pod label (job-name), so at most 63.
    "Job": ("a DNS-1123 subdomain (it becomes the job-name label)", _DNS1123_SUBDOMAIN, 63),
}
_PATH_SEGMENT_KINDS = ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")


def _qualified_name_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(prefix)):
        return "its prefix must be a DNS-1123 subdomain"
    if len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        return "its name must be at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric"
    return None


def _label_problems(where: str, labels: Mapping[str, Any]) -> Iterator[str]:
    for key, value in labels.items():
        problem = _qualified_name_problem(key)
        if problem:
            yield f"{where}: label key {key!r} is invalid: {problem}"
        if not isinstance(value, str) or (value and (len(value) > 63 or not _QUALIFIED_NAME.fullmatch(value))):
            yield (f"{where}: label {key}={value!r} is invalid: a value is at most 63 alphanumerics, '-', '_' "
                   "or '.', starting and ending alphanumeric")


def name_problems(obj: Manifest) -> list[str]:
    """What the API server rejects beyond the OpenAPI schema: ``metadata.name`` per kind, label
    keys and values (object, pod template, selector), annotation keys, container and volume
    names (DNS-1123 labels) and container port names (IANA service names)."""
    where = ref(obj)
    metadata = obj.get("metadata") or {}
    name = str(metadata.get("name", ""))
    kind = obj.get("kind", "")
    problems = []
    if kind in _PATH_SEGMENT_KINDS:
        if name in ("", ".", "..") or "/" in name or "%" in name:
            problems.append(f"{where}: name must not be empty, '.', '..' or contain '/' or '%'")
    else:
        rule, pattern, limit = _NAME_RULES.get(kind, ("a DNS-1123 subdomain", _DNS1123_SUBDOMAIN, 253))
        if len(name) > limit or not pattern.fullmatch(name):
            problems.append(f"{where}: name ({len(name)} characters) must be {rule} of at most {limit} characters")
    problems += _label_problems(where, metadata.get("labels") or {})
    for key in metadata.get("annotations") or {}:
        problem = _qualified_name_problem(key)
        if problem:
            problems.append(f"{where}: annotation key {key!r} is invalid: {problem}")
    if kind not in WORKLOAD_KINDS:
        return problems
    selector = obj["spec"].get("selector") or {}
    problems += _label_problems(f"{where} selector", selector.get("matchLabels") or {})
    template = obj["spec"]["template"]
    problems += _label_problems(f"{where} pod template", (template.get("metadata") or {}).get("labels") or {})
    spec = template["spec"]
    for volume in spec.get("volumes") or []:
        if len(volume["name"]) > 63 or not _DNS1123_LABEL.fullmatch(volume["name"]):
            problems.append(f"{where}: volume name {volume['name']!r} must be a DNS-1123 label")
    for container in containers(spec):
        if len(container["name"]) > 63 or not _DNS1123_LABEL.fullmatch(container["name"]):
            problems.append(f"{where}: container name {container['name']!r} must be a DNS-1123 label")
        for port in container.get("ports") or []:
            port_name = port.get("name")
            if port_name is not None and (len(port_name) > 15 or not _PORT_NAME.fullmatch(port_name)
                                          or "--" in port_name or not re.search("[a-z]", port_name)):
                problems.append(f"{where}: container {container['name']!r} port name {port_name!r} must be an "
                                "IANA service name (at most 15 lower-case alphanumerics or '-', with a letter)")
    return problems
