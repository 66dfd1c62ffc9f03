"""OSV schema matching against the real published records (tests/fixtures/osv)."""

from __future__ import annotations

import copy

import pytest
from trust_helpers import raw_record, record

from extgate.trust.interface import OsvRecord
from extgate.trust.match import CASE_INSENSITIVE, EXACT, affects, coerce, in_range, is_malicious, merge
from extgate.trust.osv import record_from


def ids(name: str, version: str, *record_ids: str) -> list[str]:
    return [r for r in record_ids if affects(record(r), name, version)]


@pytest.mark.parametrize(
    ("version", "affected"),
    [("0.0.1", True), ("4.17.20", True), ("4.17.21", False), ("5.0.0", False)],
)
def test_open_introduced_zero_until_fixed(version: str, affected: bool) -> None:
    assert bool(affects(record("GHSA-35jh-r3h4-6jhm"), "lodash", version)) is affected


@pytest.mark.parametrize(
    ("version", "affected"),
    [
        ("2.0.9", False),
        ("2.1.0", True),
        ("5.2.3", True),
        ("5.2.4", False),
        ("6.2.2", True),
        ("6.2.3", False),
        ("7.5.10", False),
        ("8.17.0", True),
        ("8.17.1", False),
    ],
)
def test_several_ranges_each_with_introduced_and_fixed(version: str, affected: bool) -> None:
    assert bool(affects(record("GHSA-3h5v-q93c-6h6q"), "ws", version)) is affected


def test_last_affected_is_inclusive() -> None:
    vm2 = record("GHSA-cchq-frgv-rjh5")
    assert affects(vm2, "vm2", "3.9.19") is not None
    assert affects(vm2, "vm2", "3.9.20") is None
    match = affects(vm2, "vm2", "3.9.0")
    assert match is not None and match.fixed == () and match.last_affected == ("3.9.19",)


def test_versions_list_only() -> None:
    debug = record("MAL-2025-46974")
    assert affects(debug, "debug", "4.4.2") is not None
    assert affects(debug, "debug", "4.4.1") is None
    assert affects(debug, "debug", "4.4.3") is None


def test_versions_list_combined_with_ranges() -> None:
    # eslint-scope: range [3.7.2, 4.0.0) plus an explicit versions list
    assert ids("eslint-scope", "3.7.2", "GHSA-hxxf-q3w9-4xgw") == ["GHSA-hxxf-q3w9-4xgw"]
    assert ids("eslint-scope", "3.7.1", "GHSA-hxxf-q3w9-4xgw") == []


def test_open_ended_introduced_affects_every_later_version() -> None:
    flatmap = record("MAL-2025-20690")
    for version in ("0.0.1", "0.1.2", "99.0.0"):
        assert affects(flatmap, "flatmap-stream", version) is not None


def test_overlapping_ranges_in_one_record() -> None:
    # @ctrl/tinycolor: [0, inf) and [4.1.1, 4.1.2]: the union is everything
    tiny = record("MAL-2025-47141")
    assert affects(tiny, "@ctrl/tinycolor", "4.1.1") is not None
    assert affects(tiny, "@ctrl/tinycolor", "3.0.0") is not None


def test_upgrade_target_skips_fixed_versions_another_range_still_covers() -> None:
    # node-fetch: [0, 2.6.7) and [1.0, 3.1.1): 2.6.7 is still inside the second range
    match = affects(record("GHSA-r683-j2x4-v87g"), "node-fetch", "2.6.0")
    assert match is not None and match.fixed == ("3.1.1",)
    # and the non-semver "1.0" bound is read as 1.0.0
    assert affects(record("GHSA-r683-j2x4-v87g"), "node-fetch", "3.0.0") is not None


def test_prerelease_ranges() -> None:
    express = record("GHSA-rv95-896h-c2vc")
    assert affects(express, "express", "5.0.0-beta.1") is not None
    assert affects(express, "express", "5.0.0-beta.3") is None
    assert affects(express, "express", "4.19.2") is None


def test_withdrawn_records_are_ignored() -> None:
    withdrawn = record("GHSA-27h2-hvpr-p74q")
    assert withdrawn.withdrawn
    assert affects(withdrawn, "jsonwebtoken", "8.5.1") is None
    # the same record without `withdrawn` would match: the flag is what is tested
    raw = copy.deepcopy(raw_record("GHSA-27h2-hvpr-p74q"))
    del raw["withdrawn"]
    assert affects(OsvRecord(raw["id"], raw), "jsonwebtoken", "8.5.1") is not None
    assert affects(record("MAL-2025-7048"), "@amber-team/amazon-utils", "1.0.0") is None


def test_miscased_record_name_matches_lowercase_package_case_insensitively() -> None:
    axios = record("GHSA-8hc4-vh64-cxmj")  # names "Axios"
    match = affects(axios, "axios", "1.7.2")
    assert match is not None and match.name_match == CASE_INSENSITIVE and match.fixed == ("1.7.4",)
    assert affects(axios, "axios", "1.7.4") is None
    exact = affects(record("GHSA-wf5p-g6vw-rhxx"), "axios", "1.5.0")
    assert exact is not None and exact.name_match == EXACT


def test_lowercase_record_never_matches_a_mixed_case_package() -> None:
    # npm names are exact strings: a record for `axios` says nothing about a legacy package `Axios`
    assert affects(record("GHSA-wf5p-g6vw-rhxx"), "Axios", "1.5.0") is None
    assert affects(record("GHSA-35jh-r3h4-6jhm"), "Lodash", "4.17.20") is None


def test_other_packages_and_ecosystems_do_not_match() -> None:
    assert affects(record("GHSA-35jh-r3h4-6jhm"), "lodash-es", "4.17.20") is not None
    assert affects(record("GHSA-35jh-r3h4-6jhm"), "lodash.merge", "4.17.20") is None
    raw = copy.deepcopy(raw_record("GHSA-35jh-r3h4-6jhm"))
    for entry in raw["affected"]:
        entry["package"]["ecosystem"] = "PyPI"
    assert affects(OsvRecord(raw["id"], raw), "lodash", "4.17.20") is None


def test_limit_events_cap_a_range() -> None:
    raw = {
        "id": "TEST-1",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "p"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "2.0.0"}]}],
            }
        ],
    }
    rec = OsvRecord("TEST-1", raw)
    assert affects(rec, "p", "1.5.0") is not None
    assert affects(rec, "p", "2.1.0") is None
    star = {"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "*"}]}
    assert in_range("9.0.0", star)[0]


def test_unreadable_event_versions_fail_closed() -> None:
    entry = {"type": "ECOSYSTEM", "events": [{"introduced": "not-a-version"}, {"fixed": "also bad"}]}
    assert in_range("1.0.0", entry)[0]
    assert coerce("1.0") == "1.0.0" and coerce("v2") == "2.0.0" and coerce("abc") is None


def test_git_ranges_say_nothing_about_npm_versions() -> None:
    raw = {
        "id": "TEST-2",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "p"},
                "ranges": [{"type": "GIT", "repo": "https://example.org/r", "events": [{"introduced": "0"}]}],
            }
        ],
    }
    assert affects(OsvRecord("TEST-2", raw), "p", "1.0.0") is None


def test_hostile_shapes_do_not_crash() -> None:
    for affected in (
        None,
        "x",
        [
            None,
            3,
            {"package": "x"},
            {"package": {"ecosystem": "npm", "name": "p"}, "ranges": "bad", "versions": {"a": 1}},
        ],
    ):
        assert affects(OsvRecord("T", {"id": "T", "affected": affected}), "p", "1.0.0") is None


def test_malformed_record_without_id_is_rejected_not_crashing() -> None:
    assert record_from(raw_record("MAL-0000-flatmap-stream"), "malformed") is None
    assert record_from(["not", "a", "record"], "x") is None
    assert record_from({"id": ""}, "x") is None


def test_malicious_detection() -> None:
    assert is_malicious(record("MAL-2025-46974"))
    assert not is_malicious(record("GHSA-35jh-r3h4-6jhm"))
    alias_only = OsvRecord("GHSA-xxxx", {"id": "GHSA-xxxx", "aliases": ["MAL-2099-1"]})
    assert is_malicious(alias_only)


def test_merge_groups_by_alias_and_keeps_the_worst_severity() -> None:
    mal = record("MAL-2025-46974")  # aliases GHSA-8mgj-vmr8-frr6
    mirror = OsvRecord(
        "GHSA-8mgj-vmr8-frr6",
        {
            "id": "GHSA-8mgj-vmr8-frr6",
            "aliases": [],
            "database_specific": {"severity": "CRITICAL"},
            "affected": [{"package": {"ecosystem": "npm", "name": "debug"}, "versions": ["4.4.2"]}],
        },
    )
    matches = [m for r in (mal, mirror) if (m := affects(r, "debug", "4.4.2")) is not None]
    merged = merge(matches)
    assert len(merged) == 1
    advisory = merged[0]
    assert advisory.id == "MAL-2025-46974" and advisory.malicious
    assert set(advisory.aliases) == {"GHSA-8mgj-vmr8-frr6", "GHSA-4x49-vf9v-38px"}
    assert advisory.severity == "CRITICAL"


def test_merge_keeps_unrelated_advisories_apart() -> None:
    matches = [
        m for r in ("GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm") if (m := affects(record(r), "lodash", "4.17.20"))
    ]
    merged = merge(matches)
    assert [a.id for a in merged] == ["GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm"]
    assert [a.severity for a in merged] == ["MEDIUM", "HIGH"]
    assert all(a.fixed == ("4.17.21",) for a in merged)
