"""Every crash the fuzzers found is a fixture here (tests/fixtures/fuzz/<target>-<what>): replayed through its
harness, and through the whole engine, which must name a proper rule for it."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from extgate import Options, check

ROOT = Path(__file__).resolve().parents[2]
CRASHES = sorted((ROOT / "tests" / "fixtures" / "fuzz").glob("*-*"))
EXPECTED = {"zip-version-23.zip": "archive/corrupt"}  # zipfile's NotImplementedError escaped intake


@pytest.mark.parametrize("fixture", CRASHES, ids=[p.name for p in CRASHES])
def test_fuzz_crash_fixture_is_handled(fixture: Path) -> None:
    sys.path.insert(0, str(ROOT / "fuzz"))
    harness = importlib.import_module(f"fuzz_{fixture.name.split('-', 1)[0]}")
    data = fixture.read_bytes()
    harness.one_input(data)
    if fixture.name in EXPECTED:
        verdict = check(data, options=Options(offline=True, network=False, use_cache=False))
        rules = {f.rule_id for f in verdict.findings}
        assert verdict.blocked and EXPECTED[fixture.name] in rules and "engine/internal-error" not in rules


def test_every_expectation_has_its_fixture() -> None:
    assert set(EXPECTED) <= {p.name for p in CRASHES}
