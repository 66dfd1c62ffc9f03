"""dependency-trust: the trust gate found no errors.

Decision (issue 6, "no free points"): a package with nothing to audit (no dependencies, or only ones excluded
because the host provides them) is not-applicable, not earned -- swamp gives those points away, extgate leaves them
out of the denominator. Dependencies that were declared but not audited in this run are provisional.
"""

from __future__ import annotations

from collections.abc import Mapping

from extgate.model import FactorResult, Level
from extgate.scoring.interface import BaseFactor, ScoringContext

_DEPENDENCY_FIELDS = (
    "dependencies",
    "optionalDependencies",
    "peerDependencies",
    "bundleDependencies",
    "bundledDependencies",
)
_UNAUDITED = ("unresolved", "not-audited")


class DependencyTrust(BaseFactor):
    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        prefix = str(self.spec.setting("rule_prefix", "trust/"))
        crashed = [
            f
            for f in ctx.findings
            if f.rule_id == "engine/internal-error" and (f.evidence or "").startswith(prefix.rstrip("/") + ":")
        ]
        if crashed:
            return self.missed(
                "the dependency audit did not complete (internal error)",
                hint="Re-run the check; the dependency audit must finish to earn this factor.",
            )
        # the caller's policy decides levels (a rule it lowered to a warning no longer costs the factor)
        relevant = [f for f in ctx.findings if f.rule_id.startswith(prefix)]
        errors = [f for f in ctx.policy.apply(relevant) if f.level is Level.ERROR]
        if errors:
            rules = sorted({f.rule_id for f in errors})
            return self.missed(
                f"{len(errors)} dependency error(s): {', '.join(rules[:4])}",
                hint="Upgrade or replace the dependencies `extgate check` reports as errors.",
            )
        deps = [d for d in ctx.facts.dependencies if d.status != "excluded"]
        if deps:
            unaudited = [d.name for d in deps if d.status in _UNAUDITED]
            if unaudited:
                return self.provisional(
                    f"{len(unaudited)} of {len(deps)} dependencies not audited in this run "
                    f"({', '.join(unaudited[:3])})",
                    hint="Run with network access or an offline OSV database so every dependency is audited.",
                )
            return self.earned(f"{len(deps)} dependencies audited, no errors")
        declared = self._declared(ctx)
        if declared:
            return self.provisional(
                f"{declared} declared dependencies were not audited in this run",
                hint="Run the full check (trust gate) so the dependencies are audited.",
            )
        return self.not_applicable("no dependencies to audit")

    def _declared(self, ctx: ScoringContext) -> int:
        """npm dependencies declared in package.json (a swamp manifest's `dependencies` are other extensions)."""
        if ctx.manifest is None or ctx.manifest.kind != "package.json":
            return 0
        count = 0
        for field in _DEPENDENCY_FIELDS:
            value = ctx.manifest_value(field)
            if isinstance(value, (Mapping, list)):
                count += len(value)
        return count
