"""Kubernetes schema validation: built-in kinds with ``kubernetes-validate`` (the published
OpenAPI schemas, strict: unknown fields are errors), custom resources with their CRD's
``openAPIV3Schema``; and what the API server enforces beyond the schemas (the rules of
:mod:`constructs_lib.apiserver`, one model with the library's own checks).

CRDs come from the local files the project's ``cdk8s.yaml`` imports (``cdk8s import`` writes
the Python bindings under ``imports/`` from them), or from any CRD file given explicitly.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate.utils import all_versions, latest_version, major_minor, schema_contents
from referencing import Registry, Resource

from ..apiserver import object_problems
from ..errors import short
from .checks import KUBERNETES_VERSIONS
from .findings import Finding
from .manifests import Manifest, ref

__all__ = [
    "KUBERNETES_VERSIONS",
    "CrdSchemas",
    "crd_files_from_cdk8s_yaml",
    "load_crd_schemas",
    "name_problems",
    "schema_problems",
]


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


def _path(path: Iterable[Any]) -> str:
    """``spec.template.spec.containers[0].name`` from a JSON Schema error's path."""
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).lstrip(".")


def schema_problems(obj: Manifest, version: str, crds: CrdSchemas | None = None) -> list[Finding]:
    """Why ``obj`` is invalid for Kubernetes ``version`` (empty when valid): against its CRD's
    schema if ``crds`` has its kind, else with ``kubernetes_validate.validate(strict=True)``."""
    where = f"{ref(obj)} (Kubernetes {version})"
    crd_schema = (crds or {}).get((obj.get("apiVersion", ""), obj.get("kind", "")))
    if crd_schema is not None:
        validator = jsonschema.Draft202012Validator(crd_schema)
        return [Finding(f"{where}: {'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}",
                        object=ref(obj), field=_path(e.absolute_path), value=e.instance)
                for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))]
    validator = _builtin_validator(version, str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    if validator is None:
        missing = kubernetes_validate.SchemaNotFoundError(version=major_minor(version.removeprefix("v")),
                                                          kind=obj.get("kind"), api_version=obj.get("apiVersion"))
        message = missing.message
        return [Finding(f"{where}: {message} (a custom resource needs its CRD imported in cdk8s.yaml)",
                        object=ref(obj), field="apiVersion", value=obj.get("apiVersion"))]
    error = next(iter(validator.iter_errors(obj)), None)  # the first, as kubernetes_validate.validate reports
    if error is not None:
        return [Finding(f"{where}: {'.'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}",
                        object=ref(obj), field=_path(error.absolute_path), value=error.instance)]
    return []


@functools.cache
def _definitions(schema_dir: str, version: str) -> Registry[Any]:
    definitions = schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", version)
    return Resource.from_contents(definitions) @ Registry()


@functools.cache
def _builtin_validator(version: str, api_version: str, kind: str) -> jsonschema.Draft202012Validator | None:
    """``kubernetes_validate.validate(strict=True)``'s validator for a kind and version (its own
    schema files, chosen as it chooses them), built once: it reads and parses the definitions
    file on every call otherwise. ``None`` when it has no schema for the kind."""
    desired = version.removeprefix("v")
    if major_minor(desired) > latest_version():
        raise kubernetes_validate.VersionNotSupportedError(version=major_minor(desired))
    schema_version = [v for v in all_versions() if major_minor(v) <= major_minor(desired)][-1]
    schema_dir = f"v{schema_version}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = schema_contents(f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{group_version}.json", desired)
    except FileNotFoundError:
        return None
    return jsonschema.Draft202012Validator(schema, registry=Resource.from_contents(schema) @ _definitions(
        schema_dir, desired))


# ---- what the API server rejects beyond the schemas ---------------------------------------------
def name_problems(obj: Manifest) -> list[Finding]:
    """What the API server rejects beyond the OpenAPI schema: the rules the library checks its
    own output with at every synth (:func:`constructs_lib.apiserver.object_problems`: names per
    kind, label keys and values, annotations, int32 ranges, quantities, ports and port names,
    probes, env and volume names, image references, ConfigMap and Secret keys and size, Ingress
    rules), one finding per problem."""
    where = ref(obj)
    return [Finding(f"{where}: {path}: invalid value {short(value)}; expected {expected}", object=where, field=path,
                    value=value) for path, value, expected in object_problems(obj)]
