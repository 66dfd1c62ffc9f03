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


def test_a_parse_timeout_is_never_a_pass(tmp_path: Path) -> None:
    source = "var a = b.c(d, e) + f[g];\n" * 40_000 + "eval(x);\n"
    archive = tmp_path / "slow.tgz"
    archive.write_bytes(npm_tgz({"package.json": '{"name": "slow", "version": "1.0.0"}', "index.js": source}))
    policy = {"code": {"parse_timeout_ms": 1}}
    verdict = check(archive.read_bytes(), policy, options=OFFLINE)
    [unparsed] = [f for f in verdict.findings if f.rule_id == "safety/unparsed-file"]
    assert unparsed.properties["reason"] == "timeout" and verdict.status.value != "passed"
    (tmp_path / ".extgate.toml").write_text("[code]\nparse_timeout_ms = 1\n")
    args = ["check", str(archive), "--offline", "--policy", str(tmp_path / ".extgate.toml"), "-o", str(tmp_path / "v")]
    assert main(args) == 1
