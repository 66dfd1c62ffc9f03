"""The fail-closed verdict for a check that could not finish in its worker (timeout, crash, task error)."""

from __future__ import annotations

import base64
import hashlib

from extgate import __version__
from extgate.model import Finding, Level, Status, Target, Verdict
from extgate.policy import Policy
from extgate.stages import finalize


def failure_verdict(body: bytes, stage: str, reason: str, policy: Policy, profile: str | None = None) -> Verdict:
    """The fail-closed verdict when a check could not finish (timeout, crashed worker): blocked, saying why."""
    finding = Finding(
        rule_id="engine/internal-error",
        level=Level.ERROR,
        gate="engine",
        message=f"{stage}: {reason}; the verdict fails closed. Retry; if it persists, report this message.",
        evidence=f"serve:{stage}",
    )
    return Verdict(
        status=Status.BLOCKED,
        findings=tuple(finalize([finding], policy)),
        target=Target(
            path="<upload>",
            sha256=hashlib.sha256(body).hexdigest(),
            integrity="sha512-" + base64.b64encode(hashlib.sha512(body).digest()).decode(),
            files=0,
            bytes=0,
            publish_set=(),
        ),
        profile=profile or "npm",  # the engine's default when nothing could be read
        tool_version=__version__,
    )
