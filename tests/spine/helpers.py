"""Spine test helpers: run the real engine with chosen gates on an in-memory package."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from extgate import engine
from extgate.formatters import sarif
from extgate.frozen import FrozenMap
from extgate.gates.interface import GateContext, GateResult
from extgate.model import Finding, Package
from extgate.rules.registry import RuleRegistry, load_packs, load_registry


@dataclass
class FuncGate:
    """A gate made from a function, to exercise the engine's contract."""

    name: str
    fn: Callable[[GateContext], Sequence[Finding]]

    def run(self, ctx: GateContext) -> GateResult:
        return GateResult.of(self.fn(ctx))


FIXTURES = Path(__file__).parent.parent / "fixtures" / "spine"


def registry_with_test_rules() -> RuleRegistry:
    """The bundled packs plus tests/fixtures/spine/test-rules.yaml (demo/* rules)."""
    real, extra = load_registry(), load_packs(FIXTURES)
    return RuleRegistry(FrozenMap({**real.rules, **extra.rules}), real.pack_data, real.version)


def use_package(monkeypatch: pytest.MonkeyPatch, package: Package, gates: Sequence[object]) -> None:
    registry = registry_with_test_rules()
    monkeypatch.setattr(engine, "open_source", lambda source, **kw: package)
    monkeypatch.setattr(engine, "GATES", tuple(gates))
    monkeypatch.setattr(engine, "load_registry", lambda: registry)
    monkeypatch.setattr(sarif, "load_registry", lambda: registry)
