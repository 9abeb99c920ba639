"""What the Kubernetes API server would reject, checked before anything is deployed.

Two layers, one set of rules:

* :func:`check_object` runs on every object the library emits (``_manifest.manifest``), so every
  synth, typed API or Helm values, gets it. It checks what the OpenAPI schema does not say:
  object names per kind, label keys and values, annotation keys and total size, int32 ranges,
  resource quantities (and requests <= limits), port numbers and names, probes (exactly one
  handler, no negative timings), env and volume names, image references, ConfigMap and Secret
  keys and size (<= 1 MiB), Ingress hosts, paths and backend ports. Pure Python over the
  object's JSON: well under a millisecond per object.
* :func:`check_block` checks a block a user hands through verbatim (``affinity``,
  ``securityContext``, ``resources``, probes, volumes, containers ...) against the Kubernetes
  OpenAPI definition of its type, strictly (unknown fields, wrong types, int32/int64 ranges,
  required fields, enums), plus the same semantic rules. Constructs call it at construction
  time with their own field name, so the error names the field (and the Helm layer turns that
  into the values key). The definitions are kubernetes-validate's schemas of the newest
  Kubernetes it knows (:data:`SCHEMA_VERSION`), loaded once per process on first use only.

Rules follow ``k8s.io/apimachinery/pkg/util/validation`` and ``pkg/apis/core/validation``.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any

from .errors import MAX_INT32, ConfigError, check_env_name, check_str_mapping, short

__all__ = [
    "MAX_ANNOTATIONS_BYTES",
    "MAX_CONFIG_BYTES",
    "MAX_INT32",
    "SCHEMA_VERSION",
    "Problem",
    "block_problems",
    "check_block",
    "check_annotations",
    "check_blocks",
    "check_env_map",
    "check_labels",
    "check_dagster_block",
    "check_object",
    "dagster_block_problems",
    "dagster_k8s_camel_case",
    "ingress_backend_problems",
    "object_problems",
    "parse_quantity",
    "raise_first",
    "schema_problems",
]

MAX_INT64 = 2**63 - 1
#: ConfigMap and Secret data, in total (the API server's ``MaxSecretSize``, etcd's object limit).
MAX_CONFIG_BYTES = 1024 * 1024
#: Annotations of one object, keys and values together (``TotalAnnotationSizeLimitB``).
MAX_ANNOTATIONS_BYTES = 256 * 1024
#: The Kubernetes version whose OpenAPI definitions :func:`check_block` uses.
SCHEMA_VERSION = "1.37.0"

#: ``(path, value, expected)``: the path is relative to what was checked (``spec.replicas``).
Problem = tuple[str, Any, str]

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_WILDCARD_SUBDOMAIN = re.compile(r"\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_IANA_SVC_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_QUANTITY = re.compile(r"([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?")
_SUFFIX: dict[str, int | Fraction] = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
           "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": 1,
           "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
# docker/distribution's reference grammar: [host[:port]/]path[:tag][@digest]
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE = re.compile(
    r"(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"|\[[0-9a-fA-F:]+\])(?::[0-9]+)?/)?"
    rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
    r"(?::[\w][\w.-]{0,127})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?")

_NO_LIMIT = 2**63  # (a name of any length)
_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_PROBE_TIMINGS = ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                  "failureThreshold", "terminationGracePeriodSeconds")
_WORKLOADS = ("Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet")
# metadata.name per kind (a StatefulSet's and a Job's name go into pod labels: 63 at most).
_NAME_RULES: dict[str, tuple[re.Pattern[str], int, str]] = {
    "Service": (_DNS1035_LABEL, 63, "a DNS-1035 label (lower-case alphanumerics and '-', starting with a letter)"),
    "Namespace": (_DNS1123_LABEL, 63, "a DNS-1123 label"),
    "StatefulSet": (_DNS1123_LABEL, 63, "a DNS-1123 label"),
    "Job": (_DNS1123_SUBDOMAIN, 63, "a DNS-1123 subdomain (it becomes the pods' job-name label)"),
    # The CronJob controller names each Job <name>-<11 characters> (a job-name label: at most 63).
    "CronJob": (_DNS1123_SUBDOMAIN, 52, "a DNS-1123 subdomain (its Jobs add 11 characters)"),
}
_PATH_SEGMENT_NAME_KINDS = ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(path: str, value: object, low: int, high: int = MAX_INT32) -> Iterator[Problem]:
    if not _int_ok(value, low, high):
        yield path, value, f"an integer from {low} to {high}"


def _int_ok(value: object, low: int, high: int = MAX_INT32) -> bool:
    return _is_int(value) and low <= value <= high  # type: ignore[operator]


# ---- names, labels, annotations -------------------------------------------------------------------
def _qualified_name(key: object) -> str | None:
    """Why ``key`` is not a qualified name (``[prefix/]name``), or None."""
    if not isinstance(key, str):
        return "a string"
    return _qualified_name_str(key)


@lru_cache(maxsize=4096)  # the same label keys on every object: checked once
def _qualified_name_str(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(prefix)):
        return "a key whose prefix (before '/') is a DNS-1123 subdomain of at most 253 characters"
    if len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        return ("a key of at most 63 characters ([prefix/]name): alphanumerics, '-', '_' or '.', starting and "
                "ending with an alphanumeric")
    return None


def label_problems(path: str, labels: object) -> Iterator[Problem]:
    """Label keys and values (also ``nodeSelector`` and selectors)."""
    if not isinstance(labels, Mapping):
        yield path, labels, "a mapping of label keys to values"
        return
    for key, value in labels.items():
        if type(key) is str and type(value) is str and _label_ok(key, value):
            continue
        why = _qualified_name(key)
        if why:
            yield f"{path}.{key}", key, why
        elif not isinstance(value, str) or not _label_value(value):
            yield (f"{path}.{key}", value, "a label value: at most 63 characters, alphanumerics, '-', '_' or '.', "
                   "starting and ending with an alphanumeric (or empty)")


@lru_cache(maxsize=4096)
def _label_value(value: str) -> bool:
    return not value or (len(value) <= 63 and _QUALIFIED_NAME.fullmatch(value) is not None)


@lru_cache(maxsize=8192)  # the same labels on an object, its selector and its pods: checked once
def _label_ok(key: str, value: str) -> bool:
    """A valid label (both strings)."""
    return _qualified_name_str(key) is None and _label_value(value)


def annotation_problems(path: str, annotations: object) -> Iterator[Problem]:
    if not isinstance(annotations, Mapping):
        yield path, annotations, "a mapping of annotation keys to strings"
        return
    total = 0
    for key, value in annotations.items():
        why = _qualified_name(key.lower() if isinstance(key, str) else key)
        if why:
            yield f"{path}.{key}", key, why
        if not isinstance(value, str):
            yield f"{path}.{key}", value, "a string (quote numbers and booleans)"
            continue
        total += len(str(key).encode()) + len(value.encode())
    if total > MAX_ANNOTATIONS_BYTES:
        yield path, f"<{total:,} bytes>", f"annotations of at most {MAX_ANNOTATIONS_BYTES:,} bytes in total"


def _name(path: str, value: object, pattern: re.Pattern[str], limit: int, what: str) -> Iterator[Problem]:
    if not _name_ok(value, pattern, limit):
        yield path, value, f"{what} of at most {limit} characters"


def _name_ok(value: object, pattern: re.Pattern[str], limit: int) -> bool:
    """Whether ``value`` is a string of at most ``limit`` characters matching ``pattern``."""
    if type(value) is str:
        return _str_name_ok(value, pattern, limit)
    return isinstance(value, str) and len(value) <= limit and pattern.fullmatch(value) is not None


@lru_cache(maxsize=8192)  # the same names (containers, volumes, Services) in every object: matched once
def _str_name_ok(value: str, pattern: re.Pattern[str], limit: int) -> bool:
    return len(value) <= limit and pattern.fullmatch(value) is not None


def _metadata(kind: str, metadata: Mapping[str, Any]) -> Iterator[Problem]:
    name = metadata.get("name")
    if kind in _PATH_SEGMENT_NAME_KINDS:
        if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "%" in name:
            yield "metadata.name", name, "a name that is not empty, '.' or '..' and has no '/' or '%'"
    else:
        pattern, limit, what = _NAME_RULES.get(kind, (_DNS1123_SUBDOMAIN, 253, "a DNS-1123 subdomain"))
        yield from _name("metadata.name", name, pattern, limit, what)
    if metadata.get("namespace") is not None:
        yield from _name("metadata.namespace", metadata["namespace"], _DNS1123_LABEL, 63, "a DNS-1123 label")
    yield from label_problems("metadata.labels", metadata.get("labels") or {})
    yield from annotation_problems("metadata.annotations", metadata.get("annotations") or {})


# ---- quantities, ports ----------------------------------------------------------------------------
def parse_quantity(value: object) -> Fraction | None:
    """A Kubernetes resource quantity (``100m``, ``1.5Gi``, ``2e3``, ``4``) as a number, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Fraction(repr(value)) if value == value and abs(value) != float("inf") else None
    if not isinstance(value, str):
        return None
    return _parse_quantity_str(value)


@lru_cache(maxsize=1024)  # the same few quantities in every container: parsed once
def _parse_quantity_str(value: str) -> Fraction | None:
    match = _QUANTITY.fullmatch(value)
    if not match:
        return None
    sign, number, suffix = match.group(1), match.group(2), match.group(3) or ""
    amount = Fraction(number)
    if suffix[:1] in ("e", "E"):
        exponent = int(suffix[1:])
        if abs(exponent) > 100:
            return None
        amount *= Fraction(10) ** exponent
    else:
        amount *= _SUFFIX[suffix]
    return -amount if sign == "-" else amount


def resources_problems(path: str, resources: object) -> Iterator[Problem]:
    key = _resources_key(resources)
    if key is not None and key in _good_resources:
        return
    found = False
    for problem in _resources_problems(path, resources):
        found = True
        yield problem
    if key is not None and not found:
        if len(_good_resources) >= 1024:
            _good_resources.clear()
        _good_resources.add(key)


#: ``resources`` found valid before (:func:`_resources_key`): the same few in every container.
_good_resources: set[Any] = set()


def _resources_key(resources: object) -> Any:
    """``resources`` as a hashable value that equals another's only when both are the same
    ``limits``/``requests`` dicts of strings to strings or ints (exactly those types), else None."""
    if type(resources) is not dict or not resources.keys() <= {"limits", "requests"}:
        return None
    key = []
    for part, block in resources.items():
        if type(block) is not dict:
            return None
        for name, quantity in block.items():
            if type(name) is not str or (type(quantity) is not str and type(quantity) is not int):
                return None
        key.append((part, tuple((name, type(q), q) for name, q in block.items())))
    return tuple(key)


def _resources_problems(path: str, resources: object) -> Iterator[Problem]:
    if not isinstance(resources, Mapping):
        yield path, resources, "a ResourceRequirements mapping (limits, requests)"
        return
    parsed: dict[str, dict[str, Fraction]] = {}
    for part in ("limits", "requests"):
        block = resources.get(part) or {}
        if not isinstance(block, Mapping):
            yield f"{path}.{part}", block, "a mapping of resource names to quantities"
            continue
        for name, quantity in block.items():
            why = _qualified_name(name)
            amount = parse_quantity(quantity)
            if why:
                yield f"{path}.{part}.{name}", name, why
            elif amount is None:
                yield (f"{path}.{part}.{name}", quantity,
                       "a quantity such as 500m, 2, 1.5Gi or 512Mi (a number with an optional SI or binary suffix)")
            elif amount < 0:
                yield f"{path}.{part}.{name}", quantity, "a quantity >= 0"
            else:
                parsed.setdefault(part, {})[str(name)] = amount
    for name, request in parsed.get("requests", {}).items():
        limit = parsed.get("limits", {}).get(name)
        if limit is not None and request > limit:
            yield (f"{path}.requests.{name}", resources["requests"][name],
                   f"at most the limit {resources['limits'][name]!r} (requests <= limits)")


def _port_number(path: str, value: object) -> Iterator[Problem]:
    yield from _int(path, value, 1, 65535)


def _port_name(path: str, value: object) -> Iterator[Problem]:
    if not (_port_name_ok(value) if type(value) is str else isinstance(value, str) and _port_name_text_ok(value)):
        yield path, value, "a port name: at most 15 lower-case alphanumerics or '-', with a letter, no '--'"


def _port_name_text_ok(value: str) -> bool:
    return (len(value) <= 15 and _IANA_SVC_NAME.fullmatch(value) is not None and "--" not in value
            and re.search("[a-z]", value) is not None)


_port_name_ok = lru_cache(maxsize=1024)(_port_name_text_ok)


def _int_or_name_port(path: str, value: object) -> Iterator[Problem]:
    if isinstance(value, str):
        yield from _port_name(path, value)
    else:
        yield from _port_number(path, value)


# ---- containers, probes, pods ---------------------------------------------------------------------
def probe_problems(path: str, probe: object, *, handler_required: bool = True) -> Iterator[Problem]:
    """A probe: exactly one handler (``handler_required=False``: at most one, for an override of
    timings only), valid ports, no negative timings."""
    if not isinstance(probe, Mapping):
        yield path, probe, "a Probe mapping (a handler such as httpGet, and timings)"
        return
    handlers = [h for h in _PROBE_HANDLERS if h in probe]
    if len(handlers) > 1 or (handler_required and not handlers):
        yield path, probe, "a probe with exactly one handler: exec, httpGet, tcpSocket or grpc"
    for handler in handlers:
        action = probe[handler]
        if not isinstance(action, Mapping):
            yield f"{path}.{handler}", action, f"a mapping (the {handler} action's fields)"
        elif handler in ("httpGet", "tcpSocket"):
            yield from _int_or_name_port(f"{path}.{handler}.port", action.get("port"))
        elif handler == "grpc":
            yield from _port_number(f"{path}.grpc.port", action.get("port"))
        elif handler == "exec" and not action.get("command"):
            yield f"{path}.exec.command", action.get("command"), "a non-empty command"
    for timing in _PROBE_TIMINGS:
        if timing in probe:
            low = 1 if timing == "terminationGracePeriodSeconds" else 0
            if not _int_ok(probe[timing], low, MAX_INT64 if low else MAX_INT32):
                yield from _int(f"{path}.{timing}", probe[timing], low, MAX_INT64 if low else MAX_INT32)


def _image(path: str, value: object) -> Iterator[Problem]:
    if not _name_ok(value, _IMAGE, 4096):
        yield path, value, "an image reference such as registry.example.com/team/app:1.2 (no spaces or upper case)"


def security_context_problems(path: str, context: object) -> Iterator[Problem]:
    """User and group IDs of a pod's or container's securityContext (``IsValidUserID`` /
    ``IsValidGroupID``: 0 to 2147483647)."""
    if not isinstance(context, Mapping):
        return
    for key in ("runAsUser", "runAsGroup", "fsGroup"):
        if context.get(key) is not None and not _int_ok(context[key], 0):
            yield from _int(f"{path}.{key}", context[key], 0)
    for i, group in enumerate(context.get("supplementalGroups") or []):
        yield from _int(f"{path}.supplementalGroups[{i}]", group, 0)


def container_problems(path: str, container: object, *, partial: bool = False) -> Iterator[Problem]:
    """A container; ``partial``: fields merged into a container the launcher builds (name and
    image are checked only when given)."""
    if not isinstance(container, Mapping):
        yield path, container, "a Container mapping"
        return
    if (not partial or "name" in container) and not _name_ok(container.get("name"), _DNS1123_LABEL, 63):
        yield from _name(f"{path}.name", container.get("name"), _DNS1123_LABEL, 63, "a DNS-1123 label")
    if (not partial or "image" in container) and not _name_ok(container.get("image"), _IMAGE, 4096):
        yield from _image(f"{path}.image", container.get("image"))
    for i, port in enumerate(container.get("ports") or []):
        if (_int_ok(port.get("containerPort"), 1, 65535) and port.get("hostPort") is None
                and (port.get("name") is None or (type(port["name"]) is str and _port_name_ok(port["name"])))):
            continue
        where = f"{path}.ports[{i}]"
        yield from _port_number(f"{where}.containerPort", port.get("containerPort"))
        if port.get("hostPort") is not None:
            yield from _port_number(f"{where}.hostPort", port["hostPort"])
        if port.get("name") is not None:
            yield from _port_name(f"{where}.name", port["name"])
    for i, env in enumerate(container.get("env") or []):
        name = env.get("name") if isinstance(env, Mapping) else None
        if not _name_ok(name, _ENV_NAME, _NO_LIMIT):
            yield f"{path}.env[{i}].name", name, "an environment variable name matching [-._a-zA-Z][-._a-zA-Z0-9]*"
    if container.get("resources"):
        yield from resources_problems(f"{path}.resources", container["resources"])
    yield from security_context_problems(f"{path}.securityContext", container.get("securityContext"))
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        if container.get(probe) is not None:
            yield from probe_problems(f"{path}.{probe}", container[probe])
            if probe != "readinessProbe" and container[probe].get("successThreshold", 1) != 1:
                yield f"{path}.{probe}.successThreshold", container[probe]["successThreshold"], "1 (or unset)"


def pod_spec_problems(path: str, spec: Mapping[str, Any]) -> Iterator[Problem]:
    yield from security_context_problems(f"{path}.securityContext", spec.get("securityContext"))
    names: set[str] = set()
    for group in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(group) or []):
            yield from container_problems(f"{path}.{group}[{i}]", container)
            name = container.get("name") if isinstance(container, Mapping) else None
            if isinstance(name, str):
                if name in names:
                    yield f"{path}.{group}[{i}].name", name, "a container name not already used in the pod"
                names.add(name)
    volumes: set[str] = set()
    for i, volume in enumerate(spec.get("volumes") or []):
        name = volume.get("name")
        if not _name_ok(name, _DNS1123_LABEL, 63):
            yield from _name(f"{path}.volumes[{i}].name", name, _DNS1123_LABEL, 63, "a DNS-1123 label")
        if name in volumes:
            yield f"{path}.volumes[{i}].name", name, "a volume name not already used in the pod"
        volumes.add(name)
    if spec.get("nodeSelector"):
        yield from label_problems(f"{path}.nodeSelector", spec["nodeSelector"])
    for key in ("serviceAccountName", "schedulerName", "priorityClassName"):
        if spec.get(key) is not None:
            yield from _name(f"{path}.{key}", spec[key], _DNS1123_SUBDOMAIN, 253, "a DNS-1123 subdomain")
    if spec.get("terminationGracePeriodSeconds") is not None:
        yield from _int(f"{path}.terminationGracePeriodSeconds", spec["terminationGracePeriodSeconds"], 0, MAX_INT64)


# ---- whole objects ------------------------------------------------------------------------------------
def _config_data(kind: str, obj: Mapping[str, Any]) -> Iterator[Problem]:
    total = 0
    parts = ("data", "binaryData") if kind == "ConfigMap" else ("data", "stringData")
    seen: set[str] = set()
    for part in parts:
        for key, value in (obj.get(part) or {}).items():
            if not isinstance(key, str) or len(key) > 253 or not _CONFIG_KEY.fullmatch(key) or key in (".", ".."):
                yield f"{part}.{key}", key, "a key of at most 253 alphanumerics, '-', '_' or '.'"
            if key in seen:
                yield f"{part}.{key}", key, f"a key not also in {parts[0]}"
            seen.add(key)
            if not isinstance(value, str):
                yield f"{part}.{key}", value, "a string"
                continue
            if part in ("binaryData",) or (kind == "Secret" and part == "data"):
                try:
                    total += len(base64.b64decode(value, validate=True))
                except (binascii.Error, ValueError):
                    yield f"{part}.{key}", value, "base64-encoded data"
            else:
                total += len(value.encode())
    if total > MAX_CONFIG_BYTES:
        yield "data", f"<{total:,} bytes>", f"at most {MAX_CONFIG_BYTES:,} bytes (1 MiB) of data in total"


def _service(spec: Mapping[str, Any]) -> Iterator[Problem]:
    ports = spec.get("ports") or []
    for i, port in enumerate(ports):
        where = f"spec.ports[{i}]"
        yield from _port_number(f"{where}.port", port.get("port"))
        if port.get("targetPort") is not None:
            yield from _int_or_name_port(f"{where}.targetPort", port["targetPort"])
        if port.get("nodePort") is not None:
            yield from _port_number(f"{where}.nodePort", port["nodePort"])
        if port.get("name") is not None or len(ports) > 1:
            yield from _name(f"{where}.name", port.get("name"), _DNS1123_LABEL, 63, "a DNS-1123 label")
    if spec.get("selector"):
        yield from label_problems("spec.selector", spec["selector"])


def ingress_backend_problems(path: str, service_name: object, port: object) -> Iterator[Problem]:
    """An Ingress backend given as a Service name and a port number or name (``path.serviceName`` ...)."""
    yield from _name(f"{path}.serviceName", service_name, _DNS1035_LABEL, 63, "a Service name (DNS-1035 label)")
    yield from _int_or_name_port(f"{path}.servicePort", port)


def _ingress(spec: Mapping[str, Any]) -> Iterator[Problem]:
    for i, rule in enumerate(spec.get("rules") or []):
        host = rule.get("host")
        if host is not None and (len(host) > 253 or not (_DNS1123_SUBDOMAIN.fullmatch(host)
                                                         or _WILDCARD_SUBDOMAIN.fullmatch(host))):
            yield f"spec.rules[{i}].host", host, "a DNS name such as dagster.example.com (or *.example.com)"
        for j, path in enumerate((rule.get("http") or {}).get("paths") or []):
            where = f"spec.rules[{i}].http.paths[{j}]"
            if path.get("pathType") in ("Exact", "Prefix") and not str(path.get("path", "")).startswith("/"):
                yield (f"{where}.path", path.get("path"),
                       f"an absolute path (starting with '/') for pathType {path['pathType']}")
            service = (path.get("backend") or {}).get("service") or {}
            yield from _name(f"{where}.backend.service.name", service.get("name"), _DNS1035_LABEL, 63,
                             "a Service name (DNS-1035 label)")
            port = service.get("port") or {}
            if "number" in port:
                yield from _port_number(f"{where}.backend.service.port.number", port["number"])
            if "name" in port:
                yield from _port_name(f"{where}.backend.service.port.name", port["name"])
    for i, tls in enumerate(spec.get("tls") or []):
        if tls.get("secretName") is not None:
            yield from _name(f"spec.tls[{i}].secretName", tls["secretName"], _DNS1123_SUBDOMAIN, 253,
                             "a Secret name (DNS-1123 subdomain)")


def object_problems(obj: Mapping[str, Any]) -> list[Problem]:
    """Everything the API server would reject in ``obj`` beyond its schema (paths from the object's root)."""
    kind = str(obj.get("kind", ""))
    problems = list(_metadata(kind, obj.get("metadata") or {}))
    spec = obj.get("spec") or {}
    if kind in ("ConfigMap", "Secret"):
        problems += _config_data(kind, obj)
    elif kind == "Service":
        problems += _service(spec)
    elif kind == "Ingress":
        problems += _ingress(spec)
    elif kind in _WORKLOADS:
        problems += workload_spec_problems("spec", spec)
    elif kind == "CronJob":
        job_template = spec.get("jobTemplate") or {}
        problems += meta_problems("spec.jobTemplate.metadata", job_template.get("metadata") or {})
        problems += workload_spec_problems("spec.jobTemplate.spec", job_template.get("spec") or {})
    elif kind == "Pod":
        problems += pod_spec_problems("spec", spec)
    return problems


def workload_spec_problems(path: str, spec: Mapping[str, Any]) -> Iterator[Problem]:
    """The spec of a Deployment, StatefulSet, Job ...: counts, selector, pod template."""
    if "replicas" in spec:
        yield from _int(f"{path}.replicas", spec["replicas"], 0)
    for key in ("backoffLimit", "completions", "parallelism", "revisionHistoryLimit", "minReadySeconds"):
        if key in spec:
            yield from _int(f"{path}.{key}", spec[key], 0)
    if "activeDeadlineSeconds" in spec:
        yield from _int(f"{path}.activeDeadlineSeconds", spec["activeDeadlineSeconds"], 1, MAX_INT64)
    if "selector" in spec:
        yield from label_problems(f"{path}.selector.matchLabels", (spec["selector"] or {}).get("matchLabels") or {})
    template = spec.get("template") or {}
    yield from meta_problems(f"{path}.template.metadata", template.get("metadata") or {})
    yield from pod_spec_problems(f"{path}.template.spec", template.get("spec") or {})
    for i, claim in enumerate(spec.get("volumeClaimTemplates") or []):
        yield from ((f"{path}.volumeClaimTemplates[{i}].{p}", v, e)
                    for p, v, e in _metadata("PersistentVolumeClaim", claim.get("metadata") or {}))


def meta_problems(path: str, metadata: Mapping[str, Any]) -> Iterator[Problem]:
    """Labels and annotations of an object's (or a pod template's) metadata."""
    yield from label_problems(f"{path}.labels", metadata.get("labels") or {})
    yield from annotation_problems(f"{path}.annotations", metadata.get("annotations") or {})


def check_object(obj: Mapping[str, Any]) -> None:
    """Raise a :class:`ConfigError` for the first of :func:`object_problems` (``field`` is
    ``Kind/name: path``)."""
    problems = object_problems(obj)
    if problems:
        path, value, expected = problems[0]
        where = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
        raise ConfigError(f"{where}: {path}", value, expected)


# ---- user-given blocks: the OpenAPI definitions, strictly ---------------------------------------------
@cache
def _definitions() -> Mapping[str, Any]:
    from importlib.resources import files

    folder = files("kubernetes_validate") / "kubernetes-json-schema" / f"v{SCHEMA_VERSION}-local-strict"
    path = folder / "_definitions.json"
    definitions: Mapping[str, Any] = json.loads(path.read_text())["$defs"]
    return definitions


_REF = "#/$defs/"
_JSON_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float),
                                            "boolean": (bool,), "object": (Mapping,), "array": (list, tuple)}
_FORMAT_RANGES = {"int32": (-(2**31), MAX_INT32), "int64": (-(2**63), MAX_INT64)}


def _type_name(ref: str) -> str:
    return ref.rsplit(".", 1)[-1]


def _schema_problems(path: str, value: Any, schema: Mapping[str, Any], depth: int = 0, *,
                     partial: bool = False) -> Iterator[Problem]:
    """``partial``: the value's own required fields may be missing (merged into one the library builds)."""
    ref = schema.get("$ref")
    if ref:
        name = ref.removeprefix(_REF).removeprefix("/api/_definitions.json#/$defs/")
        if name.endswith("resource.Quantity"):
            if parse_quantity(value) is None:
                yield path, value, "a quantity such as 500m, 2, 1.5Gi or 512Mi"
            return
        if name.endswith("intstr.IntOrString"):
            if isinstance(value, str):
                return
            yield from _int(path, value, -(2**31))
            return
        schema = _definitions()[name]
        what = _type_name(name)
    else:
        what = ""
    if depth > 60:
        yield path, "<...>", "less deeply nested fields"
        return
    types = schema.get("type")
    allowed = [types] if isinstance(types, str) else list(types or [])
    if value is None:
        if allowed and "null" not in allowed:
            yield path, value, f"a {what or allowed[0]}"
        return
    concrete = [t for t in allowed if t != "null"]
    if concrete:
        ok = any(isinstance(value, _JSON_TYPES[t]) and not (t in ("integer", "number") and isinstance(value, bool))
                 for t in concrete if t in _JSON_TYPES)
        if not ok:
            yield path, value, f"a {what or '/'.join(concrete)}" + (f" ({'/'.join(concrete)})" if what else "")
            return
    if "enum" in schema and value not in schema["enum"]:
        yield path, value, "one of " + ", ".join(repr(e) for e in schema["enum"] if e is not None)
        return
    fmt = schema.get("format")
    if fmt in _FORMAT_RANGES and _is_int(value):
        low, high = _FORMAT_RANGES[fmt]
        if not low <= value <= high:
            yield path, value, f"an {fmt} integer ({low} to {high})"
    if isinstance(value, Mapping):
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key in () if partial else schema.get("required") or ():
            if key not in value:
                yield f"{path}.{key}", None, f"a value: {key} is required in a {what or 'this object'}"
        for key, item in value.items():
            if key in properties:
                yield from _schema_problems(f"{path}.{key}", item, properties[key], depth + 1)
            elif isinstance(extra, Mapping):
                yield from _schema_problems(f"{path}.{key}", item, extra, depth + 1)
            elif extra is False:
                yield f"{path}.{key}", item, _unknown_field(str(key), what, properties)
    elif isinstance(value, (list, tuple)) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            yield from _schema_problems(f"{path}[{i}]", item, schema["items"], depth + 1)


def _unknown_field(key: str, what: str, properties: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(key, list(properties), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else (
        "valid: " + ", ".join(sorted(properties)) if len(properties) <= 8 else "see the Kubernetes API reference")
    return f"no field {short(key)} in a {what or 'this object'}; {hint}"


def schema_problems(obj: Mapping[str, Any]) -> list[Problem]:
    """``obj`` against the OpenAPI definition of its kind, strictly (as :func:`check_block`; for
    tests: not run on every synth)."""
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    name = f"io.k8s.api.{group.split('.')[0] or 'core'}.{version}.{obj.get('kind')}"
    if name not in _definitions():
        if "." in group and not group.endswith(".k8s.io"):
            return []  # a custom resource: its CRD's schema applies (constructs_lib.testing checks it)
        return [("kind", obj.get("kind"), f"a kind of Kubernetes {SCHEMA_VERSION} ({name} is not)")]
    return [(path.lstrip("."), value, expected) for path, value, expected in
            _schema_problems("", obj, {"$ref": _REF + name})]


#: Kubernetes types :func:`check_block` knows, by the name constructs use.
BLOCK_TYPES = {
    "Affinity": "io.k8s.api.core.v1.Affinity",
    "Toleration": "io.k8s.api.core.v1.Toleration",
    "PodSecurityContext": "io.k8s.api.core.v1.PodSecurityContext",
    "SecurityContext": "io.k8s.api.core.v1.SecurityContext",
    "ResourceRequirements": "io.k8s.api.core.v1.ResourceRequirements",
    "Probe": "io.k8s.api.core.v1.Probe",
    "Volume": "io.k8s.api.core.v1.Volume",
    "VolumeMount": "io.k8s.api.core.v1.VolumeMount",
    "EnvVar": "io.k8s.api.core.v1.EnvVar",
    "Container": "io.k8s.api.core.v1.Container",
    "NetworkPolicyPeer": "io.k8s.api.networking.v1.NetworkPolicyPeer",
    "ObjectMeta": "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    "PodSpec": "io.k8s.api.core.v1.PodSpec",
    "JobSpec": "io.k8s.api.batch.v1.JobSpec",
    "Job": "io.k8s.api.batch.v1.Job",
}


def block_problems(path: str, value: Any, type_name: str, *, partial: bool = False) -> list[Problem]:
    """What is wrong with a user-given ``value`` of Kubernetes type ``type_name`` (a key of
    :data:`BLOCK_TYPES`): its OpenAPI definition, strictly, then the semantic rules above.
    ``partial``: a block merged into one the library or Dagster builds (Dagster's
    ``container_config``, ``pod_spec_config`` ...): its own required fields may be missing."""
    timings_only = type_name == "Probe" and isinstance(value, Mapping) and set(value) <= set(_PROBE_TIMINGS)
    if not timings_only:  # (a probe of timings only is fully checked below: no definitions to load)
        problems = list(_schema_problems(path, value, {"$ref": _REF + BLOCK_TYPES[type_name]}, partial=partial))
        if problems:
            return problems
    problems = []
    if type_name == "ResourceRequirements":
        problems += resources_problems(path, value)
    elif type_name == "Probe":
        problems += probe_problems(path, value, handler_required=False)
    elif type_name == "Container":
        problems += container_problems(path, value, partial=partial)
    elif type_name in ("PodSecurityContext", "SecurityContext"):
        problems += security_context_problems(path, value)
    elif type_name == "ObjectMeta":
        problems += meta_problems(path, value)
    elif type_name == "PodSpec":
        problems += pod_spec_problems(path, value)
    elif type_name == "JobSpec":
        problems += workload_spec_problems(path, value)
    elif type_name == "Job":
        problems += meta_problems(f"{path}.metadata", value.get("metadata") or {})
        problems += workload_spec_problems(f"{path}.spec", value.get("spec") or {})
    elif type_name in ("Volume", "VolumeMount"):
        problems += _name(f"{path}.name", value.get("name"), _DNS1123_LABEL, 63, "a DNS-1123 label")
        mount_path = value.get("mountPath")
        if type_name == "VolumeMount" and (not isinstance(mount_path, str) or not mount_path.startswith("/")):
            # (the API server takes any path; the container runtime refuses to start a relative one)
            problems.append((f"{path}.mountPath", mount_path, "an absolute path"))
    elif type_name == "EnvVar":
        if not _ENV_NAME.fullmatch(value.get("name", "")):
            problems.append((f"{path}.name", value.get("name"), "an environment variable name"))
    elif type_name == "NetworkPolicyPeer":
        for key in ("podSelector", "namespaceSelector"):
            problems += label_problems(f"{path}.{key}.matchLabels", (value.get(key) or {}).get("matchLabels") or {})
    return problems


def check_block(path: str, value: Any, type_name: str) -> None:
    """Raise a :class:`ConfigError` naming ``path`` (a construct field) for the first of
    :func:`block_problems`. Empty blocks are not checked."""
    if not value:
        return
    problems = block_problems(path, value, type_name)
    if problems:
        raise ConfigError(*problems[0])


def check_blocks(path: str, values: Sequence[Any], type_name: str) -> None:
    for i, value in enumerate(values):
        check_block(f"{path}[{i}]", value, type_name)


# ---- blocks Dagster turns into Kubernetes models (dagster.yaml, container contexts) ------------------
def _resolved(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    name = str(schema.get("$ref", "")).removeprefix(_REF).removeprefix("/api/_definitions.json#/$defs/")
    if not name or name.endswith(("resource.Quantity", "intstr.IntOrString")):
        return {} if name else schema
    resolved: Mapping[str, Any] = _definitions()[name]
    return resolved


def _camel_case_keys(path: str, given: str, value: Any, schema: Mapping[str, Any], renames: dict[str, str],
                     depth: int = 0) -> Any:
    """``value`` with Dagster's snake_case field names (``mount_path``, ``host_ip``) spelled as the
    Kubernetes API does (``mountPath``, ``hostIP``), along ``schema``; ``renames`` maps each renamed
    path to the path as given. Map keys (labels, ``nodeSelector``) are left alone."""
    schema = _resolved(schema)
    if depth > 60:
        return value
    if isinstance(value, Mapping):
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        folded = {p.lower(): p for p in properties}
        out = {}
        for key, item in value.items():
            name = key
            if isinstance(key, str) and key not in properties and "_" in key:
                name = folded.get(key.replace("_", "").lower(), key)
                if name in value:  # both spellings given: Dagster refuses; the schema check names the key
                    name = key
            sub = properties.get(name) or (extra if isinstance(extra, Mapping) else {})
            if name != key:
                renames[f"{path}.{name}"] = f"{given}.{key}"
            out[name] = _camel_case_keys(f"{path}.{name}", f"{given}.{key}", item, sub, renames, depth + 1)
        return out
    if isinstance(value, (list, tuple)) and isinstance(schema.get("items"), Mapping):
        return [_camel_case_keys(f"{path}[{i}]", f"{given}[{i}]", item, schema["items"], renames, depth + 1)
                for i, item in enumerate(value)]
    return value


def dagster_k8s_camel_case(value: Any, type_name: str) -> Any:
    """A block Dagster turns into Kubernetes type ``type_name`` (a key of :data:`BLOCK_TYPES`), its
    fields spelled as the Kubernetes API does: Dagster accepts each in snake_case or camelCase
    (``dagster_k8s.models.k8s_snake_case_dict``); map keys (labels) are left as they are."""
    return _camel_case_keys("", "", value, {"$ref": _REF + BLOCK_TYPES[type_name]}, {})


def dagster_block_problems(path: str, value: Any, type_name: str, *, partial: bool = False) -> list[Problem]:
    """:func:`block_problems` of a block Dagster turns into a Kubernetes model (a run launcher's
    ``volumes``, ``resources``, ``run_k8s_config`` parts, a container context): Dagster accepts
    each field in snake_case or camelCase (``dagster_k8s.models.k8s_snake_case_dict``); the
    problems name the fields as given."""
    renames: dict[str, str] = {}
    normalized = _camel_case_keys(path, path, value, {"$ref": _REF + BLOCK_TYPES[type_name]}, renames)
    problems = block_problems(path, normalized, type_name, partial=partial)
    if not renames:
        return problems
    by_length = sorted(renames, key=len, reverse=True)

    def as_given(at: str) -> str:
        for renamed in by_length:
            if at == renamed or at.startswith((f"{renamed}.", f"{renamed}[")):
                return renames[renamed] + at[len(renamed):]
        return at

    return [(as_given(at), bad, expected) for at, bad, expected in problems]


def check_dagster_block(path: str, value: Any, type_name: str, *, partial: bool = False) -> None:
    """Raise a :class:`ConfigError` for the first of :func:`dagster_block_problems` (empty: fine)."""
    if value:
        raise_first(dagster_block_problems(path, value, type_name, partial=partial))


def check_labels(field: str, labels: object) -> None:
    """Labels (or a ``nodeSelector``) a construct was given: a mapping of strings, by the API server's rules."""
    check_str_mapping(field, labels)
    raise_first(label_problems(field, labels))


def check_annotations(field: str, annotations: object) -> None:
    """Annotations a construct was given: a mapping of strings, by the API server's rules."""
    check_str_mapping(field, annotations)
    raise_first(annotation_problems(field, annotations))


def check_env_map(field: str, env: object) -> None:
    """``{NAME: value}`` written to an env ConfigMap that pods load whole (``envFrom``): names the
    kubelet accepts as variables, string values."""
    if not isinstance(env, Mapping):
        raise ConfigError(field, env, "a mapping of environment variable names to strings")
    total = 0
    for name, value in env.items():
        check_env_name(f"{field}.{name}", name)
        if not isinstance(value, str):
            raise ConfigError(f"{field}.{name}", value, "a string value (quote numbers)")
        total += len(name.encode()) + len(value.encode())
    if total > MAX_CONFIG_BYTES:
        raise ConfigError(field, f"<{total:,} bytes>",
                          f"at most {MAX_CONFIG_BYTES:,} bytes: it goes into a ConfigMap (1 MiB at most)")


def raise_first(problems: Iterator[Problem] | list[Problem]) -> None:
    """Raise a :class:`ConfigError` for the first problem, if any."""
    for problem in problems:
        raise ConfigError(*problem)
