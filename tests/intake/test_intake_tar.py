"""Tar intake: streaming, prefix stripping, digests, links, limits and corrupt input (never an exception)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
from pathlib import Path

import pytest

from extgate.intake import IntakeLimits, open_source
from extgate.model import EntryKind, Package
from hostile.hostile_archives import Member, gzip_of, npm_tarball, tar_bytes

LIMITS = IntakeLimits()


def rules(package: Package) -> list[str]:
    return [i.rule_id for i in package.issues]


class OneWay(io.RawIOBase):
    """A non-seekable stream that counts what was read from it."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        self.read_bytes += len(chunk)
        return len(chunk)


def test_npm_tarball_strips_package_prefix_and_records_digests() -> None:
    data = npm_tarball({"package.json": '{"name":"a","version":"1.0.0"}', "lib/index.js": "module.exports = 1\n"})
    package = open_source(data, limits=LIMITS)
    assert package.format == "tgz"
    assert package.root_prefix == "package/"
    assert [e.path for e in package.entries] == ["package.json", "lib/index.js"]
    assert [e.raw_name for e in package.entries] == ["package/package.json", "package/lib/index.js"]
    assert package.read("lib/index.js") == b"module.exports = 1\n"
    entry = package.get("lib/index.js")
    assert entry is not None and entry.sha256 == hashlib.sha256(b"module.exports = 1\n").hexdigest()
    assert package.sha256 == hashlib.sha256(data).hexdigest()
    assert package.integrity == "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert package.archive_bytes == len(data)
    assert package.decompressed_bytes == sum(e.size for e in package.entries)
    assert package.issues == ()


def test_other_single_top_folder_is_stripped_too() -> None:
    package = open_source(npm_tarball({"package.json": "{}", "index.d.ts": "x"}, prefix="node/"), limits=LIMITS)
    assert package.root_prefix == "node/"
    assert {e.path for e in package.entries} == {"package.json", "index.d.ts"}


def test_no_prefix_when_files_sit_at_the_top() -> None:
    package = open_source(tar_bytes([("manifest.yaml", "x"), ("models/a.ts", "y")]), limits=LIMITS)
    assert package.root_prefix == ""
    assert [e.path for e in package.entries] == ["manifest.yaml", "models/a.ts"]


@pytest.mark.parametrize(("compression", "fmt"), [("", "tar"), ("gz", "tgz"), ("bz2", "tar.bz2"), ("xz", "tar.xz")])
def test_compressions_are_sniffed_from_magic_bytes(compression: str, fmt: str, tmp_path: Path) -> None:
    data = tar_bytes([("package/a.js", "a")], compression)
    misnamed = tmp_path / "upload.zip"  # the name lies; the bytes decide
    misnamed.write_bytes(data)
    package = open_source(misnamed, limits=LIMITS)
    assert package.format == fmt
    assert package.read("a.js") == b"a"


def test_bytes_path_seekable_and_one_way_streams_agree(tmp_path: Path) -> None:
    data = npm_tarball({"package.json": "{}", "a.js": "1", "b/c.js": "2"})
    path = tmp_path / "pkg.tgz"
    path.write_bytes(data)
    one_way = OneWay(data)
    results = [
        open_source(data, limits=LIMITS),
        open_source(path, limits=LIMITS),
        open_source(str(path), limits=LIMITS),
        open_source(io.BytesIO(data), limits=LIMITS),
        open_source(io.BufferedReader(one_way), limits=LIMITS),
    ]
    for package in results:
        assert [(e.path, e.sha256) for e in package.entries] == [(e.path, e.sha256) for e in results[0].entries]
        assert package.sha256 == results[0].sha256 and package.integrity == results[0].integrity
    assert one_way.read_bytes == len(data)  # every raw byte read exactly once


def test_links_devices_and_fifos_are_recorded_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = tar_bytes(
        [
            ("package/index.js", "x"),
            Member("package/passwd", type=tarfile.SYMTYPE, linkname="/etc/passwd"),
            Member("package/hard", type=tarfile.LNKTYPE, linkname="package/index.js"),
            Member("package/dev", type=tarfile.CHRTYPE),
            Member("package/disk", type=tarfile.BLKTYPE),
            Member("package/pipe", type=tarfile.FIFOTYPE),
        ]
    )
    package = open_source(data, limits=LIMITS)
    kinds = {e.path: e.kind for e in package.entries}
    assert kinds == {
        "index.js": EntryKind.FILE,
        "passwd": EntryKind.SYMLINK,
        "hard": EntryKind.HARDLINK,
        "dev": EntryKind.DEVICE,
        "disk": EntryKind.DEVICE,
        "pipe": EntryKind.FIFO,
    }
    link = next(e for e in package.entries if e.path == "passwd")
    assert link.link_target == "/etc/passwd" and link.data is None
    assert list(tmp_path.iterdir()) == []  # nothing extracted


def test_hostile_names_stay_visible() -> None:
    data = tar_bytes([("package/a.js", "a"), ("package/../../etc/cron.d/x", "b"), ("package/.//b//c.js", "c")])
    package = open_source(data, limits=LIMITS)
    assert [e.path for e in package.entries] == ["a.js", "../../etc/cron.d/x", "b/c.js"]
    assert package.entries[1].raw_name == "package/../../etc/cron.d/x"
    absolute = open_source(tar_bytes([("/etc/passwd", "x")]), limits=LIMITS)
    assert absolute.entries[0].path == "/etc/passwd" and absolute.root_prefix == ""


def test_invalid_utf8_names_are_replaced_but_kept_raw() -> None:
    package = open_source(tar_bytes([Member(b"package/bad\xff.js", b"x")]), limits=LIMITS)
    entry = package.entries[0]
    assert entry.path == "bad\ufffd.js"
    assert "\\xff" in entry.raw_name


def test_over_size_member_is_truncated_and_reading_goes_on() -> None:
    data = tar_bytes([Member("package/big.json", size=50_000), ("package/after.js", "after")])
    package = open_source(data, limits=IntakeLimits(max_file_bytes=1000))
    big = package.get("big.json")
    assert big is not None and big.truncated and big.size == 1000 and big.data == bytes(1000)
    assert big.declared_size == 50_000
    assert package.read("after.js") == b"after"
    [found] = package.issues
    assert found.rule_id == "archive/file-too-large" and found.path == "big.json"
    assert found.properties["decompressed_bytes"] == 50_000  # the rest was decompressed (and counted), not kept
    assert package.decompressed_bytes == 50_005


def test_total_cap_stops_reading() -> None:
    data = tar_bytes([(f"package/f{i}.txt", bytes(4000)) for i in range(10)])
    package = open_source(data, limits=IntakeLimits(max_total_bytes=10_000))
    assert rules(package) == ["archive/too-large"]
    assert len(package.entries) <= 3
    assert package.decompressed_bytes <= 10_000 + 4000


def test_file_count_cap_stops_reading() -> None:
    data = tar_bytes([(f"package/f{i}.txt", "x") for i in range(20)])
    package = open_source(data, limits=IntakeLimits(max_files=5))
    assert rules(package) == ["archive/too-many-files"]
    assert len(package.entries) == 5
    assert "f5.txt" in (package.issues[0].path or "")


def test_truncated_gzip_is_corrupt_not_an_exception() -> None:
    data = npm_tarball({"package.json": "{}", "a.js": "x" * 5000})
    package = open_source(data[: len(data) // 2], limits=LIMITS)
    assert "archive/corrupt" in rules(package)
    assert package.sha256 == hashlib.sha256(data[: len(data) // 2]).hexdigest()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "not a recognised archive"),
        (b"7z\xbc\xaf\x27\x1c" + bytes(100), "7z archive"),
        (gzip_of(b"just text, not a tar" * 30), "corrupt"),
        (tar_bytes([]), "no files"),
        (tar_bytes([Member("package/", type=tarfile.DIRTYPE)]), "no files"),
    ],
)
def test_unreadable_uploads_become_corrupt_issues(data: bytes, words: str) -> None:
    package = open_source(data, limits=LIMITS)
    assert rules(package) == ["archive/corrupt"]
    assert words in package.issues[0].message


def test_oversized_pax_header_is_refused_with_bounded_memory() -> None:
    data = tar_bytes([Member("package/a.js", b"x", pax={"comment": "A" * 3_000_000})])
    package = open_source(data, limits=LIMITS)
    assert rules(package) == ["archive/corrupt"]
    assert "header" in package.issues[0].message


def test_one_way_garbage_stream_is_corrupt_and_fully_hashed() -> None:
    data = b"definitely not an archive\n" * 100
    package = open_source(io.BufferedReader(OneWay(data)), limits=LIMITS)
    assert rules(package) == ["archive/corrupt"] and package.format == "unknown"
    assert package.sha256 == hashlib.sha256(data).hexdigest() and package.archive_bytes == len(data)


def test_missing_path_and_non_file_are_issues(tmp_path: Path) -> None:
    missing = open_source(tmp_path / "nope.tgz", limits=LIMITS)
    assert rules(missing) == ["archive/corrupt"] and "cannot open" in missing.issues[0].message
    os.mkfifo(tmp_path / "pipe.tgz")  # opening a FIFO would block: it is refused from its type
    fifo = open_source(tmp_path / "pipe.tgz", limits=LIMITS)
    assert rules(fifo) == ["archive/corrupt"] and "not a regular file" in fifo.issues[0].message


def test_upload_larger_than_the_raw_cap_is_not_read(tmp_path: Path) -> None:
    limits = IntakeLimits(max_total_bytes=1000)
    big = tmp_path / "big.tgz"
    big.write_bytes(b"\x1f\x8b" + bytes(20 * 1024 * 1024))
    package = open_source(big, limits=limits)
    assert rules(package) == ["archive/too-large"] and package.entries == ()
    stream = open_source(OneWay(b"\x1f\x8b" + bytes(20 * 1024 * 1024)), limits=limits)  # type: ignore[arg-type]
    assert "archive/too-large" in rules(stream) and stream.sha256 == ""
