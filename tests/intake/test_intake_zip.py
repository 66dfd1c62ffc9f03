"""Zip / vsix intake: incremental member reads, links via external attributes, encrypted, duplicate, damaged and
overlapping members, central-directory floods."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile

import pytest

from extgate.intake import IntakeLimits, open_source
from extgate.model import EntryKind, Package
from hostile.hostile_archives import overlapping_zip, zip_bomb, zip_bytes, zip_symlink

LIMITS = IntakeLimits()


def rules(package: Package) -> list[str]:
    return [i.rule_id for i in package.issues]


def test_zip_members_are_read_and_prefix_stripped() -> None:
    data = zip_bytes([("package/package.json", "{}"), ("package/lib/a.js", "a" * 1000)])
    package = open_source(data, limits=LIMITS)
    assert package.format == "zip" and package.root_prefix == "package/"
    assert [e.path for e in package.entries] == ["package.json", "lib/a.js"]
    entry = package.get("lib/a.js")
    assert entry is not None and entry.data == b"a" * 1000 and entry.size == 1000
    assert entry.compressed_size is not None and entry.compressed_size < 1000
    assert package.sha256 == hashlib.sha256(data).hexdigest()
    assert package.issues == ()


def test_one_way_stream_is_buffered_for_zip() -> None:
    data = zip_bytes([("a.js", "1"), ("b.js", "2")])

    class OneWay(io.RawIOBase):
        def __init__(self) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    package = open_source(io.BufferedReader(OneWay()), limits=LIMITS)
    assert [e.path for e in package.entries] == ["a.js", "b.js"]
    assert package.sha256 == hashlib.sha256(data).hexdigest()


def test_vsix_keeps_packaging_files_and_strips_extension_folder() -> None:
    data = zip_bytes(
        [
            ("extension.vsixmanifest", "<PackageManifest/>"),
            ("[Content_Types].xml", "<Types/>"),
            ("extension/package.json", "{}"),
            ("extension/out/extension.js", "x"),
        ]
    )
    package = open_source(data, limits=LIMITS)
    assert package.root_prefix == "extension/"
    assert [e.path for e in package.entries] == [
        "extension.vsixmanifest",
        "[Content_Types].xml",
        "package.json",
        "out/extension.js",
    ]


def test_symlink_member_is_a_link_with_its_target() -> None:
    data = zip_bytes(
        [("pkg/a.js", "a"), (zip_symlink("pkg/secret", "/home/user/.ssh/id_rsa"), "/home/user/.ssh/id_rsa")]
    )
    package = open_source(data, limits=LIMITS)
    link = next(e for e in package.entries if e.path == "secret")
    assert link.kind is EntryKind.SYMLINK and link.link_target == "/home/user/.ssh/id_rsa" and link.data is None


def test_encrypted_member_is_reported_not_read() -> None:
    data = bytearray(zip_bytes([("a.js", "a"), ("secret.js", "looks encrypted")], method=zipfile.ZIP_STORED))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set "encrypted" in both headers
        at = data.rfind(signature)
        data[at + flags_at] |= 0x1
    package = open_source(bytes(data), limits=LIMITS)
    assert rules(package) == ["archive/corrupt"]
    assert package.issues[0].path == "secret.js" and "encrypted" in package.issues[0].message
    assert package.read("a.js") == b"a"


def test_duplicate_names_are_all_kept() -> None:
    with pytest.warns(UserWarning):
        data = zip_bytes([("index.js", "clean"), ("index.js", "evil")])
    package = open_source(data, limits=LIMITS)
    assert [(e.path, e.data) for e in package.entries] == [("index.js", b"clean"), ("index.js", b"evil")]


def test_utf8_and_legacy_names() -> None:
    info = zipfile.ZipInfo("caf\u00e9.md")
    data = zip_bytes([(info, "x")])
    assert open_source(data, limits=LIMITS).entries[0].path == "caf\u00e9.md"


def test_crc_error_and_name_mismatch_are_corrupt_members() -> None:
    data = bytearray(zip_bytes([("a.txt", "hello world"), ("b.txt", "second")], method=zipfile.ZIP_STORED))
    at = data.find(b"hello world")
    data[at] = ord("j")
    package = open_source(bytes(data), limits=LIMITS)
    assert rules(package) == ["archive/corrupt"] and package.issues[0].path == "a.txt"
    assert package.read("b.txt") == b"second"

    renamed = bytearray(zip_bytes([("good.js", "x")], method=zipfile.ZIP_STORED))
    renamed[30:37] = b"evil.js"  # local header name differs from the central directory's
    package = open_source(bytes(renamed), limits=LIMITS)
    assert rules(package) == ["archive/corrupt"]


def test_truncated_zip_is_corrupt() -> None:
    data = zip_bytes([("a.js", "x" * 10_000)])
    package = open_source(data[: len(data) // 2], limits=LIMITS)
    assert rules(package) == ["archive/corrupt"]


def test_central_directory_flood_is_refused_before_parsing() -> None:
    data = bytearray(zip_bytes([("a.js", "x")]))
    eocd = data.rfind(b"PK\x05\x06")
    data[eocd + 8 : eocd + 12] = struct.pack("<HH", 60_000, 60_000)
    package = open_source(bytes(data), limits=LIMITS)
    assert rules(package) == ["archive/too-many-files"] and package.entries == ()
    assert "60,000" in package.issues[0].message


def test_file_count_cap() -> None:
    package = open_source(zip_bytes([(f"f{i}.js", "x") for i in range(30)]), limits=IntakeLimits(max_files=10))
    assert rules(package) == ["archive/too-many-files"] and len(package.entries) == 10


def test_zip_bomb_member_is_truncated_and_its_expansion_counted() -> None:
    package = open_source(zip_bomb(20_000_000), limits=IntakeLimits(max_file_bytes=1_000_000))
    [found] = package.issues
    assert found.rule_id == "archive/file-too-large"
    assert found.properties["decompressed_bytes"] == 20_000_000
    entry = package.entries[0]
    assert entry.truncated and entry.size == 1_000_000 and entry.compressed_size is not None
    assert entry.compressed_size < 100_000


def test_overlapping_entries_are_counted_each_time() -> None:
    package = open_source(overlapping_zip(copies=8, size=400_000), limits=IntakeLimits(max_total_bytes=2_000_000))
    assert "archive/too-large" in rules(package)
    assert package.decompressed_bytes <= 2_000_000 + 400_000
    small = open_source(overlapping_zip(copies=3, size=1000), limits=LIMITS)
    assert small.decompressed_bytes == 3000 and len(small.entries) == 3
