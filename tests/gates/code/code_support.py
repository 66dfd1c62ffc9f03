"""Helpers for the code gate tests: the gate over in-memory files, findings by rule, fixtures."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from extgate.datafiles import data_dir
from extgate.facts import CodeFacts, Facts
from extgate.gates.code import CodeGate, analyze_file, build_config
from extgate.gates.code.interface import CodeConfig, FileAnalysis
from extgate.gates.interface import GateContext, GateResult
from extgate.model import Finding, Level, Package
from extgate.options import Options
from extgate.policy import Policy
from extgate.profiles import get_profile
from extgate.rules.registry import RuleRegistry, load_packs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "code"
PACKS = ("code.yaml", "profiles.yaml", "engine.yaml")


@cache
def registry() -> RuleRegistry:
    """Only the packs this gate reads, so a pack another helper is editing cannot break these tests."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in PACKS:
            shutil.copy(data_dir("rules") / name, Path(tmp) / name)
        return load_packs(Path(tmp))


def policy(**settings: Any) -> Policy:
    return Policy.from_mapping({"code": settings}) if settings else Policy()


def config(backend: str = "auto", **settings: Any) -> CodeConfig:
    chosen = policy(**settings)
    return build_config(registry(), lambda key, default: chosen.setting("code", key, default), backend)


def run(files: Mapping[str, bytes | str], *, policy_: Policy | None = None) -> GateResult:
    rules = registry()
    ctx = GateContext(
        Package.from_files(files),
        get_profile("npm", rules),
        policy_ or Policy(),
        Options(),
        rules,
        Facts(),
        "code",
    )
    return CodeGate().run(ctx)


def findings(files: Mapping[str, bytes | str], rule: str | None = None, **settings: Any) -> list[Finding]:
    result = run(files, policy_=policy(**settings))
    return [f for f in result.findings if rule is None or f.rule_id == rule]


def scan(path: str, source: str | bytes, rule: str | None = None) -> list[Finding]:
    """Findings for one file, optionally of one rule."""
    return findings({path: source}, rule)


def where(found: list[Finding]) -> list[tuple[int | None, int | None]]:
    return [(f.location.line, f.location.column) if f.location else (None, None) for f in found]


def levels(found: list[Finding]) -> list[Level]:
    return [f.level for f in found]


def facts(files: Mapping[str, bytes | str]) -> CodeFacts:
    result = run(files)
    assert result.facts is not None and result.facts.code is not None
    return result.facts.code


def analyze(path: str, source: str | bytes, **settings: Any) -> FileAnalysis:
    data = source.encode() if isinstance(source, str) else source
    suffix = ".d.ts" if path.endswith(".d.ts") else "." + path.rsplit(".", 1)[-1]
    return analyze_file(path, suffix, data, config(**settings))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
