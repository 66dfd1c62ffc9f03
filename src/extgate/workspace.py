"""Find the extension packages of a monorepo (`extgate check --each-package ROOT`).

A folder is a package when it holds a swamp `manifest.yaml`/`manifest.yml`, a `package.json` with a `cinatra`
block, or when the root's workspaces name it (npm/yarn `workspaces`, `pnpm-workspace.yaml` `packages`). The root
itself is a package by the same tests; a plain `package.json` root without workspaces counts only when nothing
else was found (a single-package repository). A workspace root is never gated as one big npm package.

Bounded and read-only: dependency folders (`node_modules`), VCS and hidden folders are not entered, the walk stops
after `MAX_DIRS` folders, manifests over `MAX_MANIFEST_BYTES` are not parsed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from extgate import safeyaml
from extgate.jsondoc import MAX_MANIFEST_BYTES, json_file

MAX_DIRS = 20_000
_SKIP = frozenset({"node_modules", "bower_components", "jspm_packages", "__pycache__", "vendor"})
_SWAMP = ("manifest.yaml", "manifest.yml")


class WorkspaceError(Exception):
    """The root cannot be searched (not a folder, or too large a tree)."""


def _is_extension(folder: Path) -> bool:
    if any((folder / name).is_file() for name in _SWAMP):
        return True
    doc = json_file(folder / "package.json")
    return isinstance(doc, dict) and isinstance(doc.get("cinatra"), dict)


def workspace_patterns(root: Path) -> list[str]:
    """Workspace globs the root declares (package.json `workspaces`, pnpm-workspace.yaml `packages`)."""
    patterns: list[str] = []
    doc = json_file(root / "package.json")
    if isinstance(doc, dict):
        spaces = doc.get("workspaces")
        if isinstance(spaces, dict):  # yarn classic: {"packages": [...], "nohoist": [...]}
            spaces = spaces.get("packages")
        if isinstance(spaces, list):
            patterns += [p for p in spaces if isinstance(p, str)]
    pnpm = root / "pnpm-workspace.yaml"
    if pnpm.is_file() and pnpm.stat().st_size <= MAX_MANIFEST_BYTES:
        try:
            data = safeyaml.load(pnpm.read_text(encoding="utf-8"), "pnpm-workspace.yaml")
        except (OSError, ValueError, yaml.YAMLError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("packages"), list):
            patterns += [p for p in data["packages"] if isinstance(p, str)]
    return patterns


def _members(root: Path, patterns: Iterable[str]) -> set[Path]:
    included: set[Path] = set()
    excluded: set[Path] = set()
    for raw in patterns:
        negated = raw.startswith("!")
        pattern = raw[1:] if negated else raw
        pattern = pattern.strip().rstrip("/").removeprefix("./")
        if not pattern or pattern.startswith("/") or ".." in Path(pattern).parts:
            continue  # outside the root: not ours to gate
        for match in root.glob(pattern):
            # any package.json counts, a FIFO or a link too: the gate then reports it, nothing is silently skipped
            if match.is_dir() and "node_modules" not in match.parts and os.path.lexists(match / "package.json"):
                (excluded if negated else included).add(match.resolve())
    return included - excluded


def _walk(root: Path) -> Iterator[Path]:
    for seen, (current, dirs, _files) in enumerate(os.walk(root), start=1):
        if seen > MAX_DIRS:
            raise WorkspaceError(f"{root}: more than {MAX_DIRS} folders to search; point --each-package lower")
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith("."))
        yield Path(current)


def find_packages(root: Path) -> list[Path]:
    """The package folders under `root` (resolved, sorted by path)."""
    if not root.is_dir():
        raise WorkspaceError(f"--each-package needs a folder: {root}")
    root = root.resolve()
    found = {folder.resolve() for folder in _walk(root) if _is_extension(folder)}
    patterns = workspace_patterns(root)
    found |= _members(root, patterns)
    if not found and not patterns and (root / "package.json").is_file():
        found.add(root)  # a single-package repository
    return sorted(found, key=lambda p: (len(p.relative_to(root).parts), str(p)))


def owning_packages(packages: Iterable[Path], files: Iterable[str]) -> list[Path]:
    """The packages that hold at least one of `files` (innermost package per file), in `packages` order."""
    ordered = list(packages)
    hit: set[Path] = set()
    for name in files:
        path = Path(os.path.realpath(name))
        owners = [p for p in ordered if path == p or p in path.parents]
        if owners:
            hit.add(max(owners, key=lambda p: len(p.parts)))
    return [p for p in ordered if p in hit]
