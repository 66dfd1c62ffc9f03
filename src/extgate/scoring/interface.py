"""What a scoring factor sees (`ScoringContext`) and what it is (`Factor`).

A factor is a small class built from its rubric entry (`FactorSpec`): `id`, `weight`, `evaluate(ctx) ->
FactorResult`. Status is one of:

  earned          every point of the factor was earned
  missed          some or all points were not earned (`earned` holds partial points)
  provisional     looks right but could not be confirmed in this run (e.g. repository URL not verified offline):
                  the points leave the denominator, as swamp does for unverified links
  not-applicable  nothing to judge (no exported declarations, no dependencies): out of the denominator, not free

Per-factor `max` is always the factor's weight, so a reader sees what a provisional or not-applicable factor is worth;
the score's own `max` counts only earned and missed factors.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from extgate.facts import Facts, Manifest
from extgate.gates.interface import FileMapper
from extgate.model import FactorResult, Finding, Package
from extgate.options import Options
from extgate.policy import Policy
from extgate.scoring.rubric import FactorSpec, Rubric

if TYPE_CHECKING:
    import httpx

    from extgate.scoring.readme import Readme

EARNED = "earned"
MISSED = "missed"
PROVISIONAL = "provisional"
NOT_APPLICABLE = "not-applicable"
STATUSES = (EARNED, MISSED, PROVISIONAL, NOT_APPLICABLE)


class ScoringContext:
    """Inputs of one scoring run plus lazily computed views several factors share (manifest, README).

    rubric  the rubric being applied
    client  an httpx client for repository verification; None = one is created per request when the network is
            allowed (tests pass a client whose transport points at a loopback server)
    """

    def __init__(
        self,
        package: Package,
        facts: Facts,
        findings: Sequence[Finding],
        options: Options,
        policy: Policy,
        rubric: Rubric,
        *,
        client: httpx.Client | None = None,
        files: FileMapper | None = None,
    ) -> None:
        self.package = package
        self.rubric = rubric
        self.facts = facts
        self.findings = tuple(findings)
        self.options = options
        self.policy = policy
        self.client = client
        self.files = files  # the engine's per-file runner (cache); None = inline

    @property
    def network_allowed(self) -> bool:
        return self.options.network and not self.options.offline

    @cached_property
    def manifest(self) -> Manifest | None:
        from extgate.scoring.manifest import resolve_manifest

        return resolve_manifest(self.package, self.facts, self.options)

    @cached_property
    def readme(self) -> Readme | None:
        from extgate.scoring.readme import find_readme

        return find_readme(self.package)

    @cached_property
    def readme_problem(self) -> str | None:
        """Why the root README is scaffold text or a stub (has-readme's settings decide); None when it is real or
        absent. All three README factors give no credit for scaffold text."""
        from extgate.scoring.readme import template_reason

        if self.readme is None:
            return None
        try:
            spec = self.rubric.factor("has-readme")
        except KeyError:
            spec = FactorSpec("has-readme", 1.0, "README", "")
        return template_reason(
            self.readme,
            phrases=spec.strings("template_phrases"),
            placeholder_words=spec.strings("placeholder_words"),
            min_chars=int(spec.setting("min_chars", 120)),
        )

    def manifest_value(self, key: str) -> object:
        """A top-level manifest field, None when there is no manifest or no such key."""
        return self.manifest.data.get(key) if self.manifest is not None else None


class Factor(Protocol):
    """A rubric factor: one pure evaluation over the context."""

    @property
    def id(self) -> str: ...

    @property
    def weight(self) -> float: ...

    def evaluate(self, ctx: ScoringContext) -> FactorResult: ...


class BaseFactor:
    """Holds the rubric entry and builds results; subclasses implement `evaluate`."""

    def __init__(self, spec: FactorSpec) -> None:
        self.spec = spec

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def weight(self) -> float:
        return self.spec.weight

    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        raise NotImplementedError

    def _result(self, status: str, earned: float, hint: str | None, detail: str) -> FactorResult:
        return FactorResult(
            id=self.spec.id,
            status=status,
            earned=earned,
            max=self.spec.weight,
            hint=" ".join((hint if hint is not None else self.spec.hint).split()),
            title=self.spec.title,
            detail=" ".join(detail.split()),
        )

    def earned(self, detail: str = "") -> FactorResult:
        return self._result(EARNED, self.spec.weight, None, detail)

    def missed(self, detail: str = "", hint: str | None = None, points: float = 0.0) -> FactorResult:
        """Not (fully) earned; `points` keeps partial credit, `hint` replaces the rubric hint when more specific."""
        points = max(0.0, min(points, self.spec.weight))
        return self._result(MISSED, points, hint, detail)

    def provisional(self, detail: str = "", hint: str | None = None) -> FactorResult:
        return self._result(PROVISIONAL, 0.0, hint, detail)

    def not_applicable(self, detail: str = "") -> FactorResult:
        return self._result(NOT_APPLICABLE, 0.0, None, detail)
