"""Tar members, streamed (`tarfile` mode `r|`) over a counting reader: nothing is extracted, links are recorded and
never followed, every member is read at most once, in chunks, within the budget."""

from __future__ import annotations

import lzma
import tarfile
import zlib
from dataclasses import replace
from types import MappingProxyType
from typing import Protocol, cast

from extgate.intake.limits import (
    CHUNK,
    HEADER_ALLOWANCE,
    Budget,
    LimitReached,
    Readable,
    StreamCounter,
    issue,
    skip,
)
from extgate.intake.npm_tar import NpmTarView, Seen, kind_for
from extgate.intake.paths import from_surrogates, normalize
from extgate.model import Entry, EntryKind, Issue

# what a broken or truncated compressed tar can raise from inside tarfile / the decompressors
CORRUPT_ERRORS: tuple[type[BaseException], ...] = (
    tarfile.TarError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    OSError,  # gzip.BadGzipFile, bz2 "Invalid data stream"
    ValueError,
    UnicodeError,
)


def kind_of(member: tarfile.TarInfo) -> EntryKind:
    if member.isreg():
        return EntryKind.FILE
    if member.isdir():
        return EntryKind.DIRECTORY
    if member.issym():
        return EntryKind.SYMLINK
    if member.islnk():
        return EntryKind.HARDLINK
    if member.ischr() or member.isblk():
        return EntryKind.DEVICE
    if member.isfifo():
        return EntryKind.FIFO
    return EntryKind.OTHER  # GNU volume headers, unknown type flags


def _padded(size: int) -> int:
    return (size + 511) // 512 * 512


class LayoutSink:
    """Where each regular member's data starts in the decompressed stream, in member order, and the stream's length
    (for `intake.layout`: a clean upload's Package rebuilt from the same bytes without parsing them again)."""

    def __init__(self) -> None:
        self.offsets: list[int] = []
        self.stream_bytes = -1


def read_members(
    counter: StreamCounter, budget: Budget, sink: LayoutSink | None = None
) -> tuple[list[Entry], list[Issue]]:
    """All members of the (already decompressed) tar stream behind `counter`, until the end, a limit or an error."""
    entries: list[Entry] = []
    issues: list[Issue] = []
    where = ["at the first header"]
    counter.where = lambda: where[0]
    pending = 0  # decompressed bytes of the previous member tarfile still has to skip before the next header
    npm_view = NpmTarView()
    counter.tap = npm_view.feed
    seen: list[Seen] = []
    try:
        counter.window_end = counter.count + HEADER_ALLOWANCE
        with tarfile.open(fileobj=counter, mode="r|", encoding="utf-8", errors="surrogateescape") as archive:  # type: ignore[call-overload]
            while True:
                counter.window_end = counter.count + pending + HEADER_ALLOWANCE
                member = archive.next()
                counter.window_end = None
                if member is None:
                    break
                seen.append(_seen(member))
                path, raw = from_surrogates(member.name)
                norm = normalize(path)
                where[0] = f"at member {budget.members + 1:,} ({norm})"
                kind = kind_of(member)
                budget.admit(norm, is_dir=kind is EntryKind.DIRECTORY)
                pending = 512
                if kind is EntryKind.FILE:
                    stream = _data(archive, member)
                    if stream is None:  # pragma: no cover - isreg() members always have a stream
                        continue
                    before = budget.content_bytes
                    if sink is not None:
                        sink.offsets.append(member.offset_data)
                    data, sha256, size, truncated, found = budget.read(stream, norm)
                    entries.append(
                        Entry(
                            path=norm,
                            kind=kind,
                            size=size,
                            raw_name=raw,
                            declared_size=member.size,
                            mode=member.mode,
                            sha256=sha256,
                            data=data,
                            truncated=truncated,
                        )
                    )
                    if found is not None:
                        try:
                            skip(stream, budget, norm)  # decompressed anyway to reach the next header: count it
                        finally:
                            total = budget.content_bytes - before
                            props = MappingProxyType({**found.properties, "decompressed_bytes": total})
                            issues.append(replace(found, properties=props))
                    continue
                if kind is EntryKind.OTHER:
                    pending = _padded(member.size) + 512  # tarfile skips its payload
                target = from_surrogates(member.linkname)[0] if member.linkname else None
                entries.append(
                    Entry(
                        path=norm,
                        kind=kind,
                        raw_name=raw,
                        declared_size=member.size,
                        mode=member.mode,
                        link_target=target,
                    )
                )
        while counter.read(CHUNK * 16):  # the rest of the stream: npm's reader may find members tarfile did not
            pass
        if sink is not None:
            sink.stream_bytes = counter.count
        npm_view.finish()
        problem = npm_view.problem or _disagreement(seen, npm_view.members)
        if problem:
            issues.append(
                issue(
                    "archive/corrupt",
                    f"npm's tar reader would read this archive differently from extgate: {problem}. Members hidden "
                    "this way would be installed unchecked. Re-create the archive with `npm pack`.",
                    npm_view=True,
                )
            )
    except LimitReached as stop:
        issues.append(stop.issue)
    except CORRUPT_ERRORS as exc:
        issues.append(
            issue(
                "archive/corrupt",
                f"the archive is corrupt or truncated {where[0]} ({type(exc).__name__}: {exc}); reading stopped. "
                "Re-create it with `npm pack` or `tar -czf` and upload the complete file.",
            )
        )
    return entries, issues


class _MemberData:
    """A plain regular member's data read straight from tarfile's stream, which stands at its first byte: what
    `extractfile` returns for it, without the buffered-reader and file-section layers. Exactly `size` bytes; a short
    read is the truncation `extractfile` reports (the same ReadError)."""

    def __init__(self, stream: _Stream, size: int) -> None:
        self._stream = stream
        self._left = size

    def read(self, size: int = -1, /) -> bytes:
        want = self._left if size is None or size < 0 else min(size, self._left)
        if want <= 0:
            return b""
        data = self._stream.read(want)
        if len(data) != want:
            raise tarfile.ReadError("unexpected end of data")
        self._left -= want
        return data


class _Stream(Protocol):
    def read(self, size: int, /) -> bytes: ...

    def tell(self) -> int: ...


def _data(archive: tarfile.TarFile, member: tarfile.TarInfo) -> Readable | None:
    """The member's data stream: direct for a plain member the stream stands at, `extractfile` otherwise (sparse)."""
    stream = cast("_Stream | None", archive.fileobj)
    if stream is not None and not member.issparse() and stream.tell() == member.offset_data:
        return _MemberData(stream, member.size)
    return archive.extractfile(member)


def _seen(member: tarfile.TarInfo) -> Seen:
    """tarfile's view of one member, in the terms NpmTarView uses: kind, data offset, data bytes it spans."""
    if member.isreg():
        kind = "file"
    elif member.isdir():
        kind = "dir"
    elif member.issym() or member.islnk():
        kind = "link"
    else:
        kind = kind_for("?")
    spans = member.isreg() or member.type not in tarfile.SUPPORTED_TYPES
    link = member.linkname if kind == "link" else ""
    return Seen(member.name.rstrip("/") or member.name, kind, member.offset_data, member.size if spans else 0, link)


def _disagreement(ours: list[Seen], npm: list[Seen]) -> str | None:
    """The first member the two readers see differently, described for the finding; None when they agree."""
    for index, (mine, theirs) in enumerate(zip(ours, npm, strict=False)):
        if mine != theirs:
            return (
                f"member {index + 1:,} is {theirs.path!r} ({theirs.kind}, {theirs.size:,} bytes at byte "
                f"{theirs.offset:,}) for npm but {mine.path!r} ({mine.kind}, {mine.size:,} bytes at byte "
                f"{mine.offset:,}) for extgate"
            )
    if len(npm) > len(ours):
        hidden = npm[len(ours)]
        return f"npm would also extract {hidden.path!r}, which extgate's reader did not see"
    if len(ours) > len(npm):
        return f"extgate read {ours[len(npm)].path!r}, which npm's reader does not see as a member"
    return None
