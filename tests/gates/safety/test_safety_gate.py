"""safety gate: hidden paths, file-type allowlists per profile (legal files, bin scripts, swamp bundles, vsix
packaging files, policy additions) and executable content by magic bytes."""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any

import pytest

from extgate.facts import Facts
from extgate.gates.interface import GateContext
from extgate.gates.safety import SafetyGate
from extgate.model import Entry, EntryKind, Finding, Level, Package
from extgate.options import Options
from extgate.policy import Policy
from extgate.profiles import get_profile
from extgate.rules.registry import load_registry

ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(56)


def package(files: Mapping[str, bytes | str], *, fmt: str = "tgz", prefix: str = "") -> Package:
    entries = []
    for path, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        entries.append(Entry(path=path, raw_name=path, size=len(data), data=data))
    return Package(source="<test>", format=fmt, entries=tuple(entries), root_prefix=prefix)


def run(pkg: Package, profile: str = "npm", settings: Mapping[str, Any] | None = None) -> list[Finding]:
    rules = load_registry()
    policy = Policy.from_mapping({"safety": dict(settings)}) if settings else Policy()
    ctx = GateContext(pkg, get_profile(profile, rules), policy, Options(), rules, Facts(), "safety")
    return list(SafetyGate().run(ctx).findings)


def hits(findings: list[Finding], rule: str) -> list[str | None]:
    return sorted((f.path for f in findings if f.rule_id == rule), key=str)


def test_clean_npm_package() -> None:
    files = {"package.json": "{}", "README.md": "#", "LICENSE": "MIT", "lib/index.js": "x", "types/index.d.ts": "x"}
    assert run(package(files)) == []


def test_hidden_files_and_folders() -> None:
    files = {
        "package.json": "{}",
        ".env": "A=1",
        ".github/workflows/ci.yml": "x",
        ".github/FUNDING.yml": "y",
        "lib/.cache/x.json": "{}",
    }
    findings = [f for f in run(package(files)) if f.rule_id == "safety/hidden-file"]
    assert [f.evidence for f in findings] == [".github/", "lib/.cache/", ".env"]
    folder = findings[0]
    assert folder.properties["files"] == 2 and "allowed_hidden" in folder.message
    allowed = run(package(files), settings={"allowed_hidden": [".github/"]})
    assert [f.evidence for f in allowed if f.rule_id == "safety/hidden-file"] == ["lib/.cache/", ".env"]


def test_extgate_policy_file_at_the_root_is_exempt() -> None:
    files = {"package.json": "{}", ".extgate.toml": "[rules]", "sub/.extgate.toml": "x"}
    findings = run(package(files))
    assert [(f.rule_id, f.path) for f in findings] == [("safety/hidden-file", "sub/.extgate.toml")]


def test_swamp_allowlist() -> None:
    files = {
        "manifest.yaml": "x",
        "models/a.ts": "x",
        "models/types.d.ts": "x",
        "files/README.md": "x",
        "LICENSE": "x",
        "COPYING-EXCEPTION": "x",
        "LICENSE.sh": "x",
        "README": "x",
        "models/helper.js": "x",
        "scripts/install.sh": "x",
        "bundles/a.js": "x",
    }
    assert hits(run(package(files), "swamp"), "safety/disallowed-file-type") == [
        "LICENSE.sh",
        "README",
        "models/helper.js",
        "scripts/install.sh",
    ]


def test_npm_allowlist_names_and_bin_scripts() -> None:
    pkg_json = json.dumps({"name": "a", "version": "1.0.0", "bin": {"a": "./bin/cli"}})
    files = {
        "package.json": pkg_json,
        "bin/cli": "#!/usr/bin/env node\n",
        "bin/other": "x",
        "README": "x",
        "CHANGELOG": "x",
        "LICENSE-MIT": "x",
        "licence.txt": "x",
        "native/build.py": "x",
        "dist/app.js.map": "{}",
        "bundles/x.js": "x",
    }
    assert hits(run(package(files)), "safety/disallowed-file-type") == ["bin/other", "native/build.py"]
    extra = run(package(files), settings={"extra_extensions": ["py"], "extra_names": ["other"]})
    assert hits(extra, "safety/disallowed-file-type") == []


def test_vsix_packaging_files_only_in_a_vsix_layout() -> None:
    files = {"extension.vsixmanifest": "<x/>", "[Content_Types].xml": "<x/>", "package.json": "{}"}
    assert run(package(files, fmt="zip", prefix="extension/")) == []
    assert hits(run(package(files, fmt="zip")), "safety/disallowed-file-type") == [
        "[Content_Types].xml",
        "extension.vsixmanifest",
    ]


def _pe() -> bytes:
    head = bytearray(0x80)
    head[:2] = b"MZ"
    head[0x3C:0x40] = struct.pack("<I", 0x80)
    return bytes(head) + b"PE\x00\x00" + bytes(32)


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("assets/logo.png", ELF, "ELF"),
        ("lib/helper.js", _pe(), "PE (Windows)"),
        ("lib/x.json", b"\xcf\xfa\xed\xfe" + bytes(40), "Mach-O (64-bit)"),
        ("lib/fat.txt", b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + bytes(40), "Mach-O (universal)"),
        ("lib/A.txt", b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(40), "Java class"),
        ("lib/mod.md", b"\x00asm\x01\x00\x00\x00" + bytes(8), "WebAssembly"),
    ],
)
def test_executable_content_whatever_the_name(name: str, data: bytes, kind: str) -> None:
    findings = [f for f in run(package({"package.json": "{}", name: data})) if f.rule_id == "safety/binary-content"]
    assert [f.path for f in findings] == [name]
    assert findings[0].properties["format"] == kind and findings[0].level is Level.ERROR


def test_text_that_merely_starts_like_a_binary_is_not_flagged() -> None:
    files = {"package.json": "{}", "README.md": "MZ is a prefix of this sentence, not a PE header." * 3}
    assert run(package(files)) == []


def test_declared_swamp_binary_is_allowed_by_type_and_needs_acknowledgement() -> None:
    manifest = "manifestVersion: 1\nname: '@a/b'\nversion: '2026.01.01.1'\nmodels: [m.ts]\nbinaries: [bin/helper]\n"
    files: dict[str, bytes | str] = {
        "manifest.yaml": manifest,
        "models/m.ts": "x",
        "files/bin/helper": ELF,
        "files/bin/other": ELF,
    }
    findings = run(package(files), "swamp")
    assert hits(findings, "safety/disallowed-file-type") == ["files/bin/other"]
    levels = {f.path: f.level for f in findings if f.rule_id == "safety/binary-content"}
    assert levels == {"files/bin/helper": Level.WARNING, "files/bin/other": Level.ERROR}


def test_directory_input_checks_the_published_path() -> None:
    entries = (
        Entry(path="manifest.yaml", raw_name="manifest.yaml", data=b"x", size=1),
        Entry(
            path=".claude/skills/s/SKILL.md",
            raw_name=".claude/skills/s/SKILL.md",
            data=b"x",
            size=1,
            publish_path="skills/s/SKILL.md",
        ),
        Entry(path=".env", raw_name=".env", data=b"x", size=1, publish_path="files/.env"),
    )
    findings = run(Package(source="d", format="dir", entries=entries, root="/x"), "swamp")
    assert [(f.rule_id, f.path) for f in findings] == [("safety/hidden-file", ".env")]


def test_links_are_not_type_checked_here() -> None:
    entries = (Entry(path="run.sh", kind=EntryKind.SYMLINK, raw_name="run.sh", link_target="/bin/sh"),)
    assert run(Package(source="<t>", format="tgz", entries=entries)) == []


def test_findings_per_rule_are_capped_with_a_summary() -> None:
    files: dict[str, bytes | str] = {f"scripts/s{i}.sh": "x" for i in range(230)}
    findings = run(package(files))
    assert len(findings) == 201
    assert findings[-1].properties["not_listed"] == 30 and findings[-1].path is None
