"""symbols-docs: share of exported declarations with a doc comment, on JSR's scale.

JSR awards floor(min(share / 0.8, 1) * 5): full points at 80 % documented. Unlike JSR (which counts a package with
no symbols as 100 % documented), a package with no exported declarations is not-applicable here: it leaves the
denominator instead of collecting free points.
"""

from __future__ import annotations

import math
from fractions import Fraction

from extgate.model import FactorResult
from extgate.scoring import symbols
from extgate.scoring.interface import BaseFactor, ScoringContext


class SymbolsDocs(BaseFactor):
    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        limits = symbols.Limits(
            max_files=int(self.spec.setting("max_files", 400)),
            max_file_bytes=int(self.spec.setting("max_file_bytes", 1_000_000)),
            max_total_bytes=int(self.spec.setting("max_total_bytes", 16_000_000)),
            max_python_file_bytes=int(self.spec.setting("max_python_file_bytes", 500_000)),
            max_python_nesting=int(self.spec.setting("max_python_nesting", 100)),
        )
        code = ctx.facts.code
        parsed = {f.path: (f.language, f.symbols) for f in code.files if f.symbols is not None} if code else {}
        cov = symbols.coverage(ctx.package, limits, mapper=ctx.files, parsed=parsed)
        skipped = f"; {len(cov.skipped)} file(s) skipped ({cov.skipped[0]})" if cov.skipped else ""
        if cov.total == 0:
            return self.not_applicable(f"no exported declarations in {cov.files} source file(s){skipped}")
        full_at = Fraction(str(self.spec.setting("full_at", 0.8)))  # exact: 4/5 documented is exactly 80 %
        share = Fraction(cov.documented, cov.total)
        points = math.floor(min(share / full_at, Fraction(1)) * Fraction(str(self.spec.weight)))
        detail = (
            f"{cov.documented}/{cov.total} exported declarations documented ({float(share) * 100:.0f}%, "
            f"{cov.language}){skipped}"
        )
        if points >= self.spec.weight:
            return self.earned(detail)
        needed = math.ceil(full_at * cov.total) - cov.documented
        sample = ", ".join(cov.undocumented[:3])
        return self.missed(
            detail,
            points=float(points),
            hint=f"Add /** JSDoc */ (or docstrings) to {needed} more exported declaration(s) to reach "
            f"{float(full_at) * 100:.0f}%; undocumented: {sample}.",
        )
