"""package.json rules: manifest/schema, entry-point, files, install-script, abi."""

from __future__ import annotations

from typing import Any

import pytest
from manifest_support import NOW, of, pkg, run

from extgate.options import Options

BASE: dict[str, Any] = {"name": "x", "version": "1.0.0"}


def doc(**fields: Any) -> dict[str, Any]:
    return {**BASE, **fields}


# -- manifest/schema -------------------------------------------------------------------------------------------


def test_schema_accepts_a_full_realistic_package() -> None:
    manifest = doc(
        description="d",
        license="MIT",
        files=["dist"],
        main="./dist/index.js",
        bin={"tool": "./dist/cli.js"},
        exports={".": {"import": "./dist/index.mjs", "default": "./dist/index.js"}, "./x": None},
        scripts={"build": "tsc"},
        dependencies={"a": "^1"},
        engines={"node": ">=18"},
        repository={"type": "git", "url": "https://x"},
        permissions=["network"],
        compat="native",
        categories=["productivity"],
        min_orchestra_version=">=0.1.0",
        type="module",
    )
    assert of(run(pkg(manifest)), "manifest/schema") == []


@pytest.mark.parametrize(
    ("field", "value", "pointer"),
    [
        ("files", "dist", "/files"),
        ("bin", ["x"], "/bin"),
        ("engines", ["node >= 18"], "/engines"),
        ("scripts", {"build": 1}, "/scripts/build"),
        ("dependencies", {"a": 1}, "/dependencies/a"),
        ("compat", "chrome", "/compat"),
        ("permissions", ["network", "network"], "/permissions"),
        ("type", "esm", "/type"),
        ("cinatra", "yes", "/cinatra"),
        ("exports", 5, "/exports"),
    ],
)
def test_schema_violations_name_pointer_and_line(field: str, value: Any, pointer: str) -> None:
    findings = of(run(pkg(doc(**{field: value}))), "manifest/schema")
    assert [f.properties["pointer"] for f in findings] == [pointer]
    assert findings[0].location is not None and findings[0].location.line is not None
    assert findings[0].location.line >= 4


def test_swamp_schema_requires_manifest_version_1() -> None:
    result = run({"manifest.yaml": 'manifestVersion: 2\nname: "@a/b"\nversion: "2026.05.01.1"\n'})
    (finding,) = of(result, "manifest/schema")
    assert finding.properties["pointer"] == "/manifestVersion"
    assert finding.location is not None and finding.location.line == 1
    missing = run({"manifest.yaml": 'name: "@a/b"\nversion: "2026.05.01.1"\n'})
    assert "manifestVersion" in of(missing, "manifest/schema")[0].message


def test_swamp_schema_checks_list_types_and_paths_base() -> None:
    text = 'manifestVersion: 1\nname: "@a/b"\nversion: "2026.05.01.1"\nmodels: a.ts\npaths:\n  base: elsewhere\n'
    pointers = sorted(f.properties["pointer"] for f in of(run({"manifest.yaml": text}), "manifest/schema"))
    assert pointers == ["/models", "/paths/base"]


# -- manifest/entry-point --------------------------------------------------------------------------------------


def test_entry_points_that_exist_pass() -> None:
    files = {
        "dist/index.js": "",
        "dist/index.mjs": "",
        "dist/index.d.ts": "",
        "dist/cli.js": "",
        "lib/index.js": "",
        "dist/feature/a.js": "",
    }
    manifest = doc(
        main="lib",  # Node probes lib/index.js
        module="./dist/index.mjs",
        types="./dist/index",  # TypeScript probes .d.ts
        bin={"tool": "./dist/cli.js"},
        exports={
            ".": {"node": {"import": "./dist/index.mjs", "require": "./dist/index.js"}, "default": "./dist/index.js"},
            "./features/*": "./dist/feature/*.js",
            "./package.json": "./package.json",
            "./internal/*": None,
        },
    )
    assert of(run(pkg(manifest, files)), "manifest/entry-point") == []


@pytest.mark.parametrize(
    ("fields", "pointer", "fragment"),
    [
        ({"main": "./dist/index.js"}, "/main", "not in the package"),
        ({"main": "../outside.js"}, "/main", "climbs out"),
        ({"main": "/etc/passwd"}, "/main", "absolute"),
        ({"types": "./types/index.d.ts"}, "/types", "not in the package"),
        ({"bin": "./cli.js"}, "/bin", "not in the package"),
        ({"bin": {"a": "./ok.js", "b": "./missing.js"}}, "/bin/b", "not in the package"),
        ({"exports": "./missing.js"}, "/exports", "not in the package"),
        ({"exports": {".": {"import": {"node": "./gone.mjs"}}}}, "/exports/./import/node", "not in the package"),
        ({"exports": {".": ["./gone.js", "./ok.js"]}}, "/exports/./0", "not in the package"),
        ({"exports": {".": "ok.js"}}, "/exports/.", "must start with './'"),
        ({"exports": {".": "./../x.js"}}, "/exports/.", "climbs out"),
        ({"exports": {".": "./node_modules/x/index.js"}}, "/exports/.", "climbs out"),
        ({"exports": {"./*": "./lib/*.js"}}, "/exports/.~1*", "matches no file"),
        ({"exports": {".": "./ok.js", "import": "./ok.js"}}, "/exports", "mixes subpath keys"),
    ],
)
def test_broken_entry_points(fields: dict[str, Any], pointer: str, fragment: str) -> None:
    findings = of(run(pkg(doc(**fields), {"ok.js": ""})), "manifest/entry-point")
    assert [f.properties["pointer"] for f in findings] == [pointer]
    assert fragment in findings[0].message


def test_server_entry_is_checked_here_only_when_cinatra_rules_are_off() -> None:
    from extgate.policy import Policy

    manifest = doc(cinatra={"kind": "connector", "serverEntry": "./dist/register.mjs"})
    assert of(run(pkg(manifest)), "manifest/entry-point") == []  # cinatra/server-entry reports it
    off = Policy.from_mapping({"rules": {"cinatra/server-entry": {"enabled": False}}})
    (finding,) = of(run(pkg(manifest), policy=off), "manifest/entry-point")
    assert finding.properties["pointer"] == "/cinatra/serverEntry"


# -- manifest/files (package.json) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    ["dist", "dist/", "./dist", "dist/**/*.js", "*.js", "**/*.map", "src/*.ts", "README.md", "!lib", "dist/[ab].js"],
)
def test_files_patterns_that_match(pattern: str) -> None:
    files = {"dist/a.js": "", "dist/sub/b.js.map": "", "src/x.ts": "", "README.md": ""}
    assert of(run(pkg(doc(files=[pattern]), files)), "manifest/files") == []


@pytest.mark.parametrize("pattern", ["lib", "build/**", "*.cjs", "src/*.js", "../dist", "docs/"])
def test_files_patterns_that_match_nothing_warn(pattern: str) -> None:
    files = {"dist/a.js": "", "src/x.ts": ""}
    (finding,) = of(run(pkg(doc(files=["dist", pattern]), files)), "manifest/files")
    assert finding.level.value == "warning"
    assert finding.properties["pointer"] == "/files/1"
    assert finding.location is not None and finding.location.line == 6


# -- manifest/install-script -----------------------------------------------------------------------------------


@pytest.mark.parametrize("hook", ["preinstall", "install", "postinstall"])
def test_install_hooks_are_reported(hook: str) -> None:
    (finding,) = of(run(pkg(doc(scripts={hook: "node setup.js", "build": "tsc"}))), "manifest/install-script")
    assert finding.properties["pointer"] == f"/scripts/{hook}"
    assert finding.snippet == "node setup.js"


@pytest.mark.parametrize("hook", ["prepare", "prepack", "postpack", "prepublishOnly", "test", "build"])
def test_publisher_side_scripts_are_fine(hook: str) -> None:
    assert of(run(pkg(doc(scripts={hook: "tsc"}))), "manifest/install-script") == []


def test_binding_gyp_is_an_implicit_install_script() -> None:
    (finding,) = of(run(pkg(doc(), {"binding.gyp": "{}"})), "manifest/install-script")
    assert finding.location is not None and finding.location.path == "binding.gyp"
    nested = run(pkg(doc(), {"deps/binding.gyp": "{}"}))
    assert of(nested, "manifest/install-script") == []


def test_install_script_fingerprint_follows_the_script() -> None:
    a = of(run(pkg(doc(scripts={"postinstall": "node a.js"}))), "manifest/install-script")[0]
    b = of(run(pkg(doc(scripts={"postinstall": "node b.js"}))), "manifest/install-script")[0]
    assert a.base_fingerprint() != b.base_fingerprint()


# -- manifest/abi ----------------------------------------------------------------------------------------------


def test_valid_ranges_without_host_pass() -> None:
    manifest = doc(engines={"node": ">=18", "orchestra": "^1.2.0"}, min_orchestra_version="0.1.0")
    assert of(run(pkg(manifest)), "manifest/abi") == []


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"engines": {"node": ">=18 <<20"}}, "/engines/node"),
        ({"engines": {"orchestra": "banana"}}, "/engines/orchestra"),
        ({"min_orchestra_version": "not a version"}, "/min_orchestra_version"),
        ({"engines": {"node": "1" * 300}}, "/engines/node"),
    ],
)
def test_invalid_ranges(fields: dict[str, Any], pointer: str) -> None:
    (finding,) = of(run(pkg(doc(**fields))), "manifest/abi")
    assert finding.properties["pointer"] == pointer
    assert "not a valid version range" in finding.message


def test_host_version_must_satisfy_host_ranges() -> None:
    manifest = doc(engines={"node": ">=99", "orchestra": "^2.0.0"}, min_orchestra_version="1.5.0")
    result = run(pkg(manifest), options=Options(now=NOW, host_version="1.4.0"))
    pointers = sorted(f.properties["pointer"] for f in of(result, "manifest/abi"))
    assert pointers == ["/engines/orchestra", "/min_orchestra_version"]  # engines.node is not the host
    ok = run(pkg(manifest), options=Options(now=NOW, host_version="2.1.0"))
    assert of(ok, "manifest/abi") == []


def test_invalid_host_version_is_noted_not_guessed() -> None:
    result = run(pkg(doc(engines={"orchestra": "^2"})), options=Options(now=NOW, host_version="latest"))
    assert of(result, "manifest/abi") == []
    assert result.facts is not None
    assert any("--host-version 'latest'" in note for note in result.facts.notes)


def test_export_pattern_work_is_bounded() -> None:
    exports = {f"./p{i}/*": f"./dist/p{i}/*.js" for i in range(250)}
    files = {f"dist/p{i}/a.js": "" for i in range(250)}
    result = run(pkg(doc(exports=exports), files))
    assert of(result, "manifest/entry-point") == []
    (limit,) = of(result, "manifest/limit")
    assert "200 pattern targets" in limit.message


def test_files_list_work_is_bounded() -> None:
    result = run(pkg(doc(files=[f"missing-{i}" for i in range(205)])))
    assert len(of(result, "manifest/files")) == 200
    assert len(of(result, "manifest/limit")) == 1


# -- manifest/bin-shadowing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "extra", "expected"),
    [
        ({"bin": {"git": "cli.js", "my-tool": "cli.js"}}, {}, ["git"]),
        ({"bin": {"Node": "cli.js", "NPX": "cli.js"}}, {}, ["node", "npx"]),  # case-insensitive file systems
        ({"bin": {"tools/sh": "cli.js"}}, {}, ["sh"]),  # npm links the last segment
        ({"name": "@evil/curl", "bin": "cli.js"}, {}, ["curl"]),  # a string bin is named after the package
        ({"directories": {"bin": "./bin"}}, {"bin/ls": "#!/bin/sh", "bin/ok": "#!/bin/sh"}, ["ls"]),
        ({"bin": {"my-tool": "cli.js"}, "directories": {"bin": "bin"}}, {"bin/ls": "x"}, []),  # bin wins
        ({"bin": {"nodemon": "cli.js", "gitx": "cli.js", "npm-check": "cli.js"}}, {}, []),  # longer names
    ],
)
def test_bins_named_after_system_commands_are_reported(
    fields: dict[str, Any], extra: dict[str, str], expected: list[str]
) -> None:
    files = pkg(doc(**fields), {"cli.js": "#!/usr/bin/env node\n", **extra})
    found = of(run(files), "manifest/bin-shadowing")
    assert sorted(f.evidence.removeprefix("bin:") for f in found if f.evidence) == expected


def test_shadowed_commands_come_from_the_policy() -> None:
    from extgate.policy import Policy

    policy = Policy.from_mapping({"manifest": {"shadowed_commands": ["my-tool"]}})
    files = pkg(doc(bin={"my-tool": "cli.js", "git": "cli.js"}), {"cli.js": "x"})
    found = of(run(files, policy=policy), "manifest/bin-shadowing")
    assert [f.evidence for f in found] == ["bin:my-tool"]
