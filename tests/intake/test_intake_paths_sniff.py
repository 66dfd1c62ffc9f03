"""Name normalization, top-folder detection, and magic-byte recognition of archives and executables."""

from __future__ import annotations

import struct

import pytest

from extgate.intake.paths import decode_name, has_traversal, is_absolute, normalize, strip_prefix, top_folder
from extgate.intake.sniff import archive_kind, executable_kind, is_tar_header, sniff
from hostile.hostile_archives import gzip_of, tar_bytes, zip_bytes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("package/lib/a.js", "package/lib/a.js"),
        ("./package//lib/./a.js", "package/lib/a.js"),
        ("package/lib/", "package/lib"),
        ("package/../../x", "package/../../x"),
        ("..\\..\\evil.js", "../../evil.js"),
        ("/etc/passwd", "/etc/passwd"),
        ("//server/share", "/server/share"),
    ],
)
def test_normalize_keeps_hostile_parts_visible(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_absolute_and_traversal() -> None:
    assert is_absolute("/x") and is_absolute("C:/x") and is_absolute("c:\\x") and not is_absolute("a/b")
    assert has_traversal("a/../b") and has_traversal("..") and not has_traversal("a/..b/c")


def test_decode_name() -> None:
    assert decode_name(b"ok.js") == ("ok.js", "ok.js")
    assert decode_name(b"a\xffb") == ("a\ufffdb", "a\\xffb")


def test_top_folder() -> None:
    assert top_folder([("package", True), ("package/a.js", False), ("package/b/c.js", False)]) == "package/"
    assert top_folder([("node/index.d.ts", False)]) == "node/"
    assert top_folder([("package/a.js", False), ("other/b.js", False)]) == ""
    assert top_folder([("a.js", False)]) == ""
    assert top_folder([("package", True)]) == ""  # nothing below it
    assert top_folder([("../x/a.js", False)]) == ""
    assert top_folder([("/abs/a.js", False)]) == ""
    assert strip_prefix("package/a.js", "package/") == "a.js" and strip_prefix("x", "") == "x"


def test_archive_kinds_by_magic() -> None:
    assert archive_kind(gzip_of(b"x")) == "gzip"
    assert archive_kind(zip_bytes([("a", "b")])) == "zip"
    assert archive_kind(tar_bytes([("a", "b")], "")) == "tar"
    assert archive_kind(tar_bytes([("a", "b")], "bz2")) == "bzip2"
    assert archive_kind(tar_bytes([("a", "b")], "xz")) == "xz"
    assert archive_kind(b"\x28\xb5\x2f\xfd rest") == "zstd"
    assert archive_kind(b"Rar!\x1a\x07\x00") == "rar"
    assert archive_kind(b"export const x = 1;\n") is None
    assert sniff(b"") == "empty" and sniff(b"hello") == "unknown"


def test_v7_tar_header_is_recognised_by_checksum() -> None:
    header = bytearray(tar_bytes([("a.txt", "b")], "")[:512])
    header[257:265] = bytes(8)  # drop the ustar magic and version
    checksum = sum(header[:148]) + 8 * 0x20 + sum(header[156:])
    header[148:156] = f"{checksum:06o}\0 ".encode()
    assert is_tar_header(bytes(header))
    header[0] ^= 1
    assert not is_tar_header(bytes(header))


def _pe(pe_at: int = 0x80) -> bytes:
    data = bytearray(b"MZ" + bytes(pe_at))
    data[0x3C:0x40] = struct.pack("<I", pe_at)
    return bytes(data[:pe_at]) + b"PE\x00\x00" + bytes(64)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x7fELF\x02\x01\x01" + bytes(60), "ELF"),
        (_pe(), "PE (Windows)"),
        (b"\xcf\xfa\xed\xfe" + bytes(28), "Mach-O (64-bit)"),
        (b"\xce\xfa\xed\xfe" + bytes(28), "Mach-O (32-bit)"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + bytes(40), "Mach-O (universal)"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x41" + bytes(40), "Java class"),  # Java 21: major 65
        (b"\x00asm\x01\x00\x00\x00" + bytes(8), "WebAssembly"),
    ],
)
def test_executable_magic(data: bytes, kind: str) -> None:
    assert executable_kind(data) == kind


@pytest.mark.parametrize(
    "data",
    [
        b"MZ is how this README starts, but it is text" + bytes(40),
        b"\x89PNG\r\n\x1a\n" + bytes(40),
        b"\x00asm\x02\x00\x00\x00",
        b"\xca\xfe\xba\xbe\x00\x00",
        b"",
    ],
)
def test_not_executables(data: bytes) -> None:
    assert executable_kind(data) is None
