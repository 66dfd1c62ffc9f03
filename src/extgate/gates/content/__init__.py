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
        calls: list[tuple[str, bytes]] = []
        for entry in ctx.package.iter_files():
            assert entry.data is not None  # iter_files yields read files only
            calls.append((entry.path, entry.data))
        for (path, _), hits in zip(calls, ctx.map_files(analyze_file, calls, config), strict=True):
            findings += (ctx.hit_finding(path, hit) for hit in hits)
        return GateResult.of(findings)


__all__ = ["ContentConfig", "ContentGate", "Hit", "analyze_file", "config_from"]
