"""The JSON verdict: a stable contract (`schema_version`), schema in extgate/schemas/verdict.schema.json.

The plain data comes from the model's `to_dict` methods (the model never imports formatters); this module
renders it and keeps the historical function names as entry points.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from extgate.model import SCHEMA_VERSION, Dependency, Finding, Score, Verdict

__all__ = [
    "SCHEMA_VERSION",
    "canonical_digest",
    "dependency_to_dict",
    "finding_to_dict",
    "render",
    "score_to_dict",
    "verdict_to_dict",
]


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return finding.to_dict()


def dependency_to_dict(dep: Dependency) -> dict[str, Any]:
    return dep.to_dict()


def score_to_dict(score: Score | None) -> dict[str, Any] | None:
    return score.to_dict() if score is not None else None


def verdict_to_dict(verdict: Verdict) -> dict[str, Any]:
    return verdict.to_dict()


def render(verdict: Verdict) -> str:
    return json.dumps(verdict.to_dict(), indent=2, ensure_ascii=False) + "\n"


def canonical_digest(verdict: Verdict) -> str:
    """sha256 over the verdict without its timing: the same inputs give the same digest (provenance sidecars)."""
    data = verdict.to_dict()
    data.pop("duration_ms", None)
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
