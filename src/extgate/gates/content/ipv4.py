"""IP address classification for content/ipv4-literal and the raw-IP part of content/shady-url (stdlib `ipaddress`)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


@lru_cache(maxsize=32)
def networks(specs: tuple[str, ...]) -> tuple[Network, ...]:
    """Parse CIDR strings from the rule data or the policy; a bad entry is a configuration error."""
    out: list[Network] = []
    for spec in specs:
        try:
            out.append(ipaddress.ip_network(spec, strict=False))
        except ValueError as exc:
            raise ValueError(f"content rules: {spec!r} is not an IP network ({exc})") from None
    return tuple(out)


def parse_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """Strict dotted quad: four decimal octets 0-255 without leading zeros (`01.2.3.4` is ambiguous octal: no)."""
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None


def parse_ip_host(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A URL host that is an IP literal: dotted quad or bracketed IPv6."""
    if host.startswith("[") and host.endswith("]"):
        try:
            return ipaddress.IPv6Address(host[1:-1].split("%", 1)[0])
        except ValueError:
            return None
    return parse_ipv4(host)


def is_numeric_host(host: str) -> bool:
    """Hosts like `2130706433`, `0x7f000001`, `0177.0.0.1` or `127.1`: browsers and curl resolve these to IPs, and
    the only reason to write one is to hide the address from a reader."""
    labels = host.rstrip(".").split(".")
    return 0 < len(labels) <= 4 and all(_NUMERIC_LABEL.fullmatch(label) for label in labels)


def exempt(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allowed: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in allowed)
