"""Issue 14: an exception inside each gate (and in scoring) blocks the verdict with a finding that says why, exit
code 1 or 3 from the CLI, never 0; a policy cannot waive it."""

from __future__ import annotations

from pathlib import Path

import pytest

from extgate import Options, check
from extgate.cli import main
from extgate.engine import GATES
from extgate.gates.interface import GateContext, GateResult
from support.archives import npm_tgz

OFFLINE = Options(offline=True, network=False, use_cache=False)
CLEAN = npm_tgz({"package.json": '{"name": "clean", "version": "1.0.0", "license": "MIT"}', "index.js": "x\n"})
LENIENT = {"rules": {"engine/internal-error": {"enabled": False, "level": "note"}}}


@pytest.mark.parametrize("gate", [g.name for g in GATES])
def test_an_exception_inside_each_gate_blocks(gate: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = next(g for g in GATES if g.name == gate)

    def explode(ctx: GateContext) -> GateResult:
        raise OSError(f"simulated failure in {gate}")

    monkeypatch.setattr(type(target), "run", lambda self, ctx: explode(ctx))
    verdict = check(CLEAN, LENIENT, options=OFFLINE)  # even a policy that tries to switch the rule off
    assert verdict.blocked
    [internal] = [f for f in verdict.findings if f.rule_id == "engine/internal-error"]
    assert f"simulated failure in {gate}" in internal.message

    archive = tmp_path / "clean.tgz"
    archive.write_bytes(CLEAN)
    assert main(["check", str(archive), "--offline", "--format", "json", "-o", str(tmp_path / "v.json")]) in (1, 3)


def test_the_clean_package_passes_without_the_failure() -> None:
    verdict = check(CLEAN, options=OFFLINE)
    assert not any(f.rule_id == "engine/internal-error" for f in verdict.findings)
