"""extgate.registry.client against a loopback packument server: encoding, 404, retries, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from trust_helpers import CLOSED_URL

from extgate.registry.client import (
    AsyncRegistryClient,
    RegistryUnavailable,
    fetch_packument,
    packument_url,
    valid_package_name,
)
from extgate.registry.http import RetryPolicy
from support.osv_server import PackumentServer, packument

FAST = RetryPolicy(attempts=3, backoff=0.01, max_delay=0.05)


@pytest.fixture
def registry() -> Iterator[PackumentServer]:
    docs = {"lodash": packument("lodash", ["4.17.21"]), "@scope/pkg": packument("@scope/pkg", ["1.0.0"])}
    with PackumentServer(docs) as server:
        assert isinstance(server, PackumentServer)
        yield server


def test_fetch_and_404(registry: PackumentServer) -> None:
    doc = fetch_packument(registry.url, "lodash", retry=FAST)
    assert doc is not None and doc["dist-tags"]["latest"] == "4.17.21"
    assert fetch_packument(registry.url, "no-such-package", retry=FAST) is None


def test_scoped_names_are_encoded(registry: PackumentServer) -> None:
    assert packument_url("http://r/", "@scope/pkg") == "http://r/@scope%2fpkg"
    doc = fetch_packument(registry.url + "/", "@scope/pkg", retry=FAST)
    assert doc is not None and doc["name"] == "@scope/pkg"
    assert registry.requests[-1][1] == "/@scope%2fpkg"


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "@s/a/b", "a b", "a\nb", "x" * 215, "%2e%2e"])
def test_names_that_could_change_the_url_are_refused(name: str) -> None:
    assert not valid_package_name(name)
    with pytest.raises(ValueError):
        packument_url("http://r", name)


def test_retries_then_success(registry: PackumentServer) -> None:
    registry.fail_next = [503, 429]
    assert fetch_packument(registry.url, "lodash", retry=FAST) is not None
    assert len(registry.requests) == 3


def test_failures_raise_registry_unavailable(registry: PackumentServer) -> None:
    registry.always = 500
    with pytest.raises(RegistryUnavailable, match="HTTP 500"):
        fetch_packument(registry.url, "lodash", retry=FAST)
    registry.always = 401
    with pytest.raises(RegistryUnavailable, match="HTTP 401"):
        fetch_packument(registry.url, "lodash", retry=FAST)
    registry.always = None
    registry.garbage = True
    with pytest.raises(RegistryUnavailable, match="not valid JSON"):
        fetch_packument(registry.url, "lodash", retry=FAST)
    with pytest.raises(RegistryUnavailable):
        fetch_packument(CLOSED_URL, "lodash", retry=FAST)


def test_timeout_and_oversized_bodies(registry: PackumentServer) -> None:
    registry.delay = 0.5
    with pytest.raises(RegistryUnavailable, match="timed out"):
        fetch_packument(registry.url, "lodash", timeout=0.1, retry=RetryPolicy(attempts=1))
    registry.delay = 0
    with pytest.raises(RegistryUnavailable, match="larger than 10 bytes"):
        fetch_packument(registry.url, "lodash", retry=FAST, max_bytes=10)


def test_non_object_packument(registry: PackumentServer) -> None:
    registry.packuments["weird"] = ["a", "list"]  # type: ignore[assignment]
    with pytest.raises(RegistryUnavailable, match="not a JSON object"):
        fetch_packument(registry.url, "weird", retry=FAST)


def test_async_fetch_many_reports_per_name(registry: PackumentServer) -> None:
    async def go() -> dict[str, object]:
        async with AsyncRegistryClient(registry.url, concurrency=2, retry=FAST) as client:
            return dict(await client.fetch_many(["lodash", "@scope/pkg", "missing", "bad name", "lodash"]))

    results = asyncio.run(go())
    assert isinstance(results["lodash"], dict) and isinstance(results["@scope/pkg"], dict)
    assert results["missing"] is None
    assert isinstance(results["bad name"], ValueError)
    assert len([p for _, p, _ in registry.requests if p == "/lodash"]) == 1  # duplicates asked once
