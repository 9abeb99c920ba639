"""Issue #14: ``constructs_lib.testing`` and its pytest plugin, as a user meets them.

User-style test sessions run inline with ``pytester`` on the example chart of
``examples/python/analytics_chart.py``: the plugin catches planted defects and a changed
snapshot fails with a diff. The library's own variants pass the plugin's ``dagster_checks``.
"""

from __future__ import annotations

import glob
import importlib.util
import textwrap
from collections.abc import Callable
from pathlib import Path

import cdk8s
import pytest

from constructs_lib import DagsterChart, ExternalPostgreSql, ExternalPostgreSqlSettings, SecretKeyRef
from constructs_lib.testing import (
    CHECKS,
    DAGSTER_PYTHON_ENV,
    DagsterNotAvailable,
    Externals,
    Finding,
    check,
    check_dagster,
    dagster_check,
    externals_of,
    synth,
    to_yaml,
)
from constructs_lib.testing.plugin import DagsterChecks

from .conftest import ROOT
from .validation.variants import variant_config, variant_objects

EXAMPLES = ROOT / "examples" / "python"
DAGSTER_PYTHON = ROOT / ".venv-dagster" / "bin" / "python"


# ---- synth and to_yaml ------------------------------------------------------------------------
def test_synth_is_in_memory_and_deterministic(tmp_path: Path) -> None:
    app = cdk8s.App(outdir=str(tmp_path / "dist"))
    chart = DagsterChart(app, "dagster", config=variant_config("k8s"))
    first, second = synth(chart), synth(app)
    assert first == second == synth(chart) == variant_objects("k8s")
    assert first is not second and first[0] is not synth(chart)[0]
    assert not (tmp_path / "dist").exists()
    assert synth(first) == first and synth(first) is not first


def test_synth_takes_nested_charts_and_lists_of_charts() -> None:
    """A team's chart with a DagsterChart nested in it gives both charts' objects (a snapshot of
    the team's chart holds all of it); a list of charts gives each chart's, in the list's order."""
    app = cdk8s.App()
    team = cdk8s.Chart(app, "team")
    settings = cdk8s.ApiObject(team, "settings", api_version="v1", kind="ConfigMap",
                               metadata=cdk8s.ApiObjectMetadata(name="team-settings"))
    settings.add_json_patch(cdk8s.JsonPatch.add("/data", {"OWNER": "data-platform"}))
    DagsterChart(team, "dagster", config=variant_config("external"))
    other = DagsterChart(app, "other", config=variant_config("k8s"))
    objects = synth(team)
    assert [o["metadata"]["name"] for o in objects[:1]] == ["team-settings"]
    assert objects[1:] == variant_objects("external")
    assert synth(app) == [*objects, *variant_objects("k8s")]
    assert synth([other, team]) == [*variant_objects("k8s"), *objects]
    assert externals_of(team) == externals_of(app.charts[1]) != Externals()
    assert check(team, kubernetes_versions=()) == []


def test_synth_refuses_a_construct_that_is_no_chart() -> None:
    chart = DagsterChart(cdk8s.App(), "dagster", config=variant_config("k8s"))
    with pytest.raises(TypeError, match="pass the chart that contains it"):
        synth(chart.daemon)  # type: ignore[arg-type]


def test_to_yaml_sorts_keys_whatever_their_order() -> None:
    built_one_way = {"spec": {"b": 1, "a": {"z": "x\ny\n", "c": [{"y": 1, "x": 2}]}}, "metadata": {"name": "n"},
                     "kind": "ConfigMap", "apiVersion": "v1"}
    built_another = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "n"},
                     "spec": {"a": {"c": [{"x": 2, "y": 1}], "z": "x\ny\n"}, "b": 1}}
    assert to_yaml([built_one_way]) == to_yaml([built_another]) == textwrap.dedent("""\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: n
        spec:
          a:
            c:
              - x: 2
                y: 1
            z: |
              x
              y
          b: 1
        """)


# ---- check and check_dagster --------------------------------------------------------------------
def test_externals_come_from_the_charts_configuration() -> None:
    """The ``external`` variant names an existing Secret and external hosts: checked as a chart,
    its configuration declares them; as bare objects, they are findings."""
    chart = DagsterChart(cdk8s.App(), "dagster", config=variant_config("external"))
    assert isinstance(variant_config("external").postgresql, ExternalPostgreSqlSettings)
    assert externals_of(chart).secrets == frozenset({"dagster-db-credentials"})
    assert check(chart, kubernetes_versions=()) == []
    findings = check(synth(chart), kubernetes_versions=())
    assert {(f.check, f.object, f.value) for f in findings} >= {
        ("object references", "Deployment/dagster-daemon", "dagster-db-credentials"),
        ("network endpoints", "ConfigMap/dagster-instance", "dagster-db.postgres.svc.cluster.local:5432")}
    assert check(synth(chart), kubernetes_versions=(), externals=externals_of(chart)) == []


def test_an_external_postgresql_on_its_own_declares_its_host_and_secret() -> None:
    chart = cdk8s.Chart(cdk8s.App(), "parts")
    ExternalPostgreSql(chart, "db", settings=ExternalPostgreSqlSettings(
        host="db.example.com", existing_secret=SecretKeyRef(name="rds", key="password")))
    assert externals_of(chart) == Externals(hosts=frozenset({("db.example.com", 5432)}), secrets=frozenset({"rds"}),
                                            secret_keys=frozenset({("rds", "password")}))


def test_a_finding_names_object_field_and_value() -> None:
    objects = variant_objects("k8s")
    daemon = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "dagster-daemon")
    daemon["spec"]["selector"]["matchLabels"]["component"] = "daemon"
    [finding] = check(objects, skip=("kubernetes schema",))
    assert isinstance(finding, Finding)
    assert (finding.check, finding.object, finding.field, finding.value) == (
        "workload selectors", "Deployment/dagster-daemon", "spec.selector", daemon["spec"]["selector"])
    assert str(finding).startswith("Deployment/dagster-daemon: selector {'matchLabels': ")
    with pytest.raises(ValueError, match="unknown checks \\['typo'\\]"):
        check(objects, skip=("typo",))
    assert len(CHECKS) == 9


def test_check_dagster_without_dagster_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DAGSTER_PYTHON_ENV, raising=False)
    with pytest.raises(DagsterNotAvailable, match=r"pip install dagster dagster-k8s .*`dagster_python = <path>`"):
        check_dagster(variant_objects("k8s"))
    with pytest.raises(FileNotFoundError, match="the Python configured to run Dagster's config checks"):
        check_dagster(variant_objects("k8s"), python=tmp_path / "no-python")


def test_check_dagster_runs_in_this_process_when_dagster_is_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Python configured and Dagster importable: the checker's functions run in this process
    on the files the ConfigMaps carry (Dagster itself is faked: it lives in .venv-dagster only)."""
    monkeypatch.delenv(DAGSTER_PYTHON_ENV, raising=False)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "dagster" else
                        find_spec(name, *a))
    seen: dict[str, str] = {}

    def fake_check(kind: str) -> Callable[[str], dagster_check.Result]:
        def run(path: str) -> dagster_check.Result:
            seen[kind] = Path(path).read_text()
            return dagster_check.Result(path, kind, errors=[f"{kind}: planted"] if kind == "instance" else [])
        return run

    for kind in ("instance", "workspace", "celery"):
        monkeypatch.setitem(dagster_check.CHECKS, kind, fake_check(kind))
    objects = variant_objects("celery-rabbitmq")
    [finding] = check_dagster(objects)
    assert (str(finding), finding.check, finding.object, finding.field) == (
        "ConfigMap/dagster-instance[dagster.yaml]: instance: planted", "dagster", "ConfigMap/dagster-instance",
        "data[dagster.yaml]")
    config_maps = {o["metadata"]["name"]: o["data"] for o in objects if o["kind"] == "ConfigMap"}
    assert seen == {"instance": config_maps["dagster-instance"]["dagster.yaml"],
                    "workspace": config_maps["dagster-workspace-yaml"]["workspace.yaml"],
                    "celery": config_maps["dagster-celery-dagster"]["celery.yaml"]}


# ---- our own variants through the plugin -----------------------------------------------------
def test_variant_passes_the_plugins_checks(variant: str, dagster_checks: DagsterChecks) -> None:
    """Every variant passes ``dagster_checks``: cross references, strict schemas of both
    Kubernetes versions, and (the default variant; test_validate_dagster.py checks every
    variant's files in one process) Dagster's own validators (``dagster_python`` in pyproject.toml)."""
    assert dagster_checks.python == DAGSTER_PYTHON
    chart = DagsterChart(cdk8s.App(), "dagster", config=variant_config(variant))
    assert dagster_checks(chart, dagster=variant == "celery-rabbitmq") == variant_objects(variant)


# ---- a user's session -------------------------------------------------------------------------
USER_TESTS = '''
import cdk8s
from analytics_chart import build

OFFICE = "analytics-dagster-webserver-office"


def chart():
    return build(cdk8s.App(), pg_password="test-only-password")


def api_object(chart, kind, name):
    return next(c for c in chart.node.find_all()
                if isinstance(c, cdk8s.ApiObject) and c.kind == kind and c.name == name)


def test_clean(dagster_checks):
    dagster_checks(chart(), dagster=False)


def test_selector_that_matches_nothing(dagster_checks):
    c = chart()
    api_object(c, "Service", OFFICE).add_json_patch(cdk8s.JsonPatch.replace("/spec/selector/component", "webserver"))
    dagster_checks(c, dagster=False)


def test_secret_key_that_does_not_exist(dagster_checks):
    c = chart()
    api_object(c, "CronJob", "analytics-db-backup").add_json_patch(cdk8s.JsonPatch.replace(
        "/spec/jobTemplate/spec/template/spec/containers/0/env/1/valueFrom/secretKeyRef/key", "password"))
    dagster_checks(c, dagster=False)


def test_missing_env_the_instance_reads(dagster_checks):
    c = chart()
    daemon = [o for o in cdk8s.Testing.synth(c) if o["metadata"]["name"] == "analytics-dagster-daemon"][0]
    env = daemon["spec"]["template"]["spec"]["containers"][0]["env"]
    index = [e["name"] for e in env].index("DAGSTER_PG_PASSWORD")
    api_object(c, "Deployment", "analytics-dagster-daemon").add_json_patch(
        cdk8s.JsonPatch.remove(f"/spec/template/spec/containers/0/env/{index}"))
    dagster_checks(c, dagster=False)


def test_field_invalid_for_kubernetes_1_25(dagster_checks):
    c = chart()
    api_object(c, "CronJob", "analytics-db-backup").add_json_patch(cdk8s.JsonPatch.add(
        "/spec/jobTemplate/spec/template/spec/resources", {"limits": {"cpu": "1"}}))
    dagster_checks(c, dagster=False)
'''


def literal(line: str) -> str:
    """``line`` as an fnmatch pattern matching only itself."""
    return glob.escape(line)


@pytest.fixture
def user_session(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user's project: the example chart importable, the plugin loaded by its entry point."""
    pytester.syspathinsert(EXAMPLES)
    return pytester


def test_the_plugin_catches_planted_defects(user_session: pytest.Pytester) -> None:
    user_session.makepyfile(test_user_chart=USER_TESTS)
    result = user_session.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=4)
    office = "Service/analytics-dagster-webserver-office"
    backup = "CronJob/analytics-db-backup"
    result.stdout.fnmatch_lines([
        "*test_selector_that_matches_nothing*",
        "dagster_checks: 1 finding(s) in * objects",
        f"[[]service selectors and ports] {office}: selector *'component': 'webserver'* selects 0 workloads "
        "(none), expected exactly one",
        f"    object: {office}  field: spec.selector  value: *'component': 'webserver'*",
        "*test_secret_key_that_does_not_exist*",
        "dagster_checks: 1 finding(s) in * objects",
        literal(f"[object references] {backup} container 'pg-dump': env PGPASSWORD reads key 'password' of Secret "
                "'analytics-dagster-postgresql-secret', which has no such key (keys: ['postgresql-password'])"),
        literal(f"    object: {backup}  field: spec.jobTemplate.spec.template.spec.containers[0].env[1].valueFrom."
                "secretKeyRef.key  value: 'password'"),
        "*test_missing_env_the_instance_reads*",
        "dagster_checks: 1 finding(s) in * objects",
        literal("[env of mounted config] Deployment/analytics-dagster-daemon container 'dagster': "
                "ConfigMap/analytics-dagster-instance[dagster.yaml] reads env DAGSTER_PG_PASSWORD, which the "
                "container does not set"),
        literal("    object: Deployment/analytics-dagster-daemon  field: spec.template.spec.containers[0].env  "
                "value: 'DAGSTER_PG_PASSWORD'"),
        "*test_field_invalid_for_kubernetes_1_25*",
        "dagster_checks: 1 finding(s) in * objects",
        literal(f"[kubernetes schema] {backup} (Kubernetes 1.25.0): spec.jobTemplate.spec.template.spec: "
                "Additional properties are not allowed ('resources' was unexpected)"),
        f"    object: {backup}  field: spec.jobTemplate.spec.template.spec  value: *'resources': *",
    ])
    assert "Kubernetes 1.37.0" not in result.stdout.str()


def test_dagster_checks_skip_with_a_reason_without_dagster(user_session: pytest.Pytester,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DAGSTER_PYTHON_ENV, raising=False)
    user_session.makepyfile(test_user_chart='''
        import cdk8s
        from analytics_chart import build

        def test_chart(dagster_checks):
            dagster_checks(build(cdk8s.App(), pg_password="test-only-password"))
    ''')
    result = user_session.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * the Kubernetes checks passed; Dagster is not installed in this "
                                 "environment, so Dagster's own config checks did not run. Install *"])


def test_dagster_checks_run_dagster_in_the_configured_python(user_session: pytest.Pytester) -> None:
    """``dagster_python`` set: a dagster.yaml patched with a typo fails with Dagster's own
    message (the clean chart passes them: examples/python/test_analytics_chart.py)."""
    user_session.makepyfile(test_user_chart='''
        import cdk8s, yaml
        from analytics_chart import build

        def test_instance_typo(dagster_checks):
            chart = build(cdk8s.App(), pg_password="test-only-password")
            instance = next(c for c in chart.node.find_all()
                            if isinstance(c, cdk8s.ApiObject) and c.name == "analytics-dagster-instance")
            [config_map] = [o for o in cdk8s.Testing.synth(chart) if o["metadata"]["name"] == instance.name]
            config = yaml.safe_load(config_map["data"]["dagster.yaml"])
            config["run_launcher"]["config"]["job_namespce"] = config["run_launcher"]["config"].pop("job_namespace")
            instance.add_json_patch(cdk8s.JsonPatch.replace("/data/dagster.yaml", yaml.safe_dump(config)))
            dagster_checks(chart)
    ''')
    result = user_session.runpytest("-p", "no:cacheprovider", "-o", f"dagster_python={DAGSTER_PYTHON}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        literal("[dagster] ConfigMap/analytics-dagster-instance[dagster.yaml]: run_launcher: "
                'dagster_k8s.K8sRunLauncher: Received unexpected config entry "job_namespce" at the root.') + "*",
        "    object: ConfigMap/analytics-dagster-instance  field: data[[]dagster.yaml]  value: *"])


def test_a_changed_chart_fails_its_snapshot_with_a_diff(user_session: pytest.Pytester,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    user_session.makepyfile(test_user_chart='''
        import os
        import cdk8s
        from analytics_chart import build

        def test_chart(dagster_snapshot):
            chart = build(cdk8s.App(), pg_password="test-only-password")
            if os.environ.get("PLANT_NODE_PORT"):
                office = next(c for c in chart.node.find_all() if isinstance(c, cdk8s.ApiObject)
                              and c.name == "analytics-dagster-webserver-office")
                office.add_json_patch(cdk8s.JsonPatch.replace("/spec/ports/0/nodePort", 30081))
            assert chart == dagster_snapshot
    ''')
    monkeypatch.delenv("PLANT_NODE_PORT", raising=False)
    user_session.runpytest("-p", "no:cacheprovider", "--snapshot-update").assert_outcomes(passed=1)
    [stored] = (user_session.path / "__snapshots__" / "test_user_chart").glob("*.yaml")
    assert stored.name == "test_chart.yaml"
    text = stored.read_text()
    assert text.startswith("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n") and "nodePort: 30080\n" in text
    user_session.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)

    monkeypatch.setenv("PLANT_NODE_PORT", "1")
    result = user_session.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*- *nodePort: 30080*", "*+ *nodePort: 30081*", "*1 snapshot failed*"])
    assert stored.read_text() == text


# ---- the plugin costs nothing in a session that does not use it -----------------------------------------
def test_the_plugin_starts_no_node_in_a_session_that_uses_none_of_it(pytester: pytest.Pytester) -> None:
    """The ``pytest11`` entry point loads in every pytest session of every user who installed the
    library: it imports neither constructs_lib nor cdk8s/jsii (which start Node) until a test uses
    ``dagster_checks`` or ``dagster_snapshot``."""
    pytester.makepyfile(test_plain=textwrap.dedent("""
        import sys

        def test_plain(request):
            assert request.config.pluginmanager.has_plugin("dagster_cdk8s")
            loaded = [m for m in ("constructs_lib", "cdk8s", "jsii") if m in sys.modules]
            assert loaded == [], loaded

        def test_fixture_available(dagster_snapshot):
            import sys
            assert "constructs_lib" in sys.modules  # loaded now, on use
    """))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2)


def test_the_node_banner_stays_out_of_a_session_whatever_the_import_order(pytester: pytest.Pytester,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A test module that imports cdk8s before constructs_lib: the plugin set the variables when
    the session started. Without the plugin the same session prints jsii's banner (this machine's
    Node is one jsii no longer supports), so the check can fail."""
    from constructs_lib._quiet import DEPRECATED_VARIABLE, VARIABLE

    monkeypatch.delenv(VARIABLE, raising=False)  # set in this process (and by the Makefile): not inherited
    monkeypatch.delenv(DEPRECATED_VARIABLE, raising=False)
    pytester.makepyfile(test_order="import cdk8s\n\nimport constructs_lib\n\n\ndef test_app():\n    cdk8s.App()\n")
    quiet = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "-s")
    quiet.assert_outcomes(passed=1)
    assert "!!!!!!" not in quiet.stderr.str() + quiet.stdout.str()
    loud = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:dagster_cdk8s", "-q", "-s")
    loud.assert_outcomes(passed=1)
    assert "!!!!!!" in loud.stderr.str() + loud.stdout.str()
