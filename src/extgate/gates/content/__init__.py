"""content gate (placeholder until implemented)."""

from __future__ import annotations

from extgate.gates.interface import GateContext, GateResult


class ContentGate:
    name = "content"

    def run(self, ctx: GateContext) -> GateResult:
        return GateResult()
