"""rules/code.yaml: every rule the gate can emit is documented, matchers are valid, and data is consistent."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest
from code_support import config, registry

from extgate.model import Level

SOURCE = Path(__file__).resolve().parents[3] / "src" / "extgate" / "gates" / "code"
RULES = sorted(r.id for r in registry() if r.pack == "code")


def test_every_emitted_rule_id_is_in_the_pack() -> None:
    emitted: set[str] = set()
    for path in SOURCE.glob("*.py"):
        emitted |= set(re.findall(r'"((?:code|safety)/[a-z-]+)"', path.read_text()))
    assert emitted <= set(RULES)
    assert set(RULES) == {
        "code/dynamic-eval", "code/function-constructor", "code/implied-eval", "code/vm-execution",
        "code/dynamic-import", "code/obfuscated", "code/minified", "code/subprocess", "code/env-exfiltration",
        "code/trojan-source", "safety/unparsed-file", "code/home-write", "code/credential-read",
        "code/environment-targeting", "code/delayed-execution", "code/native-library", "code/remote-script",
    }  # fmt: skip


@pytest.mark.parametrize("rule_id", RULES)
def test_rule_docs_are_complete(rule_id: str) -> None:
    rule = registry()[rule_id]
    assert rule.title and len(rule.what) > 80 and len(rule.why) > 80 and len(rule.fix) > 30
    assert rule.example_bad and rule.example_good
    assert rule.tags and rule.precision in ("very-high", "high", "medium", "low")
    if rule.level is not Level.NOTE:
        assert rule.security_severity is not None and 0 < float(rule.security_severity) <= 10
    assert "## " + rule_id in rule.help_markdown()
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200b-\u200f]", rule.what + rule.example_bad)


def test_default_levels() -> None:
    levels = {r: registry()[r].level for r in RULES}
    assert levels["code/subprocess"] is Level.WARNING
    assert levels["code/native-library"] is Level.WARNING
    assert levels["code/remote-script"] is Level.WARNING
    assert levels["code/minified"] is Level.NOTE
    assert levels["safety/unparsed-file"] is Level.WARNING
    behaviour = ("code/home-write", "code/credential-read", "code/environment-targeting", "code/delayed-execution")
    assert all(levels[r] is Level.WARNING for r in behaviour)  # error only in the documented combinations
    assert all(levels[r] is Level.ERROR for r in RULES if r not in ("code/subprocess", "code/minified",
                                                                   "safety/unparsed-file", "code/native-library",
                                                                   "code/remote-script", *behaviour))  # fmt: skip


def test_call_matchers_come_from_the_pack() -> None:
    matchers = {m.rule_id: m for m in config().call_matchers}
    assert set(matchers) == {"code/implied-eval", "code/vm-execution", "code/subprocess", "code/native-library"}
    assert "child_process.exec" in matchers["code/subprocess"].javascript
    assert "os.exec*" in matchers["code/subprocess"].python
    assert matchers["code/implied-eval"].argument == "string"
    assert all("{api}" in m.message for m in matchers.values())  # replaced by the canonical name per finding


def test_api_name_patterns_cover_the_lists() -> None:
    data = registry().data("code")["api_names"]
    patterns = list(data["patterns"])
    names = [*data["node_modules"], *data["js_globals"], *data["python_modules"]]
    names += [f"process.{m}" for m in data["process_members"]]
    names += [f"{m}.member" for m in (*data["node_modules"], *data["python_modules"])]
    names += ["Deno.env.get", "Deno.readTextFile", "Bun.spawn"]
    for name in names:
        assert any(fnmatch.fnmatchcase(name, p) for p in patterns), name


def test_settings_are_policy_tunable() -> None:
    tuned = config(max_parse_bytes=123, parse_timeout_ms=45, python_max_depth=67, max_findings_per_rule=8)
    assert (tuned.max_parse_bytes, tuned.parse_timeout_ms, tuned.python_max_depth, tuned.max_findings_per_rule) == (
        123, 45, 67, 8,
    )  # fmt: skip
    default = config()
    assert (default.max_parse_bytes, default.parse_timeout_ms) == (2_000_000, 5_000)


def test_config_is_hashable_and_picklable() -> None:
    import pickle

    from code_support import analyze

    cfg = config()
    assert hash(cfg) == hash(config())
    result = analyze("a.js", "eval(x); require('fs');")
    assert pickle.loads(pickle.dumps(result)) == result
    assert pickle.loads(pickle.dumps(cfg)) == cfg
