"""The hyperscan prefilter and the plain `re` path produce identical hits; the fallbacks work."""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import pytest
from content_helpers import FIXTURES, config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extgate.gates.content import analysis, analyze_file, matcher
from extgate.gates.content.interface import PatternSpec
from extgate.gates.content.matcher import HyperscanPrefilter, RePrefilter, hyperscan_available, prefilter_for

needs_hyperscan = pytest.mark.skipif(not hyperscan_available(), reason="hyperscan is not installed on this platform")

# Fragments that trigger (or nearly trigger) every rule, glued together at random by hypothesis.
FRAGMENTS = [
    "8.8.8.8",
    "192.0.2.1",
    "10.0.0.1",
    "v1.2.3.4",
    '"version": "1.2.3.4"',
    "https://bit.ly/x",
    "rabbit.ly/x",
    " pastebin.com/raw/a",
    "http://45.1.2.3:80/p",
    "http://0x7f000001/",
    "npm_" + "a1B2c3D4e5" * 3 + "f6G7h8",
    "ghp_" + "Zq9Xw8Vu7T" * 3 + "s6R5q4",
    "AKIA" + "Q2W3E4R5T6Y7U8I9",
    "xoxb-2480183736-Qm7ZtL2xK9vR4wBn",
    'apiKey = "q8Zt3LmW9xK2vR7bN4cH"',
    'token: "changeme"',
    "-----BEGIN RSA PRIVATE KEY-----\n" + "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun" * 2 + "\n",
    "data:image/png;base64," + "iVBORw0KGgo" + "Ab3dE" * 30,
    "QUJD" * 40,
    "0x" + "a1b2c3d4" * 20,
    ".env",
    "DB_PASSWORD=S3cur3-P4ss!w0rd#2024\n",
    "//registry.npmjs.org/:_authToken=Vt3k8QpZr2LmX9aWc4Hn\n",
    "é",
    "\t",
    "\n",
    "\r\n",
    " ",
    "x" * 60,
    "y" * 501,
]


def _hits(path: str, data: bytes, engine: str) -> list[tuple[object, ...]]:
    return [
        (h.rule_id, h.line, h.column, h.end_line, h.end_column, h.message, h.snippet, h.level)
        for h in analyze_file(path, data, config(engine))
    ]


def test_the_fragments_reach_every_rule() -> None:
    hit = {h[0] for name in ("src/a.js", ".env", ".npmrc") for h in _hits(name, "\n".join(FRAGMENTS).encode(), "re")}
    assert hit >= {r.rule_id for r in config("re").rules if r.kind != "limit"}


def _fixture_files() -> Iterator[tuple[str, bytes]]:
    for file in sorted(FIXTURES.rglob("*")):
        if file.is_file() and file.name != "expected.yaml":
            yield file.relative_to(FIXTURES).as_posix().split("/", 2)[-1], file.read_bytes()


@needs_hyperscan
def test_engines_agree_on_every_fixture_file() -> None:
    files = list(_fixture_files())
    assert len(files) > 40
    for path, data in files:
        assert _hits(path, data, "hyperscan") == _hits(path, data, "re"), path


@needs_hyperscan
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.sampled_from(FRAGMENTS), max_size=30),
    name=st.sampled_from(["src/a.js", ".env", ".npmrc", "config/app.yaml", "README.md", "x.map"]),
)
def test_engines_agree_on_random_mixtures(parts: list[str], name: str) -> None:
    data = "".join(parts).encode()
    assert _hits(name, data, "hyperscan") == _hits(name, data, "re")


@needs_hyperscan
def test_an_expression_hyperscan_rejects_still_runs_through_re() -> None:
    patterns = (PatternSpec("a*b?"), PatternSpec("needle"))  # the first matches the empty string: hyperscan refuses
    prefilter = HyperscanPrefilter(patterns)
    assert prefilter.always == frozenset({0})
    assert prefilter.candidates(b"haystack") == frozenset({0})
    assert prefilter.candidates(b"a needle") == frozenset({0, 1})


def test_re_prefilter_skips_expressions_whose_literals_are_absent() -> None:
    patterns = (
        PatternSpec("npm_[a-z]+", requires=("npm_",)),
        PatternSpec("(?i)token", caseless=True, requires=("token",)),
        PatternSpec("[0-9]+"),
    )
    prefilter = RePrefilter(patterns)
    assert prefilter.candidates(b"nothing here") == frozenset({2})
    assert prefilter.candidates(b"npm_abc and TOKEN") == frozenset({0, 1, 2})


def _clear_caches() -> None:
    prefilter_for.cache_clear()
    analysis._prepare.cache_clear()
    analysis._last = None


def test_auto_falls_back_to_re_without_hyperscan(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_caches()
    monkeypatch.setattr(matcher, "_hs", None)
    try:
        patterns = (PatternSpec("x"),)
        assert isinstance(prefilter_for(patterns, "auto"), RePrefilter)
        with pytest.raises(RuntimeError, match="hyperscan"):
            prefilter_for(patterns, "hyperscan")
        hits = analyze_file("src/a.js", b'const dns = "8.8.8.8";', config("auto"))
        assert [h.rule_id for h in hits] == ["content/ipv4-literal"]
        assert isinstance(analysis._prepared(config("auto")).prefilter, RePrefilter)
    finally:
        _clear_caches()


def test_unknown_engine_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="engine"):
        config("turbo")


@pytest.mark.parametrize("engine", ["re", pytest.param("hyperscan", marks=needs_hyperscan)])
def test_config_and_hits_are_picklable_and_deterministic(engine: str) -> None:
    cfg = config(engine)
    assert hash(cfg) == hash(pickle.loads(pickle.dumps(cfg)))
    data = (FIXTURES / "shady-url" / "positive" / "src" / "loader.js").read_bytes()
    first = analyze_file("src/loader.js", data, cfg)
    assert first and pickle.loads(pickle.dumps(first)) == first
    assert analyze_file("src/loader.js", data, pickle.loads(pickle.dumps(cfg))) == first
