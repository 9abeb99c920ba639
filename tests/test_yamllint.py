"""Issue #4: the synthesized YAML (each variant's file and the config files its ConfigMaps
carry) passes yamllint with the project's ``.yamllint.yaml``."""

from __future__ import annotations

from pathlib import Path

import pytest
from yamllint import linter
from yamllint.config import YamlLintConfig

from .conftest import ROOT, synth_variant_yaml
from .validation.manifests import embedded_yaml_files
from .validation.variants import variant_objects

CONFIG = ROOT / ".yamllint.yaml"


@pytest.fixture(scope="module")
def config() -> YamlLintConfig:
    return YamlLintConfig(file=str(CONFIG))


def lint(text: str, config: YamlLintConfig) -> list[str]:
    return [f"{p.line}:{p.column}: [{p.level}] {p.desc} ({p.rule})" for p in linter.run(text, config)]


def test_synthesized_file_passes_yamllint(variant: str, tmp_path: Path, config: YamlLintConfig) -> None:
    problems = lint(synth_variant_yaml(variant, tmp_path), config)
    assert not problems, f"{variant}: dagster.k8s.yaml:\n" + "\n".join(problems)


def test_embedded_config_files_pass_yamllint(variant: str, config: YamlLintConfig) -> None:
    files = embedded_yaml_files(variant_objects(variant))
    assert {"dagster.yaml", "workspace.yaml"} <= {f.key for f in files}
    problems = [f"{f.where}:{problem}" for f in files for problem in lint(f.text, config)]
    assert not problems, "\n".join(problems)


def test_repository_yaml_passes_yamllint(config: YamlLintConfig) -> None:
    for path in (CONFIG, ROOT / "cdk8s.yaml"):
        assert lint(path.read_text(), config) == [], path


def test_config_relaxes_only_what_it_documents(config: YamlLintConfig) -> None:
    def disabled(c: YamlLintConfig) -> set[str]:
        return {rule for rule, options in c.rules.items() if options is False or options == "disable"}

    default = YamlLintConfig("extends: default")
    assert set(config.rules) == set(default.rules)
    assert disabled(config) == (disabled(default) | {"document-start"}) - {"octal-values"}
    assert config.rules["line-length"]["max"] <= 160
    assert config.rules["octal-values"]["forbid-implicit-octal"] is True


# ---- planted violations: (edit of the default variant's file, expected rule) -------------------
PLANTED = {
    "trailing-spaces": (lambda t: t.replace("kind: Role\n", "kind: Role   \n", 1), "trailing-spaces"),
    "duplicate key": (lambda t: t.replace("kind: Role\n", "kind: Role\nkind: ClusterRole\n", 1), "key-duplicates"),
    "inconsistent sequence indentation": (
        lambda t: t.replace("verbs:\n      - get\n      - list\n      - watch\n",
                            "verbs:\n    - get\n    - list\n    - watch\n", 1), "indentation"),
    "runaway line": (lambda t: t.replace("kind: Role\n", "kind: Role\n# " + " ".join(["long words"] * 20) + "\n", 1),
                     "line-length"),
    "implicit octal": (lambda t: t.replace("kind: Role\n", "kind: Role\nmode: 0644\n", 1), "octal-values"),
    "truthy yes": (lambda t: t.replace("automountServiceAccountToken: false", "automountServiceAccountToken: no", 1),
                   "truthy"),
}


@pytest.mark.parametrize("violation", list(PLANTED))
def test_planted_violation_is_caught(violation: str, tmp_path: Path, config: YamlLintConfig) -> None:
    edit, rule = PLANTED[violation]
    original = synth_variant_yaml("celery-rabbitmq", tmp_path)
    broken = edit(original)
    assert broken != original
    problems = lint(broken, config)
    assert len(problems) == 1 and problems[0].endswith(f"({rule})"), problems
