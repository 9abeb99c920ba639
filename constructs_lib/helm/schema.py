"""The JSON schema of the Helm values this library accepts, generated from the typed model.

``make schema`` rewrites ``values.schema.json`` beside this file; a test keeps it current.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .descriptions import description
from .values import HelmValues

SCHEMA_PATH = Path(__file__).with_name("values.schema.json")


#: The schema's identity (``$id``). A URN, not a URL: the schema ships inside the package and is
#: printed by ``dagster-cdk8s schema``; an editor loads it from the file a ``yaml-language-server``
#: modeline names (README, "Coming from the Helm chart").
SCHEMA_ID = "urn:dagster-cdk8s:helm-values:chart-1.9"


def values_json_schema() -> dict[str, Any]:
    schema = HelmValues.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "Values of the official dagster/dagster Helm chart 1.9.x accepted by dagster-cdk8s"
    for definition, node in [("<root>", schema), *schema.get("$defs", {}).items()]:
        for key, prop in (node.get("properties") or {}).items():
            _describe(prop, description(definition, key))
    return schema


def _describe(prop: dict[str, Any], text: str | None) -> None:
    """Give a property our description (and its default, from the model); drop pydantic's generated title."""
    prop.pop("title", None)
    if text is None:
        return  # tests/test_values_schema.py fails on it
    if "default" in prop and prop["default"] not in (None, "", {}, []):
        text += f" Default: {json.dumps(prop['default'], sort_keys=True)}."
    prop["description"] = text


def render() -> str:
    return json.dumps(values_json_schema(), indent=2, sort_keys=True) + "\n"


def write() -> Path:
    """Rewrite the committed schema (``make schema``)."""
    SCHEMA_PATH.write_text(render())
    return SCHEMA_PATH
