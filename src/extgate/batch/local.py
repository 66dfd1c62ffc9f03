"""The local backend: the serve command's crash-isolating worker pool, one archive per task."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Iterator, Sequence

from extgate.batch.interface import Job, Record
from extgate.batch.work import failure_record, run_job
from extgate.workers.pool import TaskTimeout, WorkerCrashed, WorkerPool

_QUEUE_WAIT = 600.0  # a replaced worker is back within seconds; this only bounds a pool that never recovers


class LocalBackend:
    """`jobs` worker processes (each bounded to `memory_mb`); a hung archive's worker is killed at its timeout, a
    dead one is replaced, and either way only that archive's record is blocked."""

    name = "local"

    def __init__(self, jobs: int = 2, *, memory_mb: int = 2048, work: Callable[[Job], Record] = run_job) -> None:
        self.jobs = max(1, jobs)
        self.work = work  # module-level (picklable by name); tests pass ones that hang or crash
        self.memory_mb = memory_mb
        self._pool: WorkerPool | None = None

    def run(self, jobs: Sequence[Job]) -> Iterator[tuple[Job, Record]]:
        if not jobs:
            return
        if self._pool is None:
            self._pool = WorkerPool(min(self.jobs, len(jobs)), memory_mb=self.memory_mb)
        done: queue.Queue[tuple[Job, Record] | None] = queue.Queue()
        thread = threading.Thread(target=asyncio.run, args=(self._drive(self._pool, jobs, done),), daemon=True)
        thread.start()
        while (item := done.get()) is not None:
            yield item
        thread.join()

    async def _drive(self, pool: WorkerPool, jobs: Sequence[Job], done: queue.Queue[tuple[Job, Record] | None]) -> None:
        slots = asyncio.Semaphore(pool.size)  # one waiting task per worker: a job's timeout starts when it runs

        async def one(job: Job) -> None:
            async with slots:
                try:
                    record = await pool.run(self.work, job, timeout=job.timeout, wait=_QUEUE_WAIT)
                except TaskTimeout as exc:
                    record = failure_record(job, "timeout", str(exc))
                except WorkerCrashed as exc:
                    record = failure_record(job, "worker", str(exc))
                except Exception as exc:  # fail closed for this archive, whatever it was
                    record = failure_record(job, "batch", f"{type(exc).__name__}: {exc}")
            done.put((job, record))

        try:
            await asyncio.gather(*(one(job) for job in jobs))
        finally:
            done.put(None)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
