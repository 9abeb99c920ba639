"""Issue #9: output a GitOps tool can trust. Each file is staged and renamed into place; only
the files the app wrote earlier are removed; a failure leaves the previous output exactly as it
was (a crash half-way through, a full disk, a failing rename)."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from constructs_lib import VARIANTS, output
from constructs_lib.cli import main

PASSWORDS = {"DAGSTER_PG_PASSWORD": "a", "DAGSTER_RABBITMQ_PASSWORD": "b", "DAGSTER_REDIS_PASSWORD": "c"}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def previous(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding an earlier --all-variants output and a file of the user's."""
    for key, value in PASSWORDS.items():
        monkeypatch.setenv(key, value)
    assert main(["synth", "--all-variants", "--outdir", str(tmp_path)]) == 0
    (tmp_path / "kustomization.yaml").write_text("resources: []\n")
    return tmp_path


def test_the_record_lists_what_was_written(previous: Path) -> None:
    record = (previous / output.RECORD).read_text().split()
    assert record == sorted(p.name for p in previous.glob("*.k8s.yaml"))
    assert len(record) == len(VARIANTS)


def _fail_after(monkeypatch: pytest.MonkeyPatch, name: str, calls: int, error: BaseException) -> None:
    real = getattr(output if name == "_write_file" else os, name)
    count = {"n": 0}

    def failing(*args: Any) -> Any:
        count["n"] += 1
        if count["n"] == calls + 1:  # the call after `calls` good ones fails
            raise error
        return real(*args)

    monkeypatch.setattr(output if name == "_write_file" else output.os, name, failing)


@pytest.mark.parametrize(("name", "calls", "error"), [
    ("_write_file", 1, RuntimeError("crashed after writing half the files")),
    ("_write_file", 1, OSError(errno.ENOSPC, "No space left on device")),
    ("_write_file", 0, OSError(errno.ENOSPC, "No space left on device")),
    ("replace", 1, OSError(errno.EIO, "rename failed half-way through")),
    ("remove", 2, OSError(errno.EACCES, "stale file could not be removed")),
])
def test_a_failure_leaves_the_previous_output_as_it_was(previous: Path, monkeypatch: pytest.MonkeyPatch,
                                                        name: str, calls: int, error: BaseException) -> None:
    before = snapshot(previous)
    files = {"dagster.k8s.yaml": b"kind: ConfigMap\n", "k8s.k8s.yaml": b"changed: true\n"}
    _fail_after(monkeypatch, name, calls, error)
    with pytest.raises(type(error)):
        output.write_files(previous, files)
    assert snapshot(previous) == before


def test_a_full_disk_during_synth_keeps_the_previous_output(previous: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(previous)
    _fail_after(monkeypatch, "_write_file", 0, OSError(errno.ENOSPC, "No space left on device"))
    assert main(["synth", "--outdir", str(previous)]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == "error: No space left on device"
    assert snapshot(previous) == before


def test_success_replaces_removes_stale_and_keeps_foreign_files(previous: Path) -> None:
    inode = (previous / "kustomization.yaml").stat().st_ino
    output.write_files(previous, {"k8s.k8s.yaml": b"new\n"})
    assert snapshot(previous) == {
        output.RECORD: b"k8s.k8s.yaml\n", "k8s.k8s.yaml": b"new\n", "kustomization.yaml": b"resources: []\n"}
    assert (previous / "kustomization.yaml").stat().st_ino == inode


def test_a_tampered_record_removes_nothing_else(previous: Path) -> None:
    (previous / output.RECORD).write_text("../outside.k8s.yaml\nkustomization.yaml\n/etc/passwd\n")
    (previous.parent / "outside.k8s.yaml").write_text("x")
    try:
        output.write_files(previous, {"dagster.k8s.yaml": b"x\n"})
        assert (previous.parent / "outside.k8s.yaml").exists()
        assert (previous / "kustomization.yaml").exists()
    finally:
        os.remove(previous.parent / "outside.k8s.yaml")
