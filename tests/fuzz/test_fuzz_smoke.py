"""CI smoke run of every fuzz harness (fuzz/fuzz_*.py): seeds, fixture seeds and deterministic mutations
in-process, and one real atheris run through scripts/fuzz. The long coverage-guided campaigns are run locally
(FUZZING.md)."""

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


@pytest.mark.parametrize("target", TARGETS)
def test_harness_runs_its_fixture_seeds(target: str) -> None:
    """The corpus a campaign starts from: the inline seeds and the tests/fixtures files, each within -max_len."""
    harness = importlib.import_module(f"fuzz_{target}")
    assert harness.SEEDS and all(len(seed) <= harness.MAX_LEN for seed in harness.SEEDS)
    usable = [data for data in harness.FIXTURES if len(data) <= harness.MAX_LEN]
    for data in usable:
        harness.one_input(data)
    if target not in {"html", "policy", "publish_document", "glob"}:  # tests/fixtures has none of these files
        assert usable, f"{target}: no fixture seed fits -max_len={harness.MAX_LEN}"


def test_instrumentation_is_limited_to_the_harness_packages() -> None:
    from _harness import excluded

    skipped = set(excluded(["extgate.intake", "extgate.model"]))
    assert {"extgate.intake", "extgate.intake.tar", "extgate.intake.npm_tar", "extgate.model"}.isdisjoint(skipped)
    assert {"extgate", "extgate.engine", "extgate.gates.code.javascript", "extgate.trust.osv"} <= skipped
    assert excluded(["tomllib"]) == []  # a single-module top level: nothing else to leave out


def test_libfuzzer_argv_adds_max_len_and_dict_unless_given(tmp_path: Path) -> None:
    from _harness import libfuzzer_argv

    seeds = tmp_path / "seeds"
    argv = libfuzzer_argv(["fuzz_x.py", "-runs=5", "/corpus"], seeds, 64, [b'a"b\x00'])
    assert argv == ["fuzz_x.py", "-max_len=64", f"-dict={seeds}.dict", "-runs=5", "/corpus", str(seeds)]
    assert (tmp_path / "seeds.dict").read_text() == '"a\\x22b\\x00"\n'
    given = libfuzzer_argv(["fuzz_x.py", "-max_len=9", "-dict=/d", "/corpus"], seeds, 64, [b"a"])
    assert given == ["fuzz_x.py", "-max_len=9", "-dict=/d", "/corpus", str(seeds)]


def test_scripts_fuzz_runs_atheris(tmp_path: Path) -> None:
    pytest.importorskip("atheris", reason="atheris is not installed: the coverage-guided runner is NOT tested")
    root = FUZZ.parent
    env = {**os.environ, "EXTGATE_VENV": str(Path(sys.executable).parents[1]), "EXTGATE_FUZZ_DIR": str(tmp_path)}
    done = subprocess.run(
        [str(root / "scripts" / "fuzz"), "policy", "120", "-runs=20"],
        cwd=root, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Done 20 runs" in done.stderr
    assert "INFO: Instrumenting extgate.policy" in done.stderr
    assert "INFO: Instrumenting extgate.engine" not in done.stderr  # only the harness's modules
    assert "-max_len=2048" in done.stderr or "Dictionary: " in done.stderr
