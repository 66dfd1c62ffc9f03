"""Registry-backed rules: manifest/version-exists, manifest/deprecated-dependency-extension and the fail-closed
manifest/registry-unavailable -- against a real Verdaccio (npm publish / npm deprecate) and, for states npm
cannot produce (CalVer versions, yanked, removed, package-level lifecycle), a loopback packument server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from manifest_support import NOW, PackumentServer, ids, of, packument, pkg, run

from extgate.facts import CodeFacts
from extgate.options import Options
from extgate.policy import Policy
from support.verdaccio import Verdaccio

CINATRA_BLOCK = {"apiVersion": "cinatra.ai/v1", "kind": "connector", "dependencies": []}


def on(registry: str, **extra: Any) -> Options:
    return Options(now=NOW, registry=registry, timeout=5.0, **extra)


# -- real Verdaccio ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry(verdaccio: Verdaccio) -> Verdaccio:
    verdaccio.publish_package({"name": "@mfx/exists", "version": "1.0.0"}, {"index.js": "module.exports = 1"})
    verdaccio.publish_package({"name": "@mfx/exists", "version": "1.1.0"}, {"index.js": "module.exports = 2"})
    old = {"name": "@mfx/old-connector", "version": "1.0.0", "cinatra": CINATRA_BLOCK}
    verdaccio.publish_package(old, {"index.js": ""})
    verdaccio.deprecate("@mfx/old-connector@1.0.0", "use @mfx/new-connector")
    for version in ("1.0.0", "1.1.0"):
        doc = {"name": "@mfx/half-connector", "version": version, "cinatra": CINATRA_BLOCK}
        verdaccio.publish_package(doc, {"index.js": ""})
    verdaccio.deprecate("@mfx/half-connector@1.1.0", "broken release")
    verdaccio.publish_package({"name": "@mfx/old-lib", "version": "1.0.0"}, {"index.js": ""})
    verdaccio.deprecate("@mfx/old-lib@1.0.0", "unmaintained")
    return verdaccio


@pytest.mark.verdaccio
def test_published_version_exists(registry: Verdaccio) -> None:
    result = run(pkg({"name": "@mfx/exists", "version": "1.1.0"}), options=on(registry.url))
    (finding,) = of(result, "manifest/version-exists")
    assert "already published" in finding.message
    assert finding.properties["pointer"] == "/version"
    assert finding.location is not None and finding.location.line == 3


@pytest.mark.verdaccio
def test_build_metadata_does_not_make_a_version_new(registry: Verdaccio) -> None:
    result = run(pkg({"name": "@mfx/exists", "version": "1.0.0+rebuild.2"}), options=on(registry.url))
    assert ids(result) == ["manifest/version-exists"]


@pytest.mark.verdaccio
def test_free_version_and_new_package_pass(registry: Verdaccio) -> None:
    assert ids(run(pkg({"name": "@mfx/exists", "version": "1.2.0"}), options=on(registry.url))) == []
    result = run(pkg({"name": "@mfx/brand-new", "version": "1.0.0"}), options=on(registry.url))
    assert ids(result) == []
    assert result.facts is not None
    assert any("@mfx/brand-new is new" in note for note in result.facts.notes)


@pytest.mark.verdaccio
def test_deprecated_extension_dependency_warns(registry: Verdaccio) -> None:
    dependency = {
        "packageName": "@mfx/old-connector",
        "edgeType": "runtime",
        "requirement": "required",
        "versionConstraint": {"kind": "semver-range", "range": "^1.0.0"},
    }
    doc = {"name": "@mfx/app-connector", "version": "1.0.0", "cinatra": {**CINATRA_BLOCK, "dependencies": [dependency]}}
    result = run(pkg(doc), options=on(registry.url), code=CodeFacts())
    (finding,) = of(result, "manifest/deprecated-dependency-extension")
    assert finding.level.value == "warning"
    assert finding.properties["pointer"] == "/cinatra/dependencies/0"
    assert finding.properties["state"] == "deprecated"
    assert "use @mfx/new-connector" in finding.message


@pytest.mark.verdaccio
def test_npm_dependency_on_a_deprecated_extension_warns(registry: Verdaccio) -> None:
    doc = {"name": "@mfx/app", "version": "1.0.0", "dependencies": {"@mfx/old-connector": "^1.0.0"}}
    (finding,) = of(run(pkg(doc), options=on(registry.url)), "manifest/deprecated-dependency-extension")
    assert finding.properties["pointer"] == "/dependencies/@mfx~1old-connector"


@pytest.mark.verdaccio
def test_a_healthy_matching_version_avoids_the_deprecated_one(registry: Verdaccio) -> None:
    doc = {"name": "@mfx/app", "version": "1.0.0", "dependencies": {"@mfx/half-connector": "^1.0.0"}}
    assert of(run(pkg(doc), options=on(registry.url)), "manifest/deprecated-dependency-extension") == []
    pinned = {"name": "@mfx/app", "version": "1.0.0", "dependencies": {"@mfx/half-connector": "1.1.0"}}
    assert of(run(pkg(pinned), options=on(registry.url)), "manifest/deprecated-dependency-extension")


@pytest.mark.verdaccio
def test_deprecated_plain_library_is_left_to_the_trust_gate(registry: Verdaccio) -> None:
    doc = {"name": "@mfx/app", "version": "1.0.0", "dependencies": {"@mfx/old-lib": "^1.0.0"}}
    assert of(run(pkg(doc), options=on(registry.url)), "manifest/deprecated-dependency-extension") == []


# -- hand-written packuments on loopback ----------------------------------------------------------------------


@pytest.fixture
def stub() -> Iterator[PackumentServer]:
    server = PackumentServer()
    yield server
    server.stop()


SWAMP = 'manifestVersion: 1\nname: "@acme/deploy"\nversion: "{version}"\ndependencies:\n  - "@acme/aws-core"\n'


def test_calver_version_exists(stub: PackumentServer) -> None:
    stub.docs["@acme/deploy"] = packument("@acme/deploy", {"2026.05.19.1": {}, "2026.05.19.2": {}})
    stub.docs["@acme/aws-core"] = packument("@acme/aws-core", {"2026.01.01.1": {}})
    taken = run({"manifest.yaml": SWAMP.format(version="2026.05.19.2")}, options=on(stub.url), code=CodeFacts())
    assert ids(taken) == ["manifest/version-exists"]
    free = run({"manifest.yaml": SWAMP.format(version="2026.05.19.3")}, options=on(stub.url), code=CodeFacts())
    assert ids(free) == []


def test_removed_version_cannot_be_reused(stub: PackumentServer) -> None:
    doc = packument("legacy", {"2.0.0": {}})
    doc["time"]["1.0.0"] = "2025-01-01T00:00:00.000Z"  # unpublished: only its publish time remains
    stub.docs["legacy"] = doc
    (finding,) = of(run(pkg({"name": "legacy", "version": "1.0.0"}), options=on(stub.url)), "manifest/version-exists")
    assert "removed" in finding.message


@pytest.mark.parametrize(
    ("doc", "spec", "state"),
    [
        (
            packument(
                "ext-a", {"1.0.0": {"cinatra": {}, "yanked": True}, "1.1.0": {"lifecycle": {"status": "yanked"}}}
            ),
            "^1.0.0",
            "yanked",
        ),
        (packument("ext-a", {"2.0.0": {"cinatra": {}}}, time={"1.0.0": "x", "2.0.0": "y"}), "^1.0.0", "removed"),
        (
            packument("ext-a", {"1.0.0": {}}, lifecycle={"status": "suspended", "reason": "security review"}),
            "*",
            "suspended",
        ),
        (packument("ext-a", {"1.0.0": {}}, lifecycle={"status": "emergency-removed"}), "^1", "emergency-removed"),
        (packument("ext-a", {"1.0.0": {"compat": "native", "deprecated": "gone"}}), "latest", "deprecated"),
    ],
)
def test_lifecycle_states(stub: PackumentServer, doc: dict[str, Any], spec: str, state: str) -> None:
    stub.docs["ext-a"] = doc
    manifest = {"name": "app", "version": "1.0.0", "dependencies": {"ext-a": spec}}
    (finding,) = of(run(pkg(manifest), options=on(stub.url)), "manifest/deprecated-dependency-extension")
    assert finding.properties["state"] == state


@pytest.mark.parametrize(
    ("doc", "spec"),
    [
        (packument("ext-a", {"1.0.0": {"cinatra": {}}, "1.1.0": {"cinatra": {}, "yanked": True}}), "^1.0.0"),
        (packument("ext-a", {"1.0.0": {"cinatra": {}}}), "github:acme/ext-a"),
        (packument("ext-a", {"1.0.0": {"cinatra": {}}}), "^5.0.0"),
        (packument("ext-a", {"1.0.0": {"cinatra": {}}}, lifecycle={"status": "active"}), "^1"),
    ],
)
def test_healthy_or_unresolvable_dependencies_pass(stub: PackumentServer, doc: dict[str, Any], spec: str) -> None:
    stub.docs["ext-a"] = doc
    manifest = {"name": "app", "version": "1.0.0", "dependencies": {"ext-a": spec}}
    assert of(run(pkg(manifest), options=on(stub.url)), "manifest/deprecated-dependency-extension") == []


def test_swamp_dependency_lifecycle(stub: PackumentServer) -> None:
    stub.docs["@acme/aws-core"] = packument("@acme/aws-core", {"2026.01.01.1": {}}, lifecycle={"status": "deprecated"})
    result = run({"manifest.yaml": SWAMP.format(version="2026.05.19.1")}, options=on(stub.url), code=CodeFacts())
    (finding,) = of(result, "manifest/deprecated-dependency-extension")
    assert finding.properties["pointer"] == "/dependencies/0"


def test_registry_errors_fail_closed_once(stub: PackumentServer) -> None:
    stub.status = 503
    manifest = {"name": "app", "version": "1.0.0", "dependencies": {"a": "^1", "b": "^1", "c": "^1"}}
    result = run(pkg(manifest), options=on(stub.url))
    assert ids(result) == ["manifest/registry-unavailable"]
    assert "503" in result.findings[0].message
    assert len(set(stub.requests)) == 1  # the first failure stops further lookups


def test_unreachable_registry_fails_closed() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        result = run(pkg({"name": "app", "version": "1.0.0"}), options=on(f"http://127.0.0.1:{port}"))
    assert ids(result) == ["manifest/registry-unavailable"]
    assert result.findings[0].level.value == "error"


def test_name_no_registry_url_can_carry_fails_closed(stub: PackumentServer) -> None:
    text = 'manifestVersion: 1\nname: "@acme/aws/ec2"\nversion: "2026.05.19.1"\n'
    (finding,) = of(run({"manifest.yaml": text}, options=on(stub.url), code=CodeFacts()), "manifest/version-exists")
    assert finding.level.value == "error"
    assert "cannot ask the registry" in finding.message


def test_offline_skips_registry_checks_with_a_note(stub: PackumentServer) -> None:
    result = run(
        pkg({"name": "app", "version": "1.0.0", "dependencies": {"a": "^1"}}), options=on(stub.url, offline=True)
    )
    assert ids(result) == []
    assert stub.requests == []
    assert result.facts is not None
    assert "manifest/version-exists: skipped (--offline)" in result.facts.notes


def test_dependency_lookups_are_bounded(stub: PackumentServer) -> None:
    policy = Policy.from_mapping({"manifest": {"max_dependency_lookups": 2}})
    manifest = {"name": "app", "version": "1.0.0", "dependencies": {"a": "^1", "b": "^1", "c": "^1"}}
    result = run(pkg(manifest), options=on(stub.url), policy=policy)
    assert ids(result) == ["manifest/limit"]
    assert sorted(set(stub.requests)) == ["a", "app", "b"]
