"""Property-based fuzzing of the whole input path (hypothesis): values built from the values
model's own key paths, and raw YAML (random documents and byte-level mutations of real values
files). For every input, ``main.py`` either fails cleanly (exit 2, one short message, no
traceback) or writes output that passes the API-server checks and the strict Kubernetes schema (apiserver.py);
either way within the time and memory bounds of ``front_door.py``. Deterministic (derandomized)
and bounded: :data:`EXAMPLES` cases in all; the fixed corpus of the issue's cases is in
``test_front_door.py`` and ``test_apiserver.py``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constructs_lib.apiserver import object_problems, schema_problems
from constructs_lib.helm.schema import SCHEMA_PATH

from .front_door import Outcome, assert_bounded, assert_clean_error, run_cli

#: Cases per property (values model, raw YAML, mutated files): 150 in all, about a minute on the
#: 2-core CI machine (most inputs fail fast; each accepted one is synthesized and validated).
EXAMPLES = {"model": 60, "yaml": 50, "mutations": 40}
PW = ["--set-string", "postgresql.postgresqlPassword=pw,rabbitmq.rabbitmq.password=mq"]
def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _key_paths() -> list[tuple[list[str], dict[str, Any]]]:
    """Every key path of the values model (``dagsterWebserver.readinessProbe`` ...) with its schema."""
    schema = json.loads(SCHEMA_PATH.read_text())
    defs = schema["$defs"]
    out: list[tuple[list[str], dict[str, Any]]] = []

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        for union in ("anyOf", "oneOf"):
            for option in node.get(union, []):
                option = resolve(option)
                if "properties" in option:
                    return option
        return node

    def walk(path: list[str], node: dict[str, Any], depth: int) -> None:
        node = resolve(node)
        out.append((path, node))
        if depth < 6:
            for key, child in (node.get("properties") or {}).items():
                walk([*path, key], child, depth + 1)

    walk([], schema, 0)
    return [(p, n) for p, n in out if p]


KEY_PATHS = _key_paths()

# Leaves: what users write, what they mistype, and what attackers send.
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
_k8s_words = st.sampled_from(["", "a", "x-y", "Bad_Name", "データ", "100m", "1Gi", "lots", "-1", "true", "false",
                              "null", "0", "/path", "nodeAffinity", "httpGet", "IfNotPresent", "dagster",
                              "K8sRunLauncher", "CeleryK8sRunLauncher", "a" * 70, "a" * 300])
_scalars = st.one_of(
    st.none(), st.booleans(), _text, _k8s_words,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 65535, 65536, 2**31 - 1, 2**31, 2**63, 10**23]),
    st.floats(allow_nan=False, allow_infinity=False),
)
_json = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.one_of(_k8s_words, _text), children, max_size=4)),
    max_leaves=12,
)
# Kubernetes-shaped blocks for the passthrough keys (probes, affinity, resources ...).
_k8s_blocks = st.fixed_dictionaries({}, optional={
    "httpGet": st.one_of(_scalars, st.fixed_dictionaries({"port": _scalars}, optional={"path": _text})),
    "periodSeconds": _scalars, "limits": st.dictionaries(st.sampled_from(["cpu", "memory"]), _scalars, max_size=2),
    "nodeAffinity": _json, "runAsUser": _scalars, "runAsUsr": _scalars, "enabled": _scalars,
})


@st.composite
def values_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A values mapping setting a few model keys to valid-looking or hostile values."""
    values: dict[str, Any] = {}
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path, node = draw(st.sampled_from(KEY_PATHS))
        kind = node.get("type")
        leaf = draw(st.one_of(_scalars, _json, _k8s_blocks) if kind in (None, "object", "array")
                    else st.one_of(_scalars, _scalars, _json))
        target = values
        for key in path[:-1]:
            child = target.get(key)
            target = target.setdefault(key, {}) if not isinstance(child, dict) else child
            if not isinstance(target, dict):
                break
        else:
            target[path[-1]] = leaf
    return values


def _run_values_file(data: bytes) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "values.yaml"
        path.write_bytes(data)
        outcome = run_cli("--outdir", tmp, "-f", str(path), *PW)
        if outcome.code == 0:
            _assert_valid_output(Path(tmp) / "dagster.k8s.yaml")
        return outcome


def _objects(path: Path) -> Iterator[dict[str, Any]]:
    yield from (o for o in yaml.safe_load_all(path.read_text()) if o)


def _assert_valid_output(path: Path) -> None:
    for obj in _objects(path):
        assert object_problems(obj) == [], (obj["kind"], obj["metadata"]["name"], object_problems(obj)[:3])
        assert schema_problems(obj) == [], (obj["kind"], obj["metadata"]["name"], schema_problems(obj)[:3])


def _assert_clean_outcome(outcome: Outcome, data: bytes) -> None:
    """Accepted within bounds, or a clean error in the user's words (none of the library's names)."""
    if outcome.code == 0:
        assert_bounded(outcome)
    else:
        assert_clean_error(outcome, user_input=data.decode("utf-8", "replace"))


@fuzz(EXAMPLES["model"])
@given(values_documents())
def test_fuzz_values_model(values: dict[str, Any]) -> None:
    data = yaml.safe_dump(values, allow_unicode=True).encode()
    _assert_clean_outcome(_run_values_file(data), data)


# Raw YAML: documents assembled from YAML's syntax, anchors and aliases included.
_yaml_tokens = st.sampled_from([
    "dagsterWebserver:", "  replicaCount: ", "  labels:", "    a: ", "flower:", "  enabled: ", "&a ", "*a", "<<: *a",
    "- ", "[", "]", "{", "}", ", ", ": ", "'", '"', "!!binary ", "!!str ", "? ", "---", "...", "#", "\t", "\\",
    "\n", "\n  ", "\n    ", "true", "'false'", "0x1F", "1e23", ".inf", "~", "2024-06-01", "データ", "\x00", "\ufeff",
    "additionalInstanceConfig:", "affinity: {nodeAffinity: ", "resources: {limits: {cpu: ",
])


@fuzz(EXAMPLES["yaml"])
@given(st.lists(_yaml_tokens | _text, min_size=1, max_size=40).map("".join))
def test_fuzz_raw_yaml(document: str) -> None:
    data = document.encode("utf-8", "surrogatepass")
    _assert_clean_outcome(_run_values_file(data), data)


_SEED_FILE = (Path(__file__).resolve().parent.parent / "examples" / "values" / "celery-rabbitmq.yaml").read_bytes()


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    """A real values file with a few bytes replaced, inserted or deleted."""
    data = bytearray(_SEED_FILE)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        op = draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = draw(st.one_of(st.integers(min_value=0, max_value=255), st.sampled_from(list(b":-[]{}&*!'\"\n #"))))
        if op == "replace" and data:
            data[at] = byte
        elif op == "insert":
            data.insert(at, byte)
        elif data:
            del data[at]
    return bytes(data)


@fuzz(EXAMPLES["mutations"])
@given(mutated_files())
def test_fuzz_mutated_values_files(data: bytes) -> None:
    _assert_clean_outcome(_run_values_file(data), data)
