"""The hyperscan prefilter and the plain `re` path produce identical hits; the fallbacks work."""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterator

import pytest
from content_helpers import FIXTURES, config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extgate.gates.content import analysis, analyze_file, matcher
from extgate.gates.content.interface import PatternSpec
from extgate.gates.content.matcher import (
    HyperscanPrefilter,
    RePrefilter,
    hyperscan_available,
    located_finditer,
    prefilter_for,
    read_extent,
)

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
    assert prefilter.candidates(b"haystack") == {0: None}
    assert prefilter.candidates(b"a needle") == {0: None, 1: None}


def test_re_prefilter_skips_expressions_whose_literals_are_absent() -> None:
    patterns = (
        PatternSpec("npm_[a-z]+", requires=("npm_",)),
        PatternSpec("(?i)token", caseless=True, requires=("token",)),
        PatternSpec("[0-9]+"),
    )
    prefilter = RePrefilter(patterns)
    assert prefilter.candidates(b"nothing here") == {2: None}
    assert prefilter.candidates(b"npm_abc and TOKEN") == {0: None, 1: None, 2: None}


def _located_agree(data: bytes) -> int:
    """Every rule-pack expression: the matches searched only from hyperscan's spans are finditer's matches (this
    checks the rule data's promise that each `candidate` covers every match start). Returns spans seen."""
    prepared = analysis._prepared(config("hyperscan"))
    assert isinstance(prepared.prefilter, HyperscanPrefilter)
    assert prepared.prefilter.located  # the rule pack has located expressions
    candidates = prepared.prefilter.candidates(data)
    assert candidates is not None
    seen = 0
    for i, regex in enumerate(prepared.compiled.regexes):
        expected = [m.span() for m in regex.finditer(data)]
        if i not in candidates:
            assert expected == [], prepared.layout.patterns[i].regex
            continue
        spans = candidates[i]
        seen += len(spans or ())
        got = [m.span() for m in located_finditer(regex, data, spans, prepared.compiled.extents[i])]
        assert got == expected, prepared.layout.patterns[i].regex
    return seen


@needs_hyperscan
def test_located_search_finds_exactly_finditers_matches_in_fixture_files() -> None:
    assert sum(_located_agree(data) for _, data in _fixture_files()) > 50


@needs_hyperscan
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.sampled_from(FRAGMENTS), max_size=30), glue=st.sampled_from(["", " ", "\n", ".", "x", "/"]))
def test_located_search_finds_exactly_finditers_matches_in_random_mixtures(parts: list[str], glue: str) -> None:
    _located_agree(glue.join(parts).encode())


def test_located_search_tries_only_the_spans() -> None:
    regex = re.compile(rb"(?<![a-z])ab+(?!c)")
    data = b"ab abc xab abbb ab"
    spans = ((0, 1), (11, 13))  # the matches at 0 and 11; the one at 16 is left out on purpose
    assert [m.span() for m in located_finditer(regex, data, spans, read_extent(regex.pattern))] == [(0, 2), (11, 15)]
    assert [m.span() for m in located_finditer(regex, data, None, None)] == [(0, 2), (11, 15), (16, 18)]
    long_spans = ((0, 18),)  # one long span: searched, not tried position by position
    assert [m.span() for m in located_finditer(regex, data * 10, long_spans, 4)][:3] == [(0, 2), (11, 15), (16, 18)]


@pytest.mark.parametrize(
    ("regex", "extent"),
    [
        (rb"abc", 5),  # three bytes, plus the peek slack
        (rb"a(?![0-9]{3})", 6),  # a look-ahead reads past the match
        (rb"(?<=xyz)a", 3),  # a look-behind reads before the start
        (rb"a{2,5}|b", 7),
        (rb"a+", None),
        (rb"(a)\1", None),  # back-references: no bound
    ],
)
def test_read_extent_bounds_what_a_match_reads(regex: bytes, extent: int | None) -> None:
    assert read_extent(regex) == extent


def test_long_runs_are_found_with_either_engine() -> None:
    data = b"short words\n" + b"x" * 600 + b" tail " + b"y" * 700
    for engine in ("re", "hyperscan") if hyperscan_available() else ("re",):
        hits = [h for h in analyze_file("dist/a.js", data, config(engine)) if h.rule_id == "content/long-line"]
        assert len(hits) == 1 and dict(hits[0].properties) | {"lines": 1, "longest": 700} == dict(hits[0].properties)


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
