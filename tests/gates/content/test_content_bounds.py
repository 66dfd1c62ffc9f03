"""Hostile sizes: bounded memory on 5 MB single lines, per-rule hit caps, candidate and size limits as findings."""

from __future__ import annotations

import base64
import dataclasses
import random
import tracemalloc

import pytest
from content_helpers import ENGINES, config, of, policy, run

from extgate.gates.content import analyze_file

FIVE_MB = 5_000_000


def _five_mb_lines() -> dict[str, bytes]:
    rng = random.Random(7)
    return {
        "minified code": b"a=function(b){return!b+1};" * (FIVE_MB // 26),  # no whitespace at all
        "base64": base64.b64encode(rng.randbytes(FIVE_MB * 3 // 4)),
        "dense ipv4": b"10.1.2.3," * (FIVE_MB // 9),
        "dense urls": b'"https://bit.ly/x",' * (FIVE_MB // 19),
        "token-like": (b"ghp_" + b"a1B2" * 9 + b" ") * (FIVE_MB // 41),
    }


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", list(_five_mb_lines()))
def test_a_5_mb_single_line_file_is_scanned_with_bounded_memory(kind: str, engine: str) -> None:
    data = _five_mb_lines()[kind]
    cfg = config(engine)
    analyze_file("warm.js", b"warm", cfg)  # compile outside the measurement
    tracemalloc.start()
    try:
        hits = analyze_file("dist/app.min.js", data, cfg)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # one bounded copy of the line (whitespace-stripped or lower-cased) at most, never a list of lines or matches
    assert peak < 1.5 * len(data), f"peak {peak:,} bytes for a {len(data):,}-byte file"
    # long-line measures whitespace-free runs: the token-like line is 41-character words separated by spaces
    assert any(h.rule_id == "content/long-line" for h in hits) is (b" " not in data)
    per_rule: dict[str, int] = {}
    for hit in hits:
        per_rule[hit.rule_id] = per_rule.get(hit.rule_id, 0) + 1
    assert max(per_rule.values()) <= cfg.max_hits_per_rule + 1  # the cap plus one summary


@pytest.mark.parametrize("engine", ENGINES)
def test_hits_beyond_the_cap_become_one_summary(engine: str) -> None:
    text = "\n".join(f'const h{i} = "45.1.2.{i}";' for i in range(50))
    hits = of(run({"src/hosts.js": text}, engine=engine), "content/ipv4-literal")
    assert len(hits) == 21
    listed, summary = hits[:20], hits[20]
    assert [h.line for h in listed] == list(range(1, 21))
    assert summary.line == 21  # the first hit not listed
    assert summary.properties["more"] == 30 and summary.properties["capped"] is False
    assert "30 more content/ipv4-literal hits" in summary.message


def test_the_summary_count_is_bounded() -> None:
    cfg = dataclasses.replace(config("re"), max_hits_per_rule=2, max_counted=5)
    text = b"\n".join(b"45.1.2.%d" % i for i in range(100))
    hits = [h for h in analyze_file("a.txt", text, cfg) if h.rule_id == "content/ipv4-literal"]
    assert len(hits) == 3
    assert dict(hits[2].properties) == {"more": 5, "capped": True}
    assert "5+ more" in hits[2].message


def test_policy_can_change_the_cap() -> None:
    text = "\n".join(f"45.1.2.{i}" for i in range(10))
    hits = of(run({"a.txt": text}, policy_=policy(max_hits_per_rule=3)), "content/ipv4-literal")
    assert len(hits) == 4 and hits[3].properties["more"] == 7


@pytest.mark.parametrize("engine", ENGINES)
def test_the_candidate_limit_is_a_finding(engine: str) -> None:
    text = "127.0.0.1 " * 40 + "45.1.2.3"  # 40 exempt candidates, then one that would be reported
    findings = run({"src/a.js": text}, policy_=policy(engine, max_candidates=10))
    assert of(findings, "content/ipv4-literal") == []
    (limit,) = of(findings, "content/scan-limit")
    assert "content/ipv4-literal stopped after examining 10 candidates" in limit.message
    assert limit.location is not None and limit.location.column == 101  # the 11th candidate
    assert limit.properties["rule"] == "content/ipv4-literal"


@pytest.mark.parametrize("engine", ENGINES)
def test_bytes_past_max_scan_bytes_are_reported_not_scanned(engine: str) -> None:
    text = "// padding\n" * 200 + 'const dns = "8.8.8.8";\n'
    findings = run({"src/a.js": text}, policy_=policy(engine, max_scan_bytes=1000))
    assert of(findings, "content/ipv4-literal") == []
    (limit,) = of(findings, "content/scan-limit")
    assert limit.properties["size"] == len(text) and limit.properties["limit"] == 1000
    assert "Only the first 1,000" in limit.message
    assert of(run({"src/a.js": text}, engine=engine), "content/ipv4-literal") != []  # default limit: scanned


def test_a_disabled_scan_limit_rule_gives_no_limit_finding() -> None:
    from extgate.policy import Policy

    chosen = Policy.from_mapping(
        {"content": {"max_scan_bytes": 10}, "rules": {"content/scan-limit": {"enabled": False}}}
    )
    assert of(run({"a.txt": "x" * 100}, policy_=chosen), "content/scan-limit") == []
