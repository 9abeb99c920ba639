"""The values schema as an editor aid: every property described in our words, an ``$id``, the
``yaml-language-server`` modeline in the README, and the schema accepts what synth -f accepts."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from constructs_lib.helm.descriptions import COMMON, DESCRIPTIONS
from constructs_lib.helm.schema import SCHEMA_ID, SCHEMA_PATH, values_json_schema

ROOT = Path(__file__).resolve().parent.parent


def _properties(node: Any, where: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every property anywhere in the schema: (definition, key, its schema)."""
    if isinstance(node, dict):
        for key, prop in (node.get("properties") or {}).items():
            yield where, key, prop
        for key, child in node.items():
            if key == "$defs":
                for name, definition in child.items():
                    yield from _properties(definition, name)
            elif key != "properties":
                yield from _properties(child, where)
            else:
                for prop in child.values():
                    yield from _properties(prop, where)
    elif isinstance(node, list):
        for child in node:
            yield from _properties(child, where)


def test_every_property_has_a_description() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    props = list(_properties(schema, "<root>"))
    assert len(props) > 300
    missing = sorted(f"{where}.{key}" for where, key, prop in props if not str(prop.get("description", "")).strip())
    assert missing == [], ("properties without a description; add them to constructs_lib/helm/descriptions.py "
                           "(DESCRIPTIONS['Definition.key']) and run `make schema`:\n" + "\n".join(missing))


def test_descriptions_name_the_default_from_the_model() -> None:
    schema = values_json_schema()
    replicas = schema["$defs"]["Webserver"]["properties"]["replicaCount"]
    assert replicas["description"].endswith("Default: 1.")
    size = schema["$defs"]["BundledPersistence"]["properties"]["size"]
    assert "`Persistence.size`" in size["description"] and size["description"].endswith('Default: "8Gi".')


def test_no_description_is_stale() -> None:
    """Each DESCRIPTIONS entry names a property of the schema, and each COMMON key is used."""
    props = {(where, key) for where, key, _ in _properties(values_json_schema(), "<root>")}
    stale = sorted(k for k in DESCRIPTIONS if tuple(k.split(".", 1)) not in props)
    unused = sorted(k for k in COMMON if not any(key == k for _, key in props))
    assert stale == [] and unused == []


def test_the_schema_has_an_id() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["$id"] == SCHEMA_ID and re.match(r"^[a-z][a-z0-9+.-]*:", SCHEMA_ID)


def test_the_readme_shows_the_modeline() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "# yaml-language-server: $schema=values.schema.json" in readme
    assert "dagster-cdk8s schema > values.schema.json" in readme
    assert SCHEMA_ID in readme


@functools.cache
def _editor() -> jsonschema.Draft202012Validator:
    """What a yaml-language-server client does with the committed schema."""
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", sorted((ROOT / "examples" / "values").glob("*.yaml"))
                         + sorted((ROOT / "tests" / "values_matrix").glob("*.yaml")), ids=lambda p: p.name)
def test_an_editor_accepts_the_values_synth_accepts(path: Path) -> None:
    """What an editor checks with the schema agrees with synth -f on every shipped and matrix values file."""
    _editor().validate(yaml.safe_load(path.read_text()) or {})


def test_an_editor_flags_an_unknown_key() -> None:
    with pytest.raises(jsonschema.ValidationError, match="replicaCont"):
        _editor().validate({"dagsterWebserver": {"replicaCont": 2}})
