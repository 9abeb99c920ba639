"""Issue #9 item 6: the library's dependencies are compatible ranges (it goes into users' apps);
the exact versions `make install` and CI use are in constraints.txt; `make synth` also installs
the pinned cdk8s CLI, so that the README's `npx cdk8s synth` works next; the library keeps jsii's
Node banner quiet unless the user set the variables."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
REQUIREMENTS = [Requirement(r) for r in PROJECT["dependencies"]] + [
    Requirement(r) for extra in PROJECT["optional-dependencies"].values() for r in extra]


def pins() -> dict[str, str]:
    out = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            out[canonicalize_name(name)] = version
    return out


@pytest.mark.parametrize("requirement", REQUIREMENTS, ids=str)
def test_each_dependency_is_a_compatible_range_with_its_pin_inside(requirement: Requirement) -> None:
    operators = {spec.operator for spec in requirement.specifier}
    assert operators == {">=", "<"}, f"{requirement}: a range from the tested version to the next major"
    pinned = pins().get(canonicalize_name(requirement.name))
    assert pinned is not None, f"{requirement.name} has no pin in constraints.txt"
    assert requirement.specifier.contains(pinned), f"constraints.txt pins {requirement.name}=={pinned}"


def test_the_environment_is_the_pinned_one() -> None:
    """`make install` installs with -c constraints.txt: every pin is what .venv holds."""
    installed = {name: importlib.metadata.version(name) for name in pins()}
    assert installed == pins()


def test_make_install_and_synth_use_the_pins_and_install_the_cdk8s_cli() -> None:
    dry = subprocess.run(["make", "-n", "-B", "synth"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         check=True).stdout
    assert re.search(r"pip install .*-c constraints\.txt -e '\.\[test\]'", dry), dry
    assert "npm ci" in dry, "make synth installs node_modules (the pinned cdk8s CLI npx runs)"


@pytest.mark.parametrize(("preset", "expected"), [
    ({}, None),
    ({"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": ""},
     "18|"),
])
def test_the_library_silences_the_node_banner_unless_the_user_chose(preset: dict[str, str],
                                                                     expected: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII_SILENCE_WARNING_")} | preset
    code = ("import os, constructs_lib._quiet; print(os.environ['JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION'] "
            "+ '|' + os.environ['JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout.strip()
    if expected is None:
        node_major = subprocess.run(["node", "--version"], capture_output=True, text=True,
                                    check=True).stdout.strip().lstrip("v").split(".")[0]
        end_of_life, deprecated = out.split("|")
        assert node_major in end_of_life.split(",") and deprecated
    else:
        assert out == expected
