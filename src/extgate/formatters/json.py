"""The JSON verdict: a stable contract (`schema_version`), schema in extgate/schemas/verdict.schema.json."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from extgate.model import Baseline, Dependency, Finding, Score, Verdict

SCHEMA_VERSION = "1.1"  # 1.1: the `baseline` block (drift gate)


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    return {
        "rule_id": finding.rule_id,
        "level": finding.level.value,
        "gate": finding.gate,
        "message": finding.message,
        "path": loc.path if loc else None,
        "line": loc.line if loc else None,
        "column": loc.column if loc else None,
        "end_line": loc.end_line if loc else None,
        "end_column": loc.end_column if loc else None,
        "snippet": finding.snippet,
        "fingerprint": finding.fingerprint,
        "acknowledged": finding.acknowledged,
        "acknowledgement": finding.acknowledgement,
        "properties": dict(finding.properties),
    }


def dependency_to_dict(dep: Dependency) -> dict[str, Any]:
    return {
        "name": dep.name,
        "spec": dep.spec,
        "resolved": dep.resolved,
        "source": dep.source,
        "status": dep.status,
        "direct": dep.direct,
        "path": dep.location.path if dep.location else None,
        "line": dep.location.line if dep.location else None,
        "advisories": [
            {
                "id": a.id,
                "aliases": list(a.aliases),
                "summary": a.summary,
                "severity": a.severity,
                "score": a.score,
                "fixed": list(a.fixed),
                "malicious": a.malicious,
            }
            for a in dep.advisories
        ],
        "signals": list(dep.signals),
    }


def score_to_dict(score: Score | None) -> dict[str, Any] | None:
    if score is None:
        return None
    data = asdict(score)
    data["factors"] = [asdict(f) for f in score.factors]
    return data


def baseline_to_dict(baseline: Baseline | None) -> dict[str, Any] | None:
    return asdict(baseline) if baseline is not None else None


def verdict_to_dict(verdict: Verdict) -> dict[str, Any]:
    counts = {"error": 0, "warning": 0, "note": 0, "acknowledged": 0}
    for f in verdict.findings:
        counts[f.level.value] += 1
        counts["acknowledged"] += int(f.acknowledged)
    target = verdict.target
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "extgate", "version": verdict.tool_version},
        "target": {
            "path": target.path,
            "sha256": target.sha256,
            "integrity": target.integrity,
            "files": target.files,
            "bytes": target.bytes,
            "publish_set": list(target.publish_set),
        },
        "package": dict(verdict.manifest),
        "profile": verdict.profile,
        "status": verdict.status.value,
        "summary": counts,
        "findings": [finding_to_dict(f) for f in verdict.findings],
        "score": score_to_dict(verdict.score),
        "dependencies": [dependency_to_dict(d) for d in verdict.dependencies],
        "notes": list(verdict.notes),
        "baseline": baseline_to_dict(verdict.baseline),
        "duration_ms": verdict.duration_ms,
    }


def render(verdict: Verdict) -> str:
    return json.dumps(verdict_to_dict(verdict), indent=2, ensure_ascii=False) + "\n"


def canonical_digest(verdict: Verdict) -> str:
    """sha256 over the verdict without its timing: the same inputs give the same digest (provenance sidecars)."""
    import hashlib

    data = verdict_to_dict(verdict)
    data.pop("duration_ms", None)
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
