"""Writing synthesized YAML so that a folder GitOps applies is never half-written.

:func:`write_files` stages every file as a temporary file in the output folder, then renames
each over its final name; the ``*.k8s.yaml`` files the app wrote earlier (recorded in
``.dagster-cdk8s-files``) and no longer writes are removed, nothing else is touched. A failure
at any point (a full disk, a crash of the synthesis) leaves the previous output exactly as it
was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["RECORD", "synth_charts", "write_files"]

#: The file in the output folder listing the files the app wrote there (one name a line).
RECORD = ".dagster-cdk8s-files"
_SUFFIX = ".k8s.yaml"


def synth_charts(charts: Mapping[str, Any], outdir: str | os.PathLike[str], *,
                 diagram: str | None = None) -> list[str]:
    """Synthesize one ``DagsterChart`` (and one file ``<id>.k8s.yaml``) per entry of ``charts``
    (chart id -> :class:`DagsterSystemConfig`) into ``outdir``; returns the file paths. With
    ``diagram``, also draw the (first) synthesized system into that file."""
    import cdk8s

    from .system import DagsterChart

    with tempfile.TemporaryDirectory(prefix="dagster-cdk8s-") as scratch:
        app = cdk8s.App(outdir=scratch)
        built = [DagsterChart(app, chart_id, config=config) for chart_id, config in charts.items()]
        app.synth()
        files = {f"{chart_id}{_SUFFIX}": (Path(scratch) / f"{chart_id}{_SUFFIX}").read_bytes()
                 for chart_id in charts}
    write_files(outdir, files)
    paths = [os.path.join(outdir, name) for name in files]
    if diagram is not None:
        from .diagram import chart_graph, write_diagram

        paths.append(str(write_diagram(chart_graph(built[0]), diagram)))
    return paths


def _write_file(path: str, data: bytes) -> None:
    with open(path, "xb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _previous(outdir: str) -> list[str]:
    try:
        lines = Path(outdir, RECORD).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    # Only plain *.k8s.yaml names of this folder: a tampered record removes nothing else.
    return [n for n in lines if n.endswith(_SUFFIX) and n == os.path.basename(n) and not n.startswith(".")]


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _backup(final: str, backup: str) -> None:
    """Keep the current ``final`` at ``backup`` (a hard link where the filesystem has them)."""
    try:
        os.link(final, backup)
    except OSError:
        shutil.copy2(final, backup)


def write_files(outdir: str | os.PathLike[str], files: Mapping[str, bytes]) -> None:
    """Make ``files`` (name -> content) the app's output in ``outdir``, all or nothing."""
    outdir = os.fspath(outdir)
    for name in files:
        if name != os.path.basename(name) or not name.endswith(_SUFFIX):
            raise ValueError(f"not an output file name: {name!r}")
    os.makedirs(outdir, exist_ok=True)
    stale = [n for n in _previous(outdir) if n not in files and os.path.exists(os.path.join(outdir, n))]
    token = uuid.uuid4().hex[:12]

    def temp(name: str, kind: str) -> str:
        return os.path.join(outdir, f".{name}.{token}.{kind}")

    contents = {**files, RECORD: "".join(f"{n}\n" for n in sorted(files)).encode()}
    staged: list[str] = []
    backups: dict[str, str] = {}
    committed: list[str] = []
    try:
        # 1. stage everything; the output folder is unchanged until all of it is on disk
        for name, data in contents.items():
            staged.append(temp(name, "tmp"))
            _write_file(staged[-1], data)
        # 2. keep what will be replaced or removed, then rename each staged file into place
        for name in [*contents, *stale]:
            final = os.path.join(outdir, name)
            if os.path.exists(final):
                backups[name] = temp(name, "bak")
                _backup(final, backups[name])
        for name in contents:
            os.replace(temp(name, "tmp"), os.path.join(outdir, name))
            committed.append(name)
        for name in stale:
            os.remove(os.path.join(outdir, name))
            committed.append(name)
    except BaseException:
        for name in reversed(committed):  # best effort, each step on its own
            final = os.path.join(outdir, name)
            try:
                if name in backups:
                    os.replace(backups.pop(name), final)
                else:
                    _remove(final)
            except OSError:
                pass
        raise
    finally:
        for path in [*staged, *backups.values()]:
            try:
                _remove(path)
            except OSError:
                pass
