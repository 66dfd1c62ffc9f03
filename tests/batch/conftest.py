"""Small archives for batch tests, written once per module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.archives import npm_tgz


def package_json(name: str, version: str, deps: dict[str, str] | None = None) -> str:
    doc = {"name": name, "version": version, "description": "batch test", "license": "MIT", "main": "index.js"}
    return json.dumps({**doc, "dependencies": deps or {}})


def write_archive(
    folder: Path,
    name: str,
    *,
    code: str = "module.exports = 1;\n",
    deps: dict[str, str] | None = None,
    version: str = "1.0.0",
) -> Path:
    path = folder / f"{name}-{version}.tgz"
    path.write_bytes(
        npm_tgz({"package.json": package_json(name, version, deps), "index.js": code, "README.md": "# x\n"})
    )
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """clean (passes), evil (eval: blocked), lodash-user (lodash 4.17.15: 3 advisories), junk (not an archive)."""
    folder = tmp_path_factory.mktemp("corpus")
    write_archive(folder, "clean")
    write_archive(folder, "evil", code="eval(process.env.PAYLOAD);\n")
    write_archive(folder, "lodash-user", deps={"lodash": "4.17.15"}, code="module.exports = require('lodash');\n")
    (folder / "nested").mkdir()
    (folder / "nested" / "junk-1.0.0.tgz").write_bytes(b"not a tarball")
    (folder / "README.txt").write_text("not an archive: not scanned\n")
    return folder


@pytest.fixture(scope="module")
def osv_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's OSV fixture records (tests/fixtures/osv/npm)."""
    return Path(__file__).parents[1] / "fixtures" / "osv" / "npm"
