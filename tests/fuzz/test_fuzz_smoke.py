"""CI smoke run of every fuzz harness (fuzz/fuzz_*.py): seeds plus deterministic mutations in-process, and one
real atheris run through scripts/fuzz. The long coverage-guided campaigns are run locally (FUZZING.md)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
TARGETS = sorted(p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.py"))
ROUNDS = {"directory": 40}  # writes a tree per input


@pytest.fixture(scope="module", autouse=True)
def _fuzz_path() -> None:
    sys.path.insert(0, str(FUZZ))


def test_every_target_of_issue_14_has_a_harness() -> None:
    assert set(TARGETS) >= {"tar", "gzip", "zip", "directory", "package_json", "manifest_yaml", "lockfile",
                            "deno_json", "osv", "js", "ts", "python", "html", "policy"}  # fmt: skip


@pytest.mark.parametrize("target", TARGETS)
def test_harness_survives_its_smoke_mutations(target: str) -> None:
    harness = importlib.import_module(f"fuzz_{target}")
    from _harness import mutations

    for data in mutations(harness.SEEDS, ROUNDS.get(target, 150), seed=14):
        harness.one_input(data)


def test_scripts_fuzz_runs_atheris() -> None:
    pytest.importorskip("atheris", reason="atheris is not installed: the coverage-guided runner is NOT tested")
    root = FUZZ.parent
    env = {**os.environ, "EXTGATE_VENV": str(Path(sys.executable).parents[1])}
    done = subprocess.run(
        [str(root / "scripts" / "fuzz"), "policy", "30", "-runs=20"],
        cwd=root, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Done 20 runs" in done.stderr
