"""Severity: highest of CVSS v2/v3/v4 (cvss library), else GHSA's label, else UNKNOWN."""

from __future__ import annotations

import copy

import pytest
from trust_helpers import raw_record

from extgate.trust.severity import score_vector, severity_of


@pytest.mark.parametrize(
    ("record_id", "label", "score"),
    [
        ("GHSA-35jh-r3h4-6jhm", "HIGH", 7.2),  # CVSS v3.1 only
        ("GHSA-qwcr-r2fm-qrc7", "HIGH", 8.7),  # v3 7.5 and v4 8.7: the higher counts
        ("GHSA-m6fv-jmcg-4jfg", "MEDIUM", 5.0),  # v3 5.0 and v4 2.3: the higher counts
        ("GHSA-r683-j2x4-v87g", "HIGH", 8.8),  # CVSS:3.0 prefix
        ("GHSA-w7rc-rwvf-8q5r", "LOW", 2.6),
        ("GHSA-8hc4-vh64-cxmj", "HIGH", None),  # empty severity list: GHSA database_specific label
        ("GHSA-952p-6rrq-rcjv", "MEDIUM", None),  # GHSA "MODERATE" is MEDIUM
        ("MAL-2025-46974", "UNKNOWN", None),  # nothing at all
    ],
)
def test_real_records(record_id: str, label: str, score: float | None) -> None:
    raw = raw_record(record_id)
    assert severity_of(raw, raw.get("affected", [])) == (label, score)


def test_cvss_v4_only_record_is_rated_not_unknown() -> None:
    # swamp's audit rated v4-only records UNKNOWN; derive one from a real record by dropping its v3 vector
    raw = copy.deepcopy(raw_record("GHSA-qwcr-r2fm-qrc7"))
    raw["severity"] = [s for s in raw["severity"] if s["type"] == "CVSS_V4"]
    del raw["database_specific"]["severity"]
    assert severity_of(raw) == ("HIGH", 8.7)


def test_cvss_v2_bands() -> None:
    assert score_vector("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P") == ("HIGH", 7.5)
    assert score_vector("CVSS_V2", "AV:L/AC:H/Au:M/C:N/I:P/A:N") is not None


def test_invalid_vectors_are_skipped_and_fall_back() -> None:
    raw = {
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/garbage"}, {"type": "CVSS_V4", "score": "x"}],
        "database_specific": {"severity": "LOW"},
    }
    assert severity_of(raw) == ("LOW", None)
    assert severity_of({"severity": "not-a-list"}) == ("UNKNOWN", None)
    assert score_vector("Ubuntu", "high") is None


def test_per_affected_severity_counts() -> None:
    raw: dict[str, list[object]] = {"severity": []}
    affected = [{"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}]
    assert severity_of(raw, affected) == ("CRITICAL", 9.8)
