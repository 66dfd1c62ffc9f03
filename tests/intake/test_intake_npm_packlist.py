"""What `npm pack` publishes from a directory: expected sets from npm's documented rules, and the real npm CLI as
an oracle (`npm pack --dry-run --json`, offline, scripts ignored) on the same trees."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from extgate.intake.npm_packlist import packlist
from extgate.model import EntryKind

TREES: dict[str, tuple[dict[str, Any], list[str]]] = {
    # no `files`: everything except npm's always-excluded names, lockfiles, node_modules and .gitignore'd paths
    "defaults": (
        {
            "package.json": {"name": "a", "version": "1.0.0", "main": "lib/index.js"},
            "lib/index.js": "x",
            "README.md": "r",
            "LICENSE": "l",
            "CHANGELOG.md": "c",
            ".npmrc": "//registry.npmjs.org/:_authToken=secret",
            "sub/.npmrc": "x",
            "package-lock.json": "{}",
            "yarn.lock": "",
            "test/a.test.js": "t",
            ".DS_Store": "x",
            "a.orig": "x",
            ".foo.swp": "x",
            "node_modules/x/index.js": "x",
            "sub/ok.js": "x",
            "build/config.gypi": "x",
            ".gitignore": "dist\n",
            "dist/out.js": "x",
            ".git/config": "x",
        },
        ["CHANGELOG.md", "LICENSE", "README.md", "lib/index.js", "package.json", "sub/ok.js", "test/a.test.js"],
    ),
    # `files` allowlist: directories, globs, negation; README/LICENSE/COPYING always; root .npmignore ignored,
    # nested .npmignore honoured; `main` written as ./index.js is not matched (npm's own quirk)
    "files": (
        {
            "package.json": {
                "name": "a",
                "version": "1.0.0",
                "main": "./index.js",
                "files": ["lib", "types/*.d.ts", "./bin/cli", "!lib/secret.js"],
                "bin": {"a": "./bin/cli"},
            },
            "index.js": "x",
            "lib/a.js": "x",
            "lib/.DS_Store": "x",
            "lib/secret.js": "x",
            "lib/deep/b.js": "x",
            "lib/.npmignore": "deep/b.js\n",
            "types/a.d.ts": "x",
            "types/b.ts": "x",
            "bin/cli": "x",
            "other.js": "x",
            "README": "r",
            "licence.txt": "l",
            "readme.md~": "x",
            "Copying": "c",
            ".npmignore": "lib\n",
        },
        ["Copying", "README", "bin/cli", "lib/a.js", "licence.txt", "package.json", "types/a.d.ts"],
    ),
    # .npmignore wins over .gitignore; gitignore syntax with anchors, dir rules and re-includes
    "npmignore": (
        {
            "package.json": {"name": "a", "version": "1.0.0"},
            ".npmignore": "# comment\n*.log\n/docs\ntest/\n!test/keep.js\n**/fixtures/**\n",
            ".gitignore": "src\n",
            "src/a.js": "x",
            "docs/x.md": "x",
            "a/docs/y.md": "y",
            "x.log": "l",
            "test/a.js": "t",
            "test/keep.js": "k",
            "z/fixtures/a.json": "{}",
            "z/keep.json": "{}",
            "CVS/x": "x",
            ".hg/x": "x",
        },
        ["a/docs/y.md", "package.json", "src/a.js", "test/a.js", "test/keep.js", "z/keep.json"],
    ),
    "nested-ignores": (
        {
            "package.json": {"name": "a", "version": "1.0.0", "files": ["dist/"]},
            "dist/a.js": "x",
            "dist/.npmignore": "*.map\n",
            "dist/a.js.map": "m",
            "dist/.gitignore": "y.js\n",
            "dist/sub/.gitignore": "tmp\n",
            "dist/sub/tmp/x.js": "x",
            "dist/sub/y.js": "y",
        },
        ["dist/a.js", "dist/sub/y.js", "package.json"],
    ),
    # bundled dependencies: walked with their own package.json rules; dev dependencies never bundled
    "bundled": (
        {
            "package.json": {
                "name": "a",
                "version": "1.0.0",
                "dependencies": {"dep": "1.0.0", "other": "1.0.0"},
                "devDependencies": {"devdep": "1.0.0"},
                "bundleDependencies": ["dep", "devdep"],
            },
            "index.js": "x",
            "node_modules/dep/package.json": {
                "name": "dep",
                "version": "1.0.0",
                "files": ["lib"],
                "dependencies": {"sub": "1"},
            },
            "node_modules/dep/lib/a.js": "x",
            "node_modules/dep/test/t.js": "t",
            "node_modules/sub/package.json": {"name": "sub", "version": "1.0.0"},
            "node_modules/sub/index.js": "x",
            "node_modules/other/index.js": "x",
            "node_modules/devdep/package.json": {"name": "devdep", "version": "1.0.0"},
        },
        [
            "index.js",
            "node_modules/dep/lib/a.js",
            "node_modules/dep/package.json",
            "node_modules/sub/index.js",
            "node_modules/sub/package.json",
            "package.json",
        ],
    ),
}


def build(root: Path, spec: Mapping[str, Any]) -> Path:
    for rel, content in spec.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return root


def ours(root: Path) -> list[str]:
    walk = packlist(str(root), max_entries=100_000, json_limit=1_000_000)
    return sorted(p for p, kind in walk.found.items() if kind is EntryKind.FILE)


@pytest.mark.parametrize("name", sorted(TREES))
def test_publish_set_follows_npm_rules(name: str, tmp_path: Path) -> None:
    spec, expected = TREES[name]
    assert ours(build(tmp_path / "pkg", spec)) == expected


@pytest.mark.parametrize("name", sorted(TREES))
def test_publish_set_equals_real_npm_pack(name: str, tmp_path: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm not on PATH: the npm-pack oracle comparison is SKIPPED")
    root = build(tmp_path / "pkg", TREES[name][0])
    env = {
        **os.environ,
        "npm_config_cache": str(tmp_path / "npm-cache"),
        "npm_config_update_notifier": "false",
        "npm_config_audit": "false",
        "npm_config_fund": "false",
    }
    result = subprocess.run(
        [npm, "pack", "--dry-run", "--json", "--ignore-scripts", "--offline"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    npm_files = sorted(f["path"] for f in json.loads(result.stdout)[0]["files"])
    assert ours(root) == npm_files


def test_symlinks_and_fifos_are_listed_as_such_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    root = build(tmp_path / "pkg", {"package.json": {"name": "a", "version": "1.0.0"}, "index.js": "x"})
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "config.json").symlink_to(outside / "secret.txt")
    os.mkfifo(root / "pipe")
    found = packlist(str(root), max_entries=1000, json_limit=10_000).found
    assert found["linked"] is EntryKind.SYMLINK
    assert found["config.json"] is EntryKind.SYMLINK
    assert found["pipe"] is EntryKind.FIFO
    assert not any(p.startswith("linked/") for p in found)


def test_walk_is_bounded(tmp_path: Path) -> None:
    root = build(tmp_path / "pkg", {"package.json": {"name": "a", "version": "1.0.0"}})
    for i in range(60):
        (root / f"f{i}.js").write_text("x")
    walk = packlist(str(root), max_entries=20, json_limit=10_000)
    assert walk.stopped and [i.rule_id for i in walk.issues] == ["archive/too-many-files"]


def test_unreadable_package_json_still_applies_npm_defaults(tmp_path: Path) -> None:
    root = build(
        tmp_path / "pkg", {"package.json": "{not json", "a.js": "x", ".npmrc": "t", "node_modules/x/y.js": "z"}
    )
    assert ours(root) == ["a.js", "package.json"]
