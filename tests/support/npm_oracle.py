"""npm as the oracle for extgate's tree resolution: the same project resolved by both, compared node by node.

npm_tree(verdaccio, project_dir, manifest)   -> {path: version} from `npm install --package-lock-only
                                                --ignore-scripts` (npm writes a lockfile, runs nothing)
extgate_tree(registry_url, manifest, ...)    -> {path: version} from extgate.trust.tree.resolve_tree, the
                                                packuments fetched from the same registry
diff_trees(a, b)                             -> human-readable differences ([] when they agree)
"""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from extgate.registry.client import RegistryUnavailable, fetch_packument
from extgate.trust.tree import Doc, Platform, Resolution, resolve_tree

DEP_TABLES = ("dependencies", "optionalDependencies", "peerDependencies", "peerDependenciesMeta")


def node_version() -> str:
    out = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True, timeout=30)
    return out.stdout.strip().lstrip("v")


def npm_tree(verdaccio: Any, project: Path, manifest: Mapping[str, Any]) -> dict[str, str]:
    project.mkdir(parents=True, exist_ok=True)
    (project / "package.json").write_text(json.dumps({"name": "oracle-root", "version": "1.0.0", **manifest}))
    verdaccio.npm("install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund", cwd=project)
    lock = json.loads((project / "package-lock.json").read_text())
    return {
        path: str(entry.get("version"))
        for path, entry in lock["packages"].items()
        if path and not entry.get("dev") and not entry.get("link")
    }


def resolve_online(
    registry: str, manifest: Mapping[str, Any], *, platform: Platform | None = None, limit: int = 5000, **kw: Any
) -> tuple[Resolution, int]:
    """Resolve with packuments fetched (in parallel) from `registry`; returns the resolution and the rounds."""
    docs: dict[str, Doc] = {}
    memo: dict[tuple[str, str, str], Any] = {}
    root = {k: v for k, v in manifest.items() if k in DEP_TABLES}
    rounds = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        while True:
            rounds += 1
            result = resolve_tree(
                root, docs, platform=platform or Platform(node_version()), limit=limit, memo=memo, **kw
            )
            if not result.missing:
                return result, rounds

            def one(name: str) -> Doc:
                try:
                    return fetch_packument(registry, name, timeout=60)
                except RegistryUnavailable as exc:
                    return str(exc)

            names = sorted(result.missing)
            for name, doc in zip(names, pool.map(one, names), strict=True):
                docs[name] = doc


def extgate_tree(registry: str, manifest: Mapping[str, Any], **kw: Any) -> dict[str, str]:
    result, _ = resolve_online(registry, manifest, **kw)
    return {node.path: node.version for node in result.nodes}


def diff_trees(npm: Mapping[str, str], ours: Mapping[str, str]) -> list[str]:
    out = []
    for path in sorted(set(npm) | set(ours)):
        if npm.get(path) != ours.get(path):
            out.append(f"{path}: npm {npm.get(path)} extgate {ours.get(path)}")
    return out
