"""Validate Dagster's own config files with Dagster itself. Runs under ``.venv-dagster``.

    .venv-dagster/bin/python -I constructs_lib/testing/dagster_check.py \\
        --instance dagster.yaml --workspace workspace.yaml --celery celery.yaml [--json]

Each file is loaded the way the deployed process loads it, offline (no database, no cluster,
no broker; classes are imported, never instantiated):

- ``dagster.yaml``: ``InstanceRef.from_dir`` (what ``DagsterInstance.get()`` does), then every
  pluggable block (``scheduler``, ``run_coordinator``, ``run_launcher``, ``compute_logs``, the
  storages, ...): the module imports (``dagster.core.X`` rewritten to ``dagster._core.X`` as
  Dagster does), the class subclasses the block's base class, and ``config`` passes the
  class's ``config_type()`` (``validate_config``, then ``post_process_config``, which resolves
  ``{env: NAME}``). Also the checks Dagster only makes when the class is constructed: a
  PostgreSQL ``postgres_db`` makes a URL, and ``kubeconfig_file`` needs
  ``load_incluster_config: false``.
- ``workspace.yaml``: ``dagster._core.workspace.load.location_origins_from_yaml_paths``.
- Celery worker config (``dagster-celery worker start -y``):
  ``dagster_celery.cli.get_validated_config``, which accepts a file without an
  ``execution.config`` / ``execution.celery`` mapping (the worker then silently uses the
  default broker on localhost), so that mapping and its ``broker`` are required here.

Env vars the files read and the environment lacks get a placeholder value (``1``) for the
post-processing step: whether pods set them is a Kubernetes question, checked elsewhere.

The script imports nothing from the project (it runs in another virtualenv). Output: a report
per file; with ``--json`` one JSON document ``{"versions": {...}, "results": [{"path", "kind",
"checked", "errors"}]}``. Exit status 0 when every file is valid, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import yaml

PACKAGES = ("dagster", "dagster-k8s", "dagster-celery", "dagster-celery-k8s", "dagster-postgres")
PLACEHOLDER = "1"  # coerces to String, Int and Bool sources alike

#: dagster.yaml key -> (module, class) every class configured there must subclass.
PLUGGABLE_BASES: dict[str, tuple[str, str]] = {
    "scheduler": ("dagster._core.scheduler.scheduler", "Scheduler"),
    "run_coordinator": ("dagster._core.run_coordinator.base", "RunCoordinator"),
    "run_launcher": ("dagster._core.launcher.base", "RunLauncher"),
    "compute_logs": ("dagster._core.storage.compute_log_manager", "ComputeLogManager"),
    "run_storage": ("dagster._core.storage.runs.base", "RunStorage"),
    "event_log_storage": ("dagster._core.storage.event_log.base", "EventLogStorage"),
    "schedule_storage": ("dagster._core.storage.schedules.base", "ScheduleStorage"),
    "local_artifact_storage": ("dagster._core.storage.root", "LocalArtifactStorage"),
}
#: ``InstanceRef`` attributes the ``storage:`` / ``run_queue:`` shorthands expand to.
SHORTHANDS = {
    "storage": [("run_storage", "run_storage_data"), ("event_log_storage", "event_storage_data"),
                ("schedule_storage", "schedule_storage_data")],
    "run_queue": [("run_coordinator", "run_coordinator_data")],
}


@dataclass
class Result:
    path: str
    kind: str
    checked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _messages(errors: Sequence[Any]) -> list[str]:
    """One line per Dagster config error (or exception), without embedded stack traces."""
    texts = [getattr(e, "message", None) or f"{type(e).__name__}: {e}" for e in errors]
    return [" ".join(line.strip() for line in t.split("Stack Trace:")[0].splitlines() if line.strip())
            for t in texts]


def _error_messages(error: Exception) -> list[str]:
    """The config errors a Dagster exception carries, else the exception itself."""
    return _messages(getattr(error, "errors", None) or [error])


def env_refs(value: Any) -> set[str]:
    if isinstance(value, Mapping):
        if set(value) == {"env"} and isinstance(value["env"], str):
            return {value["env"]}
        return set().union(*(env_refs(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(env_refs(v) for v in value))
    return set()


@contextlib.contextmanager
def placeholder_env(names: set[str]) -> Iterator[None]:
    missing = [n for n in names if n not in os.environ]
    os.environ.update(dict.fromkeys(missing, PLACEHOLDER))
    try:
        yield
    finally:
        for name in missing:
            del os.environ[name]


def load_mapping(path: str, result: Result) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf8") as f:
            content = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as error:
        result.errors.append(f"cannot read YAML: {error}")
        return None
    if not isinstance(content, dict):
        result.errors.append(f"top level is {type(content).__name__}, not a mapping")
        return None
    return content


# ---- dagster.yaml ---------------------------------------------------------------------------
def check_class(label: str, data: Any, result: Result) -> None:
    """``data``: a ConfigurableClassData (module already rewritten to ``dagster._core``)."""
    from dagster._config import post_process_config, resolve_to_config_type, validate_config

    where = f"{label}: {data.module_name}.{data.class_name}"
    try:
        module = importlib.import_module(data.module_name)
    except ImportError as error:
        result.errors.append(f"{where}: cannot import {data.module_name!r}: {error}")
        return
    cls = getattr(module, data.class_name, None)
    if not isinstance(cls, type):
        result.errors.append(f"{where}: module {data.module_name!r} has no class {data.class_name!r}")
        return
    if label in PLUGGABLE_BASES:
        base_module, base_name = PLUGGABLE_BASES[label]
        if not issubclass(cls, getattr(importlib.import_module(base_module), base_name)):
            result.errors.append(f"{where}: not a subclass of {base_name}")
            return
    if not hasattr(cls, "config_type"):
        result.errors.append(f"{where}: not a ConfigurableClass (no config_type())")
        return
    try:
        config = data.config_dict
    except Exception as error:  # check.is_dict failure: `config` is not a mapping
        result.errors.append(f"{where}: `config` is not a mapping: {error}")
        return
    config_type = resolve_to_config_type(cls.config_type())
    validated = validate_config(config_type, config)
    if not validated.success:
        result.errors += [f"{where}: {m}" for m in _messages(validated.errors)]
        return
    processed = post_process_config(config_type, validated.value)
    if not processed.success:
        result.errors += [f"{where} (resolving env): {m}" for m in _messages(processed.errors)]
        return
    value = processed.value or {}
    if data.module_name.startswith("dagster_postgres") and "postgres_db" in value:
        from dagster_postgres.utils import pg_url_from_config

        try:
            pg_url_from_config(value)
        except Exception as error:
            result.errors.append(f"{where}: {error}")
            return
    if value.get("kubeconfig_file") and value.get("load_incluster_config", True):
        result.errors.append(f"{where}: kubeconfig_file is set, so load_incluster_config must be false")
        return
    result.checked.append(where)


def check_instance(path: str) -> Result:
    from dagster._core.instance.ref import InstanceRef
    from dagster._serdes.config_class import ConfigurableClassData

    result = Result(path, "instance")
    raw = load_mapping(path, result)
    if raw is None:
        return result
    with placeholder_env(env_refs(raw)):
        ref = None
        with tempfile.TemporaryDirectory(prefix="dagster-check-") as home:
            shutil.copy(path, os.path.join(home, "dagster.yaml"))
            try:
                ref = InstanceRef.from_dir(home)
                result.checked.append("InstanceRef.from_dir")
            except Exception as error:
                result.errors += [f"InstanceRef.from_dir: {m}" for m in _error_messages(error)]
        for key in PLUGGABLE_BASES:
            block = raw.get(key)
            if block is None:
                continue
            if not (isinstance(block, dict) and isinstance(block.get("module"), str)
                    and isinstance(block.get("class"), str)):
                result.errors.append(f"{key}: must be a mapping with `module`, `class` and optional `config`")
                continue
            config = block.get("config") or {}
            # ConfigurableClassData rewrites `dagster.core.X` to `dagster._core.X`, as Dagster does.
            check_class(key, ConfigurableClassData(block["module"], block["class"], yaml.safe_dump(config)), result)
        for shorthand, expansions in SHORTHANDS.items():
            if ref is not None and shorthand in raw:
                for label, attribute in expansions:
                    if getattr(ref, attribute) is not None:
                        check_class(label, getattr(ref, attribute), result)
    return result


# ---- workspace.yaml and celery.yaml ---------------------------------------------------------
def check_workspace(path: str) -> Result:
    from dagster._core.workspace.load import location_origins_from_yaml_paths

    result = Result(path, "workspace")
    raw = load_mapping(path, result)
    if raw is None:
        return result
    with placeholder_env(env_refs(raw)):
        try:
            origins = location_origins_from_yaml_paths([path])
        except Exception as error:
            result.errors += _error_messages(error)
            return result
    result.checked += [f"location {o.location_name!r} ({type(o).__name__})" for o in origins]
    return result


def check_celery(path: str) -> Result:
    from dagster_celery.cli import get_validated_config

    result = Result(path, "celery")
    raw = load_mapping(path, result)
    if raw is None:
        return result
    execution = raw.get("execution")
    executor_config = None
    if isinstance(execution, dict):
        executor_config = execution.get("config") or execution.get("celery")
    if not isinstance(executor_config, dict) or not executor_config:
        result.errors.append("no `execution.config` (or legacy `execution.celery`) mapping: dagster-celery "
                             "would silently use its defaults (a broker on localhost)")
        return result
    with placeholder_env(env_refs(raw)):
        try:
            value = get_validated_config(path)
        except Exception as error:
            result.errors += _error_messages(error)
            return result
    if value is None:  # get_validated_config hides a failed post-processing (env resolution)
        result.errors.append("config is valid but resolving its env vars failed")
    elif not value.get("broker"):
        result.errors.append("no `broker`: the worker would connect to Celery's default broker on localhost")
    else:
        result.checked.append(f"celery executor config ({', '.join(sorted(value))})")
    return result


CHECKS = {"instance": check_instance, "workspace": check_workspace, "celery": check_celery}


def versions() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        with contextlib.suppress(PackageNotFoundError):
            found[package] = version(package)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for kind in CHECKS:
        parser.add_argument(f"--{kind}", action="append", default=[], metavar="PATH")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    # Dagster may print while loading; only the report goes to stdout.
    with contextlib.redirect_stdout(sys.stderr):
        results = [CHECKS[kind](path) for kind in CHECKS for path in getattr(args, kind)]
    if args.json:
        json.dump({"versions": versions(), "results": [r.__dict__ for r in results]}, sys.stdout, indent=1)
    else:
        print("using " + ", ".join(f"{k} {v}" for k, v in versions().items()))
        for r in results:
            print(f"== {r.kind}: {r.path}: {'FAILED' if r.errors else 'ok'}")
            print("".join(f"  ok: {c}\n" for c in r.checked) + "".join(f"  ERROR: {e}\n" for e in r.errors), end="")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
