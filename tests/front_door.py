"""Running ``main.py`` in-process for input tests: the exit code, stderr, and what a clean error is."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from .conftest import ROOT

#: A clean error: this exit code, at most this many characters on stderr, no line longer than
#: ``MAX_LINE`` (a quoted value is cut to 100 characters), and no traceback.
EXIT_BAD_INPUT = 2
MAX_ERROR_CHARS = 2000
MAX_LINE = 400
#: Every input, good or bad, is handled within these bounds (in-process, Python allocations).
MAX_SECONDS = 30.0
MAX_PEAK_BYTES = 256 * 1024 * 1024


def _main_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dagster_cdk8s_main", ROOT / "main.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAIN = _main_module()


@dataclass(frozen=True)
class Outcome:
    code: int
    stderr: str
    stdout: str
    seconds: float
    peak_bytes: int


def run_cli(*argv: str) -> Outcome:
    """``main.py argv`` in this process, timed, with the peak of Python allocations."""
    err, out = io.StringIO(), io.StringIO()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                code = MAIN.main(list(argv))
            except SystemExit as exit_:  # argparse
                code = int(exit_.code or 0)
    finally:
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return Outcome(code, err.getvalue(), out.getvalue(), seconds, peak)


def assert_clean_error(outcome: Outcome, *, contains: str | None = None) -> None:
    """Exit 2, one short message, no traceback, within the time and memory bounds."""
    assert outcome.code == EXIT_BAD_INPUT, (outcome.code, outcome.stderr[:MAX_ERROR_CHARS])
    text = outcome.stderr
    assert text.startswith("error: "), text[:MAX_ERROR_CHARS]
    assert "Traceback" not in text, text[:MAX_ERROR_CHARS]
    assert len(text) <= MAX_ERROR_CHARS, f"{len(text)} characters: {text[:300]}"
    assert all(len(line) <= MAX_LINE for line in text.splitlines()), text[:MAX_ERROR_CHARS]
    assert_bounded(outcome)
    if contains is not None:
        assert contains in text, text


def assert_bounded(outcome: Outcome) -> None:
    assert outcome.seconds <= MAX_SECONDS, f"took {outcome.seconds:.1f} s"
    assert outcome.peak_bytes <= MAX_PEAK_BYTES, f"peak {outcome.peak_bytes / 2**20:.0f} MiB"


def write(tmp: Path, name: str, data: bytes | str) -> str:
    path = tmp / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)
