"""Fuzz target: directory publish-set selection (package.json `files`, .npmignore, bundled deps) on a temp tree."""

from __future__ import annotations

from pathlib import Path

from _harness import instrumented, main, temp_root

with instrumented(__name__):
    import _targets

SEEDS = [
    _targets.MANIFEST + b"\0index.js\0module.exports = 1\0.npmignore\0*.log\ntest/\0test/a.js\0x\0a.log\0y",
    b'{"name": "x", "files": ["lib", "!lib/secret.js"], "bin": {"x": "lib/cli.js"}}\0lib/cli.js\0#!/usr/bin/env node\0'
    b"lib/secret.js\0s\0README\0r",
]


def one_input(data: bytes) -> None:
    _targets.directory(data, Path(temp_root()))


if __name__ == "__main__":
    main(one_input, SEEDS)
