"""content/ipv4-literal and content/shady-url details: exemptions, host matching on label boundaries, URL parsing."""

from __future__ import annotations

import pytest
from content_helpers import ENGINES, of, run

from extgate.gates.content.ipv4 import is_numeric_host, parse_ip_host
from extgate.gates.content.urls import allowed, host_table, listed

TABLE = host_table((("shortener", ("bit.ly", "t.co")), ("webhook", ("discord.com/api/webhooks",))))


@pytest.mark.parametrize(
    ("host", "path", "category"),
    [
        ("bit.ly", "/x", "shortener"),
        ("www.bit.ly", "/x", "shortener"),
        ("BIT.LY.", "/x", "shortener"),
        ("rabbit.ly", "/x", None),
        ("bit.ly.example.com", "/x", None),
        ("t.co", "/abc", "shortener"),
        ("discord.com", "/api/webhooks/1/x", "webhook"),
        ("discord.com", "/invite/x", None),
        ("ly", "/x", None),
    ],
)
def test_hosts_match_on_label_boundaries(host: str, path: str, category: str | None) -> None:
    entry = listed(host, path, TABLE)
    assert (entry.category if entry else None) == category


def test_allow_hosts_cover_subdomains() -> None:
    assert allowed("cdn.bit.ly", ("bit.ly",)) and not allowed("rabbit.ly", ("bit.ly",))


@pytest.mark.parametrize(
    ("host", "numeric"),
    [
        ("2130706433", True),
        ("0x7f000001", True),
        ("0177.0.0.1", True),
        ("127.1", True),
        ("example.com", False),
        ("1.example", False),
        ("1.2.3.4.5", False),
    ],
)
def test_numeric_hosts(host: str, numeric: bool) -> None:
    assert is_numeric_host(host) is numeric


def test_ip_hosts() -> None:
    assert str(parse_ip_host("[::1]")) == "::1"
    assert str(parse_ip_host("[fe80::1%25eth0]")) == "fe80::1"
    assert parse_ip_host("256.1.1.1") is None and parse_ip_host("01.1.1.1") is None


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("text", "addresses"),
    [
        ("8.8.8.8", ["8.8.8.8"]),
        ("connect to 8.8.8.8.", ["8.8.8.8"]),  # sentence full stop
        ("10.0.0.0/8", ["10.0.0.0"]),  # CIDR: private ranges are not exempt
        ("1.2.3.4:8080", ["1.2.3.4"]),
        ("mask 255.255.255.0, 255.0.0.0 and 255.255.255.255", []),  # netmasks are not hosts
        ("255.254.255.0", ["255.254.255.0"]),  # not a contiguous mask
        ("Section 7.4.1.2 and RFC 7540 8.1.2.4", []),
        ("// 22.1.3.31 Array.prototype.values\n// 19.1.2.14 / 15.2.3.14 Object.keys(O)\n// 23.1.3.4, 23.1.3.8", []),
        ("// connect to 45.1.2.3 for the demo", ["45.1.2.3"]),
        ('VALUE "FileVersion", "1.0.0.0"', []),
        ('Specifier("== 1.2.3.0")', []),
        ("192.0.2.255 198.51.100.0 203.0.113.99 127.255.0.1 169.254.169.254 0.0.0.0", []),
        ("0.0.0.1", ["0.0.0.1"]),  # only 0.0.0.0 itself is exempt
        ("version 1.2.3.4", []),
        ("Version: 1.2.3.4", []),
        ("build 10.0.19041.1", []),  # five parts
        ("ip=1.2.3.4", ["1.2.3.4"]),
        ("2001:db8::1 and 1.2.3", []),
    ],
)
def test_ipv4_literals(engine: str, text: str, addresses: list[str]) -> None:
    findings = of(run({"notes.txt": text}, engine=engine), "content/ipv4-literal")
    assert [f.properties["address"] for f in findings] == addresses


@pytest.mark.parametrize("engine", ENGINES)
def test_url_hosts_are_left_to_shady_url_unless_it_is_disabled(engine: str) -> None:
    from extgate.policy import Policy

    text = 'fetch("http://user:hunter2@10.9.8.7:8080/x")'
    findings = run({"a.js": text}, engine=engine)
    assert of(findings, "content/ipv4-literal") == []
    (url,) = of(findings, "content/shady-url")
    assert "hunter2" not in url.message and "hunter2" not in (url.snippet or "")  # userinfo is never echoed
    assert url.properties["category"] == "raw-ip"
    chosen = Policy.from_mapping({"content": {"engine": engine}, "rules": {"content/shady-url": {"enabled": False}}})
    assert len(of(run({"a.js": text}, policy_=chosen), "content/ipv4-literal")) == 1


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("wss://a.trycloudflare.com/ws", "tunnel"),
        ("https://abc.oast.pro/x", "exfil"),
        ("https://api.telegram.org/bot123:ABC/sendMessage", "webhook"),
        ("curl https://transfer.sh/abc/payload.sh", "file-drop"),
        ("http://[::ffff:8.8.8.8]/", "raw-ip"),
        ("https://2130706433/", "obfuscated-ip"),
        ("(see bit.ly/abc)", "shortener"),
        ("http://[::1]:3000/", None),
        ("http://0.0.0.0:8080/", None),
        ("https://registry.npmjs.org/left-pad", None),
        ("https://example.com/?next=https%3A%2F%2Fbit.ly", None),
        ("const a = x/bit.ly/2", None),
        ("https://123:xyz@example.com/", None),  # userinfo, not a numeric host
        ("https://bit.ly:pw@example.com/", None),
        ("https://user@bit.ly/x", "shortener"),
    ],
)
def test_shady_url_categories(engine: str, text: str, category: str | None) -> None:
    findings = of(run({"README.md": text}, engine=engine), "content/shady-url")
    assert [f.properties["category"] for f in findings] == ([category] if category else [])
