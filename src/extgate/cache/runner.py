"""`FileRunner`: runs a gate's pure per-file analysis through the result cache and, for large packages, a process
pool. Gates only see `ctx.map_files(fn, calls, config)`; results are the same (==) whichever path produced them,
and come back in call order.

    for each call: key = sha256(extgate version + code digest, fn, str args, sha256 of bytes args, config digest)
    hits  <- cache
    misses -> fn(*call, config) in this process, or in the pool when there are enough of them (PARALLEL_MIN_*)
    misses -> cache (one transaction)
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from extgate.cache import codec
from extgate.cache.codekey import code_identity
from extgate.cache.interface import NoCache, ResultCache
from extgate.cache.sqlite import SqliteResultCache

R = TypeVar("R")

# a pool pays ~1 s of worker start-up once per process; below this much work it cannot win
PARALLEL_MIN_FILES = 64
PARALLEL_MIN_BYTES = 2_000_000
_CHUNK = 8

_pools: dict[int, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()  # threaded callers (acheck, serve) must not each start a pool


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _pool(jobs: int) -> ProcessPoolExecutor:
    """One pool per worker count per process, reused by later checks (worker start-up is the expensive part);
    forkserver, so a threaded caller (the publish service) is never forked mid-lock."""
    with _pools_lock:
        pool = _pools.get(jobs)
        if pool is None:
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            context = multiprocessing.get_context(method)
            if method == "forkserver":
                context.set_forkserver_preload(["extgate.gates.code.analysis", "extgate.gates.content.analysis"])
            pool = _pools[jobs] = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
        return pool


def _discard(jobs: int, pool: ProcessPoolExecutor) -> None:
    """A pool whose worker died is broken for good: drop it so the next check starts a fresh one (this check
    fails closed through the gate's error handling)."""
    with _pools_lock:
        if _pools.get(jobs) is pool:
            del _pools[jobs]
    pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def _shutdown() -> None:
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)


def task_key(
    fn: Callable[..., Any],
    call: Sequence[Any],
    config_digest: str,
    digest_of: Callable[[bytes], bytes] = lambda data: hashlib.sha256(data).digest(),
) -> str:
    return _keyed(_key_prefix(fn, config_digest), call, digest_of)


def _key_prefix(fn: Callable[..., Any], config_digest: str) -> hashlib._Hash:
    """The hash state after the parts every call of one `map` shares (copied per call: same key, less hashing)."""
    h = hashlib.sha256()
    for part in (code_identity(), str(codec.FORMAT), f"{fn.__module__}.{fn.__qualname__}", config_digest):
        h.update(part.encode())
        h.update(b"\0")
    return h


def _keyed(prefix: hashlib._Hash, call: Sequence[Any], digest_of: Callable[[bytes], bytes]) -> str:
    h = prefix.copy()
    for arg in call:
        if isinstance(arg, bytes):
            h.update(b"b" + digest_of(arg))
        else:
            h.update(b"s" + str(arg).encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


class _Digests:
    """sha256 of file contents, computed once per bytes object for this runner (the code gate, the content gate and
    scoring pass the same `Entry.data` objects). Keyed by identity, holding the object so its id is never reused;
    a runner kept across checks forgets everything past HELD bytes rather than keep old packages alive."""

    HELD = 256 * 1024 * 1024

    def __init__(self) -> None:
        self._seen: dict[int, tuple[bytes, bytes]] = {}
        self._held = 0

    def __call__(self, data: bytes) -> bytes:
        known = self._seen.get(id(data))
        if known is not None and known[0] is data:
            return known[1]
        digest = hashlib.sha256(data).digest()
        if self._held + len(data) > self.HELD:
            self._seen.clear()
            self._held = 0
        self._seen[id(data)] = (data, digest)
        self._held += len(data)
        return digest


def _cacheable(result: Any) -> bool:
    """A result cut short by a wall-clock deadline depends on the machine's load, not only on the inputs: never
    store it (it would pin a load-induced `unparsed-file: timeout` to that file for good)."""
    return (
        not any(getattr(hit, "evidence", None) == "unparsed:timeout" for hit in getattr(result, "findings", ()))
        and getattr(result, "skip_reason", "") != "timeout"
    )


def _apply(fn: Callable[..., R], config: Any, call: Sequence[Any]) -> R:
    return fn(*call, config)


class FileRunner:
    """Per-file map with cache and pool. `jobs=1` never starts a pool."""

    def __init__(self, cache: ResultCache | None = None, jobs: int = 1) -> None:
        self.cache: ResultCache = cache or NoCache()
        self.jobs = max(1, jobs)
        self.min_files = PARALLEL_MIN_FILES
        self.min_bytes = PARALLEL_MIN_BYTES
        self._digests = _Digests()

    @classmethod
    def from_options(cls, use_cache: bool, cache_dir: str | None, jobs: int | None) -> FileRunner:
        cache: ResultCache = NoCache()
        if use_cache:
            from extgate.trust.cache import default_dir

            cache = SqliteResultCache(Path(cache_dir) if cache_dir else default_dir())
        return cls(cache, default_jobs() if jobs is None else jobs)

    @property
    def notes(self) -> list[str]:
        return self.cache.notes

    def map(self, fn: Callable[..., R], calls: Sequence[tuple[Any, ...]], config: Any) -> list[R]:
        prefix = _key_prefix(fn, codec.config_digest(config))
        keys = [_keyed(prefix, call, self._digests) for call in calls]
        cached = self.cache.get_many(keys)
        results: list[Any] = [cached.get(key) for key in keys]
        missing = [i for i, result in enumerate(results) if result is None]
        work = [calls[i] for i in missing]
        size = sum(len(a) for call in work for a in call if isinstance(a, bytes))
        if self.jobs > 1 and len(work) >= self.min_files and size >= self.min_bytes:
            fns = [fn] * len(work)
            configs = [config] * len(work)
            pool = _pool(self.jobs)
            try:
                computed = list(pool.map(_apply, fns, configs, work, chunksize=_CHUNK))
            except BrokenProcessPool:
                _discard(self.jobs, pool)
                raise
        else:
            computed = [fn(*call, config) for call in work]
        for i, result in zip(missing, computed, strict=True):
            results[i] = result
        self.cache.put_many([(keys[i], results[i]) for i in missing if _cacheable(results[i])])
        return results

    def close(self) -> None:
        self.cache.close()
        self._digests = _Digests()


SERIAL = FileRunner()
