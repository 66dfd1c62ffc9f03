"""Intake contract: turn a source (path, bytes, binary stream) into an immutable `Package`, streaming, bounded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Protocol

from extgate.model import Package


@dataclass(frozen=True, slots=True)
class IntakeLimits:
    """Hard caps that bound memory and time while reading. Counted on bytes actually decompressed.

    Reaching a cap stops reading and records an Issue (archive/too-many-files, archive/too-large,
    archive/file-too-large); the archive gate compares the counts against the profile's (lower) limits.
    """

    max_files: int = 5000
    max_file_bytes: int = 8_000_000
    max_total_bytes: int = 64_000_000
    max_member_name: int = 4096


class Reader(Protocol):
    """One archive format. `open` never raises for bad input: corruption becomes an Issue on the Package."""

    format: str

    def sniff(self, head: bytes) -> bool: ...

    def open(self, stream: BinaryIO, *, source: str, limits: IntakeLimits) -> Package: ...
