"""main.py: the default system into dist/, --outdir, --all-variants, and `npx cdk8s synth`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from constructs_lib import VARIANTS

from .conftest import ROOT

ENV = {
    **os.environ,
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CDK8S_CHECK_UPGRADE": "false",
    "DAGSTER_PG_PASSWORD": "a",
    "DAGSTER_RABBITMQ_PASSWORD": "b",
    "DAGSTER_REDIS_PASSWORD": "c",
}


def run_main(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=cwd,
        env=env or ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_default_run_writes_the_default_system_to_dist(tmp_path: Path) -> None:
    shutil.copy(ROOT / "main.py", tmp_path / "main.py")
    env = {**ENV, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "main.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    docs = list(yaml.safe_load_all((tmp_path / "dist" / "dagster.k8s.yaml").read_text()))
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert ("StatefulSet", "dagster-rabbitmq") in names and ("Deployment", "dagster-flower") in names


def test_outdir_and_all_variants(tmp_path: Path) -> None:
    result = run_main("--all-variants", "--outdir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".dagster-cdk8s-files",
                                                                 *(f"{v}.k8s.yaml" for v in VARIANTS)])
    assert "!!" not in result.stderr, "the Node end-of-life banner is silenced"


def test_a_later_synth_removes_only_the_files_it_wrote_earlier(tmp_path: Path) -> None:
    assert run_main("--all-variants", "--outdir", str(tmp_path)).returncode == 0
    (tmp_path / "mine.k8s.yaml").write_text("kind: ConfigMap\n")
    (tmp_path / "notes.txt").write_text("keep\n")
    result = run_main("--outdir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".dagster-cdk8s-files", "dagster.k8s.yaml",
                                                          "mine.k8s.yaml", "notes.txt"]


def test_demo_passwords_are_announced(tmp_path: Path) -> None:
    env = {k: v for k, v in ENV.items() if not k.endswith("_PASSWORD")}
    result = run_main("--outdir", str(tmp_path), env=env)
    assert result.returncode == 0
    assert "DAGSTER_PG_PASSWORD, DAGSTER_RABBITMQ_PASSWORD, DAGSTER_REDIS_PASSWORD not set" in result.stderr


def test_unknown_variant_is_rejected(tmp_path: Path) -> None:
    result = run_main("--variant", "nope", "--outdir", str(tmp_path))
    assert result.returncode == 2 and "invalid choice: 'nope'" in result.stderr


def test_cdk8s_cli_synth_writes_the_same_dist(tmp_path: Path) -> None:
    cli = ROOT / "node_modules" / ".bin" / "cdk8s"
    if not cli.exists():
        pytest.fail("node_modules/.bin/cdk8s is missing: run `make install` (npm ci) first")
    ours = tmp_path / "python"
    assert run_main("--outdir", str(ours)).returncode == 0
    theirs = tmp_path / "cli"
    env = {**ENV, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{ENV['PATH']}"}
    result = subprocess.run(
        [str(cli), "synth", "--no-check-upgrade", "--output", str(theirs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (theirs / "dagster.k8s.yaml").read_text() == (ours / "dagster.k8s.yaml").read_text()


def test_security_profile_flag_wins_over_the_values(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("postgresql: {postgresqlPassword: pw}\nsecurityProfile: default\n")
    result = run_main("-f", str(values), "--security-profile", "hardened", "--outdir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    docs = list(yaml.safe_load_all((tmp_path / "dagster.k8s.yaml").read_text()))
    contexts = [d["spec"]["template"]["spec"]["securityContext"] for d in docs
                if d["kind"] in ("Deployment", "StatefulSet")]
    assert contexts and all(c["runAsUser"] == 10001 for c in contexts)
    bad = run_main("--security-profile", "strict", "--outdir", str(tmp_path))
    assert bad.returncode == 2 and "invalid choice: 'strict'" in bad.stderr


@pytest.mark.parametrize(("args", "option"), [
    (["--outdir", "{file}"], "--outdir"),                        # a file where the folder would be
    (["--outdir", "{file}/below"], "--outdir"),                  # a folder below a file
    (["--outdir", "{tmp}/out", "--diagram", "{file}/d.svg"], "--diagram"),
])
def test_an_output_path_that_cannot_be_written_is_an_error_not_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], option: str) -> None:
    from constructs_lib.cli import main

    (tmp_path / "file").write_text("not a folder")
    argv = [a.format(file=tmp_path / "file", tmp=tmp_path) for a in args]
    assert main(["synth", *argv]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith(f"error: {option}: invalid value "), err
    assert "a path this user can write" in err and "Traceback" not in err, err


def test_a_bad_namespace_option_is_named_as_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    from constructs_lib.cli import main

    assert main(["synth", "--namespace", "Data_Team"]) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith("error: --namespace: invalid value 'Data_Team'")


def test_diff_of_a_file_that_is_not_utf8_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from constructs_lib.cli import main

    (tmp_path / "a.yaml").write_bytes(b"\xff\xfe kind: x")
    (tmp_path / "b.yaml").write_text("")
    assert main(["diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'a.yaml'}: invalid value '<byte 0xff at offset 0>'")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_on_standard_output_is_an_error_not_a_traceback() -> None:
    schema = "import sys; from constructs_lib.cli import main; sys.exit(main(['schema']))"
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-c", schema], cwd=ROOT, stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == "error: No space left on device", result.stderr
