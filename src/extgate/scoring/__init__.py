"""Quality scoring (placeholder until implemented): never a gate."""

from __future__ import annotations

from collections.abc import Sequence

from extgate.facts import Facts
from extgate.model import Finding, Package, Score
from extgate.options import Options
from extgate.policy import Policy


def score(
    package: Package, facts: Facts, findings: Sequence[Finding], options: Options, policy: Policy
) -> Score | None:
    return None
