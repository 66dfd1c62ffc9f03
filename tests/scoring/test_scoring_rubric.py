"""The rubric is data: loaded, validated, versioned; every factor it names is implemented."""

from __future__ import annotations

from typing import Any

import pytest
from scoring_support import load, run

from extgate.facts import Facts
from extgate.model import Package
from extgate.options import Options
from extgate.policy import Policy
from extgate.scoring import compute
from extgate.scoring.factors import FACTORS
from extgate.scoring.rubric import RubricError, load_rubric, parse_rubric

GOOD: dict[str, Any] = {
    "rubric_version": "9.9",
    "grades": [{"grade": "F", "min": 0}, {"grade": "A", "min": 50}],
    "factors": [{"id": "description", "weight": 3, "hint": "  Describe   it. ", "settings": {"min_chars": 5}}],
}


def test_every_rubric_factor_is_implemented() -> None:
    rubric = load_rubric()
    assert {f.id for f in rubric.factors} == set(FACTORS)
    assert all(f.hint and f.title for f in rubric.factors)


def test_a_custom_rubric_changes_weights_thresholds_and_version() -> None:
    rubric = parse_rubric(GOOD)
    assert rubric.grades == (("A", 50.0), ("F", 0.0))  # sorted best first
    assert rubric.factor("description").hint == "Describe it."
    files = {"package.json": '{"name": "x", "description": "Short"}'}
    score = compute(Package.from_files(files), Facts(), [], Options(offline=True), Policy(), rubric=rubric)
    assert (score.rubric_version, score.earned, score.max, score.grade) == ("9.9", 3, 3, "A")


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        {**GOOD, "rubric_version": ""},
        {**GOOD, "factors": []},
        {**GOOD, "factors": [{"weight": 1}]},
        {**GOOD, "factors": [{"id": "x", "weight": 0}]},
        {**GOOD, "factors": [{"id": "x", "weight": True}]},
        {**GOOD, "factors": [{"id": "x", "weight": 1}, {"id": "x", "weight": 1}]},
        {**GOOD, "factors": [{"id": "x", "weight": 1, "settings": [1]}]},
        {**GOOD, "grades": [{"grade": "A"}]},
    ],
)
def test_malformed_rubrics_are_rejected(doc: object) -> None:
    with pytest.raises(RubricError):
        parse_rubric(doc)


def test_unknown_factor_in_rubric_is_an_error_not_a_silent_skip() -> None:
    rubric = parse_rubric({**GOOD, "factors": [{"id": "stars-on-github", "weight": 1}]})
    with pytest.raises(KeyError, match="stars-on-github"):
        compute(Package.from_files(load("empty")), Facts(), [], Options(offline=True), Policy(), rubric=rubric)


def test_bundled_rubric_is_frozen() -> None:
    spec = load_rubric().factor("repository")
    with pytest.raises(TypeError):
        spec.settings["forges"] = ()  # type: ignore[index]
    assert isinstance(spec.settings["forges"], tuple)
    assert run(load("empty")).rubric_version == load_rubric().version
