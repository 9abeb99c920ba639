"""Values files of the Helm chart the seed document describes (0.9 to 0.11, early 2021).

That chart spelled several things differently from today's (1.9): ``dagit`` for the
webserver, ``celery.enabled`` / ``k8sRunLauncher.enabled`` for the run launcher,
``scheduler.k8sEnabled``, ``dagsterDaemon.queuedRunCoordinator``, ``ingress.dagit``,
``envConfigMaps`` / ``envSecrets`` as lists of plain names, Ingress paths without a
``pathType``, probes on ``/dagit_info``. :func:`migrate_values` rewrites such values into
today's spelling, before the values model sees them, and reports one :class:`Deprecation` per
old key it rewrote. A file that gives one thing in both spellings is an error naming both keys.
The same rewrite is what ``dagster-cdk8s migrate-values OLD.yaml`` prints.

Defaults are today's chart defaults: a seed-era file that relied on the defaults of its era
(Celery with a bundled RabbitMQ) says so to get that system today
(``celery.enabled: true``, ``rabbitmq.enabled: true``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NoReturn

from ..errors import ConfigError
from .strvals import copy_values

__all__ = ["SEED_ERA", "Deprecation", "Migration", "OnDeprecation", "migrate_values", "normalize_aliases"]

Obj = dict[str, Any]

#: How deprecation lines name the chart the old spellings come from.
SEED_ERA = "Helm chart 0.11 and earlier"

#: Top-level sections renamed as a whole: old key -> today's key.
_RENAMED = {"dagit": "dagsterWebserver", "pipeline_run": "pipelineRun", "userDeployments": "dagster-user-deployments"}
#: Ingress routes renamed as a whole (under ``ingress``).
_INGRESS_RENAMED = {"dagit": "dagsterWebserver", "readOnlyDagit": "readOnlyDagsterWebserver"}
#: Run launcher sections: old top-level key -> (runLauncher.type, key under runLauncher.config).
_LAUNCHER_SECTIONS = {"celery": ("CeleryK8sRunLauncher", "celeryK8sRunLauncher"),
                      "k8sRunLauncher": ("K8sRunLauncher", "k8sRunLauncher")}
#: Sections whose ``envConfigMaps`` / ``envSecrets`` lists the old chart took as plain names.
_POD_SECTIONS = ("dagsterWebserver", "dagsterDaemon", "runLauncher.config.celeryK8sRunLauncher",
                 "runLauncher.config.k8sRunLauncher")
#: Keys of those lists before the chart's 0.10 camelCase rename.
_SNAKE_ENV_KEYS = {"env_config_maps": "envConfigMaps", "env_secrets": "envSecrets"}
#: The seed-era queued run coordinator's config (dagster.yaml keys) -> today's values keys.
_QUEUED_CONFIG_KEYS = {"max_concurrent_runs": "maxConcurrentRuns", "tag_concurrency_limits": "tagConcurrencyLimits",
                       "dequeue_interval_seconds": "dequeueIntervalSeconds"}
_QUEUED_CLASS = ("dagster.core.run_coordinator", "QueuedRunCoordinator")
#: The webserver's health endpoint: ``/dagit_info`` then, ``/server_info`` in today's chart.
OLD_HEALTH_PATH, HEALTH_PATH = "/dagit_info", "/server_info"
#: Keys only the seed-era K8sScheduler read (``scheduler.*``).
_K8S_SCHEDULER_KEYS = ("schedulerNamespace", "envSecrets")
#: Top-level spellings of the home directory before it moved to ``global.dagsterHome``.
_HOME_KEYS = ("dagster_home", "dagsterHome")
_WEBSERVER_PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
_INGRESS_PATH_TYPE = "ImplementationSpecific"  # what an Ingress path without pathType meant (v1beta1)


@dataclasses.dataclass(frozen=True)
class Deprecation:
    """One seed-era key: ``key`` as the values file wrote it, ``modern`` as today's chart spells it."""

    key: str
    modern: str

    def __str__(self) -> str:
        return f"deprecated ({SEED_ERA}): {self.key} -> {self.modern}"


#: What ``from_helm_values`` does with each deprecation (default: print it to stderr).
OnDeprecation = Callable[[Deprecation], None]


@dataclasses.dataclass(frozen=True)
class Migration:
    """Values in today's spelling and what was rewritten (one entry per old key).

    ``moved``: (today's key path, the path the file wrote it at) for every key that moved, so
    that an error about today's key can name the key the file wrote (:meth:`reworded`)."""

    values: Obj
    deprecations: tuple[Deprecation, ...]
    moved: tuple[tuple[str, str], ...] = ()

    def written(self, path: str) -> str:
        """Where the file wrote today's key ``path`` (``dagsterWebserver.replicaCount`` ->
        ``dagit.replicaCount``); ``path`` itself if it did not move."""
        best = max((m for m, _ in self.moved if path == m or path.startswith((m + ".", m + "["))), key=len,
                   default="")
        return dict(self.moved)[best] + path[len(best):] if best else path

    def reworded(self, error: ConfigError) -> ConfigError:
        """``error`` naming the keys as the file wrote them (every moved key path in its message):
        a ``ValuesError`` if any was named, else ``error`` itself."""
        if not self.moved:
            return error
        pattern = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(m) for m, _ in
                                                        sorted(self.moved, key=lambda pair: -len(pair[0])))
                             + r")(?=$|[^\w-])")
        text = pattern.sub(lambda match: dict(self.moved)[match[1]], str(error))
        field = self.written(error.field)
        if (text, field) == (str(error), error.field):
            return error
        from .translate import ValuesError  # translate imports this module

        return ValuesError(field, error.value, error.expected, message=text)


def migrate_values(values: Mapping[str, Any]) -> Migration:
    """Rewrite seed-era keys of Helm ``values`` into today's chart's spelling (see the module doc).

    Raises ``ValuesError`` for one thing given in both spellings (naming both keys) and for
    ``scheduler.k8sEnabled: true`` (the K8sScheduler is gone: the daemon schedules)."""
    return _Migrator(values).run()


def normalize_aliases(values: Mapping[str, Any]) -> Obj:
    """The values of :func:`migrate_values`, without the deprecations."""
    return migrate_values(values).values


def _fail(path: str, value: object, expected: str) -> NoReturn:
    from .translate import ValuesError  # translate imports this module

    raise ValuesError(path, value, expected)


def _both(old: str, new: str) -> NoReturn:
    _fail(old, "<both given>", f"either {old!r} (seed-era alias) or {new!r}, not both")


def _renamed_in_place(mapping: Obj, old: str, new: str, value: Any) -> Obj:
    """``mapping`` with key ``old`` replaced by ``new`` (holding ``value``) at the same position."""
    return {(new if k == old else k): (value if k == old else v) for k, v in mapping.items()}


def _yaml_inline(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


class _Migrator:
    def __init__(self, values: Mapping[str, Any]) -> None:
        self.out: Obj = copy_values(dict(values))
        self.notes: dict[str, str] = {}
        #: today's key path -> the path the file wrote it at (for keys that moved).
        self.origin: dict[str, str] = {}

    # -- bookkeeping --
    def note(self, key: str, modern: str) -> None:
        """One line per old key: a later, more complete rewrite of the same key replaces the first."""
        self.notes[key] = modern

    def written(self, path: str) -> str:
        """Where the file wrote today's ``path`` (its old spelling, if it moved)."""
        return Migration(values={}, deprecations=(), moved=tuple(self.origin.items())).written(path)

    def section(self, path: str) -> Obj | None:
        """The mapping at dotted ``path`` of the values, if there is one."""
        node: Any = self.out
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else None

    def run(self) -> Migration:
        self.rename_sections()
        self.dagster_home()
        self.run_launcher()
        self.scheduler()
        self.run_coordinator()
        self.ingress()
        self.env_lists()
        self.webserver_probes()
        self.rabbitmq()
        return Migration(values=self.out, deprecations=tuple(Deprecation(k, m) for k, m in self.notes.items()),
                         moved=tuple(self.origin.items()))

    # -- the steps --
    def rename_sections(self) -> None:
        for old, new in _RENAMED.items():
            if old not in self.out:
                continue
            if new in self.out:
                _both(old, new)
            self.out = _renamed_in_place(self.out, old, new, self.out[old])
            self.origin[new] = old
            self.note(old, new)

    def dagster_home(self) -> None:
        for key in _HOME_KEYS:
            if key not in self.out:
                continue
            global_ = self.out.get("global")
            global_ = {} if global_ is None else global_
            if not isinstance(global_, dict):
                _fail("global", global_, "a mapping")
            if "dagsterHome" in global_:
                _both(key, "global.dagsterHome")
            home = self.out[key]
            moved = {**global_, "dagsterHome": home}
            if "global" in self.out:
                self.out = {k: (moved if k == "global" else v) for k, v in self.out.items() if k != key}
            else:
                self.out = _renamed_in_place(self.out, key, "global", moved)
            self.origin["global.dagsterHome"] = key
            self.note(key, "global.dagsterHome")

    def run_launcher(self) -> None:
        present = [key for key in _LAUNCHER_SECTIONS if key in self.out]
        if not present:
            return
        sections = {key: self.out[key] for key in present}
        run_launcher: Any = self.out.get("runLauncher")
        if run_launcher is None:
            run_launcher = {}
        if not isinstance(run_launcher, dict):
            _fail("runLauncher", run_launcher, "a mapping")
        run_launcher = copy_values(run_launcher)
        chosen: dict[str, bool] = {}
        for key, section in sections.items():
            if section is None:
                continue
            if not isinstance(section, Mapping):
                _fail(key, section, "a mapping such as {enabled: true}")
            target = _LAUNCHER_SECTIONS[key][1]
            config: Any = run_launcher.get("config")
            config = {} if config is None else config
            if not isinstance(config, dict):
                _fail("runLauncher.config", config, "a mapping")
            moved: Any = config.get(target)
            moved = {} if moved is None else moved
            if not isinstance(moved, dict):
                _fail(f"runLauncher.config.{target}", moved, "a mapping")
            for sub, value in section.items():
                if sub == "enabled":
                    if not isinstance(value, bool):
                        _fail(f"{key}.enabled", value, "true or false")
                    chosen[key] = value
                    continue
                modern = f"runLauncher.config.{target}.{sub}"
                if sub in moved:
                    _both(f"{key}.{sub}", modern)
                moved[sub] = value
                self.origin[modern] = f"{key}.{sub}"
                self.note(f"{key}.{sub}", modern)
            if moved:
                config[target] = moved
                run_launcher["config"] = config
        launcher_type = self.launcher_type(chosen, run_launcher)
        if launcher_type is not None:
            run_launcher = {"type": launcher_type, **run_launcher}
            for key in chosen:
                self.note(f"{key}.enabled", f"runLauncher.type: {launcher_type}")
        # runLauncher takes the place of the first old section; the old sections go.
        first = present[0]
        rebuilt: Obj = {}
        for k, v in self.out.items():
            if k == first:
                rebuilt["runLauncher"] = run_launcher
            elif k in present or k == "runLauncher":
                continue
            else:
                rebuilt[k] = v
        if not run_launcher:
            del rebuilt["runLauncher"]
        self.out = rebuilt

    @staticmethod
    def launcher_type(chosen: Mapping[str, bool], run_launcher: Mapping[str, Any]) -> str | None:
        if not chosen:
            return None
        if "type" in run_launcher:
            names = " / ".join(f"{k}.enabled" for k in chosen)
            _fail(names, "<both given>", f"either {names} (seed-era aliases) or runLauncher.type, not both")
        celery, k8s = chosen.get("celery"), chosen.get("k8sRunLauncher")
        if celery and k8s:
            _fail("celery.enabled", True, "false when k8sRunLauncher.enabled is true (one run launcher)")
        if celery is False and k8s is False:
            _fail("k8sRunLauncher.enabled", False, "true when celery.enabled is false (one run launcher)")
        return "CeleryK8sRunLauncher" if (celery or k8s is False) else "K8sRunLauncher"

    def scheduler(self) -> None:
        scheduler = self.section("scheduler")
        if scheduler is None or "k8sEnabled" not in scheduler:
            return
        enabled = scheduler["k8sEnabled"]
        if enabled is True:
            _fail("scheduler.k8sEnabled", True,
                  "false or no key at all: the K8sScheduler (a CronJob per schedule) is gone; the dagster-daemon "
                  "Deployment runs schedules (scheduler.type: DagsterDaemonScheduler, the default)")
        if enabled not in (False, None):
            _fail("scheduler.k8sEnabled", enabled, "false (the daemon schedules)")
        if "type" in scheduler:
            _both("scheduler.k8sEnabled", "scheduler.type")
        scheduler = _renamed_in_place(scheduler, "k8sEnabled", "type", "DagsterDaemonScheduler")
        self.note("scheduler.k8sEnabled", "scheduler.type: DagsterDaemonScheduler")
        for key in _K8S_SCHEDULER_KEYS:
            if key in scheduler:
                del scheduler[key]
                self.note(f"scheduler.{key}", "nothing (remove it): only the K8sScheduler read it")
        self.out["scheduler"] = scheduler

    def run_coordinator(self) -> None:
        daemon = self.section("dagsterDaemon")
        if daemon is None or "queuedRunCoordinator" not in daemon:
            return
        old = daemon["queuedRunCoordinator"]
        old_path = "dagsterDaemon.queuedRunCoordinator"
        if "runCoordinator" in daemon:
            _both(old_path, "dagsterDaemon.runCoordinator")
        if old is None:
            old = {}
        if not isinstance(old, Mapping):
            _fail(old_path, old, "a mapping {enabled, config}")
        unknown = sorted(set(old) - {"enabled", "config", "module", "class"})
        if unknown:
            _fail(f"{old_path}.{unknown[0]}", old[unknown[0]], "one of enabled, config, module, class")
        new: Obj = {}
        if "enabled" in old:
            new["enabled"] = old["enabled"]
            self.origin["dagsterDaemon.runCoordinator.enabled"] = f"{old_path}.enabled"
        module, class_ = old.get("module", _QUEUED_CLASS[0]), old.get("class", _QUEUED_CLASS[1])
        config = old.get("config") or {}
        if not isinstance(config, Mapping):
            _fail(f"{old_path}.config", config, "a mapping of the run coordinator's config")
        if (module, class_) == _QUEUED_CLASS:
            new["type"] = "QueuedRunCoordinator"
            queued: Obj = {}
            for key, value in config.items():
                modern = _QUEUED_CONFIG_KEYS.get(key, key if key in _QUEUED_CONFIG_KEYS.values() else None)
                if modern is None:
                    _fail(f"{old_path}.config.{key}", value,
                          "one of " + ", ".join(_QUEUED_CONFIG_KEYS) + " (the QueuedRunCoordinator's config)")
                if modern in queued:
                    _both(f"{old_path}.config.{key}", f"{old_path}.config.{modern}")
                queued[modern] = value
                self.origin[f"dagsterDaemon.runCoordinator.config.queuedRunCoordinator.{modern}"] = (
                    f"{old_path}.config.{key}")
            if queued:
                new["config"] = {"queuedRunCoordinator": queued}
        else:
            new["type"] = "CustomRunCoordinator"
            new["config"] = {"customRunCoordinator": {"module": module, "class": class_, "config": dict(config)}}
        self.out["dagsterDaemon"] = _renamed_in_place(daemon, "queuedRunCoordinator", "runCoordinator", new)
        self.note(old_path, "dagsterDaemon.runCoordinator: " + _yaml_inline(new))

    def ingress(self) -> None:
        ingress = self.section("ingress")
        if ingress is None:
            return
        for old, new in _INGRESS_RENAMED.items():
            if old not in ingress:
                continue
            if new in ingress:
                _both(f"ingress.{old}", f"ingress.{new}")
            ingress = _renamed_in_place(ingress, old, new, ingress[old])
            self.origin[f"ingress.{new}"] = f"ingress.{old}"
            self.note(f"ingress.{old}", f"ingress.{new}")
        self.out["ingress"] = ingress
        for route in ("dagsterWebserver", "readOnlyDagsterWebserver", "flower"):
            for key in ("precedingPaths", "succeedingPaths"):
                paths = ingress.get(route, {}).get(key) if isinstance(ingress.get(route), dict) else None
                if not isinstance(paths, list):
                    continue
                for i, entry in enumerate(paths):
                    if isinstance(entry, dict) and "pathType" not in entry:
                        paths[i] = {**entry, "pathType": _INGRESS_PATH_TYPE}
                        modern = f"ingress.{route}.{key}[{i}]"
                        self.note(self.written(modern), f"{modern} with pathType: {_INGRESS_PATH_TYPE}")

    def env_lists(self) -> None:
        for path, section in self.pod_sections():
            for key in (*_SNAKE_ENV_KEYS, *_SNAKE_ENV_KEYS.values()):
                if key not in section:
                    continue
                modern_key = _SNAKE_ENV_KEYS.get(key, key)
                if key != modern_key and modern_key in section:
                    _both(self.written(f"{path}.{key}"), self.written(f"{path}.{modern_key}"))
                names = section[key]
                plain = isinstance(names, list) and any(isinstance(n, str) for n in names)
                if key == modern_key and not plain:
                    continue
                if plain:
                    names = [n if isinstance(n, Mapping) else {"name": n} for n in names
                             if not (isinstance(n, str) and n == "")]
                section_items = _renamed_in_place(section, key, modern_key, names)
                section.clear()
                section.update(section_items)
                modern = f"{path}.{modern_key}"
                self.note(self.written(f"{path}.{key}"), f"{modern}: {_yaml_inline(names)}" if plain else modern)

    def pod_sections(self) -> Iterator[tuple[str, Obj]]:
        for path in _POD_SECTIONS:
            section = self.section(path)
            if section is not None:
                yield path, section
        deployments = (self.section("dagster-user-deployments") or {}).get("deployments")
        if isinstance(deployments, list):
            for i, entry in enumerate(deployments):
                if isinstance(entry, dict):
                    yield f"dagster-user-deployments.deployments[{i}]", entry

    def webserver_probes(self) -> None:
        webserver = self.section("dagsterWebserver")
        if webserver is None:
            return
        for probe in _WEBSERVER_PROBES:
            http = webserver.get(probe, {}).get("httpGet") if isinstance(webserver.get(probe), dict) else None
            path = http.get("path") if isinstance(http, dict) else None
            if isinstance(http, dict) and isinstance(path, str) and path.endswith(OLD_HEALTH_PATH):
                http["path"] = path[: -len(OLD_HEALTH_PATH)] + HEALTH_PATH
                modern = f"dagsterWebserver.{probe}.httpGet.path"
                self.note(self.written(modern), f"{modern}: {http['path']}")

    def rabbitmq(self) -> None:
        permissions = (self.section("rabbitmq") or {}).get("volumePermissions")
        if not isinstance(permissions, dict) or permissions.get("enabled") is not False:
            return
        del permissions["enabled"]
        if not permissions:
            del self.out["rabbitmq"]["volumePermissions"]
        self.note("rabbitmq.volumePermissions.enabled",
                  "nothing (remove it): the bundled RabbitMQ is the official image, which needs no "
                  "permission-fixing init container")

