"""Zip (and .vsix) members, read incrementally from a seekable file. The central directory's size is checked
before `zipfile` parses it, every member is decompressed at most once in chunks within the budget (so overlapping
entries and other zip bombs stay bounded), links and special files are recorded, never followed."""

from __future__ import annotations

import lzma
import stat
import struct
import zipfile
import zlib
from dataclasses import replace
from types import MappingProxyType
from typing import BinaryIO

from extgate.intake.limits import Budget, LimitReached, issue, skip
from extgate.intake.paths import decode_name, normalize
from extgate.model import Entry, EntryKind, Issue

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_MAX_MEMBER_ERRORS = 100
_MIN_CD_ENTRY = 46  # fixed part of a central-directory record

_MEMBER_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    NotImplementedError,
    RuntimeError,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
)


def _directory_size(stream: BinaryIO) -> tuple[int, int] | None:
    """(entries, bytes) the end-of-central-directory record announces, or None when there is none."""
    stream.seek(0, 2)
    end = stream.tell()
    tail_size = min(end, 65_535 + 22)
    stream.seek(end - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        return None
    entries, size = struct.unpack("<HI", tail[at + 10 : at + 16])
    if entries != 0xFFFF and size != 0xFFFFFFFF:
        return int(entries), int(size)
    # the values defer to a zip64 end record: without one they are not counts at all
    if at >= 20 and tail[at - 20 : at - 16] == _ZIP64_LOCATOR:
        (record_at,) = struct.unpack("<Q", tail[at - 12 : at - 4])
        if record_at + 56 <= end:
            stream.seek(record_at)
            record = stream.read(56)
            if record[:4] == b"PK\x06\x06":
                entries, size = struct.unpack("<QQ", record[32:48])
                return int(entries), int(size)
    raise zipfile.BadZipFile(
        "the end-of-central-directory record defers its entry count or size to a zip64 record that is not there"
    )


_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # local file header, fixed part
_UNKNOWN_SIZE = 0xFFFFFFFF


def _zip64_sizes(extra: bytes) -> tuple[int | None, int | None]:
    """(uncompressed, compressed) from a local header's zip64 extra field (0x0001), when present."""
    at = 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[at : at + 4])
        body = extra[at + 4 : at + 4 + size]
        if tag == 0x0001:
            values = [struct.unpack("<Q", body[i : i + 8])[0] for i in range(0, len(body) - 7, 8)]
            return (values[0] if values else None), (values[1] if len(values) > 1 else None)
        at += 4 + size
    return None, None


def _local_mismatch(stream: BinaryIO, info: zipfile.ZipInfo) -> str | None:
    """How the member's local header disagrees with its central-directory record, or None. Streaming unzippers
    read local headers, zip tools and extgate the central directory: any difference lets them extract different
    data under one name."""
    if info.header_offset < 0:  # zipfile shifts offsets by the bytes it thinks were prepended; that can go below 0
        return "its local header would start before the archive does"
    stream.seek(info.header_offset)
    head = stream.read(_LOCAL.size)
    if len(head) < _LOCAL.size:
        return "its local header is missing (the archive ends first)"
    sig, _, flags, method, _, _, crc, csize, usize, name_len, extra_len = _LOCAL.unpack(head)
    if sig != b"PK\x03\x04":
        return "its local header is not where the central directory points"
    stream.seek(name_len, 1)
    extra = stream.read(extra_len)
    if method != info.compress_type:
        return f"compression method {method} in the local header, {info.compress_type} in the central directory"
    if (flags & 0x1) != (info.flag_bits & 0x1):
        return "only one of the two headers marks it as encrypted"
    if flags & 0x8:
        return None  # sizes and CRC follow the data (a data descriptor): the local header holds zeros by design
    big_usize, big_csize = _zip64_sizes(extra)
    if usize == _UNKNOWN_SIZE and big_usize is not None:
        usize = big_usize
    if csize == _UNKNOWN_SIZE and big_csize is not None:
        csize = big_csize
    for what, local, central in (("size", usize, info.file_size), ("compressed size", csize, info.compress_size),
                                 ("CRC", crc, info.CRC)):  # fmt: skip
        if local != central:
            return f"{what} {local:,} in the local header, {central:,} in the central directory"
    return None


def _kind(info: zipfile.ZipInfo) -> EntryKind:
    mode = info.external_attr >> 16
    if mode and info.create_system == 3:  # unix attributes present
        fmt = stat.S_IFMT(mode)
        if fmt == stat.S_IFLNK:
            return EntryKind.SYMLINK
        if fmt == stat.S_IFDIR:
            return EntryKind.DIRECTORY
        if fmt in (stat.S_IFCHR, stat.S_IFBLK):
            return EntryKind.DEVICE
        if fmt == stat.S_IFIFO:
            return EntryKind.FIFO
        if fmt == stat.S_IFSOCK:
            return EntryKind.SOCKET
    if info.is_dir():
        return EntryKind.DIRECTORY
    return EntryKind.FILE


def _names(info: zipfile.ZipInfo) -> tuple[str, str]:
    """(path text, raw text). Without the UTF-8 flag zipfile decodes cp437; most tools wrote UTF-8 anyway."""
    if info.flag_bits & 0x800:
        raw = info.orig_filename.encode("utf-8", "surrogateescape")
    else:
        raw = info.orig_filename.encode("cp437", "replace")
    return decode_name(raw)


def _read_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: Budget,
    path: str,
    issues: list[Issue],
    entries: list[Entry],
    entry: Entry,
) -> tuple[bytes, int]:
    """Read up to the per-file cap (the entry is listed with what was read); decompress and count the rest of an
    over-size member too, so its real expansion is known for the bomb check."""
    before = budget.content_bytes
    with archive.open(info) as member:
        data, sha256, read, truncated, found = budget.read(member, path)
        entries.append(replace(entry, size=read, sha256=sha256, data=data, truncated=truncated))
        if found is None and read != info.file_size:
            issues.append(
                issue(
                    "archive/corrupt",
                    f"{path} declares {info.file_size:,} bytes but holds {read:,} (a zip64 or size field lies), so "
                    "tools that trust the field read something else. Re-create the zip with a standard tool.",
                    path,
                )
            )
        if found is not None:
            try:
                skip(member, budget, path)
            finally:
                total = budget.content_bytes - before
                issues.append(
                    replace(found, properties=MappingProxyType({**found.properties, "decompressed_bytes": total}))
                )
    return data, read


def read_members(stream: BinaryIO, budget: Budget) -> tuple[list[Entry], list[Issue]]:
    entries: list[Entry] = []
    issues: list[Issue] = []
    limits = budget.limits
    try:
        announced = _directory_size(stream)
        if announced is None:
            return entries, [
                issue(
                    "archive/corrupt",
                    "the zip has no end-of-central-directory record (truncated or not a zip); nothing was read. "
                    "Re-create it and upload the complete file.",
                )
            ]
        count, size = announced
        most = 2 * limits.max_files + 1000
        if count > most or size > most * (_MIN_CD_ENTRY + limits.max_member_name + 1024):
            return entries, [
                issue(
                    "archive/too-many-files",
                    f"the zip's central directory lists {count:,} entries ({size:,} bytes), more than the "
                    f"{limits.max_files:,} files allowed; no member was read. Publish fewer files.",
                    stopped_at_member=0,
                )
            ]
        stream.seek(0)
        archive = zipfile.ZipFile(stream)
    # NotImplementedError: zipfile refuses a central directory entry needing a newer zip version (found by fuzzing)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, ValueError, EOFError,
            struct.error) as exc:  # fmt: skip
        return entries, [
            issue(
                "archive/corrupt",
                f"the zip cannot be opened ({type(exc).__name__}: {exc}). Re-create it and upload the complete file.",
            )
        ]
    errors = 0
    try:
        for info in archive.infolist():
            if not info.filename:  # zipfile itself fails on these (IndexError in is_dir/open)
                issues.append(
                    issue(
                        "archive/corrupt",
                        f"zip member {len(entries) + 1:,} has an empty name, so no tool extracts it the same way; "
                        "it was not read. Re-create the zip with a standard tool.",
                    )
                )
                continue
            path, raw = _names(info)
            norm = normalize(path)
            kind = _kind(info)
            budget.admit(norm, is_dir=kind is EntryKind.DIRECTORY)
            entry = Entry(
                path=norm,
                kind=kind,
                raw_name=raw,
                declared_size=info.file_size,
                mode=(info.external_attr >> 16) & 0o7777 or None,
                compressed_size=info.compress_size,
            )
            if kind not in (EntryKind.FILE, EntryKind.SYMLINK):
                entries.append(entry)
                continue
            if info.flag_bits & 0x1:
                issues.append(
                    issue(
                        "archive/corrupt",
                        f"{norm} is encrypted, so it cannot be inspected. Publish it unencrypted.",
                        norm,
                        encrypted=True,
                    )
                )
                entries.append(entry)
                continue
            mismatch = _local_mismatch(stream, info)
            if mismatch is not None:
                issues.append(
                    issue(
                        "archive/corrupt",
                        f"{norm}: its local header and the central directory disagree ({mismatch}), so zip tools "
                        "and streaming unzippers extract different data. Re-create the zip with a standard tool.",
                        norm,
                    )
                )
            listed = len(entries)
            try:
                data, read = _read_member(archive, info, budget, norm, issues, entries, entry)
            except _MEMBER_ERRORS as exc:
                errors += 1
                issues.append(
                    issue(
                        "archive/corrupt",
                        f"{norm} cannot be decompressed ({type(exc).__name__}: {exc}). "
                        "Re-create the zip with a standard tool.",
                        norm,
                    )
                )
                if len(entries) == listed:
                    entries.append(entry)
                if errors >= _MAX_MEMBER_ERRORS:
                    issues.append(issue("archive/corrupt", f"stopped after {errors} damaged members."))
                    break
                continue
            if kind is EntryKind.SYMLINK:
                target = data[: limits.max_member_name].decode("utf-8", "replace")
                entries[-1] = replace(entry, size=read, link_target=target)  # a link's "content" is its target
    except LimitReached as stop:
        issues.append(stop.issue)
    finally:
        archive.close()
    return entries, issues
