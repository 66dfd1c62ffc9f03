"""The Ray backend: the same `run_job` as Ray tasks, on a local Ray (`ray.init()`) or an existing cluster.

Ray is optional (`pip install extgate[ray]`). A task that raises, a dead worker, or a task past its archive's
timeout (cancelled with force) gives that archive's blocked record, exactly as the local backend does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from extgate.batch.interface import Job, Record
from extgate.batch.work import failure_record, run_job


class BackendUnavailable(Exception):
    """The backend cannot start (Ray not installed, cluster unreachable): a usage error, not a verdict."""


class RayBackend:
    name = "ray"

    def __init__(
        self, address: str | None = None, *, jobs: int | None = None, work: Callable[[Job], Record] = run_job
    ) -> None:
        try:
            import ray
        except ImportError:
            raise BackendUnavailable("--backend ray needs Ray: pip install 'extgate[ray]'") from None
        self._ray: Any = ray
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
            if address:
                kwargs["address"] = address
            elif jobs:
                kwargs["num_cpus"] = jobs
            try:
                ray.init(**kwargs)
            except Exception as exc:  # a cluster address that does not answer
                raise BackendUnavailable(f"could not start or reach Ray ({type(exc).__name__}: {exc})") from None
        cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
        self._in_flight = max(1, jobs or int(cpus))
        self._task = ray.remote(max_retries=0)(work)

    def run(self, jobs: Sequence[Job]) -> Iterator[tuple[Job, Record]]:
        ray = self._ray
        waiting = list(reversed(jobs))
        pending: dict[Any, tuple[Job, float]] = {}  # at most one task per CPU, so a deadline is not spent queueing
        while waiting or pending:
            while waiting and len(pending) < self._in_flight:
                job = waiting.pop()
                pending[self._task.remote(job)] = (job, time.monotonic() + job.timeout)
            soonest = min(deadline for _, deadline in pending.values())
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=max(0.0, soonest - time.monotonic()))
            for ref in ready:
                job, _deadline = pending.pop(ref)
                yield job, self._result(ref, job)
            now = time.monotonic()
            for ref, (job, deadline) in list(pending.items()):
                if deadline <= now:
                    del pending[ref]
                    ray.cancel(ref, force=True)
                    yield job, failure_record(job, "timeout", f"the check did not finish within {job.timeout:g} s")

    def _result(self, ref: Any, job: Job) -> Record:
        ray = self._ray
        try:
            record: Record = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            return failure_record(job, "batch", f"the task raised: {str(exc).splitlines()[0][:300]}")
        except Exception as exc:  # WorkerCrashedError, ObjectLostError, ...
            return failure_record(job, "worker", f"{type(exc).__name__}: {str(exc)[:300]}")
        return record

    def close(self) -> None:
        """Leave Ray running: a caller's cluster (or this process's local Ray) is not ours to stop."""
