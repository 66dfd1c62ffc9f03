"""content/ipv4-literal and content/shady-url: where a package reaches out to, read from its text."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from extgate.gates.content.interface import Params, Raw, RuleSpec, Scan, props
from extgate.gates.content.ipv4 import Network, exempt, is_numeric_host, networks, parse_ip_host, parse_ipv4
from extgate.gates.content.text import any_of, before_on_line, context, context_span, decode
from extgate.gates.content.urls import HostEntry, allowed, host_table, listed
from extgate.model import truncate

SHADY_URL = "content/shady-url"
_URL_HOST_BEFORE = re.compile(rb"://(?:[^\s/@]{0,128}@)?\Z")
_USERINFO = re.compile(r"(?<=://)[^\s/?#@]{1,128}@")


def _without_userinfo(text: str) -> str:
    """`https://user:password@host/` -> `https://…@host/`: credentials in a URL are never echoed."""
    return _USERINFO.sub("…@", text)


def _scope(address: ipaddress.IPv4Address) -> str:
    if address.is_private:
        return "private"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved or address.is_unspecified:
        return "reserved"
    return "public"


def _is_netmask(address: ipaddress.IPv4Address) -> bool:
    """255.0.0.0 ... 255.255.255.255: contiguous one bits from the top, a mask rather than a host."""
    value = int(address)
    inverted = ~value & 0xFFFFFFFF
    return value >= 0xFF000000 and inverted & (inverted + 1) == 0


def ipv4_literal(spec: RuleSpec, scan: Scan) -> Iterator[Raw]:
    params = spec.params
    allow = networks(params.strings("exempt") + params.strings("allow"))
    skip = any_of(params.strings("skip_before"))
    in_urls_reported = scan.active(SHADY_URL)
    data = scan.data
    for match in scan.matches(spec):
        text = decode(match.group())
        address = parse_ipv4(text)
        if address is None or exempt(address, allow) or _is_netmask(address):
            continue
        before = before_on_line(data, match.start(), 160)
        if in_urls_reported and _URL_HOST_BEFORE.search(before):
            continue  # the URL's host: content/shady-url reports it, more specifically
        if skip is not None and skip.search(before):
            continue  # version strings, OIDs, product/version tokens: see the rule doc
        scope = _scope(address)
        yield Raw(
            match.start(),
            match.end(),
            f"Hard-coded IPv4 address {text} ({scope}). A literal address bypasses DNS and is a common sign of a "
            f"command-and-control or exfiltration endpoint: take the host from configuration, or use a documentation "
            f"address (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) in examples.",
            snippet=context(data, match.start(), match.end()),
            shows=context_span(match.start(), match.end()),
            evidence=text,
            properties=props(address=text, scope=scope),
        )


_HOST_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
_WORD_START = frozenset(b" \t\r\n\"'(=,`<>[")


def _bare_host(data: bytes, match: re.Match[bytes]) -> tuple[int, str] | None:
    """A scheme-less match is anchored on the listed host; extend it back to the whole host name and require that
    name to start a word, so `https://example.com/bit.ly/x` (a path) and `user@bit.ly` are not hosts."""
    start = match.start("bare")
    floor = max(0, start - 253)
    while start > floor and data[start - 1] in _HOST_BYTES:
        start -= 1
    if start > 0 and data[start - 1] not in _WORD_START:
        return None
    return start, decode(data[start : match.end("bare")])


@dataclass(frozen=True, slots=True)
class _UrlLists:
    exempt_ips: tuple[Network, ...]
    metadata_ips: tuple[Network, ...]
    hosts: Mapping[str, tuple[HostEntry, ...]]

    @classmethod
    def of(cls, params: Params) -> _UrlLists:
        return cls(
            networks(params.strings("exempt_ips")),
            networks(params.strings("metadata_ips")),
            host_table(params.get("hosts", ())),
        )

    def classify(self, host: str, path: str) -> tuple[str, str] | None:
        """(category, list entry) for a URL host worth reporting, None for an ordinary host."""
        if host[:1].isdigit() or host.startswith("["):  # only these can be IP literals or numeric hosts
            address = parse_ip_host(host)
            if address is not None:
                if exempt(address, self.exempt_ips):
                    return None
                return ("cloud-metadata" if exempt(address, self.metadata_ips) else "raw-ip"), ""
            if is_numeric_host(host):
                return "obfuscated-ip", ""
        entry = listed(host, path, self.hosts)
        return (entry.category, entry.host + entry.path) if entry is not None else None


def shady_url(spec: RuleSpec, scan: Scan) -> Iterator[Raw]:
    params = spec.params
    allow_hosts = params.strings("allow_hosts")
    messages = params.table("messages")
    lists = _UrlLists.of(params)
    data = scan.data
    for match in scan.matches(spec):
        start = match.start()
        if "bare" in match.re.groupindex and match.group("bare") is not None:
            bare = _bare_host(data, match)
            if bare is None:
                continue
            start, host = bare
        else:
            host = decode(match.group("host") or b"")
        path = decode(match.group("path") or b"")
        if not host or (allow_hosts and allowed(host, allow_hosts)):
            continue
        verdict = lists.classify(host.lower(), path)
        if verdict is None:
            continue
        category, listed_as = verdict
        url = _without_userinfo(truncate(decode(data[start : match.end()]), 120))
        template = str(messages.get(category, "URL {url} points at a {category} host."))
        yield Raw(
            start,
            match.end(),
            template.format(url=url, host=truncate(host, 80), category=category, listed=listed_as),
            snippet=_without_userinfo(context(data, start, match.end(), 20)),
            shows=context_span(start, match.end(), 20),
            evidence=f"{category}:{host.lower()}{path}",
            properties=props(host=truncate(host, 200), category=category),
        )
