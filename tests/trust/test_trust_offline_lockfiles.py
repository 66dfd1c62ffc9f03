"""What can be audited with no registry, lockfiles as npm reads them, and the tree npm would install.

Advisories come from the 48 real OSV records in tests/fixtures/osv (offline database); the registry is either
absent (`--offline`, nothing listening) or a loopback packument server. Every test names the exact advisory ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from trust_helpers import FIXTURES, NOW, by_rule, package_json, run_gate

from extgate.gates.interface import GateResult
from extgate.model import Level
from extgate.options import Options
from support.osv_server import PackumentServer, packument

LODASH_15 = {"GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw", "GHSA-29mw-wpgm-hmr9"}
BRACES = "GHSA-grv7-fg5c-xmjg"
MICROMATCH = "GHSA-952p-6rrq-rcjv"
MINIMIST = "GHSA-xvch-5gv4-984h"


def offline(**more: Any) -> Options:
    values: dict[str, Any] = {"offline": True, "osv_db": str(FIXTURES / "npm"), "use_cache": False, "now": NOW}
    return Options(**{**values, **more})


def online(registry: str, **more: Any) -> Options:
    return offline(offline=False, registry=registry, timeout=5.0, **more)


def advisories(result: GateResult) -> set[tuple[str, str, str]]:
    return {
        (str(f.properties["name"]), str(f.properties["version"]), str(f.properties["advisory"]))
        for f in result.findings
        if f.rule_id in ("trust/vulnerability", "trust/malicious-package")
    }


def ids(result: GateResult) -> set[str]:
    return {advisory for _, _, advisory in advisories(result)}


def lock_v3(packages: Mapping[str, Mapping[str, Any]], version: int = 3) -> str:
    doc: dict[str, Any] = {"name": "ext", "version": "1.0.0", "lockfileVersion": version, "requires": True}
    doc["packages"] = {"": {"name": "ext", "version": "1.0.0"}, **packages}
    if version == 2:  # v2 also carries the v1 tree for old npm; npm 7+ reads `packages`
        doc["dependencies"] = {k.rsplit("node_modules/", 1)[1]: {"version": v["version"]} for k, v in packages.items()}
    return json.dumps(doc, indent=2)


MICROMATCH_TREE = {
    "node_modules/lodash": {"version": "4.17.15"},
    "node_modules/micromatch": {"version": "3.1.10", "dependencies": {"braces": "^2.3.1"}},
    "node_modules/braces": {"version": "2.3.2"},
}
DEPS = {"lodash": "^4.17.0", "micromatch": "^3.1.10"}


# -- offline: exact versions need no registry -----------------------------------------------------------------
def test_exact_pin_is_audited_offline_and_ranges_fail_closed() -> None:
    result = run_gate({"package.json": package_json({"lodash": "4.17.15", "minimist": "^1.2.0"})}, options=offline())
    assert advisories(result) == {("lodash", "4.17.15", a) for a in LODASH_15}
    (down,) = by_rule(result.findings, "trust/registry-unavailable")
    assert down.level is Level.ERROR and down.properties["dependencies"] == ("lodash", "minimist")
    assert "exact versions were still audited" in down.message
    assert result.facts is not None
    status = {d.name: (d.status, d.resolved) for d in result.facts.dependencies}
    assert status["minimist"] == ("not-audited", None)


@pytest.mark.parametrize("version", [2, 3])
def test_lockfile_v2_v3_offline(version: int) -> None:
    files = {"package.json": package_json(DEPS), "package-lock.json": lock_v3(MICROMATCH_TREE, version)}
    result = run_gate(files, options=offline())
    assert ids(result) == LODASH_15 | {BRACES, MICROMATCH}
    assert ("braces", "2.3.2", BRACES) in advisories(result)
    assert not by_rule(result.findings, "trust/lockfile-incomplete")
    # the direct dependencies' registry signals (license, deprecation ...) still need the registry
    (down,) = by_rule(result.findings, "trust/registry-unavailable")
    assert down.properties["dependencies"] == ("lodash", "micromatch")


def test_lockfile_v1_offline_audits_its_pins_and_says_what_it_cannot_know() -> None:
    lock = {
        "lockfileVersion": 1,
        "dependencies": {
            "lodash": {"version": "4.17.15"},
            "micromatch": {"version": "3.1.10", "requires": {"braces": "^2.3.1"}},
            "braces": {"version": "2.3.2"},
        },
    }
    files = {"package.json": package_json(DEPS), "package-lock.json": json.dumps(lock)}
    result = run_gate(files, options=offline())
    assert ids(result) == LODASH_15 | {BRACES, MICROMATCH}
    (down,) = by_rule(result.findings, "trust/registry-unavailable")
    assert "dependencies are unknown" in down.message or "registry signals" in down.message


def test_deno_lock_offline_needs_no_registry() -> None:
    lock = {"version": "4", "npm": {"lodash@4.17.15": {"integrity": "x"}, "minimist@1.2.5": {"integrity": "y"}}}
    result = run_gate({"deno.lock": json.dumps(lock)}, options=offline())
    assert advisories(result) == {("lodash", "4.17.15", a) for a in LODASH_15} | {("minimist", "1.2.5", MINIMIST)}
    assert not by_rule(result.findings, "trust/registry-unavailable")


def test_partial_lockfile_offline_blocks_as_incomplete() -> None:
    partial = {k: v for k, v in MICROMATCH_TREE.items() if k != "node_modules/braces"}
    files = {"package.json": package_json(DEPS), "package-lock.json": lock_v3(partial)}
    result = run_gate(files, options=offline())
    assert ids(result) == LODASH_15 | {MICROMATCH}  # braces is unknown: it is not pinned and cannot be resolved
    (gap,) = by_rule(result.findings, "trust/lockfile-incomplete")
    assert gap.level is Level.ERROR and gap.path == "package-lock.json"
    assert gap.properties["unresolved"] == ("micromatch > braces@^2.3.1",)


def test_lockfile_versions_that_are_not_versions_are_unresolved_not_audited() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    v1 = {"lockfileVersion": 1, "dependencies": {"helper": {"version": f"github:someone/helper#{sha}"}}}
    v3 = lock_v3({"node_modules/lodash": {"version": "^4.17.0"}})
    for name, lock in (("npm-shrinkwrap.json", json.dumps(v1)), ("package-lock.json", v3)):
        result = run_gate({"package.json": package_json({"helper": "1.0.0"}), name: lock}, options=offline())
        unresolved = by_rule(result.findings, "trust/unresolved-dependency")
        assert len(unresolved) == 1 and name in unresolved[0].message, name
        assert not advisories(result)
        assert result.facts is not None
        locked = [d for d in result.facts.dependencies if d.source == "lockfile"]
        assert [d.status for d in locked] == ["unresolved"]


# -- online: the registry fills in what the lockfile leaves out ------------------------------------------------
def docs() -> dict[str, dict[str, Any]]:
    no_maintainers = packument("quiet", ["1.0.0"])
    del no_maintainers["maintainers"]  # what a mirror serves
    for manifest in no_maintainers["versions"].values():
        manifest.pop("maintainers", None)
    return {
        "gulpish": packument("gulpish", {"4.0.2": {"dependencies": {"micromatch": "^3.1.0", "old-helper": "^1"}}}),
        "micromatch": packument("micromatch", {"3.1.10": {"dependencies": {"braces": "^2.3.1"}}, "4.0.8": {}}),
        "braces": packument("braces", ["2.3.2", "3.0.3"], latest="3.0.3"),
        "old-helper": packument("old-helper", {"1.0.0": {"deprecated": "unmaintained, use new-helper"}}),
        "lodash": packument("lodash", ["4.17.15", "4.17.21"]),
        "eslint": packument("eslint", ["7.32.0", "8.57.0", "9.0.0"]),
        "eslint-plugin-x": packument("eslint-plugin-x", {"1.0.0": {"peerDependencies": {"eslint": ">=7"}}}),
        "quiet": no_maintainers,
    }


@pytest.fixture
def registry() -> Iterator[PackumentServer]:
    with PackumentServer(docs()) as server:
        assert isinstance(server, PackumentServer)
        yield server


def test_shrinkwrap_with_only_the_direct_entry_is_completed(registry: PackumentServer) -> None:
    """The fail-open: a shrinkwrap pinning only gulp made extgate audit 2 entries while npm installs hundreds."""
    shrinkwrap = {"lockfileVersion": 1, "dependencies": {"gulpish": {"version": "4.0.2"}}}
    files = {"package.json": package_json({"gulpish": "4.0.2"}), "npm-shrinkwrap.json": json.dumps(shrinkwrap)}
    result = run_gate(files, options=online(registry.url))
    assert advisories(result) == {("braces", "2.3.2", BRACES), ("micromatch", "3.1.10", MICROMATCH)}
    braces = next(f for f in result.findings if f.properties.get("advisory") == BRACES)
    assert braces.properties["via"] == ("gulpish", "micromatch") and braces.path == "package.json"
    (gap,) = by_rule(result.findings, "trust/lockfile-incomplete")
    assert gap.level is Level.WARNING and gap.path == "npm-shrinkwrap.json"
    assert set(gap.properties["missing"]) == {"gulpish > micromatch@^3.1.0", "gulpish > old-helper@^1"}
    (deprecated,) = by_rule(result.findings, "trust/deprecated")  # transitive deprecation blocks too
    assert deprecated.level is Level.ERROR and "old-helper@1.0.0" in deprecated.message
    assert "via gulpish" in deprecated.message


def test_partial_package_lock_online_resolves_the_rest(registry: PackumentServer) -> None:
    partial = {k: v for k, v in MICROMATCH_TREE.items() if k != "node_modules/braces"}
    files = {"package.json": package_json(DEPS), "package-lock.json": lock_v3(partial)}
    result = run_gate(files, options=online(registry.url))
    assert ids(result) == LODASH_15 | {BRACES, MICROMATCH}
    (gap,) = by_rule(result.findings, "trust/lockfile-incomplete")
    assert gap.level is Level.WARNING and gap.properties["unresolved"] == ()


def test_ranged_dependencies_online_and_peer_reuse(registry: PackumentServer) -> None:
    deps = {"lodash": "~4.17.0", "eslint": "^8.0.0", "eslint-plugin-x": "^1.0.0"}
    result = run_gate({"package.json": package_json(deps)}, options=online(registry.url))
    assert ids(result) == set()  # lodash ~4.17.0 resolves to 4.17.21: fixed
    assert result.facts is not None
    versions = {(d.name, d.resolved) for d in result.facts.dependencies}
    assert ("eslint", "8.57.0") in versions and ("eslint", "9.0.0") not in versions  # the peer reuses 8.57.0


def test_registry_without_maintainers_data_is_one_note_not_a_finding_per_dependency(
    registry: PackumentServer,
) -> None:
    result = run_gate({"package.json": package_json({"quiet": "^1.0.0"})}, options=online(registry.url))
    assert not by_rule(result.findings, "trust/no-maintainers")
    assert result.facts is not None
    assert sum("no `maintainers`" in note for note in result.facts.notes) == 1


def test_offline_uses_the_cache_of_a_warm_run_without_repeating_registry(
    registry: PackumentServer, tmp_path: Path
) -> None:
    files = {"package.json": package_json({"micromatch": "^3.1.0"})}
    warm = run_gate(files, options=online(registry.url, use_cache=True, cache_dir=str(tmp_path)))
    assert ids(warm) == {BRACES, MICROMATCH}
    cold = run_gate(files, options=offline(use_cache=True, cache_dir=str(tmp_path)))
    assert ids(cold) == {BRACES, MICROMATCH}
    assert not by_rule(cold.findings, "trust/registry-unavailable")
    assert cold.facts is not None and any("last registry used" in note for note in cold.facts.notes)


def test_warm_run_asks_the_registry_nothing_for_either_gate(registry: PackumentServer, tmp_path: Path) -> None:
    import extgate

    ext = tmp_path / "ext"
    ext.mkdir()
    manifest = {"description": "x", "license": "MIT", "main": "index.js", "files": ["index.js"]}
    (ext / "package.json").write_text(package_json({"micromatch": "^3.1.0"}, **manifest))
    (ext / "index.js").write_text("module.exports = 1;\n")
    opts = online(registry.url, use_cache=True, cache_dir=str(tmp_path / "cache"))
    first = extgate.check(ext, options=opts)
    asked = len(registry.requests)
    assert any(path == "/ext" for _, path, _ in registry.requests)  # the manifest gate's own lookup
    second = extgate.check(ext, options=opts)
    assert len(registry.requests) == asked  # everything came from the cache
    assert [f.rule_id for f in second.findings] == [f.rule_id for f in first.findings]


def test_fail_open_downgrades_an_unresolvable_gap_visibly() -> None:
    from trust_helpers import trust_policy

    partial = {k: v for k, v in MICROMATCH_TREE.items() if k != "node_modules/braces"}
    files = {"package.json": package_json(DEPS), "package-lock.json": lock_v3(partial)}
    result = run_gate(files, options=offline(), policy=trust_policy(fail_open=True))
    (gap,) = by_rule(result.findings, "trust/lockfile-incomplete")
    assert gap.level is Level.WARNING and "fail_open = true" in gap.message
    assert ids(result) == LODASH_15 | {MICROMATCH}
