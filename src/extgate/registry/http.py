"""Bounded JSON-over-HTTP with retries, sync and async, for the registry, OSV and downloads clients.

Why a shared helper: every network source extgate reads must behave the same under failure -- retry 429/5xx
and transport errors with exponential backoff (honouring a bounded Retry-After), cap the body size (a hostile
or broken server must not exhaust memory), and turn every failure into one exception type that the gates map
to fail-closed findings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from extgate.registry.tls import ssl_context as ssl_context  # re-exported with the rest of the transport

USER_AGENT = "extgate/0.1 (+https://github.com/extgate)"
MAX_BODY_BYTES = 64 * 1024 * 1024  # large real packuments (typescript, aws-sdk) are tens of MB


class TransportError(Exception):
    """No usable answer: connection error, timeout, 429/5xx after retries, a bad or huge body.

    url     what was requested
    reason  short human text (goes into findings)
    status  last HTTP status, None for transport errors
    """

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """attempts: total tries; backoff: first delay in seconds, doubled each retry; max_delay caps any one wait
    (including a server's Retry-After, so a hostile server cannot stall a scan)."""

    attempts: int = 3
    backoff: float = 0.25
    max_delay: float = 4.0

    def delay(self, attempt: int, retry_after: str | None) -> float:
        wait = self.backoff * (2.0**attempt)
        if retry_after is not None:
            # the HTTP-date form is not parsed: our own backoff applies then
            with contextlib.suppress(ValueError):
                wait = max(wait, float(retry_after))
        return max(0.0, min(wait, self.max_delay))


DEFAULT_RETRY = RetryPolicy()


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _decode(url: str, body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise TransportError(url, f"response is not valid JSON ({type(exc).__name__})") from None


def _too_large(url: str, limit: int) -> TransportError:
    return TransportError(url, f"response larger than {limit} bytes")


class _Body:
    """Collects a streamed body under a byte cap (a hostile registry cannot make us buffer without bound)."""

    def __init__(self, url: str, max_bytes: int) -> None:
        self.url, self.max_bytes, self.size, self.chunks = url, max_bytes, 0, list[bytes]()

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise _too_large(self.url, self.max_bytes)
        self.chunks.append(chunk)

    def json(self) -> Any:
        return _decode(self.url, b"".join(self.chunks))


def _retryable_error(url: str, response: httpx.Response) -> TransportError | None:
    """A TransportError to retry on (429, 5xx); raises for other 4xx; None when the body should be read."""
    if _retryable(response.status_code):
        return TransportError(url, f"HTTP {response.status_code}", response.status_code)
    if response.status_code >= 400:
        raise TransportError(url, f"HTTP {response.status_code}", response.status_code)
    return None


def _transport_error(url: str, exc: httpx.HTTPError) -> TransportError:
    if isinstance(exc, httpx.TimeoutException):
        return TransportError(url, "timed out")
    return TransportError(url, f"{type(exc).__name__}: {exc}")


def _gave_up(url: str, last: TransportError | None, retry: RetryPolicy) -> TransportError:
    assert last is not None
    return TransportError(url, f"{last.reason} (after {retry.attempts} attempts)", last.status)


def request_json(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    body: Any = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    max_bytes: int = MAX_BODY_BYTES,
    missing_ok: bool = True,
) -> Any | None:
    """The decoded JSON body; None on 404 when `missing_ok`. Raises TransportError on any other failure."""
    last: TransportError | None = None
    for attempt in range(retry.attempts):
        retry_after: str | None = None
        try:
            with client.stream(method, url, json=body) as response:
                if response.status_code == 404 and missing_ok:
                    return None
                last = _retryable_error(url, response)
                if last is None:
                    collected = _Body(url, max_bytes)
                    for chunk in response.iter_bytes():
                        collected.add(chunk)
                    return collected.json()
                retry_after = response.headers.get("retry-after")
        except httpx.HTTPError as exc:
            last = _transport_error(url, exc)
        if attempt + 1 < retry.attempts:
            time.sleep(retry.delay(attempt, retry_after))
    raise _gave_up(url, last, retry)


async def arequest_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    body: Any = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    max_bytes: int = MAX_BODY_BYTES,
    missing_ok: bool = True,
) -> Any | None:
    """Async twin of `request_json` (same contract; the shared steps live in the helpers above)."""
    last: TransportError | None = None
    for attempt in range(retry.attempts):
        retry_after: str | None = None
        try:
            async with client.stream(method, url, json=body) as response:
                if response.status_code == 404 and missing_ok:
                    return None
                last = _retryable_error(url, response)
                if last is None:
                    collected = _Body(url, max_bytes)
                    async for chunk in response.aiter_bytes():
                        collected.add(chunk)
                    return collected.json()
                retry_after = response.headers.get("retry-after")
        except httpx.HTTPError as exc:
            last = _transport_error(url, exc)
        if attempt + 1 < retry.attempts:
            await asyncio.sleep(retry.delay(attempt, retry_after))
    raise _gave_up(url, last, retry)


def timeouts(seconds: float) -> httpx.Timeout:
    """One budget for connect/read/write/pool: `--timeout` is 'per request, at most this long per step'."""
    return httpx.Timeout(seconds)


HEADERS = {"user-agent": USER_AGENT, "accept": "application/json"}
