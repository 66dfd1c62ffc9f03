"""npm registry client: fetch a package's packument (full metadata document), sync or async (bounded).

The full document (`accept: application/json`), not the abbreviated install metadata: the trust gate needs
`time`, `maintainers`, `license` and `deprecated`, which the abbreviated form leaves out. Works with the
public registry, mirrors and Verdaccio (scoped names are requested as `@scope%2fname`, which all accept).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from extgate.registry.http import (
    DEFAULT_RETRY,
    HEADERS,
    MAX_BODY_BYTES,
    RetryPolicy,
    TransportError,
    arequest_json,
    request_json,
    ssl_context,
    timeouts,
)

DEFAULT_REGISTRY = "https://registry.npmjs.org"

# npm's rules (validate-npm-package-name) loosened to accept legacy mixed-case names, but nothing that could
# change the URL's meaning: no path segments beyond the scope, no '.'/'..' names, no whitespace or controls.
_NAME = re.compile(r"^(?:@[A-Za-z0-9~][A-Za-z0-9._~-]*/)?[A-Za-z0-9~_-][A-Za-z0-9._~-]*$")
MAX_NAME_LENGTH = 214


class RegistryUnavailable(TransportError):
    """The registry gave no usable answer: connection error, timeout, 429/5xx after retries, a 4xx other
    than 404, a body that is not a JSON object or is too large."""


def valid_package_name(name: str) -> bool:
    """True when `name` is safe to put in a registry URL and could be an npm package name."""
    return 0 < len(name) <= MAX_NAME_LENGTH and _NAME.match(name) is not None


def packument_url(registry: str, name: str) -> str:
    """`{registry}/{name}`, a scoped name's slash encoded (`@scope%2fname`). ValueError for a bad name."""
    if not valid_package_name(name):
        raise ValueError(f"not a valid npm package name: {name[:100]!r}")
    if name.startswith("@"):
        scope, _, bare = name.partition("/")
        encoded = f"{quote(scope, safe='@')}%2f{quote(bare, safe='')}"
    else:
        encoded = quote(name, safe="")
    return f"{registry.rstrip('/')}/{encoded}"


def _as_packument(url: str, data: Any) -> dict[str, Any] | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise RegistryUnavailable(url, "packument is not a JSON object")
    return data


def _wrap(exc: TransportError) -> RegistryUnavailable:
    return RegistryUnavailable(exc.url, exc.reason, exc.status)


def fetch_packument(
    registry: str,
    name: str,
    *,
    timeout: float = 10.0,
    retry: RetryPolicy = DEFAULT_RETRY,
    max_bytes: int = MAX_BODY_BYTES,
    ca_bundle: str | None = None,
) -> dict[str, Any] | None:
    """The packument of `name` on `registry`; None when the registry says 404 (no such package).

    Raises RegistryUnavailable on connection errors, timeouts, 429/5xx (after retries with backoff), other
    4xx and unusable bodies; ValueError when `name` is not a valid package name. `ca_bundle`: see
    `extgate.registry.tls.ssl_context`.
    """
    url = packument_url(registry, name)
    with httpx.Client(
        timeout=timeouts(timeout), headers=HEADERS, follow_redirects=True, verify=ssl_context(ca_bundle)
    ) as client:
        try:
            data = request_json(client, "GET", url, retry=retry, max_bytes=max_bytes)
        except TransportError as exc:
            raise _wrap(exc) from None
    return _as_packument(url, data)


class AsyncRegistryClient:
    """Fetch many packuments over one connection pool with at most `concurrency` requests in flight.

    async with AsyncRegistryClient(registry, timeout=5) as client:
        results = await client.fetch_many(["lodash", "@types/node"])
    """

    def __init__(
        self,
        registry: str,
        *,
        timeout: float = 10.0,
        concurrency: int = 16,
        retry: RetryPolicy = DEFAULT_RETRY,
        max_bytes: int = MAX_BODY_BYTES,
        ca_bundle: str | None = None,
    ) -> None:
        self.registry = registry
        self._retry = retry
        self._max_bytes = max_bytes
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        size = max(1, concurrency)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self._client = httpx.AsyncClient(
            timeout=timeouts(timeout),
            headers=HEADERS,
            limits=limits,
            follow_redirects=True,
            verify=ssl_context(ca_bundle),
        )

    async def __aenter__(self) -> AsyncRegistryClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch_packument(self, name: str) -> dict[str, Any] | None:
        """Same contract as the module-level `fetch_packument`."""
        url = packument_url(self.registry, name)
        async with self._semaphore:
            try:
                data = await arequest_json(self._client, "GET", url, retry=self._retry, max_bytes=self._max_bytes)
            except TransportError as exc:
                raise _wrap(exc) from None
        return _as_packument(url, data)

    async def fetch_many(
        self, names: Iterable[str]
    ) -> dict[str, dict[str, Any] | RegistryUnavailable | ValueError | None]:
        """name -> packument, None (404), or the exception that name met (never raises for one bad name)."""
        unique = list(dict.fromkeys(names))

        async def one(name: str) -> dict[str, Any] | RegistryUnavailable | ValueError | None:
            try:
                return await self.fetch_packument(name)
            except (RegistryUnavailable, ValueError) as exc:
                return exc

        results = await asyncio.gather(*(one(name) for name in unique))
        return dict(zip(unique, results, strict=True))
