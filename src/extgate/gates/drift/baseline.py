"""Where the baseline comes from: a path (archive or directory), or `auto` -- the previous published version.

`auto` reads the packument of the package being checked from `--registry`, picks the highest version lower
than the new one, downloads its tarball (bounded) and verifies `dist.integrity` (sha512 SRI, else the sha1
`shasum`) before anything reads it. Every failure is a `BaselineError` with a reason; the gate turns it into a
blocking `drift/baseline-unavailable` finding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import nodesemver

from extgate.registry.client import RegistryUnavailable, fetch_packument
from extgate.registry.http import HEADERS, ssl_context, timeouts


class BaselineError(Exception):
    """The baseline could not be obtained; str() is the reason (goes into the finding)."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """A downloaded, verified baseline tarball: version, URL and bytes. version None: no earlier version."""

    version: str | None
    url: str = ""
    data: bytes = b""


def previous_version(packument: Mapping[str, Any], current: str) -> str | None:
    """The highest published version lower than `current` (prereleases only when `current` is one)."""
    versions = packument.get("versions")
    if not isinstance(versions, Mapping) or nodesemver.valid(current, False) is None:
        return None
    prerelease = bool(nodesemver.parse(current, False).prerelease)
    lower = []
    for raw in versions:
        version = str(raw)
        parsed = nodesemver.parse(version, False) if nodesemver.valid(version, False) else None
        if parsed is None or (parsed.prerelease and not prerelease):
            continue
        if nodesemver.lt(version, current, False):
            lower.append(version)
    return str(nodesemver.sort(lower, False)[-1]) if lower else None


def _verify(data: bytes, dist: Mapping[str, Any], url: str) -> None:
    integrity = dist.get("integrity")
    if isinstance(integrity, str) and integrity.startswith("sha512-"):
        actual = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
        if not any(hmac.compare_digest(actual, part) for part in integrity.split() if part.startswith("sha512-")):
            raise BaselineError(f"{url} does not match its published integrity {integrity[:30]}…")
        return
    shasum = dist.get("shasum")
    if isinstance(shasum, str) and shasum:
        if not hmac.compare_digest(hashlib.sha1(data).hexdigest(), shasum.lower()):
            raise BaselineError(f"{url} does not match its published shasum {shasum}")
        return
    raise BaselineError(f"{url} has no integrity or shasum in the packument, so it cannot be verified")


def download(url: str, *, max_bytes: int, timeout: float) -> bytes:
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise BaselineError(f"tarball URL {url[:120]!r} is not http(s)")
    chunks: list[bytes] = []
    size = 0
    try:
        with (
            httpx.Client(timeout=timeouts(timeout), headers=HEADERS, follow_redirects=True, verify=ssl_context()) as c,
            c.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise BaselineError(f"{url}: HTTP {response.status_code}")
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise BaselineError(f"{url} is larger than {max_bytes:,} bytes")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise BaselineError(f"{url}: {type(exc).__name__}: {exc}") from None
    return b"".join(chunks)


def fetch_previous(registry: str, name: str, version: str, *, max_bytes: int, timeout: float) -> Fetched:
    """The previous published version's verified tarball; Fetched(None) when there is none (a first release)."""
    try:
        packument = fetch_packument(registry, name, timeout=timeout)
    except RegistryUnavailable as exc:
        raise BaselineError(f"registry {registry} gave no usable answer for {name}: {exc.reason}") from None
    except ValueError as exc:
        raise BaselineError(str(exc)) from None
    if packument is None:
        return Fetched(None)
    previous = previous_version(packument, version)
    if previous is None:
        return Fetched(None)
    doc = packument["versions"][previous]
    dist = doc.get("dist") if isinstance(doc, Mapping) else None
    url = dist.get("tarball") if isinstance(dist, Mapping) else None
    if not isinstance(dist, Mapping) or not isinstance(url, str):
        raise BaselineError(f"{name}@{previous} on {registry} has no dist.tarball")
    data = download(url, max_bytes=max_bytes, timeout=timeout)
    _verify(data, dist, url)
    return Fetched(previous, url, data)
