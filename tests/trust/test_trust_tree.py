"""extgate.trust.tree.resolve_tree as a pure function: no server, packuments given as data."""

from __future__ import annotations

from typing import Any

from extgate.trust.tree import LockEntry, Platform, resolve_tree
from support.osv_server import packument

DOCS: dict[str, Any] = {
    "a": packument("a", {"1.0.0": {"dependencies": {"b": "^1.0.0"}}}),
    "b": packument("b", {"1.0.0": {"dependencies": {"a": "^1.0.0"}}}),  # a cycle
    "util": packument("util", ["1.0.0", "1.2.0", "2.0.0"]),
    "eng": packument("eng", {"1.0.0": {}, "2.0.0": {"engines": {"node": ">=30"}}}),
    "bundler": packument("bundler", {"1.0.0": {"dependencies": {"inside": "^1"}, "bundleDependencies": ["inside"]}}),
    "po": packument(
        "po", {"1.0.0": {"peerDependencies": {"util": "^2"}, "peerDependenciesMeta": {"util": {"optional": True}}}}
    ),
}


def paths(result: Any) -> dict[str, str]:
    return {n.path: n.version for n in result.nodes}


def test_missing_packuments_are_asked_for_and_nothing_is_guessed() -> None:
    first = resolve_tree({"dependencies": {"a": "^1.0.0", "util": "^1.0.0"}}, {})
    assert first.missing == {"a", "util"} and first.nodes == ()
    second = resolve_tree({"dependencies": {"a": "^1.0.0", "util": "^1.0.0"}}, {k: DOCS[k] for k in ("a", "util")})
    assert "b" in second.missing


def test_cycles_terminate_and_the_result_is_deterministic() -> None:
    root = {"dependencies": {"a": "^1.0.0"}}
    once, again = resolve_tree(root, DOCS), resolve_tree(root, DOCS)
    assert paths(once) == {"node_modules/a": "1.0.0", "node_modules/b": "1.0.0"} and once == again
    b = next(n for n in once.nodes if n.name == "b")
    assert b.chain == ("a",) and b.spec == "^1.0.0"


def test_engines_steer_the_pick_and_the_node_version_is_a_parameter() -> None:
    root = {"dependencies": {"eng": "*"}}
    assert paths(resolve_tree(root, DOCS, platform=Platform("20.0.0"))) == {"node_modules/eng": "1.0.0"}
    assert paths(resolve_tree(root, DOCS, platform=Platform("30.1.0"))) == {"node_modules/eng": "2.0.0"}


def test_unavailable_packument_keeps_an_exact_pin_auditable() -> None:
    result = resolve_tree({"dependencies": {"util": "1.2.0", "a": "^1"}}, {"util": "offline", "a": "offline"})
    assert paths(result) == {"node_modules/util": "1.2.0"}
    assert {(p.kind, p.name) for p in result.problems} == {("unavailable", "util"), ("unavailable", "a")}
    assert next(n for n in result.nodes if n.name == "util").source == "pinned"


def test_bundled_and_optional_peers_are_not_resolved() -> None:
    result = resolve_tree({"dependencies": {"bundler": "^1", "po": "^1"}}, DOCS)
    assert paths(result) == {"node_modules/bundler": "1.0.0", "node_modules/po": "1.0.0"}
    assert result.problems == ()


def test_non_registry_lock_entries_are_kept_not_re_resolved() -> None:
    lock = [
        LockEntry("node_modules/a", "a", "github:someone/a#abc", None),
        LockEntry("node_modules/util", "util", "1.0.0", {}),
    ]
    result = resolve_tree({"dependencies": {"a": "github:someone/a", "util": "^1.0.0"}}, DOCS, lock=lock)
    by_path = {n.path: (n.version, n.source) for n in result.nodes}
    assert by_path == {
        "node_modules/a": ("github:someone/a#abc", "non-registry"),
        "node_modules/util": ("1.0.0", "lockfile"),
    }
    assert result.lock_gaps == () and result.missing == frozenset()


def test_the_node_limit_stops_the_walk_visibly() -> None:
    docs = {f"p{i}": packument(f"p{i}", {"1.0.0": {"dependencies": {f"p{i + 1}": "1.0.0"}}}) for i in range(50)}
    docs["p50"] = packument("p50", ["1.0.0"])
    result = resolve_tree({"dependencies": {"p0": "1.0.0"}}, docs, limit=10)
    assert result.too_many and len(result.nodes) <= 11


def test_hostile_peer_chains_and_deep_nesting_are_bounded() -> None:
    peers = {f"q{i}": packument(f"q{i}", {"1.0.0": {"peerDependencies": {f"q{i + 1}": "1.0.0"}}}) for i in range(400)}
    peers["q400"] = packument("q400", ["1.0.0"])
    result = resolve_tree({"dependencies": {"q0": "1.0.0"}}, peers, limit=5000)
    assert any("nest more than" in p.reason for p in result.problems)
    # every level conflicts with the one above (x@1 needs y@2 needs x@2 ...): npm nests, and so does extgate
    nest = {
        "x": packument("x", {f"{i}.0.0": {"dependencies": {"y": f"{i + 1}.0.0"}} for i in range(1, 1200)}),
        "y": packument("y", {f"{i}.0.0": {"dependencies": {"x": f"{i + 1}.0.0"}} for i in range(1, 1200)}),
    }
    deep = resolve_tree({"dependencies": {"x": "1.0.0"}}, nest, limit=1500)
    assert deep.too_many and max(n.path.count("node_modules/") for n in deep.nodes) > 30
