"""A bounded pool of worker processes for CPU-bound checks, with per-task timeouts and crash isolation.

Why not concurrent.futures.ProcessPoolExecutor: when one of its workers dies (out of memory, a segfault in a native
parser) the whole executor breaks and every in-flight future fails with it, and a task that overruns its deadline
cannot be stopped without killing all of them. Here each worker owns one pipe and runs one task at a time, so a
crash or a timeout costs exactly that task: the worker is killed and replaced, the others carry on.

    pool = WorkerPool(workers=2, memory_mb=2048)
    result = await pool.run(fn, arg, timeout=60)   # fn and arg picklable, fn importable by module path
    pool.close()

`run` raises TaskTimeout or WorkerCrashed; the caller turns them into a fail-closed verdict.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import resource
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

_CONTEXT = multiprocessing.get_context("spawn")  # no inherited event loop, threads or sockets from the server


class TaskTimeout(Exception):
    """The task overran its deadline; its worker was killed and replaced."""


class _NotReady(TaskTimeout):
    """A fresh worker was still importing when the deadline passed (it is healthy: keep it)."""


class WorkerCrashed(Exception):
    """The worker died or raised while running the task (message says how); it was replaced."""


def _worker_main(conn: Connection, memory_mb: int) -> None:
    """Child process: bound its address space, then run tasks until the pipe closes."""
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import extgate.engine  # noqa: F401  -- warm the imports once, not on the first request

    conn.send(("ready", os.getpid()))
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", fn(*args))
        except MemoryError:
            reply = ("error", f"MemoryError: the worker's {memory_mb} MB memory limit was reached")
        except BaseException as exc:  # the task failed, not the worker: report it, keep serving
            frame = traceback.extract_tb(exc.__traceback__)[-1:] or None
            where = f" at {os.path.basename(frame[0].filename)}:{frame[0].lineno}" if frame else ""
            reply = ("error", f"{type(exc).__name__}: {exc}{where}"[:500])
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable result
            conn.send(("error", f"result could not be sent back: {type(exc).__name__}: {exc}"[:500]))


class _Worker:
    def __init__(self, memory_mb: int) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process: BaseProcess = _CONTEXT.Process(target=_worker_main, args=(child, memory_mb), daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self, seconds: float) -> None:
        """A fresh worker first imports extgate, then says so; no task is sent before."""
        if self.ready:
            return
        if not self.conn.poll(seconds):
            raise _NotReady(f"the worker was not ready within {seconds:.3g} s")
        self.conn.recv()
        self.ready = True

    def poll_ready(self) -> bool:
        """Non-blocking: has the worker finished importing? (only for idle workers, under the pool's lock)"""
        with contextlib.suppress(EOFError, OSError):
            if not self.ready and self.conn.poll(0):
                self.conn.recv()
                self.ready = True
        return self.ready

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...], deadline: float, timeout: float) -> Any:
        """Blocking: send the task, wait until `deadline` (monotonic) for its reply."""
        try:
            self.wait_ready(max(0.0, deadline - time.monotonic()))
            self.conn.send((fn, args))
            remaining = max(0.0, deadline - time.monotonic())
            if not self.conn.poll(remaining):
                raise TaskTimeout(f"the check did not finish within {timeout:g} s")
            status, value = self.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            self.process.join(1)
            raise WorkerCrashed(f"the worker process died (exit code {self.process.exitcode})") from exc
        if status != "ok":
            raise WorkerCrashed(str(value))
        return value

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()

    @property
    def alive(self) -> bool:
        return self.process.is_alive()


class WorkerPool:
    """`workers` processes, each with an address-space limit of `memory_mb` (0 = none)."""

    def __init__(self, workers: int = 2, *, memory_mb: int = 2048, waiters: int = 64) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        # threads that only wait on a worker's pipe (never the loop's default pool, which CPU work would starve)
        self._threads = ThreadPoolExecutor(max_workers=max(workers, waiters), thread_name_prefix="extgate-wait")
        self.size = workers
        self.memory_mb = memory_mb
        self.replaced = 0  # workers killed or found dead and replaced (metrics)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = [_Worker(memory_mb) for _ in range(workers)]
        self._slots = threading.Semaphore(workers)
        self._closed = False

    async def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        timeout: float,
        deadline: float | None = None,
        wait: float | None = None,
    ) -> Any:
        """Run `fn(*args)` in a worker. `timeout` covers the wait for a free worker and the run (callers bound
        how many wait); `deadline` (monotonic) when part of that budget was already spent elsewhere. With `wait`,
        the wait has its own bound and `timeout` starts once a worker is free (batches: an archive's budget is not
        spent queueing behind others)."""
        loop = asyncio.get_running_loop()
        end = time.monotonic() + timeout if deadline is None else deadline
        return await loop.run_in_executor(self._threads, self._run, fn, args, end, timeout, wait)

    def _run(
        self, fn: Callable[..., Any], args: tuple[Any, ...], end: float, timeout: float, wait: float | None
    ) -> Any:
        deadline = end if wait is None else time.monotonic() + wait
        while True:
            if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise TaskTimeout(f"no worker was free within {timeout if wait is None else wait:g} s")
            worker = self._checkout()
            if worker.alive:
                break
            self._replace_later(worker)  # died while idle: not this request's fault, take the next one
        if wait is not None:
            deadline = time.monotonic() + timeout
        try:
            result = worker.call(fn, args, deadline, timeout)
        except _NotReady:
            self._give_back(worker)
            raise
        except WorkerCrashed:
            # a task that raised leaves a healthy worker; a dead one (memory limit, segfault) is replaced
            if worker.alive:
                self._give_back(worker)
            else:
                self._replace_later(worker)
            raise
        except BaseException:  # timed out (or anything else): this worker's state is unknown, so it goes
            self._replace_later(worker)
            raise
        self._give_back(worker)
        return result

    def _checkout(self) -> _Worker:
        with self._lock:
            if self._closed:
                self._slots.release()
                raise WorkerCrashed("the worker pool is shut down")
            return self._idle.pop()

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                worker.kill()
            else:
                self._idle.append(worker)
        self._slots.release()

    def _replace_later(self, worker: _Worker) -> None:
        """Kill `worker` and start a fresh one in the background; its slot frees only once the fresh one is ready,
        so a timed-out request answers at once and the next one never waits on a cold worker's imports."""

        def respawn() -> None:
            worker.kill()
            fresh = _Worker(self.memory_mb)
            with contextlib.suppress(TaskTimeout, EOFError, OSError):
                fresh.wait_ready(120)
            self._give_back(fresh)

        with self._lock:
            self.replaced += 1
        threading.Thread(target=respawn, name="extgate-respawn", daemon=True).start()

    @property
    def ready(self) -> int:
        """Idle workers that have finished importing (health checks wait for all of them after a start)."""
        with self._lock:
            return sum(worker.poll_ready() for worker in self._idle)

    @property
    def busy(self) -> int:
        with self._lock:
            return self.size - len(self._idle)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()
        self._threads.shutdown(wait=False, cancel_futures=True)
