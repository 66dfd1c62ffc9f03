"""Archive-level intake cache: a clean tar upload whose exact bytes were read before is rebuilt from its recorded
layout (extgate.intake.layout) instead of being parsed again; everything after intake runs as always.

    key    = sha256("archive-layout", layout format, codec format, extgate version + code digest (codekey.py),
             Python version, intake limits,
             sha256 of the upload bytes)
    value  = Layout (HMAC-verified row of the per-file result cache)
    hit    -> rebuild(upload bytes, layout): decompress, cut every file at its offset, check each file's sha256 and
              the stream's length; any mismatch means a full read (and a note)
    miss   -> the normal tar reader over the same bytes; its layout is stored only when it read cleanly

Only uploads that are already bytes, or regular files of at most LAYOUT_MAX bytes, take this path (they are read
into memory once); directories, streams and larger files are read exactly as without a cache. Nothing here decides
a verdict: the rebuilt Package is the one intake returns for those bytes, and every gate, scoring and the policy
run on it fresh.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from extgate.cache import codec
from extgate.cache.codekey import code_identity
from extgate.cache.interface import NoCache, ResultCache
from extgate.intake import IntakeLimits, Source, open_source
from extgate.intake import layout as layouts
from extgate.intake.archive import read_tar_upload
from extgate.model import Package

LAYOUT_MAX = 32 * 1024 * 1024


def layout_key(upload_sha256: str, limits: IntakeLimits) -> str:
    h = hashlib.sha256()
    for part in (
        "archive-layout",
        str(layouts.FORMAT),
        str(codec.FORMAT),
        code_identity(),
        sys.version,
        repr(limits),
        upload_sha256,
    ):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def open_cached(
    source: Source,
    *,
    limits: IntakeLimits,
    cache: ResultCache,
    notes: list[str],
    read: Callable[..., Package] = open_source,
) -> Package | None:
    """What intake's `open_source(source, limits=...)` returns, through the layout cache; None when the cache does
    not apply (`source` does not qualify, the cache is off or unusable): then the caller reads `source` itself.
    The layout cache reproduces intake's own reading, so with any other `read` (a caller's substitute for
    `open_source`) it steps aside too."""
    upload = _upload(source) if _usable(cache) and read is open_source else None
    if upload is None:
        return None
    data, name = upload
    key = layout_key(hashlib.sha256(data).hexdigest(), limits)
    found = cache.get_many([key]).get(key)
    if isinstance(found, layouts.Layout):
        package = layouts.rebuild(data, found, source=name)
        if package is not None:
            return package
        notes.append("cache: a stored archive layout did not match its upload; the upload was read in full")
    package, sink = read_tar_upload(data, source=name, limits=limits)
    record = layouts.layout_of(package, sink)
    if record is not None:
        cache.put_many([(key, record)])
    return package


def _usable(cache: ResultCache) -> bool:
    return not isinstance(cache, NoCache) and bool(getattr(cache, "enabled", True))


def _upload(source: Source) -> tuple[bytes, str] | None:
    """The upload's bytes and its name as intake reports it, when small enough to hold; None to stream it."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return (bytes(source), "<bytes>") if len(source) <= LAYOUT_MAX else None
    if not isinstance(source, (str, Path)):
        return None
    path = Path(source)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > LAYOUT_MAX:
            return None  # directories, FIFOs, devices, missing or large files: intake handles them as always
        with open(path, "rb") as handle:
            data = handle.read(LAYOUT_MAX + 1)
    except OSError:
        return None
    return (data, str(path)) if len(data) <= LAYOUT_MAX else None
