"""The manifest gate as a whole: locating and parsing the manifest, facts for later gates, fail-closed behaviour."""

from __future__ import annotations

import dataclasses
import json
import pickle

import pytest
from manifest_support import NOW, context, ids, of, pkg, run

from extgate.facts import Manifest
from extgate.gates.manifest import ManifestGate, run_checks
from extgate.gates.manifest.interface import Scope
from extgate.model import Entry, EntryKind, Level, Package
from extgate.options import Options
from extgate.rules.registry import load_registry


def test_valid_package_sets_manifest_facts_with_lines() -> None:
    result = run(pkg({"name": "left-pad", "version": "1.3.0", "main": "index.js"}, {"index.js": "x"}))
    assert ids(result) == []
    assert result.facts is not None
    manifest = result.facts.manifest
    assert isinstance(manifest, Manifest)
    assert (manifest.kind, manifest.path) == ("package.json", "package.json")
    assert manifest.data["name"] == "left-pad"
    assert manifest.line_of("/version") == 3
    pickle.loads(pickle.dumps(result.facts))  # facts cross process boundaries


def test_skipped_checks_are_noted() -> None:
    result = run(pkg({"name": "@acme/x", "version": "1.0.0"}))
    assert result.facts is not None
    assert "manifest/version-exists: skipped (no --registry given)" in result.facts.notes
    assert "manifest/scope: skipped for @acme (no --publisher given)" in result.facts.notes


def test_missing_package_json() -> None:
    result = run({"index.js": "x"})
    assert ids(result) == ["manifest/missing"]
    assert result.facts is None or result.facts.manifest is None
    assert of(result, "manifest/missing")[0].level is Level.ERROR


def test_missing_swamp_manifest_in_swamp_profile() -> None:
    result = run({"extensions/models/a.ts": "x"}, profile="swamp")
    (finding,) = of(result, "manifest/missing")
    assert "manifest.yaml" in finding.message


def test_manifest_kind_option_overrides_profile() -> None:
    files = pkg({"name": "x", "version": "1.0.0"})
    result = run(files, options=Options(now=NOW, manifest_kind="manifest.yaml"))
    assert ids(result) == ["manifest/missing"]


def test_unparsable_manifest_is_invalid_with_line_and_column() -> None:
    result = run({"package.json": '{\n  "name": "x",\n  "version": 1.0.0\n}'})
    (finding,) = of(result, "manifest/invalid")
    assert finding.location is not None
    assert (finding.location.line, finding.location.column) == (3, 17)
    assert ids(result) == ["manifest/invalid"]


def test_manifest_that_is_not_an_object() -> None:
    result = run({"package.json": '["name", "x"]'})
    assert ids(result) == ["manifest/invalid"]
    assert "must hold an object" in result.findings[0].message


def test_duplicate_keys_are_reported_but_other_checks_still_run() -> None:
    text = '{\n  "name": "ok-name",\n  "version": "1.0.0",\n  "version": "v2"\n}'
    result = run({"package.json": text})
    assert ids(result) == ["manifest/invalid", "manifest/version"]
    dup = of(result, "manifest/invalid")[0]
    assert dup.location is not None and dup.location.line == 4
    assert dup.properties["pointer"] == "/version"


def test_oversized_manifest_is_refused_without_parsing() -> None:
    big = json.dumps({"name": "x", "version": "1.0.0", "description": "y" * 1_100_000})
    result = run({"package.json": big})
    assert ids(result) == ["manifest/invalid"]
    assert "over the 1000000-byte limit" in result.findings[0].message


def test_truncated_manifest_entry_is_refused() -> None:
    entry = Entry(path="package.json", size=10, data=b'{"name":', truncated=True)
    ctx = dataclasses.replace(context({}), package=Package(source="t", format="tar", entries=(entry,)))
    result = ManifestGate().run(ctx)
    assert ids(result) == ["manifest/invalid"]


def test_symlinked_manifest_is_refused() -> None:
    entry = Entry(path="package.json", kind=EntryKind.SYMLINK, link_target="/etc/passwd")
    ctx = dataclasses.replace(context({}), package=Package(source="t", format="tar", entries=(entry,)))
    result = ManifestGate().run(ctx)
    (finding,) = of(result, "manifest/invalid")
    assert "symlink" in finding.message


def test_a_crashing_check_fails_closed_without_losing_the_others() -> None:
    ctx = context(pkg({"name": "x", "version": "1.0.0"}))
    scope = Scope(ctx, Manifest("package.json", "package.json", {"name": "x", "version": "1.0.0"}))

    def broken(_: Scope) -> list[object]:
        raise RuntimeError("boom")

    def fine(s: Scope) -> list[object]:
        return [s.at("manifest/name", "found", "/name")]

    findings = run_checks(scope, [broken, fine])  # type: ignore[list-item]
    assert [f.rule_id for f in findings] == ["engine/internal-error", "manifest/name"]
    assert findings[0].level is Level.ERROR


def test_every_emitted_rule_is_documented() -> None:
    registry = load_registry()
    for pack in ("manifest", "cinatra", "fixtures"):
        rules = [r for r in registry if r.pack == pack]
        assert rules, pack
        for rule in rules:
            assert rule.what and rule.why and rule.fix and rule.title, rule.id
            assert rule.example_bad or rule.example_good, rule.id


@pytest.mark.parametrize(("profile", "level"), [("npm", Level.ERROR), ("swamp", Level.ERROR), ("cinatra", Level.ERROR)])
def test_install_script_level_follows_the_profile(profile: str, level: Level) -> None:
    files = pkg({"name": "x", "version": "1.0.0", "scripts": {"postinstall": "node evil.js"}})
    ctx = context(files, profile=profile, options=Options(now=NOW, manifest_kind="package.json"))
    (finding,) = of(ManifestGate().run(ctx), "manifest/install-script")
    assert finding.level is level


def test_the_last_of_duplicate_manifests_is_the_one_checked() -> None:
    first = Entry(path="package.json", data=b'{"name": "decoy", "version": "1.0.0"}', size=37)
    last = Entry(path="package.json", data=b'{"name": "real", "version": "v2"}', size=33)
    ctx = dataclasses.replace(context({}), package=Package(source="t", format="tar", entries=(first, last)))
    result = ManifestGate().run(ctx)
    assert result.facts is not None and result.facts.manifest is not None
    assert result.facts.manifest.data["name"] == "real"
    assert ids(result) == ["manifest/version"]


def test_a_flood_of_findings_is_summarized() -> None:
    bad = [
        {"packageName": f"@a/p{i}", "edgeType": "nope", "requirement": "nope", "versionConstraint": {}}
        for i in range(300)
    ]
    doc = {
        "name": "@a/x-connector",
        "version": "1.0.0",
        "cinatra": {"kind": "connector", "apiVersion": "cinatra.ai/v1", "dependencies": bad},
    }
    result = run(pkg(doc), code=None)
    assert len(of(result, "cinatra/dependencies")) == 200
    (limit,) = of(result, "manifest/limit")
    assert "700 more findings of the dependencies check" in limit.message
