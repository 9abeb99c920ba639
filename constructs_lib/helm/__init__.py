"""Drop-in for the official Dagster Helm chart: its values files, ``--values`` and ``--set``."""

from .schema import values_json_schema
from .seed_era import Deprecation, Migration, migrate_values
from .strvals import merge_values, parse_set
from .translate import ValuesError, from_helm_values, load_values, normalize_aliases, synthesis_error
from .values import HelmValues

__all__ = [
    "Deprecation",
    "HelmValues",
    "Migration",
    "ValuesError",
    "from_helm_values",
    "load_values",
    "merge_values",
    "migrate_values",
    "normalize_aliases",
    "parse_set",
    "synthesis_error",
    "values_json_schema",
]
