"""Every content/* and secrets/* rule against its positive and negative fixtures, through ContentGate().run, with
both prefilter engines. tests/fixtures/content/<slug>/expected.yaml lists the exact hits of positive/."""

from __future__ import annotations

from pathlib import Path

import pytest
from content_helpers import ENGINES, expected, fixture_dirs, fixture_files, of, registry, run

from extgate.model import Level

DIRS = fixture_dirs()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("folder", DIRS, ids=[d.name for d in DIRS])
def test_positive_fixtures_give_exactly_the_expected_hits(folder: Path, engine: str) -> None:
    spec = expected(folder)
    rule_id = spec["rule"]
    findings = of(run(fixture_files(folder / "positive"), engine=engine), rule_id)
    default = registry()[rule_id].level
    got = sorted((f.path, f.line, f.location.column if f.location else None, f.level.value) for f in findings)
    want = sorted(
        (path, hit[0], hit[1], hit[2] if len(hit) > 2 else default.value)
        for path, hits in spec["positive"].items()
        for hit in hits
    )
    assert got == want
    for finding in findings:
        assert finding.gate == "content"
        assert finding.message and finding.snippet
        assert finding.location is not None and finding.location.end_line is not None


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("folder", DIRS, ids=[d.name for d in DIRS])
def test_negative_fixtures_give_no_hit_of_the_rule(folder: Path, engine: str) -> None:
    rule_id = expected(folder)["rule"]
    files = fixture_files(folder / "negative")
    assert files, f"{folder.name} has no negative fixtures"
    assert of(run(files, engine=engine), rule_id) == []


def test_every_rule_with_a_matcher_has_fixtures() -> None:
    covered = {expected(d)["rule"] for d in DIRS}
    rules = {r.id for r in registry() if r.gate in ("content", "secrets") and r.matcher.get("kind") != "limit"}
    assert rules == covered


@pytest.mark.parametrize(
    ("rule_id", "level"),
    [("secrets/npm-token", Level.ERROR), ("content/ipv4-literal", Level.WARNING)],
)
def test_default_levels_follow_the_issue(rule_id: str, level: Level) -> None:
    assert registry()[rule_id].level is level


def test_all_secrets_rules_are_errors_except_the_entropy_heuristic() -> None:
    levels = {r.id: r.level for r in registry() if r.gate == "secrets"}
    assert levels.pop("secrets/high-entropy-assignment") is Level.WARNING
    assert set(levels.values()) == {Level.ERROR}
    content = {r.id: r.level for r in registry() if r.gate == "content"}
    assert set(content.values()) == {Level.WARNING}
