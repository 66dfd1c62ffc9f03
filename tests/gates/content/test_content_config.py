"""Rules are data: a new regex rule is one YAML entry; thresholds come from the policy; bad data fails loudly."""

from __future__ import annotations

import base64
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from content_helpers import FIXTURES, PACKS, config, fixture_files, of, policy, registry, run
from hypothesis import given
from hypothesis import strategies as st

from extgate.datafiles import data_dir
from extgate.gates.content import analyze_file, config_from
from extgate.gates.content.config import trie_regex
from extgate.policy import Policy
from extgate.rules.registry import load_packs

NEW_RULE = {
    "id": "secrets/stripe-live-key",
    "level": "error",
    "title": "Stripe live secret key",
    "what": "Stripe live secret keys (sk_live_...).",
    "why": "They move money.",
    "example": {"bad": 'stripe("sk_live_...")', "good": "stripe(process.env.STRIPE_KEY)"},
    "fix": "Roll the key in the Stripe dashboard.",
    "matcher": {
        "kind": "regex",
        "reveal_prefix": True,
        "patterns": [{"regex": r"(?<![A-Za-z0-9_])(?P<value>sk_live_[A-Za-z0-9]{24,99})", "requires": ["sk_live_"]}],
        "message": "Stripe live key {redacted} is in the package; roll it in the dashboard.",
    },
}


def _with_pack(tmp_path: Path, pack: dict[str, Any]) -> Any:
    for name in PACKS:
        shutil.copy(data_dir("rules") / name, tmp_path / name)
    (tmp_path / "extra.yaml").write_text(yaml.safe_dump(pack))
    return load_packs(tmp_path)


@pytest.mark.parametrize("engine", ["re", "auto"])
def test_a_new_regex_rule_is_one_yaml_entry(tmp_path: Path, engine: str) -> None:
    rules = _with_pack(tmp_path, {"pack": "extra", "rules": [NEW_RULE]})
    cfg = config_from(rules, lambda key, default: engine if key == "engine" else default)
    key = "sk_live_" + "Zq9Xw8Vu7Ts6R5q4Pz3Oy2Nx"
    hits = [h for h in analyze_file("src/pay.js", f'stripe("{key}");'.encode(), cfg) if "stripe" in h.rule_id]
    assert [(h.line, h.column) for h in hits] == [(1, 9)]
    assert hits[0].message == "Stripe live key sk_live_…(32 chars) is in the package; roll it in the dashboard."
    assert analyze_file("src/pay.js", b'stripe("sk_test_abc");', cfg) == ()


def test_policy_settings_reach_the_rules() -> None:
    bundle = fixture_files(FIXTURES / "long-line" / "positive")
    assert of(run(bundle), "content/long-line")
    assert not of(run(bundle, policy_=policy(max_line_chars=2000)), "content/long-line")

    text = 'fetch("https://bit.ly/abc"); const dns = "8.8.8.8"; const lan = "10.1.2.3";'
    findings = run({"a.js": text}, policy_=policy(ipv4_allow=["8.8.8.0/24"], allow_hosts=["bit.ly"]))
    assert [f.properties["address"] for f in of(findings, "content/ipv4-literal")] == ["10.1.2.3"]
    assert of(findings, "content/shady-url") == []

    run_of_150 = base64.b64encode(random.Random(1).randbytes(112)).decode()  # 152 characters
    assert of(run({"a.js": f'x = "{run_of_150}"'}), "content/base64-blob")
    assert not of(run({"a.js": f'x = "{run_of_150}"'}, policy_=policy(min_blob_chars=200)), "content/base64-blob")


def test_disabled_rules_are_not_run() -> None:
    chosen = Policy.from_mapping({"rules": {"content/ipv4-literal": {"enabled": False}}})
    cfg = config_from(registry(), enabled=chosen.rule_enabled)
    assert cfg.rule("content/ipv4-literal") is None and cfg.rule("content/shady-url") is not None
    findings = run({"a.js": 'const dns = "8.8.8.8";'}, policy_=chosen)
    assert of(findings, "content/ipv4-literal") == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_line_chars": "wide"}, "max_line_chars"),
        ({"max_line_chars": True}, "max_line_chars"),
        ({"max_line_chars": -1}, "max_line_chars"),
        ({"ipv4_allow": "10.0.0.0/8"}, "ipv4_allow"),
        ({"min_secret_entropy": "high"}, "min_secret_entropy"),
        ({"engine": "fast"}, "engine"),
    ],
)
def test_bad_policy_values_are_errors_not_silently_ignored(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config(**{"engine": "auto", **settings})


def test_a_bad_network_in_the_allow_list_fails_when_scanning() -> None:
    with pytest.raises(ValueError, match="not an IP network"):
        analyze_file("a.js", b"8.8.8.8", config(ipv4_allow=["8.8.8.8/99"]))


@pytest.mark.parametrize(
    ("matcher", "message"),
    [
        ({"kind": "telepathy"}, "unknown matcher kind"),
        ({"kind": "regex", "patterns": ["(unclosed"]}, "bad pattern"),
        ({"kind": "regex", "patterns": ["x{${missing}}"]}, "missing"),
    ],
)
def test_bad_rule_data_is_an_error(tmp_path: Path, matcher: dict[str, Any], message: str) -> None:
    rules = _with_pack(tmp_path, {"pack": "extra", "rules": [{**NEW_RULE, "matcher": matcher}]})
    with pytest.raises(ValueError, match=message):
        config_from(rules)


def test_every_matcher_kind_has_a_handler() -> None:
    from extgate.gates.content.analysis import HANDLERS
    from extgate.gates.content.config import KINDS

    assert set(HANDLERS) | {"limit"} == KINDS


def test_every_rule_has_full_documentation() -> None:
    for rule in registry():
        if rule.gate not in ("content", "secrets"):
            continue
        assert rule.title and rule.what and rule.why and rule.fix, rule.id
        assert rule.example_bad and rule.example_good, rule.id
        assert rule.security_severity is not None and 0.0 <= float(rule.security_severity) <= 10.0, rule.id
        assert rule.precision in ("very-high", "high", "medium", "low"), rule.id
        assert rule.tags, rule.id


@given(st.sets(st.text(alphabet="ab.-/", min_size=1, max_size=5), min_size=1, max_size=8), st.text("ab.-", max_size=6))
def test_trie_regex_matches_exactly_the_words(words: set[str], probe: str) -> None:
    import re

    hosts = {w.split("/", 1)[0] for w in words} - {""}
    if not hosts:
        return
    pattern = re.compile(trie_regex(hosts))
    for word in hosts:
        assert pattern.fullmatch(word)
    assert (pattern.fullmatch(probe) is not None) is (probe in hosts)
