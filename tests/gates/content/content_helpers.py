"""Helpers for the content gate tests: the gate's own rule packs, contexts around in-memory files, fixtures."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from extgate.datafiles import data_dir
from extgate.facts import Facts
from extgate.gates.content import ContentGate, config_from
from extgate.gates.content.interface import ContentConfig
from extgate.gates.content.matcher import hyperscan_available
from extgate.gates.interface import GateContext
from extgate.model import Finding, Package
from extgate.options import Options
from extgate.policy import Policy
from extgate.profiles import get_profile
from extgate.rules.registry import RuleRegistry, load_packs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "content"
PACKS = ("content.yaml", "secrets.yaml", "profiles.yaml", "engine.yaml")

ENGINES = [
    pytest.param("re", id="re"),
    pytest.param(
        "hyperscan",
        id="hyperscan",
        marks=pytest.mark.skipif(not hyperscan_available(), reason="hyperscan is not installed on this platform"),
    ),
]


@cache
def registry() -> RuleRegistry:
    """Only the packs this gate reads (a pack another helper is editing cannot break these tests)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in PACKS:
            shutil.copy(data_dir("rules") / name, Path(tmp) / name)
        return load_packs(Path(tmp))


def policy(engine: str = "auto", **settings: Any) -> Policy:
    return Policy.from_mapping({"content": {"engine": engine, **settings}})


def config(engine: str = "auto", **settings: Any) -> ContentConfig:
    chosen = policy(engine, **settings)
    return config_from(registry(), lambda key, default: chosen.setting("content", key, default))


def context(files: Mapping[str, bytes | str], *, engine: str = "auto", policy_: Policy | None = None) -> GateContext:
    rules = registry()
    return GateContext(
        Package.from_files(files),
        get_profile("npm", rules),
        policy_ or policy(engine),
        Options(),
        rules,
        Facts(),
        "content",
    )


def run(files: Mapping[str, bytes | str], *, engine: str = "auto", policy_: Policy | None = None) -> list[Finding]:
    return list(ContentGate().run(context(files, engine=engine, policy_=policy_)).findings)


def of(findings: list[Finding], rule_id: str) -> list[Finding]:
    return [f for f in findings if f.rule_id == rule_id]


def fixture_dirs() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if (p / "expected.yaml").is_file())


def fixture_files(folder: Path) -> dict[str, bytes]:
    """path-in-package -> bytes for every file under `folder`."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def expected(folder: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((folder / "expected.yaml").read_text())
    return doc
