"""archive gate (placeholder until implemented)."""

from __future__ import annotations

from extgate.gates.interface import GateContext, GateResult


class ArchiveGate:
    name = "archive"

    def run(self, ctx: GateContext) -> GateResult:
        return GateResult()
