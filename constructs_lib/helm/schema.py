"""The JSON schema of the Helm values this library accepts, generated from the typed model.

``make schema`` rewrites ``values.schema.json`` beside this file; a test keeps it current.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .values import HelmValues

SCHEMA_PATH = Path(__file__).with_name("values.schema.json")


def values_json_schema() -> dict[str, Any]:
    schema = HelmValues.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Values of the official dagster/dagster Helm chart 1.9.x accepted by dagster-cdk8s"
    return schema


def render() -> str:
    return json.dumps(values_json_schema(), indent=2, sort_keys=True) + "\n"


def write() -> Path:
    """Rewrite the committed schema (``make schema``)."""
    SCHEMA_PATH.write_text(render())
    return SCHEMA_PATH
