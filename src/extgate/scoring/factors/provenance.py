"""provenance: a provenance sidecar in the package root (`.cinatra-published.json`, `*.provenance.json`, ...) that
is a JSON object for this package, or npm attestations in the manifest's `dist` (packument metadata)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from extgate.model import Entry, FactorResult
from extgate.scoring.interface import BaseFactor, ScoringContext


class Provenance(BaseFactor):
    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        dist = ctx.manifest_value("dist")
        if isinstance(dist, Mapping) and isinstance(dist.get("attestations"), Mapping) and dist["attestations"]:
            return self.earned("npm attestations in `dist.attestations`")
        names = set(self.spec.strings("sidecar_names"))
        suffixes = self.spec.strings("sidecar_suffixes")
        sidecars = sorted(
            (
                e
                for e in ctx.package.files
                if "/" not in e.path and (e.name.lower() in names or e.name.lower().endswith(suffixes))
            ),
            key=lambda e: e.path,
        )
        if not sidecars:
            return self.missed("no provenance sidecar and no npm attestation")
        problems: list[str] = []
        for entry in sidecars:
            problem = self._check(entry, ctx)
            if problem is None:
                return self.earned(entry.path)
            problems.append(problem)
        return self.missed(
            problems[0], hint="Let the publish pipeline write the provenance sidecar; do not hand-edit it."
        )

    def _check(self, entry: Entry, ctx: ScoringContext) -> str | None:
        raw = entry.data or b""
        if len(raw) > int(self.spec.setting("max_bytes", 1_000_000)) or entry.truncated:
            return f"{entry.path} is too large to be a provenance record"
        text = raw.decode("utf-8", "replace").strip()
        if entry.name.lower().endswith(".jsonl"):
            text = text.split("\n", 1)[0]
        try:
            doc: Any = json.loads(text)
        except (ValueError, RecursionError):
            return f"{entry.path} is not valid JSON"
        if not isinstance(doc, Mapping) or not doc:
            return f"{entry.path} is not a JSON object"
        for key in ("name", "version"):
            mine = ctx.manifest_value(key)
            theirs = doc.get(key)
            if isinstance(mine, str) and isinstance(theirs, str) and mine != theirs:
                return f"{entry.path} records {key} {theirs[:60]!r}, the manifest says {mine[:60]!r}"
        return None
