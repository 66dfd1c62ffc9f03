"""Every rule in every pack is documented the ruff way and has a well-formed, stable id."""

from __future__ import annotations

import re

import pytest

from extgate.rules.registry import Rule, load_registry

RULES = list(load_registry())


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_fully_documented(rule: Rule) -> None:
    assert re.fullmatch(r"[a-z0-9]+/[a-z0-9-]+", rule.id)
    assert rule.title and rule.what.strip() and rule.why.strip() and rule.fix.strip(), rule.id
    assert rule.example_bad.strip() or rule.id == "engine/internal-error" or rule.example_good.strip(), rule.id
    assert rule.tags, rule.id
    assert rule.precision in ("very-high", "high", "medium", "low")
    if rule.security_severity is not None:
        assert 0.0 <= float(rule.security_severity) <= 10.0


def test_rule_ids_are_unique_and_gates_known() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    gates = {r.gate for r in RULES}
    assert gates <= {
        "archive",
        "safety",
        "code",
        "content",
        "secrets",
        "manifest",
        "cinatra",
        "fixtures",
        "trust",
        "engine",
        "drift",
    }
