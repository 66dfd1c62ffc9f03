"""Worker jobs injected into an in-process `extgate serve` (importable by the spawned workers via sys.path)."""

from __future__ import annotations

import os
import time

from extgate.model import Verdict
from extgate.options import Options
from extgate.policy import Policy
from extgate.server.jobs import check_archive


def misbehaving_job(body: bytes, policy: Policy, options: Options) -> Verdict:
    """b'sleep' never finishes, b'crash' kills its worker, b'memory' exhausts the worker's memory limit;
    anything else is a real check."""
    if body == b"sleep":
        time.sleep(600)
    if body == b"crash":
        os._exit(7)
    if body == b"memory":
        hog = bytearray(8 * 1024**3)
        return hog  # type: ignore[return-value]
    return check_archive(body, policy, options)
