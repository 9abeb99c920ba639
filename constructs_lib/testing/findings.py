"""What a check finds: a readable message that also names the object, the field and the value."""

from __future__ import annotations

from typing import Any

__all__ = ["Finding"]


class Finding(str):
    """One problem in synthesized objects.

    The string itself is the readable message (so a list of findings compares and prints as
    the messages). The attributes say where:

    - ``object``: ``Kind/name`` of the object (a launched run's pod is ``Job/run-of-<origin>``,
      a pod the run launcher will create; RBAC gaps name the ``ServiceAccount``);
    - ``field``: the path of the field in that object, e.g.
      ``spec.template.spec.containers[0].env[2].valueFrom.secretKeyRef.key``;
    - ``value``: the value found there (``None`` where the field is missing);
    - ``check``: the name of the check that found it (set by :func:`constructs_lib.testing.check`).
    """

    object: str
    field: str
    value: Any
    check: str

    def __new__(cls, message: str, *, object: str, field: str, value: Any, check: str = "") -> Finding:
        finding = super().__new__(cls, message)
        finding.object = object
        finding.field = field
        finding.value = value
        finding.check = check
        return finding

    def of_check(self, check: str) -> Finding:
        """This finding, attributed to ``check``."""
        return Finding(str(self), object=self.object, field=self.field, value=self.value, check=check)

    def __repr__(self) -> str:
        return (f"Finding({str(self)!r}, object={self.object!r}, field={self.field!r}, value={self.value!r}"
                f"{f', check={self.check!r}' if self.check else ''})")
