"""The OSV API client against a loopback server with the API's shapes: batching, pages, retries, failures."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from trust_helpers import CLOSED_URL

from extgate.registry.http import RetryPolicy
from extgate.trust.cache import Cache
from extgate.trust.interface import AuditUnavailable, Lookup, PackageVersion
from extgate.trust.osv import OsvApi
from support.osv_server import OsvServer

FAST = RetryPolicy(attempts=3, backoff=0.01, max_delay=0.05)
LODASH = PackageVersion("lodash", "4.17.20")


def lookup(api: OsvApi, *packages: PackageVersion) -> Lookup:
    return asyncio.run(api.lookup(list(packages)))


def ids(result: Lookup, package: PackageVersion) -> list[str]:
    return sorted(r.id for r in result.records.get(package, ()))


def test_querybatch_then_vulns(osv: OsvServer) -> None:
    result = lookup(OsvApi(osv.url, retry=FAST), LODASH, PackageVersion("lodash", "4.17.21"))
    assert ids(result, LODASH) == ["GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm"]
    assert PackageVersion("lodash", "4.17.21") not in result.records
    queries = next(body for _, path, body in osv.requests if path == "/v1/querybatch")["queries"]
    assert queries[0] == {"package": {"name": "lodash", "ecosystem": "npm"}, "version": "4.17.20"}
    assert sorted(osv.paths("GET")) == ["/v1/vulns/GHSA-29mw-wpgm-hmr9", "/v1/vulns/GHSA-35jh-r3h4-6jhm"]


def test_pagination_is_followed(osv: OsvServer) -> None:
    osv.page_size = 1  # lodash 4.17.11 is in four records: four pages
    old = PackageVersion("lodash", "4.17.11")
    result = lookup(OsvApi(osv.url, retry=FAST), old)
    assert ids(result, old) == [
        "GHSA-29mw-wpgm-hmr9",
        "GHSA-35jh-r3h4-6jhm",
        "GHSA-jf85-cpcp-j695",
        "GHSA-p6mc-m468-83gw",
    ]
    batches = [body for _, path, body in osv.requests if path == "/v1/querybatch"]
    assert len(batches) == 4
    assert batches[1]["queries"][0]["page_token"] == "1"


def test_batches_hold_at_most_1000_queries(osv: OsvServer) -> None:
    osv.page_size = 10  # one page each: only the batching is looked at here
    packages = [PackageVersion("lodash", f"0.0.{i}") for i in range(1001)]
    lookup(OsvApi(osv.url, retry=FAST), *packages)
    sizes = [len(body["queries"]) for _, path, body in osv.requests if path == "/v1/querybatch"]
    assert sizes == [1000, 1]


def test_withdrawn_records_listed_by_the_api_are_dropped(osv: OsvServer) -> None:
    jwt = PackageVersion("jsonwebtoken", "8.5.1")
    osv._answer = lambda query: {"vulns": [{"id": "GHSA-27h2-hvpr-p74q"}]}  # type: ignore[method-assign]
    assert lookup(OsvApi(osv.url, retry=FAST), jwt).records == {}  # listed, but the record is withdrawn
    del osv.records["GHSA-27h2-hvpr-p74q"]["withdrawn"]
    assert ids(lookup(OsvApi(osv.url, retry=FAST), jwt), jwt) == ["GHSA-27h2-hvpr-p74q"]


@pytest.mark.parametrize("statuses", [[429], [500, 503], [502, 429]])
def test_transient_failures_are_retried(osv: OsvServer, statuses: list[int]) -> None:
    osv.fail_next = list(statuses)
    assert ids(lookup(OsvApi(osv.url, retry=FAST), LODASH), LODASH) == ["GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm"]


def test_persistent_5xx_fails_closed(osv: OsvServer) -> None:
    osv.always = 503
    with pytest.raises(AuditUnavailable, match=r"HTTP 503 \(after 3 attempts\)"):
        lookup(OsvApi(osv.url, retry=FAST), LODASH)
    assert len(osv.requests) == 3


def test_4xx_is_not_retried_and_fails_closed(osv: OsvServer) -> None:
    osv.always = 400
    with pytest.raises(AuditUnavailable, match="HTTP 400"):
        lookup(OsvApi(osv.url, retry=FAST), LODASH)
    assert len(osv.requests) == 1


def test_timeout_fails_closed(osv: OsvServer) -> None:
    osv.delay = 1.0
    with pytest.raises(AuditUnavailable, match="timed out"):
        lookup(OsvApi(osv.url, retry=RetryPolicy(attempts=2, backoff=0.0), timeout=0.2), LODASH)


def test_unreachable_and_garbage_fail_closed(osv: OsvServer) -> None:
    with pytest.raises(AuditUnavailable, match="unavailable"):
        lookup(OsvApi(CLOSED_URL, retry=FAST), LODASH)
    osv.garbage = True
    with pytest.raises(AuditUnavailable, match="not valid JSON"):
        lookup(OsvApi(osv.url, retry=FAST), LODASH)


def test_malformed_batch_answer_fails_closed(osv: OsvServer) -> None:
    osv.handle = lambda method, path, body: (200, {"results": []})  # type: ignore[method-assign]
    with pytest.raises(AuditUnavailable, match="malformed querybatch"):
        lookup(OsvApi(osv.url, retry=FAST), LODASH)


def test_record_without_id_is_skipped_with_a_note(osv: OsvServer) -> None:
    handle = osv.handle

    def strip_id(method: str, path: str, body: object) -> tuple[int, object]:
        code, payload = handle(method, path, body)
        if path.endswith("GHSA-29mw-wpgm-hmr9") and isinstance(payload, dict):
            payload = {k: v for k, v in payload.items() if k != "id"}
        return code, payload

    osv.handle = strip_id  # type: ignore[method-assign]
    result = lookup(OsvApi(osv.url, retry=FAST), LODASH)
    assert ids(result, LODASH) == ["GHSA-35jh-r3h4-6jhm"]
    assert any("malformed OSV record for GHSA-29mw-wpgm-hmr9" in n for n in result.notes)


def test_cache_answers_without_network_and_offline_uses_it(osv: OsvServer, tmp_path: Path) -> None:
    cache = Cache.at(str(tmp_path))
    first = lookup(OsvApi(osv.url, retry=FAST, cache=cache), LODASH)
    count = len(osv.requests)
    second = lookup(OsvApi(osv.url, retry=FAST, cache=cache), LODASH)
    assert len(osv.requests) == count  # served from the cache
    assert ids(first, LODASH) == ids(second, LODASH)
    offline = lookup(OsvApi(osv.url, retry=FAST, cache=cache, offline=True), LODASH)
    assert ids(offline, LODASH) == ids(first, LODASH)
    assert any("offline" in note for note in offline.notes)


def test_offline_without_cache_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(AuditUnavailable, match="--offline"):
        lookup(OsvApi(CLOSED_URL, cache=Cache.at(str(tmp_path)), offline=True), LODASH)
