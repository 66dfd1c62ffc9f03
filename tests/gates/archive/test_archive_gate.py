"""archive gate: each rule fires on its hostile input and stays quiet on the clean counterpart; profile limits and
policy settings apply."""

from __future__ import annotations

import tarfile
from collections.abc import Mapping
from typing import Any

import pytest

from extgate.facts import Facts
from extgate.gates.archive import ArchiveGate
from extgate.gates.interface import GateContext
from extgate.intake import IntakeLimits, open_source
from extgate.model import Entry, EntryKind, Finding, Level, Package
from extgate.options import Options
from extgate.policy import Policy
from extgate.profiles import get_profile
from extgate.rules.registry import load_registry
from hostile.hostile_archives import Member, gzip_of, npm_tarball, overlapping_zip, tar_bytes, zip_bytes, zip_symlink


def run(package: Package, profile: str = "npm", settings: Mapping[str, Any] | None = None) -> list[Finding]:
    rules = load_registry()
    policy = Policy.from_mapping({"archive": dict(settings or {})}) if settings else Policy()
    ctx = GateContext(package, get_profile(profile, rules), policy, Options(), rules, Facts(), "archive")
    return list(ArchiveGate().run(ctx).findings)


def scan(data: bytes, profile: str = "npm", limits: IntakeLimits | None = None, **settings: Any) -> list[Finding]:
    return run(open_source(data, limits=limits or IntakeLimits()), profile, settings)


def ids(findings: list[Finding]) -> list[str]:
    return sorted(f.rule_id for f in findings)


def files(names: Mapping[str, int], fmt: str = "tgz") -> Package:
    entries = tuple(Entry(path=p, raw_name=p, size=n, data=b"x" * min(n, 10)) for p, n in names.items())
    return Package(source="<test>", format=fmt, entries=entries, decompressed_bytes=sum(names.values()))


def test_clean_npm_tarball_has_no_findings() -> None:
    data = npm_tarball({"package.json": '{"name":"a","version":"1.0.0"}', "lib/index.js": "module.exports = 1;\n"})
    assert scan(data) == []


def test_traversal_and_absolute_paths() -> None:
    findings = scan(tar_bytes([("package/a.js", "a"), ("package/../../x.js", "b"), ("/etc/cron.d/job", "c")]))
    assert ids(findings) == ["archive/absolute-path", "archive/path-traversal"]
    traversal = next(f for f in findings if f.rule_id == "archive/path-traversal")
    assert traversal.path == "package/../../x.js" and traversal.level is Level.ERROR  # no single top folder here
    assert traversal.evidence == "package/../../x.js"
    backslash = scan(zip_bytes([("a.js", "x"), ("..\\..\\evil.js", "y"), ("C:/Windows/x.dll", "z")]))
    assert "archive/path-traversal" in ids(backslash) and "archive/absolute-path" in ids(backslash)


def test_links_and_special_files() -> None:
    findings = scan(
        tar_bytes(
            [
                ("package/a.js", "a"),
                Member("package/key", type=tarfile.SYMTYPE, linkname="../../.ssh/id_rsa"),
                Member("package/hard", type=tarfile.LNKTYPE, linkname="package/a.js"),
                Member("package/pipe", type=tarfile.FIFOTYPE),
                Member("package/tty", type=tarfile.CHRTYPE),
            ]
        )
    )
    assert ids(findings) == ["archive/link", "archive/link", "archive/special-file", "archive/special-file"]
    symlink = next(f for f in findings if f.path == "key")
    assert "outside the package" in symlink.message and "Replace the link" in symlink.message
    zipped = scan(zip_bytes([("a.js", "x"), (zip_symlink("b.js", "/etc/passwd"), "/etc/passwd")]))
    assert ids(zipped) == ["archive/link"]


def test_duplicates_and_file_folder_conflicts() -> None:
    findings = scan(
        tar_bytes(
            [("package/index.js", "clean"), ("package/./index.js", "evil"), ("package/a", "f"), ("package/a/b.js", "g")]
        )
    )
    assert ids(findings) == ["archive/duplicate-entry", "archive/duplicate-entry"]
    dup = next(f for f in findings if f.path == "index.js")
    assert dup.properties["count"] == 2
    dirs_twice = tar_bytes(
        [
            Member("package/lib", type=tarfile.DIRTYPE),
            Member("package/lib/", type=tarfile.DIRTYPE),
            ("package/lib/a.js", "x"),
        ]
    )
    assert scan(dirs_twice) == []


def test_case_and_unicode_collisions() -> None:
    findings = scan(
        tar_bytes(
            [
                ("package/README.md", "a"),
                ("package/readme.md", "b"),
                ("package/caf\u00e9.js", "c"),
                ("package/cafe\u0301.js", "d"),
            ]
        )
    )
    assert ids(findings) == ["archive/case-collision", "archive/case-collision"]
    assert {f.properties["collides_with"] for f in findings} == {"README.md", "caf\u00e9.js"}
    assert scan(tar_bytes([("package/a.js", "a"), ("package/b.js", "b")])) == []


@pytest.mark.parametrize(
    "name",
    ["package/invoice\u202egpj.js", "package/zero\u200bwidth.js", "package/new\nline.js", "package/bom\ufeff.js"],
)
def test_unsafe_names(name: str) -> None:
    findings = scan(tar_bytes([("package/ok.js", "x"), (name, "y")]))
    assert ids(findings) == ["archive/unsafe-name"]
    assert "U+" in findings[0].message and "Rename" in findings[0].message


def test_empty_member_name() -> None:
    findings = run(Package(source="<t>", format="tgz", entries=(Entry(path="", raw_name="./"),)))
    assert ids(findings) == ["archive/unsafe-name"] and "no file name" in findings[0].message


def test_invalid_utf8_and_nul_in_names() -> None:
    # tarfile writes the raw name in a PAX record (hdrcharset=BINARY) and "bad?.js" in the ustar field; npm's tar
    # drops the non-UTF-8 record and reads "bad?.js", so the readers name the member differently: corrupt too
    assert ids(scan(tar_bytes([("package/ok.js", "x"), Member(b"package/bad\xfe.js", b"y")]))) == [
        "archive/corrupt",
        "archive/unsafe-name",
    ]
    nul = bytearray(zip_bytes([("ok.js", "x"), ("abc.js", "y")]))
    for at in (i for i in range(len(nul)) if nul[i : i + 6] == b"abc.js"):
        nul[at + 1] = 0  # "a\0c.js" in both headers
    assert "archive/unsafe-name" in ids(scan(bytes(nul)))


def test_profile_limits_apply_and_policy_can_raise_them() -> None:
    swamp_files = {f"models/m{i}.ts": 10 for i in range(151)}
    assert ids(run(files(swamp_files), "swamp")) == ["archive/too-many-files"]
    assert run(files(dict(list(swamp_files.items())[:150])), "swamp") == []
    assert run(files(swamp_files), "swamp", {"max_files": 200}) == []
    assert run(files(swamp_files), "npm") == []
    big = files({"a.ts": 1_500_000})
    assert ids(run(big, "swamp")) == ["archive/file-too-large"]
    assert ids(run(big, "swamp", {"max_file_bytes": 2_000_000})) == []
    total = files({f"f{i}.ts": 900_000 for i in range(12)})
    assert ids(run(total, "swamp")) == ["archive/too-large"]
    assert run(total, "npm") == []


def test_directory_sizes_use_the_real_file_size() -> None:
    entry = Entry(path="a.ts", raw_name="a.ts", size=1000, declared_size=11_000_000, truncated=True, data=b"x")
    package = Package(source="dir", format="dir", entries=(entry,), root="/tmp/x")
    findings = run(package, "swamp")
    assert ids(findings) == ["archive/file-too-large", "archive/too-large"]


def test_intake_issues_become_findings_without_duplicates() -> None:
    package = open_source(tar_bytes([(f"package/f{i}.ts", "x") for i in range(30)]), limits=IntakeLimits(max_files=10))
    findings = run(package, "swamp", {"max_files": 5})
    assert ids(findings) == ["archive/too-many-files"]  # intake's stop, not a second count
    corrupt = scan(b"not an archive at all, just text" * 20)
    assert ids(corrupt) == ["archive/corrupt"] and "not a recognised archive" in corrupt[0].message


def test_compression_ratio_whole_archive_and_zip_members() -> None:
    bomb = tar_bytes([Member("package/zeros.json", size=3_000_000)])
    assert ids(scan(bomb)) == ["archive/compression-ratio"]
    assert scan(bomb, min_ratio_bytes=10_000_000) == []
    assert scan(bomb, max_compression_ratio=100_000) == []
    source_like = npm_tarball({f"lib/m{i}.js": f"export const v{i} = {i * 7919};\n" * 400 for i in range(60)})
    assert scan(source_like) == []
    member = scan(zip_bytes([("a.json", bytes(2_000_000)), ("b.js", "x")]))
    assert ids(member) == ["archive/compression-ratio", "archive/compression-ratio"]
    assert {f.path for f in member} == {None, "a.json"}
    overlap = scan(overlapping_zip(copies=20, size=100_000))
    assert "archive/compression-ratio" in ids(overlap) and "archive/duplicate-entry" in ids(overlap)


def test_nested_archives_by_name_and_by_magic_bytes() -> None:
    findings = scan(
        npm_tarball({"package.json": "{}", "vendor/lib.tgz": "not really", "assets/logo.png": gzip_of(b"x" * 100)})
    )
    assert ids(findings) == ["archive/nested-archive", "archive/nested-archive"]
    assert all(f.level is Level.WARNING for f in findings)
    by_magic = next(f for f in findings if f.path == "assets/logo.png")
    assert by_magic.properties["format"] == "gzip"


def test_findings_carry_raw_names_and_stable_evidence() -> None:
    first = scan(tar_bytes([("package/../x.js", "one")]))
    second = scan(tar_bytes([("package/../x.js", "two, another version")]))
    assert [f.base_fingerprint() for f in first] == [f.base_fingerprint() for f in second]
    assert first[0].properties["raw_name"] == "package/../x.js"


def test_only_enabled_rules_are_returned() -> None:
    rules = load_registry()
    package = open_source(tar_bytes([("package/../x.js", "a")]), limits=IntakeLimits())
    policy = Policy.from_mapping({"rules": {"archive/path-traversal": {"enabled": False}}})
    ctx = GateContext(package, get_profile("npm", rules), policy, Options(), rules, Facts(), "archive")
    assert ArchiveGate().run(ctx).findings == ()


def test_entries_of_every_kind_are_handled() -> None:
    entries = tuple(Entry(path=f"k/{kind.value}", kind=kind, raw_name=f"k/{kind.value}") for kind in EntryKind)
    found = ids(run(Package(source="<t>", format="tar", entries=entries)))
    assert found == [
        "archive/link",
        "archive/link",
        "archive/special-file",
        "archive/special-file",
        "archive/special-file",
        "archive/special-file",
    ]
