"""Issue 15.2 and 15.10 (zip): a zip that is also a tarball, and zip members zipfile itself cannot handle.

A polyglot is blocked whatever the zip holds: npm would extract the tar part, zip tools the zip part.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

from extgate import Options, check
from extgate.intake import IntakeLimits, open_source
from hostile.hostile_archives import zip_bytes
from hostile.smuggling import END, EVIL, PKG, member
from support.nodetar import node_list

LIMITS = IntakeLimits()
OFFLINE = Options(offline=True, network=False, use_cache=False)
CLEAN_ZIP = zip_bytes([("package.json", PKG), ("index.js", "module.exports = 1\n")])


def polyglot(at_start: bool = True) -> bytes:
    """An uncompressed tar (first member named `PK\\x03\\x04...`, so it sniffs as zip) with a zip appended, or
    (at_start=False) a zip whose first stored member's data holds a block-aligned tar."""
    tar = member("PK\x03\x04pad", b"x") + member("package/index.js", EVIL) + END
    if at_start:
        return tar + CLEAN_ZIP
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("package.json", PKG)
        info = zipfile.ZipInfo("assets/blob.bin")
        data = bytes(-(30 + len(raw.getvalue()) + len(info.filename)) % 512) + tar  # align the tar to 512
        archive.writestr(info, data)
    return raw.getvalue()


def test_tar_zip_polyglot_is_blocked(tmp_path: Path) -> None:
    data = polyglot()
    package = open_source(data, limits=LIMITS)
    assert package.format == "zip"
    [found] = [i for i in package.issues if i.properties.get("polyglot")]
    assert found.rule_id == "archive/corrupt" and "also a tar archive" in found.message
    verdict = check(data, options=OFFLINE)
    assert verdict.blocked and "archive/corrupt" in {f.rule_id for f in verdict.findings}


def test_zip_with_an_aligned_tar_inside_is_blocked() -> None:
    package = open_source(polyglot(at_start=False), limits=LIMITS)
    assert any(i.properties.get("polyglot") for i in package.issues)


def test_npm_really_extracts_the_tar_part(tmp_path: Path) -> None:
    """The fixture is meaningful: node-tar (npm's reader) finds the hidden member in both polyglots."""
    views = node_list([polyglot(), polyglot(at_start=False)], tmp_path)
    for view in views:
        assert "package/index.js" in view.files()


def test_plain_zip_is_not_a_polyglot() -> None:
    assert open_source(CLEAN_ZIP, limits=LIMITS).issues == ()


def zip_with_empty_name() -> bytes:
    """Two members; the second one's name is zero bytes long (its one name byte moved into the extra field)."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as archive:
        archive.writestr("package.json", PKG)
        archive.writestr("X", "eval(process.env.X)\n")
    data = bytearray(raw.getvalue())
    local = [i for i in range(len(data)) if data[i : i + 4] == b"PK\x03\x04"][1]
    central = [i for i in range(len(data)) if data[i : i + 4] == b"PK\x01\x02"][1]
    struct.pack_into("<HH", data, local + 26, 0, 1)
    struct.pack_into("<HH", data, central + 28, 0, 1)
    return bytes(data)


def test_zip_member_with_an_empty_name_is_a_finding_not_a_crash() -> None:
    data = zip_with_empty_name()
    package = open_source(data, limits=LIMITS)
    assert [e.path for e in package.entries] == ["package.json"]
    assert any(i.rule_id == "archive/corrupt" and "empty name" in i.message for i in package.issues)
    verdict = check(data, options=OFFLINE)
    assert verdict.blocked
    assert "engine/internal-error" not in {f.rule_id for f in verdict.findings}
