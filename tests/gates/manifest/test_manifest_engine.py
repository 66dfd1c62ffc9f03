"""The manifest gate inside the whole pipeline (intake of a real folder -> gates -> verdict)."""

from __future__ import annotations

from pathlib import Path

from manifest_support import FIXTURES

from extgate.engine import check
from extgate.model import Finding, Level
from extgate.options import Options

OURS = ("manifest/", "cinatra/", "fixtures/")


def our_errors(findings: tuple[Finding, ...]) -> list[str]:
    return [f.rule_id for f in findings if f.rule_id.startswith(OURS) and f.level is Level.ERROR]


def test_real_cinatra_connector_folder_through_the_engine() -> None:
    verdict = check(FIXTURES / "cinatra-real" / "gmail-connector", options=Options(publishers=("@cinatra-ai",)))
    assert verdict.profile == "cinatra"
    assert dict(verdict.manifest) == {"name": "@cinatra-ai/gmail-connector", "version": "0.1.3"}
    assert our_errors(verdict.findings) == []
    assert [f.rule_id for f in verdict.findings if f.rule_id.startswith(OURS)] == ["cinatra/server-entry"]
    assert "manifest/version-exists: skipped (no --registry given)" in verdict.notes


def test_swamp_repository_folder_through_the_engine() -> None:
    verdict = check(FIXTURES / "swamp" / "deploy-tools", options=Options(publishers=("@acme",)))
    assert verdict.profile == "swamp"
    assert dict(verdict.manifest) == {"name": "@acme/deploy-tools", "version": "2026.05.19.2"}
    assert [f.rule_id for f in verdict.findings if f.rule_id.startswith(OURS)] == []


def test_broken_manifest_blocks_the_verdict(tmp_path: Path) -> None:
    folder = tmp_path
    (folder / "package.json").write_text('{"name": "x", "version": "1.0.0",}')
    verdict = check(folder)
    assert verdict.blocked
    assert "manifest/invalid" in our_errors(verdict.findings)
