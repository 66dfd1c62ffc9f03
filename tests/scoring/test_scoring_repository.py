"""Repository URL normalization and verification against a loopback HTTP server (never the internet)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from scoring_support import LoopbackTransport, factor, load, loopback_forge, run

from extgate.options import Options
from extgate.scoring import repository
from extgate.scoring.repository import GONE, UNKNOWN, VERIFIED, RepoUrl, normalize, on_forge, verify

ONLINE = Options(offline=False, network=True, timeout=5.0)


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("https://github.com/acme/w", "https://github.com/acme/w"),
        ("git+https://github.com/acme/w.git", "https://github.com/acme/w"),
        ({"type": "git", "url": "git+ssh://git@github.com/acme/w.git"}, "https://github.com/acme/w"),
        ("git://github.com/acme/w.git", "https://github.com/acme/w"),
        ("git@gitlab.com:acme/group/w.git", "https://gitlab.com/acme/group/w"),
        ("github:acme/w", "https://github.com/acme/w"),
        ("bitbucket:acme/w", "https://bitbucket.org/acme/w"),
        ("acme/w", "https://github.com/acme/w"),
        ("https://GitHub.com/acme/w/", "https://github.com/acme/w"),
    ],
)
def test_normalize(value: object, url: str) -> None:
    result = normalize(value)
    assert isinstance(result, RepoUrl) and result.url == url


@pytest.mark.parametrize(
    "value",
    [None, "", 42, {"type": "git"}, "http://github.com/acme/w", "ftp://github.com/acme/w", "https://github.com/acme",
     "https://a:b@github.com/acme/w", "https://github.com:8443/acme/w", "https://[::1/acme/w", "x" * 3000],
)  # fmt: skip
def test_normalize_rejects(value: object) -> None:
    assert isinstance(normalize(value), str)


def test_on_forge_matches_hosts_and_subdomains_only() -> None:
    forges = ("github.com", "sr.ht")
    assert on_forge("github.com", forges) and on_forge("git.sr.ht", forges)
    assert not on_forge("github.com.evil.example", forges)
    assert not on_forge("notgithub.com", forges)


@pytest.fixture
def direct() -> Iterator[httpx.Client]:
    """A client that ignores proxy settings from the environment: loopback requests stay on 127.0.0.1."""
    client = httpx.Client(trust_env=False)
    try:
        yield client
    finally:
        client.close()


def test_verify_200_404_503_and_redirect(direct: httpx.Client) -> None:
    with loopback_forge() as base:
        assert verify(f"{base}/acme/w", timeout=5, client=direct).outcome == VERIFIED
        assert verify(f"{base}/nobody/w", timeout=5, client=direct).outcome == GONE
        assert verify(f"{base}/down/w", timeout=5, client=direct).outcome == UNKNOWN
        assert verify(f"{base}/moved/w", timeout=5, client=direct).outcome == VERIFIED  # redirects are followed


def test_verify_without_a_client_makes_and_closes_its_own() -> None:
    with loopback_forge() as base:
        assert verify(f"{base}/acme/w", timeout=5).outcome == VERIFIED


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_verify_connection_refused_is_unknown(direct: httpx.Client) -> None:
    result = verify(f"http://127.0.0.1:{_closed_port()}/acme/w", timeout=5, client=direct)
    assert result.outcome == UNKNOWN
    assert "unreachable" in result.detail


def test_verify_too_many_redirects_is_unknown() -> None:
    with loopback_forge() as base:
        client = httpx.Client(max_redirects=0, trust_env=False)
        try:
            assert verify(f"{base}/moved/w", timeout=5, client=client).outcome == UNKNOWN
        finally:
            client.close()


def _score_repository(base: str, url: str, options: Options = ONLINE) -> tuple[str, float]:
    files = load("complete")
    files["package.json"] = files["package.json"].replace(b"git+https://github.com/acme/widget-tools.git", url.encode())
    client = httpx.Client(transport=LoopbackTransport(base))
    try:
        result = factor(run(files, options=options, client=client), "repository")
    finally:
        client.close()
    return result.status, result.earned


def test_repository_factor_online_through_loopback() -> None:
    with loopback_forge() as base:
        assert _score_repository(base, "https://github.com/acme/widget-tools") == ("earned", 2)
        assert _score_repository(base, "https://github.com/gone/widget-tools") == ("missed", 0)
        assert _score_repository(base, "https://github.com/down/widget-tools") == ("provisional", 0)
        # offline: never asks, whatever the client
        offline = Options(offline=True)
        assert _score_repository(base, "https://github.com/gone/widget-tools", offline) == ("provisional", 0)


def test_repository_factor_unreachable_is_provisional() -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    assert _score_repository(base, "https://github.com/acme/widget-tools") == ("provisional", 0)


def test_complete_extension_verified_online_scores_one_hundred_percent() -> None:
    with loopback_forge() as base:
        client = httpx.Client(transport=LoopbackTransport(base))
        try:
            score = run(load("complete"), options=ONLINE, client=client)
        finally:
            client.close()
    assert factor(score, "repository").status == "earned"
    assert score.percentage == 100 and score.max == 17


def test_network_off_means_no_request(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> object:
        raise AssertionError("no request may be made when the network is off")

    monkeypatch.setattr(repository, "verify", forbidden)
    for options in (Options(offline=True), Options(network=False)):
        assert factor(run(load("complete"), options=options), "repository").status == "provisional"
