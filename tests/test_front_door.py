"""The front door: every bad input of issue 11's "Why" is one short error line, exit 2, no
traceback, in bounded time and memory; the limits themselves are unit-tested."""

from __future__ import annotations

from pathlib import Path

import pytest

from constructs_lib import ConfigError
from constructs_lib.errors import short
from constructs_lib.helm import from_helm_values, load_values
from constructs_lib.helm.yaml_input import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, check_tree, load_yaml

from .front_door import assert_clean_error, run_cli, write

PW = ["--set-string", "postgresql.postgresqlPassword=pw"]


def bomb(levels: int = 9, where: str = "additionalInstanceConfig: {x: %s}") -> str:
    """The billion-laughs document: each anchor lists the previous one nine times."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n" + where % f"*l{levels - 1}" + "\n"


# ---- the fixed corpus: the cases of the issue, through the CLI ------------------------------------------
FILES: list[tuple[str, bytes | str, str]] = [
    ("not UTF-8", b"dagsterWebserver:\n  replicaCount: 1\n  labels: {team: \xff\xfe}\n", "not UTF-8 text (byte 0xff"),
    ("Latin-1 accent", "nameOverride: caf\u00e9\n".encode("latin-1"), "not UTF-8 text"),
    ("nesting 5,000 deep", "additionalInstanceConfig: " + "[" * 5000 + "]" * 5000 + "\n", "nest"),
    ("nesting 200 deep (block maps)", "additionalInstanceConfig:\n" + "".join(
        "  " * (i + 1) + f"k{i}:\n" for i in range(200)) + "  " * 201 + "x: 1\n", f"deeper than {MAX_DEPTH}"),
    ("alias bomb under additionalInstanceConfig", bomb(), "expands to more than"),
    ("alias bomb under affinity", bomb(where="dagsterWebserver: {affinity: {nodeAffinity: %s}}"),
     "expands to more than"),
    ("duplicate keys", "flower:\n  enabled: true\nflower:\n  enabled: false\n",
     "line 3: duplicate key 'flower' (first at line 1)"),
    ("nested duplicate keys", "dagsterWebserver:\n  replicaCount: 1\n  replicaCount: 2\n",
     "duplicate key 'replicaCount'"),
    ("a string 'false' for a boolean", "flower:\n  enabled: 'false'\n", "flower.enabled"),
    ("a boolean for an integer", "dagsterWebserver:\n  replicaCount: true\n", "dagsterWebserver.replicaCount"),
    ("a non-string key", "dagsterWebserver:\n  1: x\n", "key 1 is not a string"),
    ("an unsupported tag", "nameOverride: !!binary aGVsbG8=\n", "unsupported YAML tag"),
    ("infinity", "dagsterWebserver:\n  replicaCount: .inf\n", "not a number JSON can hold"),
    ("two documents", "a: 1\n---\nb: 2\n", "invalid YAML"),
    ("broken YAML", "a: [1, 2\n", "invalid YAML: line"),
    ("a list at the top", "- a\n", "a YAML mapping"),
]


@pytest.mark.parametrize(("case", "data", "message"), FILES, ids=[c[0] for c in FILES])
def test_bad_values_files(case: str, data: bytes | str, message: str, tmp_path: Path) -> None:
    outcome = run_cli("--outdir", str(tmp_path), "-f", write(tmp_path, "values.yaml", data), *PW)
    assert_clean_error(outcome, contains=message)
    assert not (tmp_path / "dagster.k8s.yaml").exists()


SETS: list[tuple[str, list[str], str]] = [
    ("index far past Helm's cap", ["--set", "dagster-user-deployments.deployments[99999999].name=x"],
     "a list index <= 65536 (as Helm), not [99999999]"),
    ("index past Helm's cap", ["--set", "dagster-user-deployments.deployments[70000].name=x"], "<= 65536"),
    ("index at Helm's cap", ["--set", "dagster-user-deployments.deployments[65536].name=x"], "deployments[0]"),
    ("a 30-digit index", ["--set", "a[" + "9" * 30 + "]=1"], "<= 65536"),
    ("a string 'false' for a boolean", ["--set-string", "flower.enabled=false"], "flower.enabled"),
    ("an empty release", ["--release", ""], "--release: invalid value ''"),
    ("an empty namespace", ["--namespace", ""], "namespace"),
    ("a 100,000-character value", ["--set", "nameOverride=" + "x" * 100_000], "(100,002 characters)"),
    ("a password in an error", ["--set", "postgresql.postgresqlPassword={s3cr3t}"], "<redacted>"),
    ("a deep --set key", ["--set", ".".join(["k"] * 300) + "=1"], f"deeper than {MAX_DEPTH}"),
]


@pytest.mark.parametrize(("case", "args", "message"), SETS, ids=[c[0] for c in SETS])
def test_bad_command_lines(case: str, args: list[str], message: str, tmp_path: Path) -> None:
    outcome = run_cli("--outdir", str(tmp_path), *PW, *args)
    assert_clean_error(outcome, contains=message)
    assert "s3cr3t" not in outcome.stderr


def test_a_good_file_still_loads(tmp_path: Path) -> None:
    data = ("dagsterWebserver:\n  replicaCount: 2\n  image: {repository: r.example.com/d, tag: 2024-06-01}\n"
            "base: &base {cpu: 100m}\nflower: {enabled: false}\n")
    values = load_values([write(tmp_path, "v.yaml", data)])
    assert values["dagsterWebserver"]["image"]["tag"] == "2024-06-01"  # a string, as Helm reads it
    assert values["base"] == {"cpu": "100m"}


# ---- the limits, one by one ----------------------------------------------------------------------------
def test_size_limit() -> None:
    with pytest.raises(ConfigError, match=r"too large \(5,242,881 bytes\); at most 5,242,880 bytes"):
        load_yaml(b"#" * (MAX_FILE_BYTES + 1), "big.yaml")
    assert load_yaml(b"a: 1\n" + b"#" * (MAX_FILE_BYTES - 10), "ok.yaml") == {"a": 1}


def test_node_limit_counts_alias_expansions() -> None:
    assert load_yaml(bomb(levels=5)) is not None  # 9**5 = 59,049 values: fine
    with pytest.raises(ConfigError, match=f"expands to more than {MAX_NODES:,} values"):
        load_yaml(bomb(levels=6))


def test_a_merge_key_is_not_a_duplicate() -> None:
    assert load_yaml("a: &a {x: 1, y: 2}\nb:\n  <<: *a\n  y: 3\n") == {"a": {"x": 1, "y": 2}, "b": {"x": 1, "y": 3}}


def test_recursive_alias() -> None:
    with pytest.raises(ConfigError):
        load_yaml("a: &a [*a]\n")


def test_check_tree_guards_python_callers() -> None:
    deep: dict[str, object] = {}
    node = deep
    for _ in range(MAX_DEPTH + 5):
        node["k"] = {}
        node = node["k"]  # type: ignore[assignment]
    with pytest.raises(ConfigError, match="nested deeper"):
        from_helm_values({"additionalInstanceConfig": deep})
    with pytest.raises(ConfigError, match="not a JSON value"):
        check_tree({"a": {1, 2}}, "values")


def test_short_quotes_at_most_100_characters() -> None:
    assert short("x" * 10) == repr("x" * 10)
    assert short("x" * 1000) == repr("x" * 1000)[:100] + "... (1,002 characters)"
    error = ConfigError("rabbitmq.rabbitmq.password", "hunter2", "a string")
    assert "hunter2" not in str(error) and "<redacted>" in str(error)
