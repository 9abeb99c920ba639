"""Running ``main.py`` in-process for input tests: the exit code, stderr, and what a clean error is."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import io
import itertools
import pkgutil
import re
import time
import tracemalloc
from dataclasses import dataclass
from functools import cache
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


@cache
def _internal_classes() -> frozenset[str]:
    """Every class the library (``constructs_lib`` and its Helm layer) defines."""
    import constructs_lib

    names = set()
    for info in pkgutil.walk_packages(constructs_lib.__path__, "constructs_lib."):
        if info.name.startswith("constructs_lib._imports"):
            continue
        module = importlib.import_module(info.name)
        names |= {n for n, c in vars(module).items() if inspect.isclass(c) and c.__module__ == module.__name__}
    return frozenset(names)


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_SNAKE = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
_CLASS_MENTION = re.compile(r"\b([A-Z]\w*)(?=[.(])")


def internal_words(message: str, user_input: str = "") -> list[str]:
    """What in an error message is the library's Python, not the user's values: a class of the
    library followed by ``.``/``(`` (``CodeLocationSettings.name``, ``EnvConfigMap(x)``) or a
    snake_case word (``max_unavailable``), outside quoted values and unless the user wrote it."""
    text = _QUOTED.sub("''", message)
    found = [m.group(1) for m in _CLASS_MENTION.finditer(text) if m.group(1) in _internal_classes()]
    found += [w for w in _SNAKE.findall(text) if w not in user_input]
    return found


def assert_clean_error(outcome: Outcome, *, contains: str | None = None, user_input: str | None = None) -> None:
    """Exit 2, one short message, no traceback, within the time and memory bounds; with
    ``user_input`` (what the user wrote), in the user's words (:func:`internal_words`)."""
    assert outcome.code == EXIT_BAD_INPUT, (outcome.code, outcome.stderr[:MAX_ERROR_CHARS])
    # A seed-era key's one deprecation line each (helm/seed_era.py) may come before the error.
    lines = outcome.stderr.splitlines(keepends=True)
    text = "".join(itertools.dropwhile(lambda line: line.startswith("deprecated ("), lines))
    assert text.startswith("error: "), outcome.stderr[:MAX_ERROR_CHARS]
    assert "Traceback" not in text, text[:MAX_ERROR_CHARS]
    assert len(text) <= MAX_ERROR_CHARS, f"{len(text)} characters: {text[:300]}"
    assert all(len(line) <= MAX_LINE for line in text.splitlines()), text[:MAX_ERROR_CHARS]
    assert_bounded(outcome)
    if contains is not None:
        assert contains in text, text
    if user_input is not None:
        assert not internal_words(text, user_input), (internal_words(text, user_input), text[:MAX_ERROR_CHARS])


def assert_bounded(outcome: Outcome) -> None:
    assert outcome.seconds <= MAX_SECONDS, f"took {outcome.seconds:.1f} s"
    assert outcome.peak_bytes <= MAX_PEAK_BYTES, f"peak {outcome.peak_bytes / 2**20:.0f} MiB"


def write(tmp: Path, name: str, data: bytes | str) -> str:
    path = tmp / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)
