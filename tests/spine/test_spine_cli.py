"""CLI: exit codes, repeatable --format/--output, the acknowledgement flow, rules/explain."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from helpers import FuncGate, use_package

from extgate.cli import main
from extgate.commands.check import acknowledge_interactively
from extgate.engine import check
from extgate.gates.interface import GateContext
from extgate.model import Finding, Package, Status
from extgate.policy import Policy

PKG = Package.from_files({"index.js": "x"})


def warn(ctx: GateContext) -> list[Finding]:
    return [
        ctx.finding("demo/warning-rule", "w1", path="index.js", line=1, snippet="a"),
        ctx.finding("demo/warning-rule", "w2", path="index.js", line=2, snippet="b"),
    ]


def err(ctx: GateContext) -> list[Finding]:
    return [ctx.finding("demo/error-rule", "bad", path="index.js", line=1)]


def boom(ctx: GateContext) -> list[Finding]:
    raise RuntimeError("x")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "a.tgz"
    path.write_bytes(b"irrelevant: intake is replaced in these tests")
    return path


@pytest.mark.parametrize(
    ("gate", "flags", "code"),
    [
        (lambda ctx: [], [], 0),
        (err, [], 1),
        (warn, ["--no-input"], 1),
        (warn, ["--no-input", "--yes"], 0),
        (boom, [], 3),
    ],
)
def test_exit_codes(monkeypatch: pytest.MonkeyPatch, archive: Path, gate: object, flags: list[str], code: int) -> None:
    use_package(monkeypatch, PKG, [FuncGate("code", gate)])  # type: ignore[arg-type]
    assert main(["check", str(archive), *flags]) == code


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "missing.tgz")]) == 2
    assert main(["check", str(tmp_path), "--format", "xml"]) == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules.x\n")
    assert main(["check", str(tmp_path), "--policy", str(bad)]) == 2
    assert main(["explain", "code/no-such-rule"]) == 2
    assert "unknown rule" in capsys.readouterr().err


def test_internal_error_still_writes_a_blocked_verdict(monkeypatch: pytest.MonkeyPatch, archive: Path) -> None:
    use_package(monkeypatch, PKG, [FuncGate("code", boom)])
    out = archive.parent / "v.json"
    assert main(["check", str(archive), "--format", "json", "--output", str(out)]) == 3
    assert json.loads(out.read_text())["status"] == "blocked"


def test_several_formats_each_to_its_output(
    monkeypatch: pytest.MonkeyPatch, archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    use_package(monkeypatch, PKG, [FuncGate("code", err)])
    j, s = archive.parent / "v.json", archive.parent / "v.sarif"
    code = main(
        ["check", str(archive), "--format", "json", "-o", str(j), "--format", "sarif", "-o", str(s), "--format", "text"]
    )
    assert code == 1
    assert json.loads(j.read_text())["findings"][0]["rule_id"] == "demo/error-rule"
    assert json.loads(s.read_text())["version"] == "2.1.0"
    assert "error[demo/error-rule]" in capsys.readouterr().out


def test_interactive_acknowledgement_records_in_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_package(monkeypatch, PKG, [FuncGate("code", warn)])
    verdict = check(b"x")
    assert verdict.status is Status.NEEDS_ACKNOWLEDGEMENT
    policy_file = tmp_path / ".extgate.toml"
    answers = io.StringIO("y\nspawns git on purpose\nn\n")
    after = acknowledge_interactively(verdict, policy_file, answers, io.StringIO())
    assert [f.acknowledged for f in after.findings] == [True, False]
    assert after.status is Status.NEEDS_ACKNOWLEDGEMENT
    recorded = Policy.load(policy_file)
    assert list(recorded.acknowledgements) == [verdict.findings[0].fingerprint]
    # the recorded policy acknowledges it on the next run; answering the second makes it pass
    again = check(b"x", recorded)
    assert [f.acknowledged for f in again.findings] == [True, False]
    final = acknowledge_interactively(again, policy_file, io.StringIO("y\n\n"), io.StringIO())
    assert final.status is Status.PASSED
    assert check(b"x", Policy.load(policy_file)).status is Status.PASSED


def test_rules_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"id", "level", "title"} <= set(rows[0])
    assert main(["explain", "engine/internal-error"]) == 0
    out = capsys.readouterr().out
    assert "### What it does" in out and "### Fix" in out


def test_rules_markdown_is_the_full_reference(capsys: pytest.CaptureFixture[str]) -> None:
    from extgate.rules.registry import load_registry

    assert main(["rules", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    for rule in load_registry():
        assert f"## {rule.id}: " in out
