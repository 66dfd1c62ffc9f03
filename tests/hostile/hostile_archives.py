"""Build archives in memory for tests: clean packages and hostile ones (bombs, traversal, links, devices, floods).

Nothing here touches the disk. Large contents stream from a zero-filled reader so building a 200 MB bomb never
holds 200 MB in memory.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import stat
import struct
import tarfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class Zeros(io.RawIOBase):
    """`size` zero bytes, produced on demand."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


@dataclass(frozen=True)
class Member:
    """One tar member. `data` for files; `size` streams that many zero bytes instead."""

    name: str | bytes
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    linkname: str = ""
    size: int | None = None
    pax: Mapping[str, str] | None = None


def tar_bytes(members: Iterable[Member | tuple[str, bytes | str]], compression: str = "gz", level: int = 6) -> bytes:
    """A tar (compression '', 'gz', 'bz2', 'xz') of `members`; (name, content) tuples are regular files."""
    raw = io.BytesIO()
    sink: io.BufferedIOBase
    if compression == "gz":
        sink = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=level, mtime=0)
    elif compression == "bz2":
        sink = bz2.BZ2File(raw, "wb", compresslevel=max(level, 1))
    elif compression == "xz":
        sink = lzma.LZMAFile(raw, "wb")  # noqa: SIM115 - closed below, after tarfile is done with it
    else:
        sink = raw
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for item in members:
            member = item if isinstance(item, Member) else Member(item[0], _bytes(item[1]))
            _add(archive, member)
    if sink is not raw:
        sink.close()
    return raw.getvalue()


def _bytes(content: bytes | str) -> bytes:
    return content.encode() if isinstance(content, str) else content


def _add(archive: tarfile.TarFile, member: Member) -> None:
    name = member.name.decode("utf-8", "surrogateescape") if isinstance(member.name, bytes) else member.name
    info = tarfile.TarInfo(name)
    info.type = member.type
    info.linkname = member.linkname
    info.mode = 0o644
    if member.pax:
        info.pax_headers = dict(member.pax)
    if member.type in (tarfile.REGTYPE, tarfile.AREGTYPE):
        if member.size is not None:
            info.size = member.size
            archive.addfile(info, io.BufferedReader(Zeros(member.size), 1 << 20))
            return
        info.size = len(member.data)
        archive.addfile(info, io.BytesIO(member.data))
        return
    if member.type in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = 8, 0
    archive.addfile(info)


def npm_tarball(files: Mapping[str, bytes | str], prefix: str = "package/") -> bytes:
    return tar_bytes([(prefix + name, content) for name, content in files.items()])


def zip_bytes(files: Iterable[tuple[str | zipfile.ZipInfo, bytes | str]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", compression=method) as archive:
        for name, content in files:
            archive.writestr(name, _bytes(content))
    return raw.getvalue()


def zip_symlink(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    info.compress_type = zipfile.ZIP_STORED
    return info


def gzip_bomb(size: int = 200_000_000) -> bytes:
    """A tgz whose single member is `size` zero bytes (about 1,000x compression)."""
    return tar_bytes([Member("package/data.json", size=size)], level=9)


def zip_bomb(size: int = 100_000_000) -> bytes:
    """A zip with one deflated member of `size` zero bytes."""
    raw = io.BytesIO()
    with (
        zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("package/data.json", "w", force_zip64=True) as member,
    ):
        zeros = io.BufferedReader(Zeros(size), 1 << 20)
        while chunk := zeros.read(1 << 20):
            member.write(chunk)
    return raw.getvalue()


def overlapping_zip(copies: int, size: int) -> bytes:
    """A zip whose central directory lists the same local member `copies` times (same name, same data offset):
    every listed entry decompresses the same compressed bytes again."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("package/data.json", bytes(size))
    data = raw.getvalue()
    eocd_at = data.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<II", data[eocd_at + 12 : eocd_at + 20])
    record = data[cd_offset : cd_offset + cd_size]
    body = data[:cd_offset]
    directory = record * copies
    eocd = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, copies, copies, len(directory), len(body), 0)
    return body + directory + eocd


def gzip_of(data: bytes) -> bytes:
    return gzip.compress(data)
