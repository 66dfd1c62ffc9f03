"""Quality scoring: a versioned rubric (`scorers/rubric.yaml`) over the package and what the gates found. Never a
gate: the score does not change the verdict, and a score of 0 still passes.

    score(package, facts, findings, options, policy) -> Score | None

earned      points earned
max         points possible, counting only earned and missed factors (provisional and not-applicable leave it)
percentage  earned / max * 100, one decimal
grade       from the rubric's grade table (A >= 90, B >= 75, C >= 60, D >= 40, else F)

A policy can switch scoring off (`[scoring] enabled = false` -> None) or add forges (`[scoring] forges = [...]`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from extgate.facts import Facts
from extgate.gates.interface import FileMapper
from extgate.model import FactorResult, Finding, Package, Score
from extgate.options import Options
from extgate.policy import Policy
from extgate.scoring.interface import EARNED, MISSED, ScoringContext
from extgate.scoring.rubric import Rubric, load_rubric

if TYPE_CHECKING:
    import httpx


def score(
    package: Package,
    facts: Facts,
    findings: Sequence[Finding],
    options: Options,
    policy: Policy,
    *,
    files: FileMapper | None = None,
) -> Score | None:
    """`files`: the engine's per-file runner (result cache); symbol extraction goes through it."""
    if policy.setting("scoring", "enabled", True) is False:
        return None
    return compute(package, facts, findings, options, policy, files=files)


def compute(
    package: Package,
    facts: Facts,
    findings: Sequence[Finding],
    options: Options,
    policy: Policy,
    *,
    rubric: Rubric | None = None,
    client: httpx.Client | None = None,
    files: FileMapper | None = None,
) -> Score:
    """`score` with the rubric and the HTTP client injectable (tests use a loopback client)."""
    from extgate.scoring.factors import FACTORS

    rubric = rubric or load_rubric()
    ctx = ScoringContext(package, facts, findings, options, policy, rubric, client=client, files=files)
    results: list[FactorResult] = []
    for spec in rubric.factors:
        implementation = FACTORS.get(spec.id)
        if implementation is None:
            raise KeyError(f"rubric {rubric.version} names factor {spec.id!r}, which extgate does not implement")
        results.append(implementation(spec).evaluate(ctx))
    return summarize(results, rubric)


def summarize(results: Sequence[FactorResult], rubric: Rubric) -> Score:
    counted = [r for r in results if r.status in (EARNED, MISSED)]
    earned = sum(r.earned for r in counted)
    possible = sum(r.max for r in counted)
    percentage = round(earned / possible * 100, 1) if possible else 0.0
    return Score(
        earned=earned,
        max=possible,
        percentage=percentage,
        grade=rubric.grade_for(percentage),
        rubric_version=rubric.version,
        factors=tuple(results),
    )


__all__ = ["compute", "score", "summarize"]
