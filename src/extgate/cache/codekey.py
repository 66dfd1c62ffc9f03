"""What identifies the code that made a cached result: the version *and* the source files.

A cache entry is only valid for the code that wrote it. The version string alone is not enough -- an install from
a git checkout, an editable install or a patched wheel runs different analysers under the same "0.1.0" -- so every
cache key includes a digest of extgate's own Python files (read once per process, a few milliseconds).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from extgate import __version__


@cache
def code_identity() -> str:
    """`<version>+<sha256 of every extgate .py file, by relative path>` (first 16 hex digits)."""
    return identity_of(Path(__file__).resolve().parents[1])


def identity_of(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return f"{__version__}+{digest.hexdigest()[:16]}"
