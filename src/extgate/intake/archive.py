"""Read an archive (tar, tgz, tar.bz2, tar.xz, zip/vsix) from a binary stream into a Package.

The format comes from the magic bytes. The raw upload is hashed (sha256, sha512 SRI) as it streams; members are
decompressed within the budget. Bad input never raises: it becomes an Issue on the Package.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType
from typing import BinaryIO, cast

from extgate.intake import tar, zip
from extgate.intake.interface import IntakeLimits, Reader
from extgate.intake.limits import (
    CHUNK,
    Budget,
    HashingReader,
    LimitReached,
    Readable,
    StreamCounter,
    issue,
    raw_cap,
    stream_cap,
)
from extgate.intake.npm_tar import first_tar_header
from extgate.intake.paths import strip_prefix, top_folder
from extgate.intake.sniff import HEAD_BYTES, archive_kind, sniff
from extgate.model import Entry, EntryKind, Issue, Package

_TAR_FORMATS = {"gzip": "tgz", "bzip2": "tar.bz2", "xz": "tar.xz", "tar": "tar"}
_VSIX_METADATA = ("extension.vsixmanifest", "[Content_Types].xml")


class Replay:
    """A one-way stream whose first bytes were already read for sniffing: serves them again, then the rest."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1, /) -> bytes:
        if self._head:
            size = len(self._head) if size is None or size < 0 else size
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._rest.read(size)

    def seekable(self) -> bool:
        return False


class TarReader:
    """tar, tgz, tar.bz2, tar.xz: decompressed and read as a stream (tarfile mode `r|`), nothing seeks."""

    format = "tar"

    def sniff(self, head: bytes) -> bool:
        return archive_kind(head) in _TAR_FORMATS

    def open(self, stream: BinaryIO, *, source: str, limits: IntakeLimits) -> Package:
        return self.read(stream, source=source, limits=limits)

    def read(
        self, stream: BinaryIO, *, source: str, limits: IntakeLimits, sink: tar.LayoutSink | None = None
    ) -> Package:
        head = _read_head(stream)
        kind = archive_kind(head) or "tar"
        raw = HashingReader(stream, raw_cap(limits), head)
        budget = Budget(limits)
        entries, issues = _read_tar(raw, kind, budget, limits, sink)
        _finish(raw, issues)
        return _package(source, _TAR_FORMATS.get(kind, "tar"), entries, issues, raw, budget)


class ZipReader:
    """zip and .vsix: zipfile needs to seek, so the whole (bounded) upload is hashed first and a one-way stream is
    buffered in memory; members are then decompressed one at a time."""

    format = "zip"

    def sniff(self, head: bytes) -> bool:
        return archive_kind(head) == "zip"

    def open(self, stream: BinaryIO, *, source: str, limits: IntakeLimits) -> Package:
        raw = HashingReader(stream, raw_cap(limits))
        budget = Budget(limits)
        seekable = _seekable(stream)
        buffer = None if seekable else io.BytesIO()
        start = stream.tell() if seekable else 0
        try:
            while chunk := raw.read(CHUNK * 16):
                if buffer is not None:
                    buffer.write(chunk)
        except LimitReached as stop:
            return _package(source, "zip", [], [stop.issue], raw, budget, complete=False)
        target: BinaryIO = buffer if buffer is not None else stream
        target.seek(start)
        polyglot = _tar_inside(target)
        target.seek(start)
        entries, issues = zip.read_members(target, budget)
        return _package(source, "zip", entries, polyglot + issues, raw, budget)


def _tar_inside(stream: BinaryIO) -> list[Issue]:
    """A zip that npm's tar would also read as a tarball (a polyglot) is blocked: which files get installed would
    depend on the tool. Reads the (already size-capped) upload once more, in block-aligned chunks."""
    at = 0
    while chunk := stream.read(CHUNK * 16):
        found = first_tar_header(chunk)
        if found is not None:
            return [
                issue(
                    "archive/corrupt",
                    f"the upload is a zip and also a tar archive (a tar header at byte {at + found:,}): zip tools "
                    "and npm would extract different files. Publish one archive format.",
                    polyglot=True,
                )
            ]
        at += len(chunk)
    return []


READERS: tuple[Reader, ...] = (ZipReader(), TarReader())


def read_tar_upload(data: bytes, *, source: str, limits: IntakeLimits) -> tuple[Package, tar.LayoutSink | None]:
    """`read_archive` of an in-memory upload, plus where its members' data lie when it is a tar (else None)."""
    if len(data) > raw_cap(limits) or not TarReader().sniff(data[:HEAD_BYTES]) or ZipReader().sniff(data[:HEAD_BYTES]):
        return read_archive(io.BytesIO(data), source=source, limits=limits), None
    sink = tar.LayoutSink()
    return TarReader().read(io.BytesIO(data), source=source, limits=limits, sink=sink), sink


def read_archive(stream: BinaryIO, *, source: str, limits: IntakeLimits) -> Package:
    """The first reader that recognises the magic bytes reads the upload; anything else is reported corrupt."""
    seekable = _seekable(stream)
    start = stream.tell() if seekable else 0
    if seekable:
        size = stream.seek(0, io.SEEK_END) - start
        stream.seek(start)
        if size > raw_cap(limits):
            return _too_big(source, size, limits)
    head = _read_head(stream)
    if seekable:
        stream.seek(start)
    else:
        stream = cast(BinaryIO, Replay(head, stream))
    for reader in READERS:
        if reader.sniff(head):
            return reader.open(stream, source=source, limits=limits)
    raw = HashingReader(stream, raw_cap(limits))
    issues = [_unknown(sniff(head), head)]
    _finish(raw, issues)
    return _package(source, "unknown", [], issues, raw, Budget(limits))


def _finish(raw: HashingReader, issues: list[Issue]) -> None:
    """Read the rest of the upload so the digests cover all of it (bounded by the raw cap)."""
    try:
        raw.drain()
    except LimitReached as stop:
        issues.append(stop.issue)


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _read_head(stream: BinaryIO) -> bytes:
    head = b""
    while len(head) < HEAD_BYTES:
        chunk = stream.read(HEAD_BYTES - len(head))
        if not chunk:
            break
        head += chunk
    return head


class Streams:
    """bzip2 / xz decompressed as their file classes read them (stream after stream), except that bytes after a
    stream that are neither another stream nor zero padding raise OSError instead of being ignored: they are
    somewhere a second archive could hide, which the gzip reader already refuses."""

    def __init__(self, raw: Readable, make: Callable[[], bz2.BZ2Decompressor | lzma.LZMADecompressor]) -> None:
        self._raw = raw
        self._make = make
        self._decompressor = make()
        self._done = False

    def read(self, size: int = -1, /) -> bytes:
        size = CHUNK if size is None or size < 0 else size
        while not self._done:
            current = self._decompressor
            if current.eof:
                rest = current.unused_data or self._raw.read(CHUNK)
                while rest and not rest.strip(b"\0"):  # zero padding between or after streams is allowed
                    rest = self._raw.read(CHUNK)
                if not rest:
                    self._done = True
                    break
                rest = rest.lstrip(b"\0")
                self._decompressor = self._make()
                try:
                    out = self._decompressor.decompress(rest, size)
                except (OSError, lzma.LZMAError) as exc:
                    raise OSError(f"data after the end of the compressed stream is not a stream ({exc})") from None
            elif current.needs_input:
                chunk = self._raw.read(CHUNK)
                if not chunk:
                    raise EOFError("the compressed stream ends before its end-of-stream marker")
                out = current.decompress(chunk, size)
            else:
                out = current.decompress(b"", size)
            if out:
                return out
        return b""


def _read_tar(
    raw: HashingReader, kind: str, budget: Budget, limits: IntakeLimits, sink: tar.LayoutSink | None = None
) -> tuple[list[Entry], list[Issue]]:
    decompressed: Readable
    if kind == "gzip":
        decompressed = gzip.GzipFile(fileobj=cast(BinaryIO, raw), mode="rb")
    elif kind == "bzip2":
        decompressed = Streams(raw, bz2.BZ2Decompressor)
    elif kind == "xz":
        decompressed = Streams(raw, lzma.LZMADecompressor)
    else:
        decompressed = raw
    counter = StreamCounter(decompressed, stream_cap(limits), source_count=lambda: raw.count)
    entries, issues = tar.read_members(counter, budget, sink)
    # where the decompressor stood when reading stopped (not its read-ahead): the honest denominator of a bomb's ratio
    read = counter.source_at_position()
    read = raw.count if read is None else read
    issues = [
        replace(i, properties=MappingProxyType({**i.properties, "compressed_bytes_read": read}))
        if i.rule_id == "archive/too-large"
        else i
        for i in issues
    ]
    return entries, issues


def _unknown(kind: str, head: bytes) -> Issue:
    if kind == "empty":
        return issue("archive/corrupt", "the upload is empty (0 bytes). Upload the packed archive (npm pack).")
    if kind != "unknown":
        return issue(
            "archive/corrupt",
            f"the upload is a {kind} archive, which extgate does not read. Publish a .tgz, .tar or .zip.",
            format=kind,
        )
    return issue(
        "archive/corrupt",
        f"the upload is not a recognised archive (it starts with {head[:8].hex(' ')}). "
        "Publish a .tgz (npm pack), .tar or .zip.",
    )


def _too_big(source: str, size: int, limits: IntakeLimits) -> Package:
    found = issue(
        "archive/too-large",
        f"the upload is {size:,} bytes, more than the {raw_cap(limits):,} bytes extgate reads; nothing was read. "
        "Publish a smaller archive.",
        upload_bytes=size,
    )
    return Package(source=source, format="unknown", entries=(), archive_bytes=size, issues=(found,))


def _vsix_prefix(entries: list[Entry]) -> str:
    """A .vsix keeps its files under `extension/` beside two packaging files at the root."""
    names = {e.path for e in entries}
    if "extension.vsixmanifest" not in names:
        return ""
    for entry in entries:
        if entry.path not in _VSIX_METADATA and not entry.path.startswith("extension/") and entry.path != "extension":
            return ""
    return "extension/"


def _package(
    source: str,
    fmt: str,
    entries: list[Entry],
    issues: list[Issue],
    raw: HashingReader,
    budget: Budget,
    *,
    complete: bool = True,
) -> Package:
    named = [(e.path, e.kind is EntryKind.DIRECTORY) for e in entries]
    named += [(i.path, False) for i in issues if i.path]  # a member reading stopped in still shows the layout
    prefix = _vsix_prefix(entries) or top_folder(named)
    stripped: list[Entry] = []
    for entry in entries:
        path = strip_prefix(entry.path, prefix) if entry.path not in _VSIX_METADATA or not prefix else entry.path
        if not path and entry.kind is EntryKind.DIRECTORY:
            continue  # the top folder itself
        stripped.append(replace(entry, path=path or entry.path))
    issues = [replace(i, path=strip_prefix(i.path, prefix) or i.path) if i.path else i for i in issues]
    if fmt != "unknown" and not any(e.kind is not EntryKind.DIRECTORY for e in stripped) and not issues:
        issues.append(
            issue(
                "archive/corrupt", "the archive contains no files: there is nothing to publish. Pack the package again."
            )
        )
    whole = complete and raw.eof and not raw.over_cap
    return Package(
        source=source,
        format=fmt,
        entries=tuple(stripped),
        root_prefix=prefix,
        sha256=raw.digests.sha256 if whole else "",
        integrity=raw.digests.integrity if whole else "",
        archive_bytes=raw.count,
        issues=tuple(issues),
        decompressed_bytes=budget.content_bytes,
    )
