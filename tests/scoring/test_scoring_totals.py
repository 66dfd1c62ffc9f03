"""Whole-rubric behaviour: no free points, provisional/not-applicable leave the denominator, grades, fixtures."""

from __future__ import annotations

import pickle

import pytest
from scoring_support import factor, load, run

from extgate.facts import Facts
from extgate.model import FactorResult, Package
from extgate.options import Options
from extgate.policy import Policy
from extgate.scoring import score, summarize
from extgate.scoring.rubric import load_rubric


def test_empty_manifest_only_extension_scores_at_most_ten_percent() -> None:
    result = run(load("empty"))
    assert result.percentage <= 10
    assert result.earned == 0
    assert result.grade == "F"
    # nothing is free: the factors with nothing to judge are out of the denominator, not earned
    assert factor(result, "dependency-trust").status == "not-applicable"
    assert factor(result, "symbols-docs").status == "not-applicable"
    assert all(f.earned == 0 for f in result.factors)


def test_complete_extension_scores_one_hundred_percent() -> None:
    result = run(load("complete"))
    assert result.percentage == 100
    assert result.grade == "A"
    assert result.earned == result.max
    missed = [f.id for f in result.factors if f.status == "missed"]
    assert missed == []


EXPECTED = {
    "swamp": {
        "has-readme": "missed",
        "symbols-docs": "missed",
        "description": "earned",
        "has-license": "earned",  # no license field in swamp manifests: the Apache-2.0 LICENSE text declares it
        "repository": "provisional",
        "types": "earned",
        "compat": "earned",
        "dependency-trust": "not-applicable",
        "provenance": "missed",
    },
    "cinatra": {
        "has-readme": "missed",
        "symbols-docs": "missed",
        "description": "earned",
        "has-license": "earned",
        "repository": "provisional",
        "types": "missed",
        "compat": "earned",
        "changelog": "missed",
    },
}


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_fixture_extensions_per_factor(fixture: str) -> None:
    result = run(load(fixture))
    got = {f.id: f.status for f in result.factors}
    assert {k: got[k] for k in EXPECTED[fixture]} == EXPECTED[fixture]
    # 2 of 3 exported declarations documented: 67 % of the 80 % bar -> floor(0.83 * 5) = 4 points
    assert factor(result, "symbols-docs").earned == 4


def test_max_counts_only_earned_and_missed() -> None:
    result = run(load("complete"))
    counted = sum(f.max for f in result.factors if f.status in ("earned", "missed"))
    assert result.max == counted
    assert result.max == load_rubric().total_weight - 2 - 2  # repository provisional, dependency-trust n/a


def test_rubric_weights_match_issue_six() -> None:
    weights = {f.id: f.weight for f in load_rubric().factors}
    assert weights == {
        "has-readme": 2, "readme-example": 1, "rich-readme": 1, "symbols-docs": 5, "description": 1,
        "has-license": 1, "repository": 2, "changelog": 1, "types": 1, "compat": 1, "dependency-trust": 2,
        "provenance": 1,
    }  # fmt: skip
    assert load_rubric().version


@pytest.mark.parametrize(
    ("earned", "grade"),
    [(10, "A"), (9, "A"), (8.9, "B"), (7.5, "B"), (7.4, "C"), (6, "C"), (5.9, "D"), (4, "D"), (3.9, "F"), (0, "F")],
)
def test_grade_boundaries(earned: float, grade: str) -> None:
    rubric = load_rubric()
    results = [FactorResult("x", "earned" if earned else "missed", earned, 10)]
    assert summarize(results, rubric).grade == grade


def test_all_provisional_gives_zero_not_a_crash() -> None:
    result = summarize([FactorResult("repository", "provisional", 0, 2)], load_rubric())
    assert (result.earned, result.max, result.percentage) == (0, 0, 0.0)


def test_policy_can_switch_scoring_off() -> None:
    policy = Policy.from_mapping({"scoring": {"enabled": False}})
    pkg = Package.from_files(load("complete"))
    assert score(pkg, Facts(), [], Options(offline=True), policy) is None
    assert score(pkg, Facts(), [], Options(offline=True), Policy()) is not None


def test_score_is_deterministic_and_picklable() -> None:
    first = run(load("complete"))
    assert pickle.loads(pickle.dumps(first)) == first
    assert run(load("complete")) == first


def test_every_factor_has_a_one_line_hint_and_title() -> None:
    for result in run(load("empty")).factors:
        assert result.hint and "\n" not in result.hint
        assert result.title
        assert result.max > 0
