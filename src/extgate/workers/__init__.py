"""Worker processes for CPU-bound checks, shared by `extgate serve` and the batch commands (no web stack here)."""

from extgate.workers.failure import failure_verdict
from extgate.workers.pool import TaskTimeout, WorkerCrashed, WorkerPool

__all__ = ["TaskTimeout", "WorkerCrashed", "WorkerPool", "failure_verdict"]
