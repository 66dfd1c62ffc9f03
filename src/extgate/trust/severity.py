"""An OSV record's severity: the highest of its CVSS v2 / v3.x / v4 vectors, else GHSA's label, else UNKNOWN.

Both the record-level `severity` list and each matched `affected[].severity` list count (schema 1.5 allows the
latter). A vector the `cvss` library rejects is skipped, not trusted and not fatal. CVSS v2 has no CRITICAL band:
its rating comes from the base score with NVD's v2 bands (0-3.9 LOW, 4-6.9 MEDIUM, 7-10 HIGH).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

RANKS = {"UNKNOWN": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
_GHSA_LABELS = {"LOW": "LOW", "MODERATE": "MEDIUM", "MEDIUM": "MEDIUM", "HIGH": "HIGH", "CRITICAL": "CRITICAL"}


def _band(score: float) -> str:
    """CVSS v3/v4 qualitative rating; a 0.0 ('None') score counts as LOW rather than hiding the record."""
    if score >= 9.0:
        return "CRITICAL"
    if score >= 7.0:
        return "HIGH"
    if score >= 4.0:
        return "MEDIUM"
    return "LOW"


def score_vector(kind: str, vector: str) -> tuple[str, float] | None:
    """(rating, base score) of one OSV severity entry, or None when it is not a CVSS vector we can read."""
    try:
        if kind == "CVSS_V4":
            v4 = CVSS4(vector)
            return _band(float(v4.base_score)), float(v4.base_score)
        if kind == "CVSS_V3":
            base = float(CVSS3(vector).scores()[0])
            return _band(base), base
        if kind == "CVSS_V2":
            base = float(CVSS2(vector).scores()[0])
            return ("HIGH" if base >= 7.0 else "MEDIUM" if base >= 4.0 else "LOW"), base
    except (CVSSError, ValueError, KeyError, TypeError, IndexError, ZeroDivisionError):
        return None
    return None


def _entries(record: Mapping[str, Any], affected: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    lists = [record.get("severity")] + [entry.get("severity") for entry in affected]
    for value in lists:
        if isinstance(value, list):
            yield from (item for item in value if isinstance(item, Mapping))


def severity_of(record: Mapping[str, Any], affected: Iterable[Mapping[str, Any]] = ()) -> tuple[str, float | None]:
    """(CRITICAL|HIGH|MEDIUM|LOW|UNKNOWN, best CVSS base score or None)."""
    best: tuple[str, float] | None = None
    for entry in _entries(record, affected):
        kind, vector = entry.get("type"), entry.get("score")
        if not isinstance(kind, str) or not isinstance(vector, str):
            continue
        rated = score_vector(kind, vector[:500])
        if rated and (best is None or (RANKS[rated[0]], rated[1]) > (RANKS[best[0]], best[1])):
            best = rated
    if best:
        return best
    specific = record.get("database_specific")
    if isinstance(specific, Mapping):
        label = specific.get("severity")
        if isinstance(label, str) and label.upper() in _GHSA_LABELS:
            return _GHSA_LABELS[label.upper()], None
    return "UNKNOWN", None


def highest(labels: Iterable[str]) -> str:
    return max(labels, key=lambda label: RANKS.get(label, 0), default="UNKNOWN")
