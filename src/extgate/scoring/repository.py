"""Repository URL checks: normalize the manifest's `repository` the way npm reads it, require https on a known
forge, and (when the network is allowed) verify it with one GET.

Verification outcome: 2xx -> verified; 404/410 -> gone (private or deleted); anything else (5xx, 429, timeouts,
refused connections, too many redirects) -> unknown, which scores as provisional rather than missed: an outage of
the forge is not the author's fault. Only the response status is read, never the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from extgate import __version__
from extgate.registry.tls import ssl_context

VERIFIED = "verified"
GONE = "gone"
UNKNOWN = "unknown"

# npm's shorthands: "github:user/repo", "gitlab:user/repo", "bitbucket:user/repo", bare "user/repo" (GitHub)
_SHORTHAND_HOSTS = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}
_BARE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SCP = re.compile(r"^(?:[A-Za-z0-9_.-]+@)?([A-Za-z0-9.-]+):(?!//)(.+)$")  # git@github.com:user/repo.git
MAX_URL = 2000


@dataclass(frozen=True, slots=True)
class RepoUrl:
    """url: normalized https URL; host: lower-cased host."""

    url: str
    host: str


@dataclass(frozen=True, slots=True)
class Verification:
    outcome: str  # verified | gone | unknown
    detail: str


def normalize(value: object) -> RepoUrl | str:
    """The https URL of a `repository` value (string or {url}), or why it is not usable."""
    if isinstance(value, Mapping):
        value = value.get("url")
    if not isinstance(value, str) or not value.strip():
        return "`repository` has no URL"
    raw = value.strip()
    if len(raw) > MAX_URL:
        return f"`repository` is longer than {MAX_URL} characters"
    prefix, _, rest = raw.partition(":")
    if prefix in _SHORTHAND_HOSTS and not rest.startswith("//"):
        raw = f"https://{_SHORTHAND_HOSTS[prefix]}/{rest}"
    elif _BARE.match(raw):
        raw = f"https://github.com/{raw}"
    else:
        scp = _SCP.match(raw)
        if scp and "://" not in raw:
            raw = f"https://{scp.group(1)}/{scp.group(2)}"
    if raw.startswith("git+"):
        raw = raw[4:]
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return f"`repository` {value[:80]!r} is not a URL"
    scheme = parts.scheme.lower()
    if parts.password or (scheme == "https" and parts.username):
        return "`repository` URL contains credentials; remove them"  # ssh's `git@` user is not a credential
    if scheme in ("git", "ssh"):
        scheme = "https"  # the same repository over https, as npm's hosted-git-info does
    elif scheme != "https":
        return f"`repository` {value[:80]!r} is not an https URL"
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return f"`repository` {value[:80]!r} has no host"
    if port not in (None, 443, 22):
        return f"`repository` {value[:80]!r} uses a non-standard port"
    path = re.sub(r"\.git$", "", parts.path.rstrip("/"))
    if len([p for p in path.split("/") if p]) < 2:
        return f"`repository` {value[:80]!r} does not name a repository (owner/name)"
    return RepoUrl(url=f"{scheme}://{host}{path}", host=host)


def on_forge(host: str, forges: Iterable[str]) -> bool:
    host = host.lower()
    return any(host == f or host.endswith("." + f) for f in (f.lower().strip(".") for f in forges) if f)


def verify(
    url: str,
    *,
    timeout: float,
    client: httpx.Client | None = None,
    max_redirects: int = 5,
    ca_bundle: str | None = None,
) -> Verification:
    """One GET (redirects followed, bounded); the body is never read."""
    own = client is None
    http = client or httpx.Client(
        timeout=timeout,
        max_redirects=max_redirects,
        verify=ssl_context(ca_bundle),
        headers={"User-Agent": f"extgate/{__version__} (repository check)"},
    )
    try:
        with http.stream("GET", url, follow_redirects=True, timeout=timeout) as response:
            code = response.status_code
    except httpx.TooManyRedirects:
        return Verification(UNKNOWN, f"{url}: more than {max_redirects} redirects")
    except httpx.TimeoutException:
        return Verification(UNKNOWN, f"{url}: timed out after {timeout:g}s")
    except httpx.HTTPError as exc:
        return Verification(UNKNOWN, f"{url}: unreachable ({type(exc).__name__})")
    finally:
        if own:
            http.close()
    if 200 <= code < 300:
        return Verification(VERIFIED, f"{url} answered HTTP {code}")
    if code in (404, 410):
        return Verification(GONE, f"{url} answered HTTP {code}")
    return Verification(UNKNOWN, f"{url} answered HTTP {code}")
