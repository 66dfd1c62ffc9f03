"""extgate.jsondoc: the lenient package.json reader every hint-taker shares (profile sniffing, bins, loaded files)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from extgate.jsondoc import json_file, json_object
from extgate.model import Package
from extgate.profiles import detect_profile


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"a": 1}', {"a": 1}),
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),  # npm strips a UTF-8 BOM, so do we
        (b"[1, 2]", None),  # not an object
        (b"{not json", None),
        (b"[" * 100_000 + b"]" * 100_000, None),  # nested past the recursion limit
        (b'{"a": "' + b"x" * 2_000 + b'"}', None),  # over the limit given below
        (None, None),
    ],
)
def test_json_object_is_the_object_or_none(raw: bytes | None, expected: object) -> None:
    assert json_object(raw, limit=1_000) == expected


def test_a_bom_does_not_hide_the_cinatra_block_from_profile_detection() -> None:
    package = Package.from_files({"package.json": b'\xef\xbb\xbf{"name": "x", "cinatra": {"kind": "tool"}}'})
    assert detect_profile(package) == "cinatra"


def test_json_file_reads_regular_files_only(tmp_path: Path) -> None:
    (tmp_path / "ok.json").write_bytes(b'{"name": "x"}')
    os.mkfifo(tmp_path / "pipe.json")  # a blocking open would wait for a writer forever
    (tmp_path / "dir.json").mkdir()
    assert json_file(tmp_path / "ok.json") == {"name": "x"}
    assert json_file(tmp_path / "pipe.json") is None
    assert json_file(tmp_path / "dir.json") is None
    assert json_file(tmp_path / "missing.json") is None
