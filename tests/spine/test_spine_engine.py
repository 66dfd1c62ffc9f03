"""The engine's contract: gates in order, fail closed, policy, fingerprints, acknowledgements."""

from __future__ import annotations

import pickle

import pytest
from helpers import FuncGate, use_package

from extgate import Options, Policy, Status, check
from extgate.gates.interface import GateContext
from extgate.model import Finding, Level, Package
from extgate.policy import Acknowledgement

PKG = Package.from_files({"package.json": '{"name": "a", "version": "1.0.0"}', "index.js": "x\n"})


def warn(ctx: GateContext) -> list[Finding]:
    return [ctx.finding("demo/warning-rule", "placeholder", path="index.js", line=1)]


def boom(ctx: GateContext) -> list[Finding]:
    raise RuntimeError("gate exploded")


def test_gate_exception_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    use_package(monkeypatch, PKG, [FuncGate("code", boom)])
    verdict = check(b"ignored")
    assert verdict.status is Status.BLOCKED
    [finding] = verdict.findings
    assert finding.rule_id == "engine/internal-error"
    assert "code failed" in finding.message and "gate exploded" in finding.message


def test_later_gates_still_run_after_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    use_package(monkeypatch, PKG, [FuncGate("code", boom), FuncGate("manifest", warn)])
    verdict = check(b"ignored")
    assert [f.gate for f in verdict.findings] == ["engine", "manifest"] or {f.gate for f in verdict.findings} == {
        "engine",
        "manifest",
    }


def test_intake_crash_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(source: object, **kw: object) -> Package:
        raise MemoryError("simulated")

    monkeypatch.setattr("extgate.engine.open_source", broken)
    verdict = check(b"whatever")
    assert verdict.blocked
    assert any(f.rule_id == "engine/internal-error" and "intake" in f.message for f in verdict.findings)


def test_warning_needs_acknowledgement_and_yes_acknowledges(monkeypatch: pytest.MonkeyPatch) -> None:
    use_package(monkeypatch, PKG, [FuncGate("code", warn)])
    assert check(b"x").status is Status.NEEDS_ACKNOWLEDGEMENT
    verdict = check(b"x", options=Options(acknowledge_all=True))
    assert verdict.status is Status.PASSED
    assert verdict.findings[0].acknowledged and verdict.findings[0].acknowledgement == "flag: --yes"


def test_policy_acknowledgement_by_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    use_package(monkeypatch, PKG, [FuncGate("code", warn)])
    fingerprint = check(b"x").findings[0].fingerprint
    policy = Policy().with_acknowledgement(Acknowledgement(fingerprint, "reviewed"))
    verdict = check(b"x", policy)
    assert verdict.status is Status.PASSED
    assert verdict.findings[0].acknowledgement == "policy: reviewed"


def test_policy_cannot_waive_internal_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    use_package(monkeypatch, PKG, [FuncGate("code", boom)])
    policy = Policy.from_mapping({"rules": {"engine/internal-error": {"enabled": False, "level": "note"}}})
    assert check(b"x", policy).blocked


def test_policy_levels_and_disable(monkeypatch: pytest.MonkeyPatch) -> None:
    use_package(monkeypatch, PKG, [FuncGate("code", warn)])
    assert check(b"x", Policy.from_mapping({"rules": {"demo/warning-rule": {"level": "error"}}})).blocked
    assert check(b"x", Policy.from_mapping({"rules": {"demo/warning-rule": {"level": "note"}}})).passed
    disabled = check(b"x", Policy.from_mapping({"rules": {"demo/warning-rule": {"enabled": False}}}))
    assert disabled.passed and not disabled.findings


def test_profile_default_level(monkeypatch: pytest.MonkeyPatch) -> None:
    use_package(monkeypatch, PKG, [FuncGate("code", warn)])
    assert check(b"x", options=Options(profile="swamp")).blocked  # demo/warning-rule is an error for swamp


def test_fingerprints_stable_and_unique(monkeypatch: pytest.MonkeyPatch) -> None:
    def twice(ctx: GateContext) -> list[Finding]:
        return [ctx.finding("demo/error-rule", "same", path="a.js", line=n, snippet="eval(x)") for n in (3, 9)]

    use_package(monkeypatch, PKG, [FuncGate("code", twice)])
    first = [f.fingerprint for f in check(b"x").findings]
    assert len(set(first)) == 2 and first[0].endswith(":1") and first[1].endswith(":2")

    def moved(ctx: GateContext) -> list[Finding]:  # same evidence on other lines: the fingerprint does not move
        return [ctx.finding("demo/error-rule", "same", path="a.js", line=n, snippet="eval(x)") for n in (30, 90)]

    use_package(monkeypatch, PKG, [FuncGate("code", moved)])
    assert [f.fingerprint for f in check(b"x").findings] == first


def test_in_archive_policy_only_tightens(monkeypatch: pytest.MonkeyPatch) -> None:
    evil = Package.from_files(
        {
            ".extgate.toml": '[rules."engine/internal-error"]\nenabled = false\n',
            "index.js": "x",
        }
    )
    use_package(monkeypatch, evil, [FuncGate("code", boom)])
    verdict = check(b"x")
    assert verdict.blocked
    assert any("in-archive .extgate.toml applied" in n for n in verdict.notes)


def test_tightened_by_raises_never_lowers() -> None:
    defaults = {"code/x": Level.WARNING, "code/y": Level.ERROR}
    inside = Policy.from_mapping(
        {"rules": {"code/x": {"level": "error"}, "code/y": {"level": "note"}, "code/z": {"enabled": False}}}
    )
    merged = Policy().tightened_by(inside, defaults)
    assert merged.rules["code/x"].level is Level.ERROR
    assert "code/y" not in merged.rules and merged.rule_enabled("code/z")


def test_verdict_is_picklable_and_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    use_package(monkeypatch, PKG, [FuncGate("code", warn)])
    verdict = check(b"x")
    assert pickle.loads(pickle.dumps(verdict)) == verdict
    with pytest.raises(AttributeError):
        verdict.status = Status.PASSED  # type: ignore[misc]


def test_in_archive_policy_cannot_lower_but_can_raise_and_acknowledge(monkeypatch: pytest.MonkeyPatch) -> None:
    def both(ctx: GateContext) -> list[Finding]:
        return [
            ctx.finding("demo/error-rule", "err", path="index.js", line=1),
            ctx.finding("demo/warning-rule", "warn", path="index.js", line=2),
        ]

    plain = Package.from_files({"index.js": "x"})
    use_package(monkeypatch, plain, [FuncGate("code", both)])
    warn_fp = next(f.fingerprint for f in check(b"x").findings if f.rule_id == "demo/warning-rule")
    toml = (
        '[rules."demo/error-rule"]\nlevel = "note"\n'
        f'[[acknowledge]]\nfingerprint = "{warn_fp}"\nreason = "author says fine"\n'
    )
    use_package(monkeypatch, Package.from_files({"index.js": "x", ".extgate.toml": toml}), [FuncGate("code", both)])
    verdict = check(b"x")
    levels = {f.rule_id: (f.level, f.acknowledged) for f in verdict.findings}
    assert levels["demo/error-rule"] == (Level.ERROR, False)  # not lowered
    assert levels["demo/warning-rule"] == (Level.WARNING, True)  # acknowledged
    raise_toml = '[rules."demo/warning-rule"]\nlevel = "error"\n'
    use_package(monkeypatch, Package.from_files({"index.js": "x", ".extgate.toml": raise_toml}), [FuncGate("c", both)])
    assert {f.rule_id: f.level for f in check(b"x").findings}["demo/warning-rule"] is Level.ERROR


def test_acheck_and_threads_agree_with_check(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from extgate import acheck

    use_package(monkeypatch, PKG, [FuncGate("code", warn)])
    expected = check(b"x").findings
    assert asyncio.run(acheck(b"x")).findings == expected
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: check(b"x").findings, range(8)))
    assert all(r == expected for r in results)
