"""Intake: turn what the caller passed (archive path, directory, bytes, binary stream) into an immutable Package.

    open_source(source, limits=IntakeLimits(), all_files=False) -> Package

Archives are recognised by their magic bytes and streamed within `limits` (intake/archive.py, tar.py, zip.py);
a directory yields what would be published (intake/directory.py: npm pack rules or the swamp manifest).
Bad input never raises: a corrupt, truncated, unknown or oversized upload becomes an Issue on the Package,
which the archive gate reports.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import BinaryIO

from extgate.intake.archive import read_archive
from extgate.intake.directory import read_directory
from extgate.intake.interface import IntakeLimits
from extgate.intake.limits import issue
from extgate.model import Package

Source = str | Path | bytes | BinaryIO

__all__ = ["IntakeLimits", "Source", "open_source"]


def open_source(source: Source, *, limits: IntakeLimits, all_files: bool = False) -> Package:
    """Open `source` (a path to an archive or a directory, bytes, or a readable binary stream)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return read_archive(io.BytesIO(bytes(source)), source="<bytes>", limits=limits)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            return read_directory(path, limits=limits, all_files=all_files)
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):  # never open a FIFO or device: it could block forever
                raise IsADirectoryError(0, "not a regular file")
            handle = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            found = issue("archive/corrupt", f"cannot open {path}: {reason}. Pass an archive file or a directory.")
            return Package(source=str(path), format="unknown", entries=(), issues=(found,))
        with handle:
            return read_archive(handle, source=str(path), limits=limits)
    return read_archive(source, source="<stream>", limits=limits)
