"""Bounded reading: byte counters over the raw upload and the decompressed stream, and capped member reads.

Everything here counts bytes that were *actually* produced, never sizes that headers claim. Reaching a cap raises
`LimitReached` carrying the Issue that says where reading stopped; the reader turns it into a Package issue.
All state lives in objects created per intake call (no module globals), so concurrent checks never share counters.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, BinaryIO, Protocol

from extgate.intake.interface import IntakeLimits
from extgate.model import Issue

CHUNK = 64 * 1024
HEADER_ALLOWANCE = 1024 * 1024  # tar headers (incl. PAX / GNU long names) between two members: at most 1 MiB


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class LimitReached(Exception):
    """Reading stopped at a cap; `issue` says which and where."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def issue(rule_id: str, message: str, path: str | None = None, **properties: Any) -> Issue:
    return Issue(rule_id, message, path, MappingProxyType(dict(properties)))


def raw_cap(limits: IntakeLimits) -> int:
    """Largest upload we read at all. A valid archive is never much larger than its decompressed content (stored
    members, headers, padding), so twice the content cap plus slack is generous."""
    return 2 * limits.max_total_bytes + 16 * 1024 * 1024


def stream_cap(limits: IntakeLimits) -> int:
    """Largest decompressed tar stream: the content cap plus room for headers and padding of every allowed file."""
    return limits.max_total_bytes + 2048 * (limits.max_files + 2) + HEADER_ALLOWANCE


class Digests:
    """sha256 + sha512 (SRI) and byte count of everything passed to `update`."""

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._sha512 = hashlib.sha512()
        self.count = 0

    def update(self, data: bytes | memoryview) -> None:
        self._sha256.update(data)
        self._sha512.update(data)
        self.count += len(data)

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    @property
    def integrity(self) -> str:
        return "sha512-" + base64.b64encode(self._sha512.digest()).decode("ascii")


class HashingReader:
    """The raw upload: hashes and counts every byte read, refuses to read past `cap`."""

    def __init__(self, inner: Readable, cap: int, prefix: bytes = b"") -> None:
        self._inner = inner
        self._prefix = prefix
        self.cap = cap
        self.digests = Digests()
        self.over_cap = False
        self.eof = False

    @property
    def count(self) -> int:
        return self.digests.count

    def read(self, size: int = -1, /) -> bytes:
        if size is None or size < 0:
            size = CHUNK
        size = min(size, CHUNK * 16)
        if self._prefix:
            data, self._prefix = self._prefix[:size], self._prefix[size:]
        else:
            data = self._inner.read(size)
        if not data:
            self.eof = True
            return b""
        if self.count + len(data) > self.cap:
            self.over_cap = True
            data = data[: max(0, self.cap - self.count)]
            self.digests.update(data)
            raise LimitReached(
                issue(
                    "archive/too-large",
                    f"the upload is larger than {self.cap:,} bytes; reading stopped there. "
                    "Publish a smaller archive (remove bundled build output, media or dependencies).",
                    stopped_at_bytes=self.count,
                )
            )
        self.digests.update(data)
        return data

    def drain(self) -> None:
        """Read what is left (to finish the digests), still bounded by the cap."""
        while not self.eof and not self.over_cap:
            self.read(CHUNK * 16)


PULL = 256 * 1024  # decompressed bytes asked of the decompressor per call (the stream is decompressed once, ahead)


@dataclass
class StreamCounter:
    """Decompressed tar stream: counts the bytes handed to the reader (`tarfile`, passed this as its file object),
    with a hard cap and an optional window (bytes allowed until the next member header is parsed).

    The decompressor is read ahead in PULL-sized calls and tarfile's small reads are served from that buffer, so
    the stream is decompressed in one pass of large reads; `tap` (the npm-view check) sees every pulled chunk once,
    in order. Every limit is checked on the bytes handed out, never on the read-ahead: a cap or window trips at the
    same position of the stream as with unbuffered reads, and at most `cap` + 1 bytes are ever decompressed. An
    error from the decompressor (or the raw reader below it) is held until the reader has consumed every byte
    produced before it, then raised, as the decompressor itself would have."""

    inner: Readable
    cap: int
    count: int = 0  # bytes handed out
    window_end: int | None = None
    where: Callable[[], str] = field(default=lambda: "")
    tap: Callable[[bytes], None] | None = None  # sees every decompressed byte, in order (the npm-view check)
    source_count: Callable[[], int] | None = None  # compressed bytes read so far (the raw reader's count)
    _buf: bytes = b""
    _at: int = 0
    _produced: int = 0
    _eof: bool = False
    _error: Exception | None = None
    _marks: list[tuple[int, int]] = field(default_factory=list)  # (stream offset a pull ended at, source count then)

    def read(self, size: int = -1, /) -> bytes:
        if size is None or size < 0:
            size = CHUNK
        size = min(size, CHUNK * 16)
        if len(self._buf) - self._at < size:
            self._fill(size)
        data = self._buf[self._at : self._at + size]
        if not data and self._error is not None:
            raise self._error
        self._at += len(data)
        self.count += len(data)
        if self.count > self.cap:
            raise LimitReached(
                issue(
                    "archive/too-large",
                    f"the archive decompresses to more than {self.cap:,} bytes; reading stopped {self.where()}. "
                    "Remove large or generated files before publishing.",
                    stopped_at_bytes=self.count,
                )
            )
        if self.window_end is not None and self.count > self.window_end:
            raise LimitReached(
                issue(
                    "archive/corrupt",
                    f"a tar header block {self.where()} is larger than {HEADER_ALLOWANCE:,} bytes "
                    "(oversized PAX or long-name header); reading stopped. Re-create the archive with a standard "
                    "tool (npm pack, tar).",
                )
            )
        return data

    def _fill(self, size: int) -> None:
        """Decompress until `size` bytes are buffered past the read position, the stream ends, an error is held or
        `cap` + 1 bytes were produced (enough for the reader to trip the cap)."""
        parts = [self._buf[self._at :]]
        have = len(parts[0])
        # read1: at most one decompressor step per call, so bytes produced before an error are never lost in a
        # buffered read that raises (GzipFile.read(n) drops what it had gathered when a later step fails)
        pull = getattr(self.inner, "read1", self.inner.read)
        while have < size and not self._eof and self._error is None:
            want = min(PULL, self.cap + 1 - self._produced)
            if want <= 0:
                break
            try:
                chunk = pull(want)
            except Exception as exc:  # corrupt input or a raw-size cap: raised once the reader gets here
                self._error = exc
                break
            if not chunk:
                self._eof = True
                break
            self._produced += len(chunk)
            if self.tap is not None:
                self.tap(chunk)
            if self.source_count is not None:
                self._marks.append((self._produced, self.source_count()))
            parts.append(chunk)
            have += len(chunk)
        self._buf = b"".join(parts) if len(parts) > 1 else parts[0]
        self._at = 0
        while len(self._marks) > 1 and self._marks[0][0] < self.count:
            del self._marks[0]

    def source_at_position(self) -> int | None:
        """The compressed bytes the decompressor had read when it produced the byte the reader stands at (where
        reading really stopped, not how far the read-ahead went); None without `source_count`."""
        for end, read in self._marks:
            if end >= self.count:
                return read
        return self._marks[-1][1] if self._marks else (self.source_count() if self.source_count else None)


@dataclass
class Budget:
    """Per-intake counters for member files and content bytes."""

    limits: IntakeLimits
    files: int = 0
    members: int = 0
    content_bytes: int = 0

    def admit(self, path: str, *, is_dir: bool) -> None:
        """Count one member; raise when the file count (or the member count, for directory floods) is over."""
        self.members += 1
        if not is_dir:
            self.files += 1
        if self.files > self.limits.max_files or self.members > 2 * self.limits.max_files + 1000:
            raise LimitReached(
                issue(
                    "archive/too-many-files",
                    f"the archive has more than {self.limits.max_files:,} files; reading stopped at member "
                    f"{self.members:,} ({path}). Publish fewer files (use the `files` allowlist or .npmignore).",
                    path,
                    stopped_at_member=self.members,
                )
            )

    def read(self, stream: Readable, path: str) -> tuple[bytes, str, int, bool, Issue | None]:
        """Read one member's content in chunks: (data, sha256, bytes read, truncated, file-too-large issue).

        Stops at the per-file cap (the member is truncated, reading goes on with the next member) and raises at the
        total cap (reading the archive stops).
        """
        cap = self.limits.max_file_bytes
        digest = hashlib.sha256()
        parts: list[bytes] = []
        size = 0
        truncated = False
        while True:
            want = min(CHUNK, cap + 1 - size)
            chunk = stream.read(want) if want > 0 else b""
            if not chunk:
                break
            self._count(len(chunk), path)  # everything decompressed counts, kept or not
            if size + len(chunk) > cap:
                chunk = chunk[: cap - size]
                truncated = True
            digest.update(chunk)
            parts.append(chunk)
            size += len(chunk)
            if truncated:
                break
        found = None
        if truncated:
            found = issue(
                "archive/file-too-large",
                f"{path} is larger than {cap:,} bytes; only the first {cap:,} bytes were read. "
                "Remove the file or move large assets out of the package.",
                path,
                bytes_read=size,
            )
        return b"".join(parts), digest.hexdigest(), size, truncated, found

    def _count(self, n: int, path: str) -> None:
        self.content_bytes += n
        if self.content_bytes > self.limits.max_total_bytes:
            raise LimitReached(
                issue(
                    "archive/too-large",
                    f"the files decompress to more than {self.limits.max_total_bytes:,} bytes; reading stopped in "
                    f"{path}. Remove large or generated files before publishing.",
                    path,
                    stopped_at_bytes=self.content_bytes,
                )
            )


def skip(stream: BinaryIO | Readable, budget: Budget, path: str) -> int:
    """Read and discard the rest of a member (counted against the total cap); returns the bytes skipped."""
    skipped = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return skipped
        budget._count(len(chunk), path)
        skipped += len(chunk)
