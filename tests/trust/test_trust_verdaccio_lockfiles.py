"""Pinned, ranged and locked dependencies online against a real Verdaccio, each with its exact advisory ids.

Packages are published to the session's Verdaccio (old versions under a side tag, so `latest` stays what other
tests expect); advisories come from the real OSV records in tests/fixtures/osv.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_trust_offline_lockfiles import BRACES, LODASH_15, MICROMATCH, ids, lock_v3, online
from trust_helpers import by_rule, package_json, run_gate

from extgate.model import Level
from support.verdaccio import Verdaccio

pytestmark = pytest.mark.verdaccio


@pytest.fixture(scope="module")
def registry(verdaccio: Verdaccio) -> Verdaccio:
    def put(name: str, version: str, tag: str = "latest", **fields: Any) -> None:
        verdaccio.put_package({"name": name, "version": version, "license": "MIT", **fields}, tag=tag)

    put("lodash", "4.17.15", tag="legacy")
    put("braces", "2.3.2")
    put("micromatch", "3.1.10", dependencies={"braces": "^2.3.1"})
    return verdaccio


MICROMATCH_TREE = {
    "node_modules/micromatch": {"version": "3.1.10", "dependencies": {"braces": "^2.3.1"}},
    "node_modules/braces": {"version": "2.3.2"},
}
V1_PARTIAL = json.dumps({"lockfileVersion": 1, "dependencies": {"micromatch": {"version": "3.1.10"}}})
CASES: dict[str, tuple[dict[str, str], dict[str, str], set[str], bool]] = {
    # name: (dependencies, extra files, advisory ids, lockfile incomplete)
    "pinned": ({"lodash": "4.17.15"}, {}, LODASH_15, False),
    "ranged": ({"micromatch": "^3.1.0"}, {}, {MICROMATCH, BRACES}, False),
    "lock-v1-partial": ({"micromatch": "^3.1.0"}, {"package-lock.json": V1_PARTIAL}, {MICROMATCH, BRACES}, True),
    "lock-v2": (
        {"micromatch": "^3.1.0"},
        {"package-lock.json": lock_v3(MICROMATCH_TREE, 2)},
        {MICROMATCH, BRACES},
        False,
    ),
    "lock-v3": ({"micromatch": "^3.1.0"}, {"package-lock.json": lock_v3(MICROMATCH_TREE)}, {MICROMATCH, BRACES}, False),
    "deno-lock": ({}, {"deno.lock": json.dumps({"version": "4", "npm": {"lodash@4.17.15": {}}})}, LODASH_15, False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_online_advisory_ids(registry: Verdaccio, case: str) -> None:
    deps, files, expected, incomplete = CASES[case]
    result = run_gate({"package.json": package_json(deps), **files}, options=online(registry.url))
    assert ids(result) == expected
    gaps = by_rule(result.findings, "trust/lockfile-incomplete")
    assert [g.level for g in gaps] == ([Level.WARNING] if incomplete else [])
    assert not by_rule(result.findings, "trust/registry-unavailable")
