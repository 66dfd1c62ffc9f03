"""Recognise archive formats by their magic bytes, never by the file name."""

from __future__ import annotations

# (magic, offset, kind); checked in order
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x1f\x8b", 0, "gzip"),
    (b"PK\x03\x04", 0, "zip"),
    (b"PK\x05\x06", 0, "zip"),  # empty zip (end-of-central-directory only)
    (b"PK\x07\x08", 0, "zip"),  # spanned-archive marker before the first local header
    (b"BZh", 0, "bzip2"),
    (b"\xfd7zXZ\x00", 0, "xz"),
    (b"\x28\xb5\x2f\xfd", 0, "zstd"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7z"),
    (b"Rar!\x1a\x07", 0, "rar"),
    (b"MSCF\x00\x00\x00\x00", 0, "cab"),
    (b"!<arch>\n", 0, "ar"),
    (b"\x04\x22\x4d\x18", 0, "lz4"),
    (b"ustar", 257, "tar"),
)

HEAD_BYTES = 512


def is_tar_header(block: bytes) -> bool:
    """A 512-byte block is a tar header when it has the ustar magic or (old V7 tar) a valid header checksum."""
    if len(block) < 512:
        return False
    if block[257:262] == b"ustar":
        return True
    if block[:100].strip(b"\x00") == b"":
        return False
    field = block[148:156].replace(b"\x00", b" ").strip()
    try:
        stored = int(field, 8)
    except ValueError:
        return False
    computed = sum(block[:148]) + 8 * 0x20 + sum(block[156:512])
    return stored == computed


# most files start with a byte no leading magic starts with: then only the magics at other offsets can match
_FIRST_BYTES = frozenset(magic[0] for magic, offset, _ in _MAGIC if offset == 0)
_NOT_AT_START = tuple(m for m in _MAGIC if m[1] != 0)


def archive_kind(head: bytes) -> str | None:
    """The archive or compression format the bytes start with, or None."""
    for magic, offset, kind in _MAGIC if head[:1] and head[0] in _FIRST_BYTES else _NOT_AT_START:
        if head[offset : offset + len(magic)] == magic:
            return kind
    if is_tar_header(head[:512]):
        return "tar"
    return None


def sniff(head: bytes) -> str:
    """'empty', a kind from `archive_kind`, or 'unknown'."""
    if not head:
        return "empty"
    return archive_kind(head) or "unknown"


_MACHO_THIN = {
    b"\xfe\xed\xfa\xce": "Mach-O (32-bit)",
    b"\xce\xfa\xed\xfe": "Mach-O (32-bit)",
    b"\xfe\xed\xfa\xcf": "Mach-O (64-bit)",
    b"\xcf\xfa\xed\xfe": "Mach-O (64-bit)",
}
_MAX_FAT_ARCHS = 44  # below the first Java class-file major version (45 = Java 1.1)


def executable_kind(data: bytes) -> str | None:
    """The executable format `data` starts with (ELF, PE, Mach-O thin/fat, Java class, WebAssembly), or None.

    `CA FE BA BE` is both a Mach-O universal binary and a Java class: the next 32-bit big-endian word is an
    architecture count (small) in Mach-O and minor/major class version (major >= 45) in Java.
    """
    head = data[:4]
    if head == b"\x7fELF":
        return "ELF"
    if data[:2] == b"MZ" and len(data) >= 0x40:
        pe_at = int.from_bytes(data[0x3C:0x40], "little")
        if pe_at + 4 <= len(data) and data[pe_at : pe_at + 4] == b"PE\x00\x00":
            return "PE (Windows)"
    if head in _MACHO_THIN:
        return _MACHO_THIN[head]
    if head in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf") and len(data) >= 8:
        word = int.from_bytes(data[4:8], "big")
        if head == b"\xca\xfe\xba\xbf" or 0 < word <= _MAX_FAT_ARCHS:
            return "Mach-O (universal)"
        major = int.from_bytes(data[6:8], "big")
        if major >= 45:
            return "Java class"
        return None
    if head == b"\xbe\xba\xfe\xca" and len(data) >= 8 and 0 < int.from_bytes(data[4:8], "little") <= _MAX_FAT_ARCHS:
        return "Mach-O (universal)"
    if head == b"\x00asm" and data[4:8] == b"\x01\x00\x00\x00":
        return "WebAssembly"
    return None
