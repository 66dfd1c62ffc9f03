"""trust gate (placeholder until implemented)."""

from __future__ import annotations

from extgate.gates.interface import GateContext, GateResult


class TrustGate:
    name = "trust"

    def run(self, ctx: GateContext) -> GateResult:
        return GateResult()
