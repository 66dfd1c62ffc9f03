"""content gate: content/* (long lines, blobs, IP literals, shady URLs) and secrets/* rules over every text file.

Rules and their matchers are data (rules/content.yaml, rules/secrets.yaml); the per-file work is the pure function
`analyze_file(path, data, config)` so it can be cached by content hash or run in worker processes.
"""

from __future__ import annotations

from extgate.gates.content.analysis import analyze_file
from extgate.gates.content.config import config_from
from extgate.gates.content.interface import ContentConfig, Hit
from extgate.gates.interface import GateContext, GateResult
from extgate.model import Finding


class ContentGate:
    name = "content"

    def run(self, ctx: GateContext) -> GateResult:
        config = config_from(ctx.rules, ctx.setting, ctx.enabled)
        findings: list[Finding] = []
        for entry in ctx.package.iter_files():
            assert entry.data is not None  # iter_files yields read files only
            findings += (ctx.hit_finding(entry.path, hit) for hit in analyze_file(entry.path, entry.data, config))
        return GateResult.of(findings)


__all__ = ["ContentConfig", "ContentGate", "Hit", "analyze_file", "config_from"]
