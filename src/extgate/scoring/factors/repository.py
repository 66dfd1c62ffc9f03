"""repository: an https URL on a known forge, verified with a GET when the network is allowed.

Unverified (offline, or the forge did not answer) is provisional: the points leave the denominator instead of
being given or taken. A 404 is missed: the link is dead or the repository private.
"""

from __future__ import annotations

from extgate.model import FactorResult
from extgate.scoring import repository
from extgate.scoring.interface import BaseFactor, ScoringContext


class Repository(BaseFactor):
    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        value = ctx.manifest_value("repository")
        if value is None:
            return self.missed("no `repository` in the manifest")
        parsed = repository.normalize(value)
        if isinstance(parsed, str):
            return self.missed(
                parsed, hint="Set `repository` to the https URL of the source, e.g. https://github.com/owner/name."
            )
        forges = self.forges(ctx)
        if not repository.on_forge(parsed.host, forges):
            return self.missed(
                f"{parsed.url}: {parsed.host} is not a known forge",
                hint="Host the source on a known forge, or have the registry add yours ([scoring] forges).",
            )
        if not ctx.network_allowed:
            return self.provisional(
                f"{parsed.url} not verified (offline)", hint="Run online to verify the repository URL."
            )
        result = repository.verify(
            parsed.url,
            timeout=ctx.options.timeout,
            client=ctx.client,
            ca_bundle=ctx.options.ca_bundle,
            max_redirects=int(self.spec.setting("max_redirects", 5)),
        )
        if result.outcome == repository.VERIFIED:
            return self.earned(result.detail)
        if result.outcome == repository.GONE:
            return self.missed(
                result.detail, hint=f"Make {parsed.url} public, or point `repository` at the repository's current URL."
            )
        return self.provisional(result.detail, hint="The forge did not confirm the URL; it is checked again next run.")

    def forges(self, ctx: ScoringContext) -> tuple[str, ...]:
        extra = ctx.policy.setting("scoring", "forges", ())
        added = tuple(str(f).lower() for f in extra) if isinstance(extra, (list, tuple)) else ()
        return self.spec.strings("forges") + added
