"""extgate: a static-analysis publish gate and scorecard engine for extension archives.

    from extgate import check, Policy
    verdict = check("my-ext-1.0.0.tgz", Policy())
    verdict.status, verdict.blocked, verdict.findings, verdict.to_json(), verdict.to_sarif()
"""

from __future__ import annotations

__version__ = "0.1.0"

from extgate.engine import check  # noqa: E402
from extgate.model import Finding, Level, Location, Status, Verdict  # noqa: E402
from extgate.options import Options  # noqa: E402
from extgate.policy import Policy  # noqa: E402

__all__ = ["Finding", "Level", "Location", "Options", "Policy", "Status", "Verdict", "__version__", "check"]
