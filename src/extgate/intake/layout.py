"""A clean tar upload's layout: enough to rebuild its exact Package from the same bytes without parsing them again.

Reading a tar costs two header parsers (tarfile and the node-tar model) and per-member bookkeeping; the bytes
themselves only need decompressing. When an upload read *cleanly* (no intake issue at all: no limit hit, nothing
corrupt, nothing npm would read differently), `layout_of` records every entry's metadata and where each regular
file's data lies in the decompressed stream. `rebuild` takes the same upload bytes and that record and returns the
Package intake would return -- decompressing the bytes, cutting each file's data at its offset and checking that
it hashes to the recorded sha256 and that the stream has the recorded length; any disagreement returns None (read
the upload in full instead). The caller (extgate.cache.archive) keys records by the sha256 of the upload bytes,
the intake limits, extgate's and Python's versions, so a record is only ever applied to the bytes it describes.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
from dataclasses import dataclass

from extgate.intake.archive import Streams
from extgate.intake.limits import CHUNK, Digests, Readable
from extgate.intake.sniff import HEAD_BYTES, archive_kind
from extgate.intake.tar import LayoutSink
from extgate.model import Entry, EntryKind, Package

FORMAT = 1
_FORMATS = {"gzip": "tgz", "bzip2": "tar.bz2", "xz": "tar.xz", "tar": "tar"}


@dataclass(frozen=True, slots=True)
class LayoutMember:
    """One entry as intake produced it; `offset` is where a regular file's data starts in the decompressed stream
    (-1 for anything else: no data)."""

    path: str
    kind: str
    size: int
    raw_name: str
    declared_size: int | None
    mode: int | None
    link_target: str | None
    sha256: str | None
    offset: int


@dataclass(frozen=True, slots=True)
class Layout:
    format: str
    root_prefix: str
    decompressed_bytes: int
    stream_bytes: int
    members: tuple[LayoutMember, ...]


def layout_of(package: Package, sink: LayoutSink | None) -> Layout | None:
    """The record for a cleanly read tar upload; None for anything else (issues, other formats, odd entries)."""
    if sink is None or package.issues or package.format not in _FORMATS.values() or not package.sha256:
        return None
    if sink.stream_bytes < 0:
        return None
    offsets = iter(sink.offsets)
    members: list[LayoutMember] = []
    for entry in package.entries:
        plain = entry.compressed_size is None and entry.publish_path is None and not entry.truncated
        if not plain:
            return None
        if entry.kind is EntryKind.FILE:
            offset = next(offsets, -1)
            if offset < 0 or entry.data is None or entry.sha256 is None or len(entry.data) != entry.size:
                return None
        elif entry.data is not None or entry.sha256 is not None:
            return None
        else:
            offset = -1
        members.append(
            LayoutMember(
                entry.path,
                entry.kind.value,
                entry.size,
                entry.raw_name,
                entry.declared_size,
                entry.mode,
                entry.link_target,
                entry.sha256,
                offset,
            )
        )
    if next(offsets, None) is not None:  # every regular member is an entry: the counts must match exactly
        return None
    return Layout(package.format, package.root_prefix, package.decompressed_bytes, sink.stream_bytes, tuple(members))


def rebuild(data: bytes, layout: Layout, *, source: str) -> Package | None:
    """The Package intake returns for `data` (whose layout this is), or None if anything does not match."""
    kind = archive_kind(data[:HEAD_BYTES])
    if kind not in _FORMATS or _FORMATS[kind] != layout.format:
        return None
    stream: Readable
    raw = io.BytesIO(data)
    if kind == "gzip":
        stream = gzip.GzipFile(fileobj=raw, mode="rb")
    elif kind == "bzip2":
        stream = Streams(raw, bz2.BZ2Decompressor)
    elif kind == "xz":
        stream = Streams(raw, lzma.LZMADecompressor)
    else:
        stream = raw
    try:
        entries = _entries(_Cursor(stream, layout.stream_bytes), layout)
    except (OSError, EOFError, ValueError, lzma.LZMAError, _Mismatch):
        return None
    digests = Digests()
    digests.update(data)
    return Package(
        source=source,
        format=layout.format,
        entries=entries,
        root_prefix=layout.root_prefix,
        sha256=digests.sha256,
        integrity=digests.integrity,
        archive_bytes=len(data),
        decompressed_bytes=layout.decompressed_bytes,
    )


class _Mismatch(Exception):
    """The bytes do not unpack as the layout says."""


def _entries(cursor: _Cursor, layout: Layout) -> tuple[Entry, ...]:
    out: list[Entry] = []
    for m in layout.members:
        kind = EntryKind(m.kind)
        content: bytes | None = None
        if kind is EntryKind.FILE:
            if m.offset < 0 or m.sha256 is None:
                raise _Mismatch
            content = cursor.take(m.offset, m.size)
            if hashlib.sha256(content).hexdigest() != m.sha256:
                raise _Mismatch
        elif m.offset != -1:
            raise _Mismatch
        out.append(
            Entry(
                path=m.path,
                kind=kind,
                size=m.size,
                raw_name=m.raw_name,
                declared_size=m.declared_size,
                mode=m.mode,
                link_target=m.link_target,
                sha256=m.sha256,
                data=content,
            )
        )
    cursor.finish()
    return tuple(out)


class _Cursor:
    """Forward-only reads of byte ranges of the decompressed stream, which must be exactly `length` bytes long:
    never more is decompressed than that plus one chunk."""

    def __init__(self, stream: Readable, length: int) -> None:
        self._stream = stream
        self._length = length
        self._buf = bytearray()
        self._start = 0  # stream offset of _buf[0]
        self._read = 0  # bytes decompressed so far

    def _more(self) -> bytes:
        chunk = self._stream.read(16 * CHUNK)
        self._read += len(chunk)
        if self._read > self._length:
            raise _Mismatch
        return chunk

    def take(self, offset: int, size: int) -> bytes:
        if offset < self._start:
            raise _Mismatch  # data ranges come in stream order and never overlap
        drop = offset - self._start
        if drop <= len(self._buf):
            del self._buf[:drop]
        else:  # past everything buffered: decompress and discard up to the offset
            need = drop - len(self._buf)
            self._buf.clear()
            while need > 0:
                chunk = self._more()
                if not chunk:
                    raise _Mismatch
                if len(chunk) > need:
                    self._buf += chunk[need:]
                need -= min(need, len(chunk))
        self._start = offset
        while len(self._buf) < size:
            chunk = self._more()
            if not chunk:
                raise _Mismatch
            self._buf += chunk
        return bytes(self._buf[:size])

    def finish(self) -> None:
        while self._more():
            pass
        if self._read != self._length:
            raise _Mismatch
