"""The two ways a values file is read give the same value or the same error; layering is as before.

``load_yaml`` builds a plain document (maps, lists, untagged scalars; no anchor, alias or tag)
in one pass over the parser's events and leaves every other document, and every problem, to the
general path (libyaml's node graph, the alias-expansion count, the constructor, ``check_tree``).
Here each input goes both ways, with libyaml (PyYAML's C parser) and with the pure-Python parser
PyYAML falls back to where it was built without libyaml: same value (types included) or same
error line (a syntax error is worded by each parser in its own words, and libyaml refuses
nesting past 1,000 levels as one). The limits are lowered for some cases so that they are reached with small inputs.
"""

from __future__ import annotations

import copy
import importlib.util
import math
import random
import sys
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib.errors import ConfigError, short
from constructs_lib.helm import load_values, translate, yaml_input
from constructs_lib.helm.strvals import copy_values, parse_set, set_path

from .test_front_door import FILES, bomb

ROOT = Path(__file__).resolve().parent.parent
CHART_VALUES = ROOT.parent / "shared" / "reference" / "official-chart-1.9.3" / "chart" / "values.yaml"


def _pure_python_module() -> types.ModuleType:
    """A second copy of ``yaml_input`` imported as if PyYAML had no libyaml."""
    saved = yaml.__dict__.pop("CSafeLoader", None)
    try:
        name = "constructs_lib.helm._yaml_input_pure_python"
        spec = importlib.util.spec_from_file_location(name, yaml_input.__file__)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        if saved is not None:
            yaml.CSafeLoader = saved  # type: ignore[misc]
        sys.modules.pop("constructs_lib.helm._yaml_input_pure_python", None)


PURE = _pure_python_module()
MODULES = {"libyaml": yaml_input, "pure-python": PURE}


def test_the_two_parsers_are_what_they_say() -> None:
    assert PURE._Loader.__mro__[1] is yaml.SafeLoader
    if yaml.__with_libyaml__:
        assert yaml_input._Loader.__mro__[1] is yaml.CSafeLoader


EDGE_CASES: list[str] = [
    "", "# only a comment\n", "---\n", "--- \n...\n", "a: 1\n...\n", "%YAML 1.1\n---\na: 1\n",
    "a:\n", "a: ~\nb: null\nc: Null\nd:\n", "- a\n- b\n", "just a string\n", "42\n", "[1, [2, [3, {}]], []]\n",
    "a: {}\nb: []\nc: {x: [], y: {}}\n",
    # every implicit type PyYAML resolves, and the ones this loader keeps as strings
    "i: [0, 7, -7, +7, 0x1F, 0o17, 017, 0b101, 1_000, 1:20, -1:20, 09, 0.]\n",
    "f: [1.5, -.5, +1.5e+3, 1.0e-3, 1_0.5, 1:20.5, .5, 1e3, 6.8523015e+5]\n",
    "b: [true, True, TRUE, false, yes, no, on, off, Yes, OFF, y, n]\n",
    "d: [2024-06-01, 2001-12-14t21:59:43.10-05:00, '2024-06-01', 12:30]\n",
    "s: ['1', \"2\", '', \"\", 'true', 'null', '~', \"0x1F\", '.inf', \"<<\", '=']\n",
    "s: |\n  line one\n  line two\nt: >-\n  folded\n  text\nu: plain\n  continued\n",
    "k: 'quoted \"key\"'\n'1': one\n\"true\": yes\n'': empty\n",
    "long: " + "x" * 200 + "\nmore: [" + ", ".join(["y" * 70] * 5) + "]\n",
    "unicode: caf\u00e9 \u2603 \U0001f600\nescapes: \"tab\\there\\u00e9\"\n",
    "a: 1\nb:\n  - {c: 2, d: [3, 4]}\n  - - 5\n    - 6\n",
    # what the general path must handle: anchors, aliases, merge keys, tags
    "a: &x 1\nb: *x\n", "a: &m {x: 1}\nb: *m\n", "a: &a {x: 1, y: 2}\nb:\n  <<: *a\n  y: 3\n",
    "a: &l [1, 2]\nb: *l\n", "a: !!str 1\n", "a: !!int '7'\n", "a: !custom x\n", "a: ! x\n",
    "!!map {a: 1}\n", "a: !!binary aGVsbG8=\n", "a: !!set {x}\n", "a: !!omap [{x: 1}]\n",
    "a: !!timestamp 2024-06-01\n", "a: &anchored x\n", "<<: {a: 1}\n", "a: =\n", "=: a\n",
    # problems
    "a: 1\na: 2\n", "a: {b: 1, b: 2}\n", "a: [{b: 1, b: 2}]\n", "1: x\n", "true: x\n", "null: x\n", ": x\n",
    "? [a]\n: x\n", "? {a: 1}\n: x\n", "a: .inf\n", "a: -.Inf\n", "a: .nan\n", "a: [1.0e+400]\n",
    "a: 1\n---\nb: 2\n", "---\n---\n", "a: [1, 2\n", "a: b: c\n", "\ta: 1\n", "a: *undefined\n",
    "a: &x 1\nb: &x 2\nc: *x\n", "a: &a [*a]\n", "a: 'unterminated\n", "- a\nb: 1\n", "a:\n  - b\n  c: d\n",
    "a: 1\n  b: 2\n", "{a: 1\n", "a: \x07\n", "a: 1\n\x00\n",
]


def _corpus() -> Iterator[tuple[str, str]]:
    for i, text in enumerate(EDGE_CASES):
        yield f"edge{i}", text
    for case, data, _ in FILES:
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                continue  # refused before any parser sees it
        yield case, data
    for folder in ("values_matrix", "values_seed_era"):
        for path in sorted((ROOT / "tests" / folder).rglob("*.yaml")):
            yield path.name, path.read_text()
    yield "chart values.yaml", CHART_VALUES.read_text()


CORPUS = dict(_corpus())


def _assert_same(outcomes: dict[str, str]) -> None:
    """The one pass and the general path agree with each parser; the two parsers agree on values
    and on every error but the wording of a syntax error (the parsers' own messages differ)."""
    for name in MODULES:
        assert outcomes[f"{name} load_yaml"] == outcomes[f"{name} general"], outcomes
    c, pure = outcomes["libyaml load_yaml"], outcomes["pure-python load_yaml"]
    syntax = "error InputError: v.yaml: invalid YAML: "
    if c.startswith(syntax) or pure.startswith(syntax):  # libyaml also refuses nesting past 1,000 levels
        assert c.startswith("error ") and pure.startswith("error "), outcomes
    else:
        assert c == pure, outcomes


def _outcome(function: Any, *args: Any) -> str:
    """The value (types shown: ``1`` is not ``1.0`` nor ``True``) or the error line."""
    try:
        return "value " + repr(function(*args))
    except ConfigError as error:
        return f"error {type(error).__name__}: {error}"


@pytest.mark.parametrize("case", list(CORPUS))
def test_same_value_or_error_both_paths_both_parsers(case: str) -> None:
    text = CORPUS[case]
    outcomes = {}
    for name, module in MODULES.items():
        outcomes[f"{name} load_yaml"] = _outcome(module.load_yaml, text, "v.yaml")
        outcomes[f"{name} general"] = _outcome(module._general_load, text, "v.yaml")
    _assert_same(outcomes)


@pytest.mark.parametrize("module", list(MODULES.values()), ids=list(MODULES))
def test_plain_documents_take_the_one_pass(module: types.ModuleType) -> None:
    """The values files of the tests and the chart's own values.yaml have no anchor or tag: the one
    pass builds them (what makes reading a values file cheap); anything else is left to the general path."""
    plain = [case for case in CORPUS if case.endswith(".yaml") and "&" not in CORPUS[case]]
    assert len(plain) >= 40
    for case in plain:
        assert module._plain_load(CORPUS[case]) is not module._NOT_PLAIN, case
    for text in ("a: &x 1\nb: *x\n", "a: !!str 1\n", "a: 1\na: 2\n", "a: .inf\n", "1: x\n", "a: [1\n"):
        assert module._plain_load(text) is module._NOT_PLAIN, text


LIMITED: list[tuple[str, str]] = [
    ("at the depth limit", "a:\n" + "".join("  " * i + "  b:\n" for i in range(8)) + "  " * 9 + "c: 1\n"),
    ("past the depth limit", "a:\n" + "".join("  " * i + "  b:\n" for i in range(9)) + "  " * 10 + "c: 1\n"),
    ("past the depth limit, flow", "a: " + "[" * 10 + "]" * 10 + "\n"),
    ("at the depth limit, flow", "a: " + "[" * 9 + "]" * 9 + "\n"),
    ("past the depth limit, then broken", "a: " + "[" * 11 + "]" * 11 + "\nb: [\n"),
    ("at the size limit", "a: [" + ", ".join(["1"] * 47) + "]\n"),
    ("past the size limit", "a: [" + ", ".join(["1"] * 48) + "]\n"),
    ("past the size limit, empty lists", "a: [" + ", ".join(["[]"] * 48) + "]\n"),
    ("past the size limit by text", "a: [" + ", ".join(["x" * 640] * 5) + "]\n"),
    ("past the size limit, then broken", "a: [" + ", ".join(["1"] * 60) + "]\nb: [\n"),
    ("an alias past the size limit", bomb(levels=3)),
    ("an alias within the size limit", bomb(levels=1)),
]


@pytest.mark.parametrize(("case", "text"), LIMITED, ids=[case for case, _ in LIMITED])
def test_same_value_or_error_at_lowered_limits(case: str, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = {}
    for name, module in MODULES.items():
        monkeypatch.setattr(module, "MAX_DEPTH", 10)
        monkeypatch.setattr(module, "MAX_NODES", 50)
        outcomes[f"{name} load_yaml"] = _outcome(module.load_yaml, text, "v.yaml")
        outcomes[f"{name} general"] = _outcome(module._general_load, text, "v.yaml")
    _assert_same(outcomes)
    if "past" in case:
        assert outcomes["libyaml load_yaml"].startswith("error InputError: v.yaml: "), outcomes
    else:
        assert outcomes["libyaml load_yaml"].startswith("value "), outcomes


# ---- layering: files of plain documents are merged without copies ------------------------------------
def _reference_merge(base: Any, override: Any) -> dict[str, Any]:
    """strvals.merge_values as it was before copy_values and merge_owned (copy.deepcopy throughout)."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _reference_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _reference_load_values(files: list[Path], sets: list[str]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for file in files:
        merged = _reference_merge(merged, yaml_input._general_load(file.read_text(), str(file)) or {})
    layer: dict[str, Any] = {}
    for expression in sets:
        for tokens, value in parse_set(expression):
            set_path(layer, tokens, value, expression=expression)
    return _reference_merge(merged, layer)


def _shape(value: Any) -> str:
    """``value`` written out with each map or list that appears again shown as a reference to its
    first place: two trees of the same shape hold equal values shared in the same places."""
    seen: dict[int, int] = {}

    def walk(node: Any) -> str:
        if isinstance(node, (dict, list)):
            if id(node) in seen:
                return f"<#{seen[id(node)]}>"
            seen[id(node)] = len(seen)
            if isinstance(node, dict):
                return "{" + ", ".join(f"{k!r}: {walk(v)}" for k, v in node.items()) + "}"
            return "[" + ", ".join(walk(v) for v in node) + "]"
        return repr(node)

    return walk(value)


LAYERS = {
    "base": "a: {x: 1, y: [1, 2], z: {p: 1}}\nb: keep\nlist: [1, 2]\n",
    "over": "a: {y: [3], z: {q: 2}, n: null}\nb: null\nlist: {now: a map}\nnew: {k: v}\n",
    "aliased": "s: &s {x: 1}\na: {z: *s}\nt: *s\nu: [*s, *s]\n",
    "after": "a: {z: {r: 3}}\nt: {y: 2}\nu: [1]\n",
}
ORDERS = [["base"], ["base", "over"], ["over", "base"], ["base", "over", "after"], ["aliased"],
          ["base", "aliased", "after"], ["aliased", "over"], ["base", "over", "aliased"], []]


@pytest.mark.parametrize("order", ORDERS, ids=["+".join(o) or "none" for o in ORDERS])
@pytest.mark.parametrize("sets", [[], ["a.z.p=9,b=x", "list[1]=5"]], ids=["no-set", "set"])
def test_layering_as_before(order: list[str], sets: list[str], tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    files = []
    for name in order:
        files.append(tmp_path / f"{name}.yaml")
        files[-1].write_text(LAYERS[name])
    want = _reference_load_values(files, sets)
    if "aliased" not in order:  # plain documents only: merged as they were read, nothing copied
        monkeypatch.setattr(translate, "merge_values", None)
    assert _shape(load_values(files, sets)) == _shape(want)


def test_copy_values_is_deepcopy() -> None:
    shared = {"x": [1, {"y": 2}]}
    tree: dict[Any, Any] = {"p": shared, "q": shared, "r": [shared, shared, 1.5, True, None, "s"],
                            (1, 2): {3, 4}, "odd": [frozenset({1}), b"bytes"]}
    tree["self"] = tree
    got, want = copy_values(tree), copy.deepcopy(tree)
    assert _shape(got) == _shape(want)
    assert got["p"] is got["q"] is got["r"][0] and got["self"] is got and got["p"] is not shared
    memo: dict[int, Any] = {}
    first = copy_values(shared, memo)
    assert copy_values({"again": shared}, memo)["again"] is first  # one memo, one copy, as deepcopy


# ---- check_tree: leaves counted in place, the same errors ---------------------------------------------
def _reference_check_tree(value: Any, source: str) -> None:
    """yaml_input.check_tree as it was (every value visited by a call of its own)."""
    count = 0
    path: list[str | int] = []

    def where() -> str:
        text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        return short(text or "<top>", quote=False)

    def walk(node: Any, depth: int) -> None:
        nonlocal count
        count += 1
        if count > yaml_input.MAX_NODES:
            raise yaml_input.InputError(source, f"more than {yaml_input.MAX_NODES:,} values")
        if depth > yaml_input.MAX_DEPTH:
            raise yaml_input.InputError(source, f"{where()}: nested deeper than {yaml_input.MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key, child in node.items():
                path.append(key)
                if not isinstance(key, str):
                    path.pop()
                    raise yaml_input.InputError(source, f"{where()}: key {short(key)} is not a string")
                walk(child, depth + 1)
                path.pop()
        elif isinstance(node, list):
            for index, child in enumerate(node):
                path.append(index)
                walk(child, depth + 1)
                path.pop()
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise yaml_input.InputError(source, f"{where()}: {node} is not a number JSON can hold")
        elif node is not None and not isinstance(node, (str, int, bool)):
            raise yaml_input.InputError(source, f"{where()}: a {type(node).__name__} is not a JSON value")

    walk(value, 0)


def _nest(levels: int, leaf: Any) -> Any:
    node = leaf
    for i in range(levels):
        node = {f"k{i}": node} if i % 2 else [node]
    return node


TREES: list[Any] = [
    None, "s", 1, 1.5, True, {}, [], {"a": 1, "b": [1, "x", None, False, 2.5]},
    {"a": {"b": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}}, [list(range(12)), list(range(12))],
    {"a": [{"b": float("inf")}]}, {"a": [1, float("nan")]}, {"a": {1: "x"}}, {"a": [{"b": {None: 1}}]},
    {"a": [1, {2, 3}]}, {"a": {"b": b"bytes"}}, {"a": [("t",)]},
    *(_nest(n, leaf) for n in (8, 9, 10, 11) for leaf in ("x", 1, 2.0, {}, [], {"z": 1}, [1])),
    {"deep": _nest(9, "x"), "after": {1: 2}}, {"wide": [[1] * 30, [2] * 30]},
]


@pytest.mark.parametrize("tree", TREES, ids=[f"tree{i}" for i in range(len(TREES))])
def test_check_tree_as_before(tree: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_input, "MAX_DEPTH", 10)
    monkeypatch.setattr(yaml_input, "MAX_NODES", 50)
    assert _outcome(yaml_input.check_tree, tree, "v") == _outcome(_reference_check_tree, tree, "v")


def test_a_yaml_error_marked_only_by_its_context_names_the_line() -> None:
    mark = yaml.Mark("v.yaml", 0, 4, 2, None, None)
    error = yaml_input._yaml_error("v.yaml", yaml.MarkedYAMLError(context="while parsing a flow mapping",
                                                                  context_mark=mark))
    assert str(error) == "v.yaml: invalid YAML: line 5, column 3: while parsing a flow mapping"


# ---- random documents: the one pass and the general path agree --------------------------------------
#: Scalars whose implicit type YAML 1.1 decides by their spelling, and some that only look like one.
SPELLINGS = ["0o17", "1_0", "+.5", ".Inf", "-.inf", ".NaN", "~", "null", "Null", "Yes", "no", "ON", "off", "<<", "=",
             "1:2:3", "0x_1", "0x1F", "-0", "1e5", "1.0e+5", "1.5", "0b1_0", "012", "09", "0.", "2024-06-01",
             "12:30:00", "", " ", "a b", "true", "False", "y", "-", "?", "a:b", "x #y", "1.0e+400", "-1:30",
             "190:20:30.15", "+685_230", "-0.0", "caf\u00e9", "x" * 70]


def _random_tree(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.random()
    if depth > 4 or pick < 0.4:
        return rng.choice([rng.choice(SPELLINGS), rng.randint(-1000, 1000), rng.choice([True, False, None, 1.5]),
                           rng.choice(SPELLINGS) + rng.choice(SPELLINGS)])
    if pick < 0.7:
        return {rng.choice(SPELLINGS) + str(i): _random_tree(rng, depth + 1) for i in range(rng.randint(0, 4))}
    return [_random_tree(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def _random_document(rng: random.Random) -> str:
    text = yaml.safe_dump(_random_tree(rng), default_flow_style=rng.choice([None, False, True]),
                          sort_keys=rng.random() < 0.5, allow_unicode=rng.random() < 0.5)
    if rng.random() < 0.5:
        text = text.replace("'", "")  # the quoted spellings plain: resolved by their spelling, or invalid
    if rng.random() < 0.2:  # a line twice: a duplicate key, or invalid
        lines = text.splitlines()
        at = rng.randrange(len(lines))
        text = "\n".join([*lines[:at], lines[at], *lines[at:]]) + "\n"
    return text


@pytest.mark.parametrize("seed", range(4))
def test_random_documents_same_value_or_error(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(100):
        text = _random_document(rng)
        for module in MODULES.values():
            assert _outcome(module.load_yaml, text, "v.yaml") == _outcome(module._general_load, text, "v.yaml"), text
