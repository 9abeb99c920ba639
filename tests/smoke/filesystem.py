"""A pod's filesystem as a directory of this machine: the one place where paths are re-rooted.

A container sees its image's files plus its volume mounts at absolute paths
(``/opt/dagster/dagster_home/dagster.yaml``, ``/dagster-workspace/``,
``/example_project/example_repo/repo.py`` ...). The harness gives every pod a directory
``<root>`` and puts each of those paths at ``<root>/<path>`` (:func:`reroot`). Strings the
container interprets as paths (command and args elements, exec probes, env values such as
``DAGSTER_HOME``) are rewritten the same way (:meth:`PodFilesystem.reroot_text`), but only for
paths under a prefix the pod's filesystem provides: a mount path, the directory holding a
mount, an image file or directory the stand-in provides, the working directory, the
service-account directory. Any other absolute path (``/bin/sh``) is this machine's, which
stands in for the image's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

__all__ = ["PodFilesystem", "reroot"]


def reroot(root: Path, container_path: str) -> Path:
    """THE re-rooting function: where container path ``container_path`` lives under ``root``."""
    path = PurePosixPath(container_path)
    if not path.is_absolute():
        raise ValueError(f"not an absolute container path: {container_path!r}")
    parts = [p for p in path.parts[1:] if p not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"container path escapes its root: {container_path!r}")
    return root.joinpath(*parts)


class PodFilesystem:
    """The pod directory and the container path prefixes it provides."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._prefixes: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def provide(self, container_paths: Iterable[str], *, with_parent: bool = False) -> None:
        """Declare container paths the pod's filesystem holds (and their directories)."""
        for raw in container_paths:
            path = PurePosixPath(raw)
            candidates = [path, path.parent] if with_parent else [path]
            for candidate in candidates:
                if str(candidate) != "/":
                    self._prefixes.add(str(candidate))
        self._pattern = None

    def path(self, container_path: str) -> Path:
        return reroot(self.root, container_path)

    def reroot_text(self, text: str) -> str:
        """Every provided container path in ``text`` (whole string or inside a script)."""
        if not self._prefixes:
            return text
        if self._pattern is None:
            alternatives = "|".join(re.escape(p) for p in sorted(self._prefixes, key=len, reverse=True))
            self._pattern = re.compile(rf"(?<![\w./-])(?:{alternatives})(?=$|[/\s'\";:|&)\]}},=])")
        return self._pattern.sub(lambda m: str(self.path(m.group(0))), text)
