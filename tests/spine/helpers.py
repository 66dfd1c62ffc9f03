"""Spine test helpers: run the real engine with chosen gates on an in-memory package."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from extgate import engine
from extgate.gates.interface import GateContext, GateResult
from extgate.model import Finding, Package


@dataclass
class FuncGate:
    """A gate made from a function, to exercise the engine's contract."""

    name: str
    fn: Callable[[GateContext], Sequence[Finding]]

    def run(self, ctx: GateContext) -> GateResult:
        return GateResult.of(self.fn(ctx))


def use_package(monkeypatch: pytest.MonkeyPatch, package: Package, gates: Sequence[object]) -> None:
    monkeypatch.setattr(engine, "open_source", lambda source, **kw: package)
    monkeypatch.setattr(engine, "GATES", tuple(gates))
