"""Real npm is the oracle for extgate's tree resolution, fully offline.

A Verdaccio on 127.0.0.1 without uplinks holds small synthetic packages built to exercise what npm's resolver
does: peer dependencies reused from the tree or placed beside their dependent, optional peers left out,
hoisting and dedupe, nested copies on conflicts, failed optional dependencies dropped, `os`/`cpu` packages kept
(npm keeps every platform in lockfiles), `engines` steering the version pick, dist-tags, scoped packages, and
a partial lockfile npm completes. For each project `npm install --package-lock-only --ignore-scripts` writes
a lockfile (npm runs no package code with these flags) and extgate's resolve_tree must place the same version
at the same path for every node.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from extgate.trust.tree import LockEntry
from support.npm_oracle import diff_trees, npm_tree, resolve_online
from support.verdaccio import Verdaccio

pytestmark = pytest.mark.verdaccio


def pkg(v: Verdaccio, name: str, version: str, tag: str = "latest", **fields: Any) -> None:
    v.put_package({"name": name, "version": version, "license": "MIT", **fields}, {"index.js": ""}, tag=tag)


@pytest.fixture(scope="module")
def registry(verdaccio: Verdaccio) -> Verdaccio:
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        pkg(verdaccio, "orx-util", version)
    pkg(verdaccio, "orx-a", "1.0.0", dependencies={"orx-util": "^1.0.0"})
    pkg(verdaccio, "orx-b", "1.0.0", dependencies={"orx-util": "^1.1.0", "orx-leaf": "^1.0.0"})
    pkg(verdaccio, "orx-c", "1.0.0", dependencies={"orx-util": "^2.0.0", "orx-leaf": "~1.0.0"})
    for version in ("1.0.0", "1.0.5", "1.2.0"):
        pkg(verdaccio, "orx-leaf", version)
    for version in ("1.0.0", "1.4.0", "2.0.0"):
        pkg(verdaccio, "orx-host", version)
    pkg(verdaccio, "orx-plugin", "1.0.0", peerDependencies={"orx-host": "^1.0.0"}, dependencies={"orx-leaf": "^1"})
    pkg(
        verdaccio,
        "orx-po",
        "1.0.0",
        peerDependencies={"orx-host": ">=1.0.0", "orx-util": "^1.0.0", "orx-eng": "^1.0.0"},
        peerDependenciesMeta={"orx-host": {"optional": True}, "orx-eng": {"optional": True}},
    )
    pkg(verdaccio, "orx-native-win", "1.0.0", os=["win32"], cpu=["x64"])
    pkg(
        verdaccio,
        "orx-opt",
        "1.0.0",
        optionalDependencies={"orx-native-win": "^1.0.0", "orx-never-published": "^1.0.0"},
    )
    pkg(verdaccio, "orx-eng", "1.0.0")
    pkg(verdaccio, "orx-eng", "1.1.0", engines={"node": ">=99"})  # latest, but not for this node
    pkg(verdaccio, "orx-tagged", "1.0.0")
    pkg(verdaccio, "orx-tagged", "2.0.0-rc.1", tag="next", dependencies={"orx-util": "1.0.0"})
    pkg(verdaccio, "@orx/scoped", "0.3.0", dependencies={"orx-c": "^1.0.0", "orx-host": ">=1.0.0"})
    pkg(verdaccio, "orx-deep", "1.0.0", dependencies={"orx-b": "^1.0.0", "orx-util": "2.0.0"})
    return verdaccio


PROJECTS: dict[str, dict[str, dict[str, Any]]] = {
    # hoisting, dedupe (orx-util ^1 / ^1.1 share 1.1.0), a nested copy on conflict (orx-c's ^2), peers
    "mixed": {
        "dependencies": {
            "orx-a": "^1.0.0",
            "orx-b": "^1.0.0",
            "orx-c": "^1.0.0",
            "orx-plugin": "^1.0.0",
            "orx-host": "^1.0.0",
            "orx-po": "^1.0.0",
            "orx-opt": "^1.0.0",
            "orx-eng": "^1.0.0",
            "orx-tagged": "next",
            "@orx/scoped": "^0.3.0",
            "orx-deep": "^1.0.0",
        }
    },
    # a peer nobody else asks for is installed beside its dependent at the range's best version
    "peer-only": {"dependencies": {"orx-plugin": "^1.0.0", "orx-po": "^1.0.0"}},
    # the root's own exact pin wins the top level; ranges elsewhere nest
    "pinned-root": {"dependencies": {"orx-util": "2.0.0", "orx-a": "^1.0.0", "orx-deep": "^1.0.0"}},
}


@pytest.fixture(scope="module")
def npm_trees(registry: Verdaccio, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    root = tmp_path_factory.mktemp("oracle")
    return {name: npm_tree(registry, root / name, manifest) for name, manifest in PROJECTS.items()}


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_tree_matches_npm(registry: Verdaccio, npm_trees: dict[str, dict[str, str]], project: str) -> None:
    manifest = PROJECTS[project]
    expected = npm_trees[project]
    resolution, _ = resolve_online(registry.url, manifest)
    ours = {node.path: node.version for node in resolution.nodes}
    assert diff_trees(expected, ours) == []
    assert len(expected) > 1


def test_the_cases_are_really_exercised(npm_trees: dict[str, dict[str, str]]) -> None:
    """Guards the oracle test against passing vacuously: npm's tree has the shapes the packages aim at."""
    tree = npm_trees["mixed"]
    assert tree["node_modules/orx-util"] == "1.1.0"  # deduped for ^1.0.0 and ^1.1.0
    assert tree["node_modules/orx-c/node_modules/orx-util"] == "2.0.0"  # conflict: nested
    assert tree["node_modules/orx-host"] == "1.4.0"  # the root's own and the plugin's peer agree
    assert tree["node_modules/orx-eng"] == "1.0.0"  # latest 1.1.0 needs node >= 99
    assert "node_modules/orx-native-win" in tree  # another platform's optional binary stays in the lockfile
    assert not any("orx-never-published" in path for path in tree)  # failed optional dropped
    peer_only = npm_trees["peer-only"]
    assert peer_only["node_modules/orx-host"] == "1.4.0" and "node_modules/orx-util" in peer_only
    assert "node_modules/orx-eng" not in peer_only  # an optional peer nobody else needs is not installed


def test_partial_lockfile_is_completed_as_npm_completes_it(registry: Verdaccio, tmp_path: Path) -> None:
    full_dir = tmp_path / "full"
    npm_tree(registry, full_dir, PROJECTS["mixed"])
    lock = json.loads((full_dir / "package-lock.json").read_text())
    dropped = {"node_modules/orx-util", "node_modules/orx-leaf", "node_modules/orx-c/node_modules/orx-util"}
    partial = {k: v for k, v in lock["packages"].items() if k not in dropped}
    project = tmp_path / "partial"
    project.mkdir()
    (project / "package-lock.json").write_text(json.dumps({**lock, "packages": partial}))
    expected = npm_tree(registry, project, PROJECTS["mixed"])
    entries = [
        LockEntry(path, str(entry.get("name") or path.rsplit("node_modules/", 1)[1]), entry["version"], entry)
        for path, entry in partial.items()
        if path
    ]
    resolution, _ = resolve_online(registry.url, PROJECTS["mixed"], lock=entries)
    assert diff_trees(expected, {n.path: n.version for n in resolution.nodes}) == []
    gaps = {(chain, name) for chain, name, _ in resolution.lock_gaps}
    assert (("orx-a",), "orx-util") in gaps and (("orx-b",), "orx-leaf") in gaps
