"""extgate: a static-analysis publish gate and scorecard engine for extension archives.

from extgate import check, Policy
verdict = check("my-ext-1.0.0.tgz", Policy())
verdict.status, verdict.blocked, verdict.findings, verdict.to_dict()

from extgate.formatters import to_json, to_sarif   # rendering lives in the formatters, not the model
to_json(verdict), to_sarif(verdict)
"""

from __future__ import annotations

__version__ = "0.1.0"

from extgate.engine import acheck, check
from extgate.model import Finding, Level, Location, Status, Verdict
from extgate.options import Options
from extgate.policy import Policy, PolicyError

__all__ = [
    "Finding",
    "Level",
    "Location",
    "Options",
    "Policy",
    "PolicyError",
    "Status",
    "Verdict",
    "__version__",
    "acheck",
    "check",
]
