"""Fuzz target: directory publish-set selection (package.json `files`, .npmignore, bundled deps, swamp
manifest.yaml) on a temp tree."""

from __future__ import annotations

from pathlib import Path

from _harness import fixture_trees, instrumented, main, temp_root

# The glob matcher has its own harness (fuzz_glob.py): instrumented here it was ~40% of each execution, most of it
# re-matching npm's default rules, and its branches are covered better by feeding it patterns directly.
with instrumented(__name__, "extgate.intake", "extgate.model", "extgate.safeyaml", without=["extgate.intake.glob"]):
    import _targets

MAX_LEN = 8192
SEEDS = [
    _targets.MANIFEST + b"\0index.js\0module.exports = 1\0.npmignore\0*.log\ntest/\0test/a.js\0x\0a.log\0y",
    b'{"name": "x", "files": ["lib", "!lib/secret.js"], "bin": {"x": "lib/cli.js"}}\0lib/cli.js\0#!/usr/bin/env node\0'
    b"lib/secret.js\0s\0README\0r",
]
FIXTURES = [
    _targets.tree_blob(tree)
    for tree in fixture_trees("intake/swamp-ext", "manifest/cinatra-real/*", "scoring/*", "manifest/swamp/*")
]
DICTIONARY = [
    b"package.json",
    b".npmignore",
    b".gitignore",
    b"manifest.yaml",
    b"node_modules/",
    b"bundleDependencies",
    b'"files"',
    b'"bin"',
    b'"main"',
    b"!",
    b"**/",
    b"extensions/models/",
    b"README.md",
    b"LICENSE",
]


def one_input(data: bytes) -> None:
    _targets.directory(data, Path(temp_root()))


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
