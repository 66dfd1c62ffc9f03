"""`extgate serve`'s settings: one frozen value built by the command (or a test) and read by the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from extgate.model import Verdict
from extgate.options import Options
from extgate.policy import Policy
from extgate.server import jobs

DEFAULT_MAX_BODY = 64 * 1024 * 1024  # a publish document carries the tarball base64 (4/3 of its size)


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """token           bearer token the check routes require (None = no authentication; the command warns)
    max_body        largest request body in bytes; larger answers 413 without being read past the limit
    max_concurrency check requests in flight (running or waiting for a worker); more answer 429 + Retry-After
    timeout         seconds per check request, waiting included; past it the verdict is blocked
    workers         worker processes running checks
    memory_mb       address-space limit of each worker (0 = none)
    policy          the operator's policy for every check
    options         the base run options (registry, OSV, offline...); profile and publishers come per request
    archive_job     the function a worker runs for /v1/check: (body, policy, options) -> Verdict
    publish_job     the same for /v1/check-publish: (document, policy, options, max_bytes) -> Verdict
    """

    token: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    max_concurrency: int = 16
    timeout: float = 120.0
    workers: int = 2
    memory_mb: int = 2048
    policy: Policy = field(default_factory=Policy)
    options: Options = field(default_factory=Options)
    archive_job: Callable[[bytes, Policy, Options], Verdict] = jobs.check_archive
    publish_job: Callable[[bytes, Policy, Options, int], Verdict] = jobs.check_publish_document
