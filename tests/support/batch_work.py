"""Per-archive work functions for batch tests: importable by module path, so worker processes can run them."""

from __future__ import annotations

import os
import time

from extgate.batch.interface import Job, Record
from extgate.batch.work import run_job


def hang_on_marked(job: Job) -> Record:
    """Hangs on archives whose name contains 'hang' (a check that never finishes), checks the others."""
    if "hang" in os.path.basename(job.path):
        time.sleep(3600)
    return run_job(job)


def crash_on_marked(job: Job) -> Record:
    """Kills its own worker process on archives whose name contains 'crash' (a segfaulting parser)."""
    if "crash" in os.path.basename(job.path):
        os._exit(139)
    return run_job(job)


def without_durations(record: Record) -> Record:
    """A record with the only run-dependent field (the verdict's duration) zeroed."""
    return {**record, "verdict": {**record["verdict"], "duration_ms": 0}}


def length_or_die(name: str, data: bytes, config: object) -> int:
    """A per-file analysis whose worker process dies on a file named 'die' (a native parser crash)."""
    if name == "die":
        os._exit(139)
    return len(data)
