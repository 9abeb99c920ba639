"""Construction-time validation.

Every user mistake surfaces as a :class:`ConfigError` raised while the construct is being
built, naming the field, the value and what would have been valid. Nothing reaches jsii or
the API server unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "ConfigError",
    "check_dns1123_label",
    "check_dns1123_subdomain",
    "check_env_name",
    "check_non_empty",
    "check_non_negative_int",
    "check_one_of",
    "check_port",
    "check_positive_int",
    "check_unique",
    "is_secret_field",
    "short",
]

#: How many characters of a value an error message quotes at most.
QUOTE_LIMIT = 100
_SECRET_FIELD = re.compile(r"(?i)(passw|secret_?key|token|access_?key|credentials?$|(broker|backend)_?url)")


def short(value: object, *, quote: bool = True, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` (or ``str`` with ``quote=False``) cut to ``limit`` characters, saying how
    long it was: error messages stay one short line whatever the input."""
    text = repr(value) if quote else str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def is_secret_field(field: str) -> bool:
    """Whether the field's last segment names a secret (a password, key or token)."""
    last = re.split(r"[.\[\]]", field.rstrip("]"))[-1] if field else ""
    return bool(_SECRET_FIELD.search(last))


class ConfigError(ValueError):
    """A construct was given a value it cannot deploy.

    Attributes:
        field: dotted path of the offending prop (``"CeleryWorkerPool.queues[1].name"``).
        value: the value that was given.
        expected: what would have been valid.
    """

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        shown = repr("<redacted>") if value is not None and is_secret_field(field) else short(value)
        super().__init__(f"{short(field, quote=False)}: invalid value {shown}; expected {expected}")


_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


def check_dns1123_label(field: str, value: object, *, max_length: int = 63) -> str:
    """A Kubernetes DNS-1123 label: lower-case alphanumerics and '-', at most 63 chars."""
    expected = (
        f"a DNS-1123 label: lower-case letters, digits and '-', starting and ending with "
        f"an alphanumeric, at most {max_length} characters"
    )
    if not isinstance(value, str) or len(value) > max_length or not _DNS1123_LABEL.match(value):
        raise ConfigError(field, value, expected)
    return value


def check_dns1123_subdomain(field: str, value: object) -> str:
    """A Kubernetes object name (DNS-1123 subdomain), at most 253 characters."""
    expected = (
        "a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and "
        "ending with an alphanumeric, at most 253 characters"
    )
    if not isinstance(value, str) or len(value) > 253 or not _DNS1123_SUBDOMAIN.match(value):
        raise ConfigError(field, value, expected)
    return value


def check_env_name(field: str, value: object) -> str:
    """An environment variable name Kubernetes accepts."""
    if not isinstance(value, str) or not _ENV_NAME.match(value):
        raise ConfigError(
            field, value, "an environment variable name matching [-._a-zA-Z][-._a-zA-Z0-9]*"
        )
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_port(field: str, value: object) -> int:
    """A TCP port number, 1..65535."""
    if not _is_int(value) or not 1 <= value <= 65535:  # type: ignore[operator]
        raise ConfigError(field, value, "an integer port number from 1 to 65535")
    return value  # type: ignore[return-value]


#: Kubernetes' integer fields (replicas, ports, counts) are int32.
MAX_INT32 = 2**31 - 1


def check_non_negative_int(field: str, value: object) -> int:
    if not _is_int(value) or not 0 <= value <= MAX_INT32:  # type: ignore[operator]
        raise ConfigError(field, value, f"an integer >= 0 (and <= {MAX_INT32}, an int32)")
    return value  # type: ignore[return-value]


def check_positive_int(field: str, value: object) -> int:
    if not _is_int(value) or not 1 <= value <= MAX_INT32:  # type: ignore[operator]
        raise ConfigError(field, value, f"an integer >= 1 (and <= {MAX_INT32}, an int32)")
    return value  # type: ignore[return-value]


def check_non_empty(field: str, value: object) -> str:
    """A non-empty string without surrounding or embedded whitespace."""
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise ConfigError(field, value, "a non-empty string without whitespace")
    return value


def check_one_of(field: str, value: object, choices: Iterable[object]) -> Any:
    options = list(choices)
    if value not in options:
        raise ConfigError(field, value, "one of " + ", ".join(repr(c) for c in options))
    return value


def check_unique(field: str, values: Sequence[str]) -> None:
    """Reject a list holding the same name twice, naming the duplicate."""
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise ConfigError(f"{field}[{index}]", value, "a name not already declared in this list")
        seen.add(value)


def check_str_mapping(field: str, value: object) -> Mapping[str, str]:
    """A mapping of strings to strings (labels, annotations, nodeSelector, ConfigMap data)."""
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(field, value, "a mapping of strings to strings")
    return value
