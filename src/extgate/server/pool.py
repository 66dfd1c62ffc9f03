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


class WorkerCrashed(Exception):
    """The worker died or raised while running the task (message says how); it was replaced."""


def _worker_main(conn: Connection, memory_mb: int) -> None:
    """Child process: bound its address space, then run tasks until the pipe closes."""
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import extgate.engine  # noqa: F401  -- warm the imports once, not on the first request

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

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...], remaining: float, timeout: float) -> Any:
        """Blocking: send the task, wait at most `remaining` seconds for its reply."""
        try:
            self.conn.send((fn, args))
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

    async def run(self, fn: Callable[..., Any], *args: Any, timeout: float) -> Any:
        """Run `fn(*args)` in a worker. `timeout` covers the wait for a free worker and the run (callers bound
        how many wait)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self._run, fn, args, time.monotonic() + timeout, timeout)

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], deadline: float, timeout: float) -> Any:
        if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise TaskTimeout(f"no worker was free within {timeout:g} s")
        try:
            worker = self._checkout()
            try:
                result = worker.call(fn, args, max(0.0, deadline - time.monotonic()), timeout)
            except TaskTimeout:
                self._replace(worker)
                raise
            except WorkerCrashed:
                # a task that raised leaves a healthy worker; a dead one (memory limit, segfault) is replaced
                if worker.alive:
                    self._checkin(worker)
                else:
                    self._replace(worker)
                raise
            self._checkin(worker)
            return result
        finally:
            self._slots.release()

    def _checkout(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise WorkerCrashed("the worker pool is shut down")
            worker = self._idle.pop()
        if not worker.alive:  # died while idle
            worker.kill()
            with self._lock:
                self.replaced += 1
            worker = _Worker(self.memory_mb)
        return worker

    def _checkin(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                worker.kill()
            else:
                self._idle.append(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        fresh = _Worker(self.memory_mb)
        with self._lock:
            self.replaced += 1
        self._checkin(fresh)

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
