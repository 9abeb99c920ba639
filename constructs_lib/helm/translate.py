"""Helm values of the official chart -> :class:`DagsterSystemConfig`.

Every key of the chart's values either keeps the chart's meaning here or is rejected with an
error naming it (see ``UNSUPPORTED`` checks below); unknown keys are errors with the nearest
valid key. Seed-era spellings are rewritten first (``seed_era.py``), each with a deprecation line.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import json
import re
import sys
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .._stateful import Persistence
from ..apiserver import MAX_CONFIG_BYTES, ingress_backend_problems, raise_first
from ..celery_autoscaler import QueueAutoscaling
from ..celery_worker_pool import CeleryQueue, CeleryWorkersSettings
from ..connections import DEFAULT_PG_SCHEME, PG_PASSWORD_SECRET_KEY, BrokerConnection
from ..daemon import DaemonSettings
from ..dagit_service import WebserverSettings
from ..errors import ConfigError, is_secret_field, short
from ..flower import FlowerSettings
from ..images import DAGSTER_VERSION, default_flower_image, default_postgres_image, default_rabbitmq_image
from ..images import Image as LibImage
from ..ingress import IngressRoute, IngressSettings
from ..instance_config import (
    AzureBlobComputeLogs,
    CeleryK8sRunLauncher,
    ComputeLogs,
    CustomComputeLogs,
    CustomRunCoordinator,
    CustomRunLauncher,
    CustomScheduler,
    DaemonScheduler,
    DefaultRunCoordinator,
    GCSComputeLogs,
    InstanceSettings,
    K8sRunLauncher,
    NoOpComputeLogs,
    QueuedRunCoordinator,
    Retention,
    RunCoordinator,
    RunLauncher,
    RunMonitoring,
    RunRetries,
    S3ComputeLogs,
    Scheduler,
    Threading,
)
from ..migrate_job import MigrateSettings
from ..naming import Release
from ..network_policies import NetworkPolicySettings
from ..pod_disruption_budgets import PodDisruptionBudgetSettings
from ..postgresql import ExternalPostgreSqlSettings, PostgreSqlSettings
from ..rabbitmq import RABBITMQ_PASSWORD_KEY, RabbitMqSettings
from ..redis import REDIS_PASSWORD_KEY, RedisSettings
from ..system import Broker, DagsterSystemConfig, Postgres, RbacSettings
from ..user_code_deployment import CodeLocationSettings
from ..workload import SecretKeyRef, WorkloadOptions
from ..workspace_config_map import GrpcLocation
from . import values as v
from .seed_era import Deprecation, OnDeprecation, migrate_values, normalize_aliases
from .strvals import merge_owned, merge_values, parse_set, prune_nulls, set_path
from .yaml_input import MAX_FILE_BYTES, MAX_SET_BYTES, InputError, check_tree, read_yaml

__all__ = ["ValuesError", "from_helm_values", "load_values", "normalize_aliases", "synthesis_error"]

Obj = dict[str, Any]


#: ``workerQueues[].autoscaling`` keys -> ``QueueAutoscaling`` fields.
_AUTOSCALING_KEYS = {"min_replica_count": "min_replicas", "max_replica_count": "max_replicas",
                     "queue_length": "target_queue_length", "activation_queue_length": "activation_queue_length",
                     "polling_interval": "polling_interval", "cooldown_period": "cooldown_period"}


class ValuesError(ConfigError):
    """Helm values the library cannot deploy; ``field`` is the values key path."""

    def __init__(self, field: str, value: object, expected: str, message: str | None = None) -> None:
        super().__init__(field, value, expected)
        if message is not None:
            self.args = (message,)


def _error(path: str, value: object, expected: str) -> ValuesError:
    return ValuesError(path, value, expected)


# ---- construct errors in values words: one model ----------------------------------------------------
#: Where each settings class of the library reads its fields from in the values: class ->
#: (its values section, or ``None`` where the section is the caller's: the ``base`` of the
#: nearest :func:`_values_words`; {field: key in the section}). A field not listed is the
#: camelCase of its name (``"*"`` lists the renames every class shares); ``""`` is the section
#: itself; a key starting with ``/`` is a path from the top of the values.
_VALUES_KEYS: dict[str, tuple[str | None, dict[str, str]]] = {
    "*": (None, {"workload_labels": "deploymentLabels", "replicas": "replicaCount",
                 "pod_security_context": "podSecurityContext", "security_context": "securityContext"}),
    "WorkloadOptions": (None, {"workload_annotations": "annotations"}),
    "WebserverSettings": (None, {"port": "service.port", "service_type": "service.type",
                                 "service_annotations": "service.annotations", "read_only": "enableReadOnly"}),
    "FlowerSettings": (None, {"port": "service.port", "service_type": "service.type",
                              "service_annotations": "service.annotations"}),
    "CodeLocationSettings": (None, {"grpc_args": "dagsterApiGrpcArgs", "service_annotations": "service.annotations"}),
    "CeleryWorkersSettings": (None, {"queues": "workerQueues"}),
    "CeleryQueue": (None, {"additional_celery_args": "additionalCeleryArgs"}),
    "Image": (None, {"repository": "image.repository", "tag": "image.tag", "pull_policy": "image.pullPolicy"}),
    "SecretKeyRef": (None, {"name": ""}),
    "GrpcLocation": (None, {"location_name": "name"}),
    "IngressRoute": (None, {"tls_secret_name": "tls.secretName"}),
    "Threading": (None, {}),
    "Persistence": (None, {}),
    "NetworkPolicySettings": ("networkPolicy", {}),
    "PodDisruptionBudgetSettings": ("podDisruptionBudget", {}),
    "PostgreSqlSettings": ("postgresql", {
        "password": "postgresqlPassword", "username": "postgresqlUsername", "database": "postgresqlDatabase",
        "port": "service.port", "params": "postgresqlParams", "scheme": "postgresqlScheme",
        "existing_secret": "/global.postgresqlSecretName", "storage_size": "persistence.size",
        "storage_class": "persistence.storageClass"}),
    "ExternalPostgreSqlSettings": ("postgresql", {
        "host": "postgresqlHost", "password": "postgresqlPassword", "username": "postgresqlUsername",
        "database": "postgresqlDatabase", "port": "service.port", "params": "postgresqlParams",
        "scheme": "postgresqlScheme", "existing_secret": "/global.postgresqlSecretName"}),
    "PostgresConnection": ("postgresql", {"params": "postgresqlParams"}),
    "RabbitMqSettings": ("rabbitmq", {"password": "rabbitmq.password", "username": "rabbitmq.username",
                                      "port": "service.port", "storage_size": "persistence.size",
                                      "storage_class": "persistence.storageClass"}),
    "RedisSettings": ("redis", {"broker_db": "brokerDbNumber", "backend_db": "backendDbNumber",
                                "storage_size": "persistence.size", "storage_class": "persistence.storageClass"}),
    "BrokerConnection": ("redis", {"broker_url": "brokerUrl", "backend_url": "backendUrl"}),
    "InstanceSettings": ("", {"telemetry": "telemetry.enabled", "additional_config": "additionalInstanceConfig",
                              "python_logs": "pythonLogs", "run_monitoring": "dagsterDaemon.runMonitoring",
                              "run_retries": "dagsterDaemon.runRetries", "sensors": "dagsterDaemon.sensors",
                              "schedules": "dagsterDaemon.schedules", "compute_logs": "computeLogManager"}),
    "InstanceConfigMap": ("global", {"dagster_home": "dagsterHome"}),
    "RunMonitoring": ("dagsterDaemon.runMonitoring", {}),
    "RunRetries": ("dagsterDaemon.runRetries", {}),
    "QueuedRunCoordinator": ("dagsterDaemon.runCoordinator.config.queuedRunCoordinator", {}),
    "CustomRunCoordinator": ("dagsterDaemon.runCoordinator.config.customRunCoordinator", {"class_name": "class"}),
    "DaemonScheduler": ("scheduler.config.daemonScheduler", {}),
    "CustomScheduler": ("scheduler.config.customScheduler", {"class_name": "class"}),
    "Retention": ("retention", {"schedule": "schedule.purgeAfterDays", "sensor": "sensor.purgeAfterDays",
                                "auto_materialize": "autoMaterialize.purgeAfterDays"}),
    "K8sRunLauncher": ("runLauncher.config.k8sRunLauncher", {"job_image": "image", **{
        f"run_k8s_config.{key}": f"runK8sConfig.{v.to_camel(key)}" for key in v.RunK8sConfig.model_fields}}),
    "CeleryK8sRunLauncher": ("runLauncher.config.celeryK8sRunLauncher", {}),
    "CustomRunLauncher": ("runLauncher.config.customRunLauncher", {"class_name": "class"}),
    "RunLauncherRbac": ("runLauncher.config", {"job_namespace": "k8sRunLauncher.jobNamespace"}),
    "S3ComputeLogs": ("computeLogManager.config.s3ComputeLogManager", {}),
    "GCSComputeLogs": ("computeLogManager.config.gcsComputeLogManager", {}),
    "AzureBlobComputeLogs": ("computeLogManager.config.azureBlobComputeLogManager",
                             {"access_key_or_sas_token": "secretKey"}),
    "CustomComputeLogs": ("computeLogManager.config.customComputeLogManager", {"class_name": "class"}),
    "IngressSettings": ("ingress", {"class_name": "ingressClassName", "webserver": "dagsterWebserver",
                                    "read_only_webserver": "readOnlyDagsterWebserver"}),
    "RbacSettings": ("", {"create": "rbacEnabled", "create_service_account": "serviceAccount.create",
                          "service_account_name": "global.serviceAccountName",
                          "service_account_annotations": "serviceAccount.annotations"}),
    "Release": ("global", {}),
    "DagsterInstance": ("", {"image_pull_secrets": "imagePullSecrets", "dagster_home": "global.dagsterHome",
                             "service_account_name": "global.serviceAccountName"}),
    "WorkspaceConfigMap": ("dagsterWebserver.workspace", {"external_config_map": "externalConfigmap",
                                                          "locations": "servers"}),
    "DagsterSystemConfig": ("", {"code_locations": "dagster-user-deployments.deployments",
                                 "image_pull_secrets": "imagePullSecrets", "dagster_home": "global.dagsterHome",
                                 "celery_config_secret_name": "global.celeryConfigSecretName",
                                 "external_workspace_config_map": "dagsterWebserver.workspace.externalConfigmap",
                                 "webserver": "dagsterWebserver", "daemon": "dagsterDaemon",
                                 "security_profile": "securityProfile", "network_policies": "networkPolicy",
                                 "pod_disruption_budgets": "podDisruptionBudget", "migrate": "migrate",
                                 "pipeline_run_env": "pipelineRun.env"}),
}
_CONSTRUCT_FIELD = re.compile(r"^(?P<cls>[A-Z]\w*)(?:\([^)]*\))?\.(?P<field>[a-z_0-9]+)(?P<rest>.*)$", re.S)
#: ``Class.field`` (or ``Class(x).field``) inside a sentence: a construct's own words.
_CONSTRUCT_WORDS = re.compile(r"\b(?P<cls>[A-Z]\w*)(?:\([^)]*\))?\.(?P<field>[a-z][a-z_0-9]*)\b")
#: A unique-name check's ``field.name[i]`` (``queues.name[1]``): the list's item, then its key.
_INDEX_AFTER_KEY = re.compile(r"^\.(?P<key>[a-z_0-9]+)\[(?P<index>\d+)\]")


def _join(root: str, key: str, rest: str = "") -> str:
    """``root.key`` followed by ``rest`` (``.sub``, ``[0]`` ...; an empty part is left out)."""
    return (f"{root}.{key}" if root and key else root or key) + rest


def values_path(base: str, field: str) -> str:
    """The values key of construct field ``field`` (``WorkloadOptions.affinity.nodeAffinity``,
    ``CodeLocationSettings(x).sidecar_containers[0].image``, ``RunMonitoring.poll_interval_seconds``)
    of the settings built from the values at ``base`` (``dagsterWebserver``), by :data:`_VALUES_KEYS`:
    ``dagsterWebserver.affinity.nodeAffinity``, ``dagsterDaemon.runMonitoring.pollIntervalSeconds``.
    A field of no known class is returned as it is."""
    match = _CONSTRUCT_FIELD.match(field)
    if not match or match["cls"] not in _VALUES_KEYS:
        return field
    section, keys = _VALUES_KEYS[match["cls"]]
    name, rest = match["field"], match["rest"]
    nested = re.match(r"\.([a-z_0-9]+)", rest)
    if nested and f"{name}.{nested[1]}" in keys:  # a key of a nested section (`run_k8s_config.container_config`)
        name, rest = f"{name}.{nested[1]}", rest[nested.end():]
    key = keys.get(name, _VALUES_KEYS["*"][1].get(name, v.to_camel(name)))
    moved = _INDEX_AFTER_KEY.match(rest)
    if moved:  # a unique-name check's `queues.name[1]`: `workerQueues[1].name`
        rest = f"[{moved['index']}].{v.to_camel(moved['key'])}{rest[moved.end():]}"
    if key.startswith("/"):
        return _join(key[1:], rest)
    return _join(base if section is None else section, key, rest)


def _values_expected(base: str, expected: str) -> str:
    """A construct's explanation in values words: ``Class.field`` mentions become values keys,
    and bare field names of the same class the keys beside the failing one."""
    return _CONSTRUCT_WORDS.sub(
        lambda m: values_path(base, m.group(0)) if m["cls"] in _VALUES_KEYS else m.group(0), expected)


def in_values_words(error: ConfigError, base: str = "") -> ValuesError:
    """``error`` of a construct built from the values at ``base``, naming the values key."""
    if isinstance(error, ValuesError):
        return error
    field = values_path(base, error.field)
    expected = _values_expected(base, error.expected)
    match = _CONSTRUCT_FIELD.match(error.field)
    if match and match["cls"] in _VALUES_KEYS:
        # Sibling fields the explanation names (`None when min_available is given`).
        keys = _VALUES_KEYS[match["cls"]][1]
        for word in set(re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", expected)):
            sibling = keys.get(word, _VALUES_KEYS["*"][1].get(word, v.to_camel(word)))
            expected = re.sub(rf"\b{word}\b", sibling.lstrip("/"), expected)
    return ValuesError(field, error.value, expected)


def _provenance(values: Any, value: object, path: str = "") -> Iterator[str]:
    """Key paths of ``values`` holding ``value`` as a leaf or as a mapping key, in file order."""
    if isinstance(values, Mapping):
        for key, child in values.items():
            here = f"{path}.{key}" if path else str(key)
            if key == value and isinstance(value, str):
                yield here
            yield from _provenance(child, value, here)
    elif isinstance(values, list):
        for i, child in enumerate(values):
            yield from _provenance(child, value, f"{path}[{i}]")
    elif values == value and type(values) is type(value):
        yield path


def synthesis_error(error: ConfigError, values: Mapping[str, Any]) -> ConfigError:
    """An error raised while synthesizing the system of ``values``, in values words: a field of a
    settings class with its own values section by :data:`_VALUES_KEYS`; otherwise (an object the
    API server would reject, ``Kind/name: path``, or an object built from several keys) the values
    key that holds the offending value, the object's field in brackets. Unchanged when no key
    holds it (a value the library derived)."""
    if isinstance(error, ValuesError):
        return error
    match = _CONSTRUCT_FIELD.match(error.field)
    if match and _VALUES_KEYS.get(match["cls"], (None, {}))[0] is not None:
        return in_values_words(error)
    sources = list(itertools.islice(_provenance(normalize_aliases(values), error.value), 50))
    # Where several keys hold the value, the one named like the object's field (`labels.team`).
    last = re.split(r"[.\[]", error.field.rsplit(": ", 1)[-1])[-1]
    source = next((s for s in sources if re.split(r"[.\[]", s)[-1] == last), sources[0] if sources else None)
    if source is None:
        return error if match is None else in_values_words(error)
    where = "" if match else f" (in {error.field})"
    return ValuesError(source, error.value, _values_expected("", error.expected) + where)


class _values_words:  # lower case: read as `with _values_words(path):`; a class is cheaper than a generator
    """A construct's ConfigError raised inside names the values key (see :func:`values_path`)."""

    __slots__ = ("base",)

    def __init__(self, base: str = "") -> None:
        self.base = base

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: Any) -> None:
        if isinstance(error, ConfigError) and not isinstance(error, ValuesError):
            raise in_values_words(error, self.base) from None


# ---- layering -------------------------------------------------------------------------------------
def load_values(files: Sequence[str | Path] = (), sets: Sequence[str] = (), set_strings: Sequence[str] = (),
                set_order: Sequence[tuple[str, str]] | None = None) -> Obj:
    """Helm's layering: values files in order, then ``--set``/``--set-string`` in order.

    ``set_order`` lists ``("set" | "set-string", expression)`` in command-line order (used by
    the CLI); otherwise all ``sets`` come before all ``set_strings``.
    """
    merged: Obj = {}
    owned = True  # `merged` is built of plain documents only: no copies needed (strvals.merge_owned)
    for file in files:
        try:
            with open(file, "rb") as stream:
                data = stream.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise _error("--values", str(file), f"a readable file ({error.strerror})") from None
        loaded, plain = read_yaml(data, str(file))
        loaded = loaded or {}
        if not isinstance(loaded, Mapping):
            raise _error("--values", str(file), "a YAML mapping of chart values at the top level")
        owned = owned and plain
        merged = merge_owned(merged, loaded) if owned else merge_values(merged, loaded)
    order = list(set_order) if set_order is not None else (
        [("set", s) for s in sets] + [("set-string", s) for s in set_strings])
    if sum(len(expression) for _, expression in order) > MAX_SET_BYTES:
        raise InputError("--set", f"the --set/--set-string arguments are longer than {MAX_SET_BYTES:,} characters")
    layer: Obj = {}
    for kind, expression in order:
        for tokens, value in parse_set(expression, as_string=kind == "set-string"):
            set_path(layer, tokens, value, expression=expression)
    check_tree(layer, "--set")
    return merge_owned(merged, layer) if owned else merge_values(merged, layer)


# ---- the bundled services ------------------------------------------------------------------------
#: values section -> (what runs instead of the bitnami subchart, where its pod keys are spelled)
BUNDLED = {
    "postgresql": ("the official postgres image's StatefulSet", "postgresql"),
    "rabbitmq": ("the official rabbitmq image's StatefulSet", "rabbitmq"),
    "redis": ("the official redis image's StatefulSet", "redis.master"),
}


_POD_KEYS = ("persistence.enabled", "persistence.size", "persistence.storageClass", "persistence.accessModes",
             "persistence.existingClaim", "resources", "nodeSelector", "tolerations", "affinity", "securityContext",
             "podSecurityContext", "containerSecurityContext", "podAnnotations", "podLabels")
_PLACEMENT_KEYS = ("nodeSelector", "tolerations", "affinity", "podAnnotations", "podLabels")
#: Every key of the bitnami subcharts that keeps its meaning on the library's StatefulSets
#: (README "Coming from the Helm chart"; the chart oracle's key coverage).
SUBCHART_KEYS: tuple[str, ...] = (
    *(f"postgresql.{k}" for k in _POD_KEYS), *(f"postgresql.master.{k}" for k in _PLACEMENT_KEYS),
    *(f"rabbitmq.{k}" for k in _POD_KEYS), "rabbitmq.persistence.accessMode",
    *(f"redis.master.{k}" for k in _POD_KEYS), "redis.securityContext", "redis.containerSecurityContext",
    "redis.persistence.existingClaim",
)


def _bundled_unknown_key(loc: Sequence[Any], path: str, valid: list[str]) -> str:
    """The message for a bitnami subchart key the library does not support."""
    section = str(loc[0])
    runs, spelled = BUNDLED[section]
    keys = ", ".join(sorted(valid)) if valid else "none"
    return (f"unknown key {path!r}: the bundled {section} is now {runs}, not the bitnami subchart; the keys "
            f"supported here are {keys}\n  (pod settings under {spelled}: persistence.enabled/size/storageClass/"
            f"accessModes/existingClaim, resources, nodeSelector, tolerations, affinity, securityContext, "
            f"podSecurityContext, containerSecurityContext, podAnnotations, podLabels; README \"Coming from the "
            f"Helm chart\" lists them all)")


def _security_context(path: str, value: Mapping[str, Any]) -> list[tuple[str, Obj]]:
    """A security context at values key ``path``, or the bitnami form ``{enabled: bool, ...,
    extra: {...}}`` (``enabled: false``: none; ``extra``, the rabbitmq subchart's, merged in, winning):
    the parts and the keys they are at, lowest precedence first."""
    context = dict(value)
    if "enabled" in context and not context.pop("enabled"):
        return [(path, {})]
    extra = context.pop("extra", None) or {}
    return [(path, context), (f"{path}.extra", dict(extra))] if extra else [(path, context)]


def _bundled_error(error: ConfigError, sources: Mapping[str, Sequence[tuple[str, Any]]], section: str) -> ValuesError:
    """A WorkloadOptions error of a bundled service at ``section`` (``postgresql``) at the values
    key its value came from: for a merged list, the key that holds the entry; for a merged mapping,
    the last key that holds the offending entry (the one that won; entry keys may hold dots, as
    label keys do). The explanation is reworded as every values error is (:func:`_values_expected`);
    a field no values key feeds names the section, never a field of the library."""
    expected = _values_expected(section, error.expected)
    match = re.match(r"^WorkloadOptions\.([a-z_]+)(.*)$", error.field, re.S)
    if not match or match[1] not in sources:
        return ValuesError(section, error.value, expected)
    given, rest = sources[match[1]], match[2]
    index = re.match(r"^\[(\d+)\]", rest)
    if index is not None:  # a list merged from several keys: find the key that holds entry `index`
        i = int(index[1])
        for at, value in given:
            if i < len(value):
                return ValuesError(f"{at}[{i}]{rest[index.end():]}", error.value, expected)
            i -= len(value)
    for at, value in reversed(given):  # the entry that won: the last key holding it
        if isinstance(value, Mapping):
            keys = [k for k in value if isinstance(k, str)
                    and (rest == f".{k}" or rest.startswith((f".{k}.", f".{k}[")))]
            if keys:
                return ValuesError(f"{at}{rest}", error.value, expected)
    return ValuesError(f"{given[-1][0]}{rest}", error.value, expected)


# ---- validation errors --------------------------------------------------------------------------
def _model_fields_at(loc: Sequence[Any]) -> list[str]:
    """The valid keys of the model that ``loc`` points into."""
    node: Any = v.HelmValues
    for part in loc:
        node = _unwrap(node)
        if isinstance(part, int):
            continue
        if not (isinstance(node, type) and issubclass(node, BaseModel)):
            return []
        field = next((f for f in node.model_fields.values() if f.alias == part), None)
        if field is None:
            return []
        node = field.annotation
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [f.alias or name for name, f in node.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """The model class inside ``X | None`` or ``list[X]``, if any."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            inner = _unwrap(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


def _format_loc(loc: Sequence[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and ("[" in part or part.startswith(("function-", "literal["))):
            continue  # a union member's tag, not a key
        else:
            path += ("." if path else "") + part
    return path


def _listed(keys: Sequence[str], limit: int = 300) -> str:
    """``keys`` comma-separated, cut to about ``limit`` characters (an error line stays short)."""
    text = ", ".join(keys)
    return text if len(text) <= limit else text[:limit].rsplit(", ", 1)[0] + ", ..."


#: How many problems of one values file an error lists.
_LISTED_PROBLEMS = 5


def _validation_error(error: ValidationError) -> ValuesError:
    messages: list[str] = []
    first: tuple[str, Any, str] | None = None
    unknown = False
    seen: set[str] = set()
    items = error.errors(include_url=False)
    unlisted = 0
    for handled, item in enumerate(items):
        if len(messages) == _LISTED_PROBLEMS:
            unlisted = len(items) - handled  # counted, not formatted
            break
        loc = list(item["loc"])
        path = _format_loc(loc)
        if item["type"] == "extra_forbidden":
            key = str(loc[-1])
            valid = _model_fields_at(loc[:-1])
            close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
            hint = f"did you mean {'.'.join([*path.split('.')[:-1], close[0]])!r}?" if close else (
                "valid keys here: " + _listed(valid) if valid else "no such key")
            text = f"unknown key {short(path)}; {hint}"
            if loc and loc[0] in BUNDLED:
                text = _bundled_unknown_key(loc, path, valid) + (f"; {hint}" if close else "")
            entry = (path, item["input"], text)
        else:
            if path in seen:
                continue
            shown = repr("<redacted>") if is_secret_field(path) else short(item["input"])
            msg = item["msg"].removeprefix("Value error, ")
            if item["type"] == "string_type" and isinstance(item["input"], (int, float)) \
                    and not isinstance(item["input"], bool):
                # `--set key=123` (or `key: 123` in YAML) gives a number; Helm users know the cure.
                msg = ("a string, not a number: quote it in a values file (key: '007'), or give it with "
                       "--set-string on the command line")
            text = f"{short(path, quote=False)}: {msg} (got {shown})"
            entry = (path, item["input"], msg)
        seen.add(path)
        messages.append(text)
        if first is None:
            first, unknown = entry, item["type"] == "extra_forbidden"
    assert first is not None
    result = ValuesError(first[0], first[1], first[2], message=first[2] if unknown else None)
    if len(messages) > 1:
        more = f"\n  ... and {unlisted} more" if unlisted else ""
        result.args = (str(result) + "\nall problems:\n  " + "\n  ".join(messages) + more,)
    return result


# ---- translation ------------------------------------------------------------------------------------
def _print_deprecation(deprecation: Deprecation) -> None:
    print(deprecation, file=sys.stderr)


def from_helm_values(values: Mapping[str, Any], *, release: str = "dagster", namespace: str | None = None,
                     on_deprecation: OnDeprecation = _print_deprecation) -> DagsterSystemConfig:
    """The system the official chart would install for ``values`` (Helm's user values).

    Seed-era keys (``seed_era.py``) are rewritten first; ``on_deprecation`` gets one
    :class:`Deprecation` per old key (default: a line on stderr); an error names a key as the
    values wrote it (``dagit.replicaCount``, not ``dagsterWebserver.replicaCount``)."""
    check_tree(values, "values")
    migration = migrate_values(values)
    for deprecation in migration.deprecations:
        on_deprecation(deprecation)
    normalized = prune_nulls(migration.values)
    try:
        try:
            model = v.HelmValues.model_validate(normalized)
        except ValidationError as error:
            raise _validation_error(error) from None
        return _Translator(model, release, namespace).config()
    except ConfigError as error:
        reworded = migration.reworded(error)
        if reworded is error:
            raise
        raise reworded from None


def _migrate_settings(webserver: WebserverSettings) -> MigrateSettings:
    """The chart's migrate Job: the webserver's image and the webserver pod settings its template
    repeats (annotations on the Job and its pod, security contexts, envConfigMaps/envSecrets,
    volumes and mounts, resources, nodeSelector, affinity, tolerations); not its labels, env
    list, probes or scheduler (``templates/job-instance-migrate.yaml``)."""
    w = webserver.options
    return MigrateSettings(image=webserver.image, options=WorkloadOptions(
        resources=w.resources, init_container_resources=w.init_container_resources,
        node_selector=w.node_selector, affinity=w.affinity, tolerations=w.tolerations,
        pod_security_context=w.pod_security_context, security_context=w.security_context,
        annotations=w.annotations, workload_annotations=w.annotations,
        env_config_maps=w.env_config_maps, env_secrets=w.env_secrets,
        volumes=w.volumes, volume_mounts=w.volume_mounts, security_profile=w.security_profile))


def _names(path: str, refs: Sequence[Any]) -> list[str]:
    names = []
    for i, ref in enumerate(refs):
        if isinstance(ref, str):
            names.append(ref)
        elif isinstance(ref, Mapping) and isinstance(ref.get("name"), str):
            names.append(ref["name"])
        else:
            raise _error(f"{path}[{i}]", ref, "{name: <object name>}")
    return names


def _probe(value: Obj | None, chart_default: Obj | None) -> Obj | None:
    """The chart's probe value as a WorkloadOptions override (None = the library's default)."""
    if value is None or value == chart_default:
        return None
    probe = dict(value)
    if "enabled" in probe:
        if not probe.pop("enabled"):
            return {}
        if not probe:
            return None
    return probe


_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")


def _with_handler(probe: Obj | None, handler: Obj) -> Obj | None:
    """A probe given only timings checks what the chart checks (``handler``)."""
    if probe and not any(key in probe for key in _PROBE_HANDLERS):
        return {**handler, **probe}
    return probe


def _threading(path: str, t: v.Threads) -> Threading:
    with _values_words(path):
        return Threading(use_threads=t.use_threads, num_workers=t.num_workers, num_submit_workers=t.num_submit_workers)


def _http_paths(path: str, paths: Sequence[v.IngressPath]) -> list[Obj]:
    out = []
    for i, p in enumerate(paths):
        port: Obj = {"number": p.service_port} if isinstance(p.service_port, int) else {"name": p.service_port}
        raise_first(ingress_backend_problems(f"{path}[{i}]", p.service_name, p.service_port))
        out.append({"path": p.path, "pathType": p.path_type,
                    "backend": {"service": {"name": p.service_name, "port": port}}})
    return out


class _Translator:
    def __init__(self, model: v.HelmValues, release: str, namespace: str | None) -> None:
        self.m = model
        self.release_name = release
        self.namespace = namespace
        #: WorkloadOptions and Images made so far, by their fields (frozen: one object serves equal settings).
        self._made_options: dict[str, WorkloadOptions] = {}
        self._made_images: dict[tuple[str, str, str], LibImage] = {}

    # -- helpers --
    def _dagster_image(self, image: v.Image, path: str = "") -> LibImage:
        tag = DAGSTER_VERSION if image.tag is None else str(image.tag)
        key = (image.repository, tag, image.pull_policy)
        made = self._made_images.get(key)
        if made is None:
            with _values_words(path) if path else contextlib.nullcontext():  # else: the caller's words
                made = self._made_images[key] = LibImage(repository=image.repository, tag=tag,
                                                         pull_policy=image.pull_policy)
        return made

    @staticmethod
    def _service_image(image: v.ExternalImage, chart_default: tuple[str, str], ours: LibImage,
                       path: str) -> LibImage:
        # The chart's own default image is replaced by this library's pinned one.
        if (image.repository, str(image.tag)) == chart_default:
            return ours.with_pull_policy(image.pull_policy)
        with _values_words(path):
            return LibImage(repository=image.repository, tag=str(image.tag), pull_policy=image.pull_policy)

    @staticmethod
    def _secret_ref(path: str, name: str, key: str) -> SecretKeyRef:
        """Key ``key`` of the user's Secret named at values key ``path``."""
        with _values_words(path):
            return SecretKeyRef(name=name, key=key)

    def _options(self, path: str, p: v.PodSettings, *, readiness: Obj | None = None,
                 liveness: Obj | None = None, startup: Obj | None = None,
                 pull_secrets: Sequence[str] = (), **given: Any) -> WorkloadOptions:
        """The WorkloadOptions of the pod settings ``p`` at ``path``; ``given``: fields of ``p``
        replaced (``env=[]``). Settings equal to ones translated before give the same (frozen)
        WorkloadOptions, checked once: code locations mostly share their pod settings."""
        with _values_words(path):
            fields = self._workload_fields(path, p, readiness, liveness, startup, pull_secrets, given)
            key = repr(fields)  # exact for the JSON values of the model: 1, 1.0, True and '1' differ
            options = self._made_options.get(key)
            if options is None:
                options = self._made_options[key] = WorkloadOptions(**fields)
            return self._hardened_checked(options)

    def _hardened_checked(self, options: WorkloadOptions) -> WorkloadOptions:
        """``options``, after the check that the user's own settings keep the hardened profile's
        promise (Pod Security "restricted") when ``securityProfile`` is ``hardened``."""
        if self.m.security_profile == "hardened":
            options.check_restricted()
        return options

    @staticmethod
    def _workload_fields(path: str, p: v.PodSettings, readiness: Obj | None, liveness: Obj | None,
                         startup: Obj | None, pull_secrets: Sequence[str], given: Mapping[str, Any]) -> Obj:
        """The WorkloadOptions fields of the pod settings ``p`` (``given`` replacing fields of ``p``)."""
        env = given.get("env", p.env)
        return dict(
            resources=p.resources, init_container_resources=p.init_container_resources or {},
            node_selector=p.node_selector, affinity=p.affinity, tolerations=p.tolerations,
            pod_security_context=p.pod_security_context, security_context=p.security_context,
            labels=given.get("labels", p.labels), annotations=p.annotations, workload_labels=p.deployment_labels,
            workload_annotations=p.annotations,
            env=env if env is not None else [],
            env_config_maps=_names(f"{path}.envConfigMaps", p.env_config_maps),
            env_secrets=_names(f"{path}.envSecrets", p.env_secrets),
            volumes=p.volumes or [], volume_mounts=p.volume_mounts or [],
            readiness_probe=readiness, liveness_probe=liveness, startup_probe=startup,
            scheduler_name=p.scheduler_name, image_pull_secrets=list(pull_secrets))

    def _bundled(self, path: str, pod: v.BundledPod, *, placement: tuple[str, v.BundledPlacement | None] | None = None,
                 top: tuple[str, v.Redis] | None = None) -> tuple[Persistence, WorkloadOptions]:
        """A bitnami subchart's pod keys as the settings of the library's own StatefulSet.

        ``placement``: where the subchart also spells nodeSelector & co. (``postgresql.master``, which wins);
        ``top``: where it spells the security contexts (``redis``; ``redis.master``'s own win).
        An error names the values key the offending value came from.
        """
        p = pod.persistence
        if p.access_modes is not None and p.access_mode is not None:
            raise _error(f"{path}.persistence.accessMode", p.access_mode,
                         f"either {path}.persistence.accessModes or .accessMode, not both")
        modes = p.access_modes if p.access_modes is not None else [p.access_mode or "ReadWriteOnce"]
        existing = p.existing_claim or (top[1].persistence.existing_claim if top is not None else None)
        try:
            persistence = Persistence(enabled=p.enabled, size=p.size, storage_class=p.storage_class or None,
                                      access_modes=tuple(modes), existing_claim=existing or None)
        except ConfigError as error:
            key = values_path(f"{path}.persistence", error.field)
            if error.field == "Persistence.access_modes" and p.access_mode is not None:
                key = f"{path}.persistence.accessMode"  # the rabbitmq subchart's spelling, as given
            elif error.field == "Persistence.existing_claim" and not p.existing_claim and top is not None:
                key = f"{top[0]}.persistence.existingClaim"  # the redis subchart's spelling, as given
            raise _error(key, error.value, error.expected) from None
        # Each WorkloadOptions field, from which values keys (lowest precedence first).
        sources: dict[str, list[tuple[str, Any]]] = {
            "resources": [(f"{path}.resources", pod.resources)],
            "node_selector": [(f"{path}.nodeSelector", pod.node_selector)],
            "tolerations": [(f"{path}.tolerations", pod.tolerations)],
            "affinity": [(f"{path}.affinity", pod.affinity)],
            "annotations": [(f"{path}.podAnnotations", pod.pod_annotations)],
            "labels": [(f"{path}.podLabels", pod.pod_labels)],
            "pod_security_context": [*_security_context(f"{path}.securityContext", pod.security_context),
                                     *_security_context(f"{path}.podSecurityContext", pod.pod_security_context)],
            "security_context": _security_context(f"{path}.containerSecurityContext", pod.container_security_context),
        }
        at, extra = placement or ("", None)
        if extra is not None:
            for name, key, value in (("node_selector", "nodeSelector", extra.node_selector),
                                     ("tolerations", "tolerations", extra.tolerations),
                                     ("affinity", "affinity", extra.affinity),
                                     ("annotations", "podAnnotations", extra.pod_annotations),
                                     ("labels", "podLabels", extra.pod_labels)):
                sources[name].append((f"{at}.{key}", value))
        if top is not None:
            at, section = top
            sources["pod_security_context"][:0] = _security_context(f"{at}.securityContext", section.security_context)
            sources["security_context"][:0] = _security_context(f"{at}.containerSecurityContext",
                                                                section.container_security_context)
        merged: dict[str, Any] = {}
        for name, given in sources.items():
            if name == "tolerations":
                merged[name] = [t for _, value in given for t in value]
            else:
                merged[name] = {k: val for _, value in given for k, val in value.items()}
        try:
            options = self._hardened_checked(WorkloadOptions(**merged))
        except ConfigError as error:
            raise _bundled_error(error, sources, path) from None
        return persistence, options

    def _reject(self, path: str, value: object, default: object, why: str) -> None:
        if value != default:
            def shown(x: object) -> object:  # a model as the values the user wrote
                return x.model_dump(by_alias=True) if isinstance(x, BaseModel) else x
            raise _error(path, shown(value), f"{shown(default)!r}: {path} is not supported ({why})")

    # -- the whole system --
    def config(self) -> DagsterSystemConfig:
        with _values_words():
            return self._config()

    def _config(self) -> DagsterSystemConfig:
        m = self.m
        self._unsupported()
        launcher = self._run_launcher()
        uses_celery = launcher.uses_celery
        release = Release(name=self.release_name, fullname_override=m.global_.fullname_override or None,
                          name_override=m.global_.name_override or None)
        locations, workspace_locations = self._code_locations()
        webserver = self._webserver()
        daemon = self._daemon()
        instance = self._instance()
        flower = self._flower(uses_celery)
        if daemon is None and isinstance(instance.run_coordinator, QueuedRunCoordinator):
            raise _error("dagsterDaemon.enabled", False,
                         "true while the QueuedRunCoordinator is enabled (queued runs need the daemon; set "
                         "dagsterDaemon.runCoordinator.enabled=false to launch runs directly)")
        service_account = m.global_.service_account_name or m.service_account.name or None
        return DagsterSystemConfig(
            release=release,
            namespace=self.namespace,
            dagster_home=m.global_.dagster_home,
            image_pull_secrets=_names("imagePullSecrets", m.image_pull_secrets),
            run_launcher=launcher,
            postgresql=self._postgresql(),
            broker=self._broker(uses_celery),
            celery_config_secret_name=(m.global_.celery_config_secret_name
                                       if uses_celery and not m.generate_celery_config_secret else None),
            render_secrets=m.render_secrets,
            celery_workers=self._celery_workers(),
            flower=flower,
            webserver=webserver,
            daemon=daemon,
            code_locations=locations,
            workspace_locations=workspace_locations,
            external_workspace_config_map=m.dagster_webserver.workspace.external_configmap,
            pipeline_run_image=self._dagster_image(m.pipeline_run.image, "pipelineRun"),
            pipeline_run_env=self._pipeline_env(),
            instance=instance,
            rbac=RbacSettings(create=m.rbac_enabled, create_service_account=m.service_account.create,
                              service_account_name=service_account,
                              service_account_annotations=m.service_account.annotations),
            ingress=self._ingress(flower_deployed=flower is not None),
            migrate=_migrate_settings(webserver) if m.migrate.enabled else None,
            # As in the chart, the wait-for-database init containers use postgresql.image.
            db_wait_image=self._postgres_image(),
            security_profile=m.security_profile,
            network_policies=NetworkPolicySettings(
                enabled=m.network_policy.enabled, ingress_peers=m.network_policy.ingress_peers),
            pod_disruption_budgets=PodDisruptionBudgetSettings(
                min_available=m.pod_disruption_budget.min_available,
                max_unavailable=m.pod_disruption_budget.max_unavailable,
            ) if m.pod_disruption_budget.enabled else None,
        )

    def _unsupported(self) -> None:
        m = self.m
        for key, value in (("fullnameOverride", m.fullname_override), ("nameOverride", m.name_override)):
            self._reject(key, value, "", f"the official chart 1.9.3 does not name objects after it; set "
                         f"global.{key} for the names the chart gives")
        self._reject("busybox.image", m.busybox.image, v.Busybox().image,
                     "the library waits for its dependencies with 'pg_isready' and Python, not busybox")
        self._reject("extraManifests", m.extra_manifests, None,
                     "add further objects to your own cdk8s chart next to DagsterChart")
        self._reject("dagsterWebserver.nameOverride", m.dagster_webserver.name_override, "dagster-webserver",
                     "object names are derived from the release; use fullnameOverride")
        self._reject("runLauncher.config.celeryK8sRunLauncher.nameOverride",
                     m.run_launcher.config.celery_k8s_run_launcher.name_override, "celery-workers",
                     "object names are derived from the release; use fullnameOverride")
        self._reject("rabbitmq.volumePermissions", m.rabbitmq.volume_permissions, v.VolumePermissions(),
                     "the official rabbitmq image needs no permission-fixing init container")
        self._reject("ingress.apiVersion", m.ingress.api_version, None, "the Ingress is always networking.k8s.io/v1")
        if m.generate_postgresql_password_secret:
            self._reject("global.postgresqlSecretName", m.global_.postgresql_secret_name, "dagster-postgresql-secret",
                         "a generated Secret is named after the release; set generatePostgresqlPasswordSecret=false "
                         "to use a Secret of your own")
        if m.generate_celery_config_secret:
            self._reject("global.celeryConfigSecretName", m.global_.celery_config_secret_name,
                         "dagster-celery-config-secret",
                         "a generated Secret is named after the release; set generateCeleryConfigSecret=false "
                         "to use a Secret of your own")
        ud = m.dagster_user_deployments
        for key in ("service_account", "rbac_enabled", "global_", "dagster_home", "postgresql_secret_name",
                    "celery_config_secret_name", "extra_manifests"):
            field = v.UserDeployments.model_fields[key]
            self._reject(f"dagster-user-deployments.{field.alias or key}", getattr(ud, key), None,
                         "set it at the top level of the values: the code locations share the system's settings")

    # -- run launcher, celery --
    def _run_launcher(self) -> RunLauncher:
        rl = self.m.run_launcher
        if rl.type == "CustomRunLauncher":
            custom = rl.config.custom_run_launcher
            if custom is None:
                raise _error("runLauncher.config.customRunLauncher", None,
                             "{module, class, config} when runLauncher.type is CustomRunLauncher")
            return CustomRunLauncher(module=custom.module, class_name=custom.class_, config=custom.config)
        if rl.type == "K8sRunLauncher":
            k = rl.config.k8s_run_launcher
            path = "runLauncher.config.k8sRunLauncher"
            return K8sRunLauncher(
                load_incluster_config=k.load_incluster_config, kubeconfig_file=k.kubeconfig_file,
                job_namespace=k.job_namespace, image_pull_policy=k.image_pull_policy,
                job_image=self._dagster_image(k.image, path) if k.image is not None else None,
                env_config_maps=_names(f"{path}.envConfigMaps", k.env_config_maps),
                env_secrets=_names(f"{path}.envSecrets", k.env_secrets), env_vars=k.env_vars,
                volumes=k.volumes, volume_mounts=k.volume_mounts, labels=k.labels or {},
                resources=k.resources or {}, fail_pod_on_run_failure=k.fail_pod_on_run_failure or None,
                scheduler_name=k.scheduler_name, security_context=k.security_context or {},
                run_k8s_config={key: value for key, value in (k.run_k8s_config or v.RunK8sConfig()).model_dump().items()
                                if value})
        c = rl.config.celery_k8s_run_launcher
        path = "runLauncher.config.celeryK8sRunLauncher"
        return CeleryK8sRunLauncher(
            job_namespace=c.job_namespace, image_pull_policy=c.image_pull_policy,
            config_source=c.config_source,
            env_config_maps=_names(f"{path}.envConfigMaps", c.env_config_maps),
            env_secrets=_names(f"{path}.envSecrets", c.env_secrets),
            volumes=c.volumes or [], volume_mounts=c.volume_mounts or [], labels=c.labels or {},
            fail_pod_on_run_failure=c.fail_pod_on_run_failure or None)

    def _celery_workers(self) -> CeleryWorkersSettings:
        c = self.m.run_launcher.config.celery_k8s_run_launcher
        path = "runLauncher.config.celeryK8sRunLauncher"
        env = {k: str(val) for k, val in c.env.items()}
        # As in the chart: `env` goes to the workers' env ConfigMap (CeleryWorkersSettings.env), not to the
        # container, and `labels` to the pods of launched runs (the launcher's config), not to the workers.
        options = self._options(path, c, env=[], labels={},
                                liveness=_probe(c.liveness_probe, None))
        # The workers' env ConfigMaps/Secrets also go to the launcher config (above), as in the chart.
        queues = []
        for i, q in enumerate(c.worker_queues):
            autoscaling = self._autoscaling(f"{path}.workerQueues[{i}].autoscaling", q.autoscaling)
            with _values_words(f"{path}.workerQueues[{i}]"):
                queues.append(CeleryQueue(name=q.name, replicas=q.replica_count, labels=q.labels or {},
                                          node_selector=q.node_selector or {}, config_source=q.config_source or {},
                                          additional_celery_args=q.additional_celery_args or [],
                                          autoscaling=autoscaling))
        with _values_words(path):
            return CeleryWorkersSettings(image=self._dagster_image(c.image), queues=queues, env=env, options=options)

    def _autoscaling(self, path: str, a: v.QueueAutoscaling | None) -> QueueAutoscaling | None:
        """The extension key ``workerQueues[].autoscaling``: KEDA scaling of a queue's workers."""
        if a is None or not a.enabled:
            return None
        if self.m.run_launcher.type != "CeleryK8sRunLauncher":
            raise _error(path, a.model_dump(by_alias=True, exclude_none=True),
                         f"no autoscaling: runLauncher.type is {self.m.run_launcher.type}, which runs no Celery "
                         "workers (autoscaling scales Celery queues; set runLauncher.type=CeleryK8sRunLauncher)")
        if self.namespace is None:
            raise _error("--namespace", None,
                         f"the namespace the release is installed in, for {path}: KEDA's operator runs in its own "
                         "namespace and reaches the broker Service only by its full name <service>.<namespace>.svc")
        given = {library: getattr(a, key) for key, library in _AUTOSCALING_KEYS.items() if getattr(a, key) is not None}
        try:
            return QueueAutoscaling(**given)
        except ConfigError as error:
            key = next((k for k, lib in _AUTOSCALING_KEYS.items() if error.field == f"QueueAutoscaling.{lib}"), None)
            raise _error(f"{path}.{v.to_camel(key)}" if key else path, error.value, error.expected) from None

    def _broker(self, uses_celery: bool) -> Broker | None:
        m = self.m
        if m.rabbitmq.enabled and m.redis.enabled:
            raise _error("redis.enabled", True, "false while rabbitmq.enabled is true (one Celery broker)")
        if not uses_celery:
            for key, enabled in (("rabbitmq.enabled", m.rabbitmq.enabled), ("redis.enabled", m.redis.enabled),
                                 ("flower.enabled", m.flower.enabled)):
                if enabled:
                    raise _error(key, True, f"false: runLauncher.type is {m.run_launcher.type}, which does "
                                 "not use Celery")
            return None
        if not m.render_secrets and m.generate_celery_config_secret:
            raise _error("generateCeleryConfigSecret", True,
                         f"false, with your Secret {m.global_.celery_config_secret_name!r} "
                         "(global.celeryConfigSecretName) holding the Celery URLs: renderSecrets is false")
        if m.rabbitmq.enabled:
            mq = m.rabbitmq
            existing = mq.rabbitmq.existing_password_secret
            if existing:
                self._needs_own_celery_secret("rabbitmq.rabbitmq.existingPasswordSecret", existing)
            elif not mq.rabbitmq.password:
                raise _error("rabbitmq.rabbitmq.password", None,
                             "a password (the official chart defaults to 'test'; this library has no default), or "
                             "rabbitmq.rabbitmq.existingPasswordSecret naming your Secret")
            elif not m.render_secrets:
                raise _error("rabbitmq.rabbitmq.existingPasswordSecret", None,
                             "your Secret holding rabbitmq-password: renderSecrets is false")
            persistence, options = self._bundled("rabbitmq", mq)
            return RabbitMqSettings(
                password=None if existing else mq.rabbitmq.password,
                existing_secret=self._secret_ref("rabbitmq.rabbitmq.existingPasswordSecret", existing,
                                                 RABBITMQ_PASSWORD_KEY) if existing else None,
                username=mq.rabbitmq.username, port=mq.service.get("port", 5672),
                image=self._service_image(mq.image, ("bitnami/rabbitmq", "3.8.12"), default_rabbitmq_image(),
                                          "rabbitmq"),
                persistence=persistence, options=options)
        if m.redis.enabled:
            r = m.redis
            existing_ref = None
            if r.existing_secret:
                if not r.use_password:
                    raise _error("redis.usePassword", False, "true with redis.existingSecret")
                self._needs_own_celery_secret("redis.existingSecret", r.existing_secret)
                existing_ref = self._secret_ref("redis.existingSecret", r.existing_secret,
                                                r.existing_secret_password_key or REDIS_PASSWORD_KEY)
            elif r.existing_secret_password_key:
                raise _error("redis.existingSecretPasswordKey", r.existing_secret_password_key,
                             "empty without redis.existingSecret")
            elif r.use_password and not r.password:
                raise _error("redis.password", None,
                             "a password when redis.usePassword is true, or redis.existingSecret")
            elif r.use_password and not m.render_secrets:
                raise _error("redis.existingSecret", None, "your Secret holding the password: renderSecrets is false")
            password = r.password if r.use_password and existing_ref is None else None
            if r.broker_url or r.backend_url:
                if r.internal:
                    raise _error("redis.brokerUrl", "<redacted>", "empty while redis.internal is true")
                host = r.host or None
                base = f"redis://{r.host}:{r.port}"
                return BrokerConnection(broker_url=r.broker_url or f"{base}/{r.broker_db_number}",
                                        backend_url=r.backend_url or f"{base}/{r.backend_db_number}",
                                        host=host, port=r.port if host else None)
            if not r.internal and not r.host:
                raise _error("redis.host", "", "the Redis host (or redis.internal=true to run Redis in the cluster)")
            persistence, options = self._bundled("redis.master", r.master, top=("redis", r))
            return RedisSettings(bundled=r.internal, host=None if r.internal else r.host, port=r.port,
                                 password=password, existing_secret=existing_ref, broker_db=r.broker_db_number,
                                 backend_db=r.backend_db_number, persistence=persistence, options=options)
        if m.generate_celery_config_secret:
            raise _error("rabbitmq.enabled", False,
                         f"true (or redis.enabled=true, or generateCeleryConfigSecret=false with your own Secret): "
                         f"{m.run_launcher.type} needs a Celery broker")
        return None

    def _needs_own_celery_secret(self, key: str, value: str) -> None:
        """A broker password in the user's Secret: the Celery URLs cannot be written either."""
        if self.m.generate_celery_config_secret:
            raise _error("generateCeleryConfigSecret", True,
                         f"false, with your Secret global.celeryConfigSecretName holding DAGSTER_CELERY_BROKER_URL and "
                         f"DAGSTER_CELERY_BACKEND_URL: the broker password is in your Secret {value!r} ({key}), so "
                         "the URLs cannot be written")

    def _flower(self, uses_celery: bool) -> FlowerSettings | None:
        f = self.m.flower
        if not f.enabled or not uses_celery:
            return None
        with _values_words("flower"):
            options = WorkloadOptions(
                resources=f.resources, node_selector=f.node_selector, affinity=f.affinity, tolerations=f.tolerations,
                pod_security_context=f.pod_security_context, security_context=f.security_context,
                annotations=f.annotations or {}, workload_annotations=f.annotations or {},
                scheduler_name=f.scheduler_name,
                liveness_probe=_probe(f.liveness_probe, v.FLOWER_LIVENESS),
                startup_probe=_probe(f.startup_probe, v.FLOWER_STARTUP))
            return FlowerSettings(
                image=self._service_image(f.image, ("docker.io/mher/flower", "0.9.5"), default_flower_image(),
                                          "flower"),
                port=f.service.port, service_type=f.service.type, service_annotations=f.service.annotations,
                options=self._hardened_checked(options))

    # -- storage --
    def _postgres_image(self) -> LibImage:
        return self._service_image(self.m.postgresql.image, ("library/postgres", "14.6"), default_postgres_image(),
                                   "postgresql")

    def _postgresql(self) -> Postgres:
        m = self.m
        pg = m.postgresql
        existing = None
        if not m.generate_postgresql_password_secret:
            existing = self._secret_ref("global.postgresqlSecretName", m.global_.postgresql_secret_name,
                                        PG_PASSWORD_SECRET_KEY)
        elif not m.render_secrets:
            raise _error("generatePostgresqlPasswordSecret", True,
                         f"false, with your Secret {m.global_.postgresql_secret_name!r} (global.postgresqlSecretName): "
                         "renderSecrets is false")
        elif not pg.postgresql_password:
            raise _error("postgresql.postgresqlPassword", None,
                         "a password (the official chart defaults to 'test'; this library has no default), or "
                         "generatePostgresqlPasswordSecret=false with your own Secret "
                         f"{m.global_.postgresql_secret_name!r}")
        password = None if existing else pg.postgresql_password
        port = pg.service.get("port", 5432)
        if pg.enabled:
            persistence, options = self._bundled("postgresql", pg, placement=("postgresql.master", pg.master))
            return PostgreSqlSettings(password=password, existing_secret=existing, username=pg.postgresql_username,
                                      database=pg.postgresql_database, port=port, params=pg.postgresql_params,
                                      scheme=pg.postgresql_scheme or DEFAULT_PG_SCHEME,
                                      image=self._postgres_image(), persistence=persistence, options=options)
        if not pg.postgresql_host:
            raise _error("postgresql.postgresqlHost", "", "the external PostgreSQL host when postgresql.enabled=false")
        return ExternalPostgreSqlSettings(host=pg.postgresql_host, password=password, existing_secret=existing,
                                          username=pg.postgresql_username, database=pg.postgresql_database,
                                          port=port, params=pg.postgresql_params,
                                          scheme=pg.postgresql_scheme or DEFAULT_PG_SCHEME)

    # -- workloads --
    def _webserver(self) -> WebserverSettings:
        w = self.m.dagster_webserver
        options = self._options("dagsterWebserver", w,
                                readiness=_probe(w.readiness_probe, v.WEBSERVER_READINESS),
                                liveness=_probe(w.liveness_probe, {}),
                                startup=_probe(w.startup_probe, {"enabled": False}))
        with _values_words("dagsterWebserver"):
            return self._webserver_settings(w, options)

    def _webserver_settings(self, w: v.Webserver, options: WorkloadOptions) -> WebserverSettings:
        return WebserverSettings(
            image=self._dagster_image(w.image), replicas=w.replica_count, port=w.service.port,
            path_prefix=w.path_prefix, log_level=w.log_level.lower() if w.log_level else None,
            db_statement_timeout=w.db_statement_timeout, db_pool_recycle=w.db_pool_recycle,
            read_only=w.enable_read_only, service_type=w.service.type, service_annotations=w.service.annotations,
            options=options)

    def _daemon(self) -> DaemonSettings | None:
        d = self.m.dagster_daemon
        if not d.enabled:
            return None
        # As in the chart, the daemon's startupProbe needs `enabled: true` (its default is `{}`).
        startup = _probe(d.startup_probe, {}) if d.startup_probe.get("enabled") else None
        options = self._options("dagsterDaemon", d, readiness=_probe(d.readiness_probe, {}),
                                liveness=_probe(d.liveness_probe, {}), startup=startup)
        with _values_words("dagsterDaemon"):
            return DaemonSettings(image=self._dagster_image(d.image), heartbeat_tolerance=d.heartbeat_tolerance,
                                  options=options)

    def _code_locations(self) -> tuple[list[CodeLocationSettings], list[GrpcLocation] | None]:
        ud = self.m.dagster_user_deployments
        workspace = self.m.dagster_webserver.workspace
        explicit = None
        if workspace.enabled:
            explicit = []
            for i, s in enumerate(workspace.servers):
                with _values_words(f"dagsterWebserver.workspace.servers[{i}]"):
                    explicit.append(GrpcLocation(host=s.host, port=s.port, location_name=s.name or s.host, ssl=s.ssl))
        if not ud.enabled:
            return [], explicit if explicit is not None else []
        pull = _names("dagster-user-deployments.imagePullSecrets", ud.image_pull_secrets)
        locations = []
        for i, d in enumerate(ud.deployments):
            path = f"dagster-user-deployments.deployments[{i}]"
            self._reject(f"{path}.deploymentNamespace", d.deployment_namespace, None,
                         "code locations run in the system's namespace")
            env_map = {k: str(val) for k, val in d.env.items()} if isinstance(d.env, dict) else {}
            env_list = d.env if isinstance(d.env, list) else []
            health = {"exec": {"command": ["dagster", "api", "grpc-health-check", "-p", str(d.port)]}}
            options = self._options(path, d, env=env_list,
                                    readiness=_probe(d.readiness_probe, None),
                                    liveness=_with_handler(_probe(d.liveness_probe, {}), health),
                                    startup=_with_handler(_probe(d.startup_probe, {"enabled": False}), health),
                                    pull_secrets=pull)
            with _values_words(path):
                locations.append(CodeLocationSettings(
                    name=d.name, image=self._dagster_image(d.image),
                    grpc_args=d.dagster_api_grpc_args or [] if d.code_server_args is None else [],
                    code_server_args=d.code_server_args, port=d.port, replicas=d.replica_count,
                    include_config_in_launched_runs=(d.include_config_in_launched_runs.enabled
                                                     if d.include_config_in_launched_runs else True),
                    env=env_map, service_annotations=(d.service or {}).get("annotations", {}),
                    init_containers=d.init_containers or [], sidecar_containers=d.sidecar_containers or [],
                    options=options))
        if not ud.enable_subchart:
            listed = [GrpcLocation(host=c.name, port=c.port, location_name=c.name) for c in locations]
            return [], explicit if explicit is not None else listed
        return locations, explicit

    def _pipeline_env(self) -> dict[str, str]:
        env = self.m.pipeline_run.env
        out: dict[str, str] = {}
        if self.m.run_launcher.type == "CeleryK8sRunLauncher":
            # As in the chart, the Celery workers' env also reaches the runs they launch.
            out = {k: str(val) for k, val in self.m.run_launcher.config.celery_k8s_run_launcher.env.items()}
        if isinstance(env, dict):
            return {**{k: str(val) for k, val in env.items()}, **out}
        for i, item in enumerate(env):
            if "value" not in item or "valueFrom" in item:
                raise _error(f"pipelineRun.env[{i}]", item, "{name, value}: launched runs get these through a "
                             "ConfigMap (use runLauncher env secrets for secret values)")
            out[str(item["name"])] = str(item["value"])
        return out

    # -- instance --
    def _instance(self) -> InstanceSettings:
        m = self.m
        d = m.dagster_daemon
        py = m.python_logs
        python_logs = {k: val for k, val in (("python_log_level", py.python_log_level),
                                              ("managed_python_loggers", py.managed_python_loggers),
                                              ("dagster_handler_config", py.dagster_handler_config)) if val is not None}
        mon = d.run_monitoring
        retention = None
        if m.retention.enabled:
            auto = m.retention.auto_materialize.purge_after_days if m.retention.auto_materialize else -1
            retention = Retention(schedule=m.retention.schedule.purge_after_days,  # type: ignore[arg-type]
                                  sensor=m.retention.sensor.purge_after_days,  # type: ignore[arg-type]
                                  auto_materialize=auto)  # type: ignore[arg-type]
        size = len(json.dumps(m.additional_instance_config, default=str))
        if size > MAX_CONFIG_BYTES:
            raise _error("additionalInstanceConfig", f"<{size:,} bytes>",
                         f"at most {MAX_CONFIG_BYTES:,} bytes: it goes into a ConfigMap (1 MiB at most)")
        return InstanceSettings(
            scheduler=self._scheduler(), run_coordinator=self._run_coordinator(),
            compute_logs=self._compute_logs(),
            run_monitoring=RunMonitoring(
                enabled=mon.enabled, start_timeout_seconds=mon.start_timeout_seconds,
                cancel_timeout_seconds=mon.cancel_timeout_seconds, max_runtime_seconds=mon.max_runtime_seconds,
                max_resume_run_attempts=mon.max_resume_run_attempts, poll_interval_seconds=mon.poll_interval_seconds,
                free_slots_after_run_end_seconds=mon.free_slots_after_run_end_seconds),
            run_retries=RunRetries(enabled=d.run_retries.enabled, max_retries=d.run_retries.max_retries or 0,
                                   retry_on_asset_or_op_failure=d.run_retries.retry_on_asset_or_op_failure),
            sensors=_threading("dagsterDaemon.sensors", d.sensors),
            schedules=_threading("dagsterDaemon.schedules", d.schedules),
            telemetry=m.telemetry.enabled, retention=retention, python_logs=python_logs,
            additional_config=m.additional_instance_config)

    def _scheduler(self) -> Scheduler:
        s = self.m.scheduler
        if s.type == "CustomScheduler":
            custom = s.config.custom_scheduler
            if custom is None:
                raise _error("scheduler.config.customScheduler", None, "{module, class, config} for CustomScheduler")
            return CustomScheduler(module=custom.module, class_name=custom.class_, config=custom.config)
        daemon = s.config.daemon_scheduler or {}
        unknown = set(daemon) - {"maxCatchupRuns", "maxTickRetries"}
        if unknown:
            raise _error(f"scheduler.config.daemonScheduler.{sorted(unknown)[0]}", daemon,
                         "maxCatchupRuns or maxTickRetries")
        return DaemonScheduler(max_catchup_runs=daemon.get("maxCatchupRuns"),
                               max_tick_retries=daemon.get("maxTickRetries"))

    def _run_coordinator(self) -> RunCoordinator:
        rc = self.m.dagster_daemon.run_coordinator
        if not rc.enabled:
            return DefaultRunCoordinator()
        if rc.type == "CustomRunCoordinator":
            custom = rc.config.custom_run_coordinator
            if custom is None:
                raise _error("dagsterDaemon.runCoordinator.config.customRunCoordinator", None,
                             "{module, class, config} for CustomRunCoordinator")
            return CustomRunCoordinator(module=custom.module, class_name=custom.class_, config=custom.config)
        q = rc.config.queued_run_coordinator or v.QueuedRunCoordinatorConfig()
        limits: list[dict[str, Any]] = []
        for limit in q.tag_concurrency_limits or []:
            limits.append({k: limit[k] for k in ("key", "value", "limit") if k in limit})
            if "value" in limit and isinstance(limit["value"], Mapping):
                limits[-1]["value"] = {"applyLimitPerUniqueValue": limit["value"].get("applyLimitPerUniqueValue")}
        block = q.block_op_concurrency_limited_runs
        return QueuedRunCoordinator(
            max_concurrent_runs=q.max_concurrent_runs if q.max_concurrent_runs is not None else -1,
            tag_concurrency_limits=limits, dequeue_interval_seconds=q.dequeue_interval_seconds,
            dequeue_use_threads=q.dequeue_use_threads if q.dequeue_use_threads is not None else True,
            dequeue_num_workers=q.dequeue_num_workers,
            block_op_concurrency_limited_runs=({"enabled": block.get("enabled"),
                                                "op_concurrency_slot_buffer": block.get("opConcurrencySlotBuffer")}
                                               if block else None))

    def _compute_logs(self) -> ComputeLogs:
        c = self.m.compute_log_manager
        cfg = c.config
        missing = _error(f"computeLogManager.config.{c.type[0].lower()}{c.type[1:]}", None,
                         f"the {c.type} settings when computeLogManager.type is {c.type}")
        if c.type == "NoOpComputeLogManager":
            return NoOpComputeLogs()
        if c.type == "S3ComputeLogManager":
            if cfg.s3_compute_log_manager is None:
                raise missing
            return S3ComputeLogs(**cfg.s3_compute_log_manager.model_dump())
        if c.type == "GCSComputeLogManager":
            if cfg.gcs_compute_log_manager is None:
                raise missing
            return GCSComputeLogs(**cfg.gcs_compute_log_manager.model_dump())
        if c.type == "AzureBlobComputeLogManager":
            az = cfg.azure_blob_compute_log_manager
            if az is None:
                raise missing
            fields = az.model_dump()
            fields["access_key_or_sas_token"] = fields.pop("secret_key")
            return AzureBlobComputeLogs(**fields)
        custom = cfg.custom_compute_log_manager
        if custom is None:
            raise missing
        return CustomComputeLogs(module=custom.module, class_name=custom.class_, config=custom.config)

    # -- ingress --
    def _ingress(self, flower_deployed: bool) -> IngressSettings | None:
        m = self.m
        i = m.ingress
        if not i.enabled:
            return None

        def route(path: str, r: v.IngressRoute) -> IngressRoute:
            if r.tls.enabled and not r.tls.secret_name:
                raise _error(f"{path}.tls.secretName", "", "the TLS Secret's name when tls.enabled is true")
            with _values_words(path):
                return self._route(path, r)

        return IngressSettings(
            class_name=i.ingress_class_name, annotations=i.annotations, labels=i.labels,
            webserver=route("ingress.dagsterWebserver", i.dagster_webserver),
            read_only_webserver=(route("ingress.readOnlyDagsterWebserver", i.read_only_dagster_webserver)
                                 if m.dagster_webserver.enable_read_only else None),
            flower=route("ingress.flower", i.flower) if flower_deployed else None)

    @staticmethod
    def _route(path: str, r: v.IngressRoute) -> IngressRoute:
        return IngressRoute(host=r.host or None, path=r.path or None, path_type=r.path_type,
                                tls_secret_name=r.tls.secret_name if r.tls.enabled else None,
                                preceding_paths=_http_paths(f"{path}.precedingPaths", r.preceding_paths),
                                succeeding_paths=_http_paths(f"{path}.succeedingPaths", r.succeeding_paths))
