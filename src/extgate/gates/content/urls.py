"""Host lists for content/shady-url: exact host or a subdomain of it (label boundary), optionally a path prefix.

`bit.ly` matches `bit.ly` and `www.bit.ly`, never `rabbit.ly`; `discord.com/api/webhooks` matches only that path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class HostEntry:
    host: str
    path: str  # '' = any path
    category: str


@lru_cache(maxsize=16)
def host_table(categories: tuple[tuple[str, tuple[str, ...]], ...]) -> Mapping[str, tuple[HostEntry, ...]]:
    """category -> hosts (frozen YAML data) into host -> entries."""
    table: dict[str, list[HostEntry]] = {}
    for category, hosts in categories:
        for raw in hosts:
            host, _, path = raw.strip().lower().partition("/")
            entry = HostEntry(host.rstrip("."), "/" + path if path else "", category)
            table.setdefault(entry.host, []).append(entry)
    return {k: tuple(v) for k, v in table.items()}


def normalize_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def listed(host: str, path: str, table: Mapping[str, tuple[HostEntry, ...]]) -> HostEntry | None:
    """The entry for `host` or its nearest listed parent domain whose path prefix (if any) `path` starts with."""
    labels = normalize_host(host).split(".")
    lowered_path = path.lower()
    for i in range(len(labels) - 1):  # a bare TLD is never an entry
        for entry in table.get(".".join(labels[i:]), ()):
            if lowered_path.startswith(entry.path):  # plain prefix: api.telegram.org/bot<token>/...
                return entry
    return None


def allowed(host: str, allow: tuple[str, ...]) -> bool:
    """Policy `[content] allow_hosts`: the host or a parent domain is on it."""
    labels = normalize_host(host).split(".")
    suffixes = {".".join(labels[i:]) for i in range(len(labels))}
    return any(normalize_host(a) in suffixes for a in allow)
