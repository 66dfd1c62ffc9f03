"""A directory as the Package that would be published: npm rules, swamp manifest, all files; links never followed,
FIFOs never opened, caps applied while reading."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from extgate.intake import IntakeLimits, open_source
from extgate.model import EntryKind

FIXTURE = Path(__file__).parent.parent / "fixtures" / "intake" / "swamp-ext"
LIMITS = IntakeLimits()


def npm_tree(root: Path) -> Path:
    root.mkdir()
    (root / "package.json").write_text(json.dumps({"name": "a", "version": "1.0.0", "files": ["lib"]}))
    (root / "lib").mkdir()
    (root / "lib" / "index.js").write_text("module.exports = 1;\n")
    (root / "README.md").write_text("# a\n")
    (root / "scratch.js").write_text("not published\n")
    (root / ".env").write_text("TOKEN=1\n")
    return root


def test_npm_directory_reads_only_the_publish_set(tmp_path: Path) -> None:
    root = npm_tree(tmp_path / "pkg")
    package = open_source(root, limits=LIMITS)
    assert package.format == "dir" and package.root == str(root.resolve())
    assert [e.path for e in package.entries] == ["README.md", "lib/index.js", "package.json"]
    assert package.read("lib/index.js") == b"module.exports = 1;\n"
    assert package.sha256 == "" and package.issues == ()
    assert all(e.publish_path is None for e in package.entries)


def test_all_files_reads_the_whole_tree_but_not_vcs_or_node_modules(tmp_path: Path) -> None:
    root = npm_tree(tmp_path / "pkg")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref\n")
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "node_modules" / "x" / "i.js").write_text("x\n")
    package = open_source(root, limits=LIMITS, all_files=True)
    assert [e.path for e in package.entries] == [".env", "README.md", "lib/index.js", "package.json", "scratch.js"]


def test_swamp_directory_maps_files_to_archive_paths(tmp_path: Path) -> None:
    root = Path(shutil.copytree(FIXTURE, tmp_path / "ext"))
    package = open_source(root, limits=LIMITS)
    by_path = {e.path: e.publish_path for e in package.entries}
    assert by_path["extensions/models/deploy.ts"] == "models/deploy.ts"
    assert by_path[".claude/skills/my-skill/SKILL.md"] == "skills/my-skill/SKILL.md"
    assert "notes.txt" not in by_path and "extensions/models/other.ts" not in by_path
    deploy = package.get("extensions/models/deploy.ts")
    assert deploy is not None and deploy.data == (root / "extensions/models/deploy.ts").read_bytes()


def test_symlinks_are_reported_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    root = npm_tree(tmp_path / "pkg")
    (root / "lib" / "config.json").symlink_to(secret)
    package = open_source(root, limits=LIMITS)
    link = next(e for e in package.entries if e.path == "lib/config.json")
    assert link.kind is EntryKind.SYMLINK and link.link_target == str(secret) and link.data is None
    assert all(b"TOP SECRET" not in (e.data or b"") for e in package.entries)


def test_fifo_is_listed_not_opened(tmp_path: Path) -> None:
    root = npm_tree(tmp_path / "pkg")
    os.mkfifo(root / "lib" / "pipe")  # opening it for reading would block forever
    package = open_source(root, limits=LIMITS)
    pipe = next(e for e in package.entries if e.path == "lib/pipe")
    assert pipe.kind is EntryKind.FIFO and pipe.data is None


def test_caps_apply_to_directories(tmp_path: Path) -> None:
    root = npm_tree(tmp_path / "pkg")
    (root / "lib" / "big.js").write_bytes(b"x" * 5000)
    package = open_source(root, limits=IntakeLimits(max_file_bytes=1000))
    big = package.get("lib/big.js")
    assert big is not None and big.truncated and big.size == 1000 and big.declared_size == 5000
    assert [i.rule_id for i in package.issues] == ["archive/file-too-large"]
    for i in range(10):
        (root / "lib" / f"m{i}.js").write_text("x")
    few = open_source(root, limits=IntakeLimits(max_files=4))
    assert [i.rule_id for i in few.issues] == ["archive/too-many-files"] and len(few.entries) == 4


def test_directory_without_manifest_is_read_whole(tmp_path: Path) -> None:
    (tmp_path / "a.ts").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("y")
    assert [e.path for e in open_source(tmp_path, limits=LIMITS).entries] == ["a.ts", "sub/b.md"]


@pytest.mark.parametrize("as_string", [True, False])
def test_directory_is_accepted_as_str_or_path(tmp_path: Path, as_string: bool) -> None:
    root = npm_tree(tmp_path / "pkg")
    package = open_source(str(root) if as_string else root, limits=LIMITS)
    assert package.format == "dir" and len(package.entries) == 3
