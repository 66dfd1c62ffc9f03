"""Run npm's own tar reader (node-tar, bundled with npm) on local files, for differential tests against extgate.

`tar_dir()` finds the copy npm ships (from `npm root -g`, else from where the `npm` executable really lives);
tests skip loudly when node or that copy is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).with_name("node_tar_list.js")


@cache
def tar_dir() -> Path | None:
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        return None
    candidates = []
    try:
        root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, timeout=60, check=True)
        candidates.append(Path(root.stdout.strip()) / "npm" / "node_modules" / "tar")
    except (OSError, subprocess.SubprocessError):
        pass
    real = Path(npm).resolve()  # .../npm/bin/npm-cli.js
    candidates += [parent / "node_modules" / "tar" for parent in real.parents if parent.name == "npm"]
    for candidate in candidates:
        if (candidate / "package.json").is_file():
            return candidate
    return None


def require_node_tar() -> Path:
    found = tar_dir()
    if found is None:
        pytest.skip("node and npm's bundled node-tar are required for the npm differential test (not found)")
    return found


@dataclass(frozen=True)
class NodeView:
    """What node-tar read: entries (path, type, size, sha256, linkpath), ignored entries, warnings, error."""

    entries: list[dict[str, Any]]
    ignored: list[dict[str, Any]]
    warnings: list[str]
    error: str | None

    def files(self) -> dict[str, str]:
        """Regular files npm would extract: path -> sha256 (the last one wins, as on disk)."""
        kinds = ("File", "OldFile", "ContiguousFile")
        return {e["path"]: e["sha256"] for e in self.entries if e["type"] in kinds}


def node_list(archives: list[bytes], tmp: Path) -> list[NodeView]:
    """node-tar's reading of each archive (one node process for all of them)."""
    paths = []
    for index, data in enumerate(archives):
        paths.append(tmp / f"upload-{index}.tgz")
        paths[-1].write_bytes(data)
    done = subprocess.run(
        ["node", str(SCRIPT), "list", str(require_node_tar()), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    views = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(views) == len(archives), done.stderr
    return [NodeView(v["entries"], v["ignored"], v["warnings"], v["error"]) for v in views]


def node_pack(directories: list[Path], tmp: Path) -> list[bytes]:
    """A .tgz of each directory under package/, written by node-tar the way `npm pack` writes it."""
    outs = [tmp / f"packed-{index}.tgz" for index in range(len(directories))]
    pairs = [str(item) for pair in zip(directories, outs, strict=True) for item in pair]
    subprocess.run(
        ["node", str(SCRIPT), "pack", str(require_node_tar()), *pairs], capture_output=True, timeout=300, check=True
    )
    return [out.read_bytes() for out in outs]
