"""Reading an untrusted package.json for a hint (a profile, a `main`, the `bin`s), not for its findings.

The manifest gate parses package.json strictly and reports what is wrong with it; every other reader only needs
"the object, or nothing": absent, over the size cap, not JSON, nested too deep or not an object are all None.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

MAX_MANIFEST_BYTES = 1_000_000  # the manifest gate's default cap too (setting `max_manifest_bytes`)


def json_object(raw: bytes | None, limit: int = MAX_MANIFEST_BYTES) -> dict[str, Any] | None:
    """The JSON object in `raw` (UTF-8, a BOM allowed, as npm reads it), or None."""
    if raw is None or len(raw) > limit:
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def json_file(path: str | os.PathLike[str], limit: int = MAX_MANIFEST_BYTES) -> dict[str, Any] | None:
    """`json_object` of a file on disk; None too when it is no regular file (a FIFO must not hang the read)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            raw = handle.read(limit + 1)
    except OSError:
        return None
    return json_object(raw, limit)
