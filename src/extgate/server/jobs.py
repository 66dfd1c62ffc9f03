"""What a worker process runs: module-level functions (picklable by name); bytes in, a Verdict out."""

from __future__ import annotations

from extgate.engine import check
from extgate.model import Verdict
from extgate.options import Options
from extgate.policy import Policy
from extgate.publish.service import check_publish


def check_archive(body: bytes, policy: Policy, options: Options) -> Verdict:
    return check(body, policy, options=options)


def check_publish_document(body: bytes, policy: Policy, options: Options, max_bytes: int) -> Verdict:
    return check_publish(body, policy, options=options, max_bytes=max_bytes)
