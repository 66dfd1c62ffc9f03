"""The trust gate against a real Verdaccio: packages published and deprecated with the real npm CLI.

What is checked here is what only a real registry shows: `npm publish` moving `latest` to the version just
published (so ranges resolve to `latest`, not the maximum), `npm deprecate` writing `deprecated`, scripts and
licenses stored as npm stores them, and scoped-name URLs as Verdaccio serves them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from trust_helpers import CLOSED_URL, all_raw_records, by_rule, options, package_json, run_gate, trust_policy

import extgate
from extgate.formatters import to_json
from extgate.gates.interface import GateResult
from extgate.model import Finding, Level
from support.osv_server import OsvServer
from support.verdaccio import Verdaccio

pytestmark = pytest.mark.verdaccio

OWNER = [{"name": "trust-fixture", "email": "trust@example.org"}]
NO_LICENSE_RULE = extgate.Policy.from_mapping({"rules": {"trust/license": {"enabled": False}}})


def publish(v: Verdaccio, name: str, version: str, tag: str | None = None, **fields: Any) -> None:
    doc = {"name": name, "version": version, "license": "MIT", "maintainers": OWNER, **fields}
    v.publish_package(doc, {"index.js": f"module.exports = {json.dumps(version)};\n"}, tag=tag)


@pytest.fixture(scope="module")
def registry(verdaccio: Verdaccio) -> Verdaccio:
    for version in ("1.0.0", "1.1.0", "1.2.0", "2.0.0"):
        publish(verdaccio, "trustfx-ranged", version)
    # a maintenance release published as `latest` below 2.0.0 (npm 11 wants the tag spelled out for that)
    publish(verdaccio, "trustfx-ranged", "1.3.0", tag="latest", dependencies={"minimist": "^1.2.0"})
    publish(verdaccio, "trustfx-ranged", "2.1.0-beta.1")  # prerelease: published under the `next` tag
    publish(verdaccio, "minimist", "1.2.5")  # a real advisory (GHSA-xvch-5gv4-984h) covers it
    publish(verdaccio, "lodash", "4.17.20")
    publish(verdaccio, "trustfx-installer", "1.0.0", scripts={"postinstall": "node index.js"})
    for version in ("1.0.0", "1.1.0"):
        publish(verdaccio, "trustfx-deprecated", version)
        publish(verdaccio, "trustfx-partial", version)
    verdaccio.deprecate("trustfx-deprecated", "no longer maintained, use trustfx-ranged")  # every version
    verdaccio.deprecate("trustfx-partial@1.1.0", "1.1.0 is broken")
    publish(verdaccio, "trustfx-eula", "1.0.0", license="SEE LICENSE IN EULA.txt")
    publish(verdaccio, "@trustfx/scoped", "0.2.0")
    return verdaccio


@pytest.fixture
def osv() -> Iterator[OsvServer]:
    with OsvServer(all_raw_records()) as server:
        assert isinstance(server, OsvServer)
        yield server


def audit(registry_url: str, osv_url: str, deps: dict[str, str], **kw: Any) -> GateResult:
    opts = options(registry_url, osv_url, now=kw.pop("now", datetime.now(UTC)))
    return run_gate({"package.json": package_json(deps)}, options=opts, **kw)


def resolved(result: GateResult) -> dict[str, str | None]:
    assert result.facts is not None
    return {d.name: d.resolved for d in result.facts.dependencies if d.direct}


def rule_names(findings: tuple[Finding, ...] | list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule_id, str(f.properties.get("name"))) for f in findings}


def test_registry_state_is_what_npm_wrote(registry: Verdaccio) -> None:
    doc = registry.packument("trustfx-ranged")
    assert doc["dist-tags"] == {"latest": "1.3.0", "next": "2.1.0-beta.1"}
    assert registry.packument("trustfx-deprecated")["versions"]["1.0.0"]["deprecated"].startswith("no longer")
    assert "deprecated" not in registry.packument("trustfx-partial")["versions"]["1.0.0"]


def test_ranges_resolve_to_what_npm_would_install(registry: Verdaccio, osv: OsvServer) -> None:
    deps = {
        "trustfx-ranged": "^1.0.0",
        "@trustfx/scoped": "~0.2.0",
        "trustfx-partial": "^1.0.0",
    }
    result = audit(registry.url, osv.url, deps, policy=trust_policy(transitive=False))
    assert resolved(result) == {"trustfx-ranged": "1.3.0", "@trustfx/scoped": "0.2.0", "trustfx-partial": "1.0.0"}
    assert result.findings == ()  # the deprecated 1.1.0 is avoided, like npm does
    for spec, version in (
        (">=1.0.0", "1.3.0"),
        ("^2.0.0", "2.0.0"),
        ("~1.1.0", "1.1.0"),
        ("next", "2.1.0-beta.1"),
        ("*", "1.3.0"),
        ("1.x", "1.3.0"),
    ):
        one = audit(registry.url, osv.url, {"trustfx-ranged": spec}, policy=trust_policy(transitive=False))
        assert resolved(one) == {"trustfx-ranged": version}, spec


def test_vulnerable_direct_and_transitive_dependencies_block(registry: Verdaccio, osv: OsvServer) -> None:
    result = audit(registry.url, osv.url, {"trustfx-ranged": "^1.0.0", "lodash": "^4.17.0"})
    vulns = by_rule(result.findings, "trust/vulnerability")
    found = {(f.properties["name"], f.properties["version"], f.properties["advisory"]) for f in vulns}
    assert ("lodash", "4.17.20", "GHSA-35jh-r3h4-6jhm") in found
    assert ("minimist", "1.2.5", "GHSA-xvch-5gv4-984h") in found  # pulled in by trustfx-ranged@1.3.0
    critical = next(f for f in vulns if f.properties["advisory"] == "GHSA-xvch-5gv4-984h")
    assert critical.level is Level.ERROR and "CRITICAL 9.8" in critical.message and "1.2.6 or later" in critical.message
    assert critical.properties["via"] == ("trustfx-ranged",)


def test_deprecated_is_blocked(registry: Verdaccio, osv: OsvServer) -> None:
    result = audit(registry.url, osv.url, {"trustfx-deprecated": "^1.0.0"})
    (finding,) = result.findings
    assert finding.rule_id == "trust/deprecated" and finding.level is Level.ERROR
    assert "trustfx-deprecated@1.1.0" in finding.message and "no longer maintained" in finding.message


def test_install_script_and_license_warnings(registry: Verdaccio, osv: OsvServer) -> None:
    result = audit(registry.url, osv.url, {"trustfx-installer": "1", "trustfx-eula": "^1.0.0"})
    assert rule_names(result.findings) == {
        ("trust/install-script", "trustfx-installer"),
        ("trust/license", "trustfx-eula"),
    }
    assert all(f.level is Level.WARNING for f in result.findings)


def test_stale_against_a_fixed_clock(registry: Verdaccio, osv: OsvServer) -> None:
    later = datetime(2099, 1, 1, tzinfo=UTC)
    result = audit(registry.url, osv.url, {"trustfx-eula": "1.0.0"}, now=later, policy=NO_LICENSE_RULE)
    assert rule_names(result.findings) == {("trust/stale", "trustfx-eula")}


def test_unknown_package_and_unmatched_range_are_unresolved(registry: Verdaccio, osv: OsvServer) -> None:
    result = audit(registry.url, osv.url, {"trustfx-missing": "^1.0.0", "trustfx-ranged": "^3.0.0"})
    assert rule_names(result.findings) == {
        ("trust/unresolved-dependency", "trustfx-missing"),
        ("trust/unresolved-dependency", "trustfx-ranged"),
    }


def test_unreachable_registry_and_osv_fail_closed(registry: Verdaccio, osv: OsvServer) -> None:
    down = audit(CLOSED_URL, osv.url, {"trustfx-ranged": "^1.0.0"})
    assert [(f.rule_id, f.level) for f in down.findings] == [("trust/registry-unavailable", Level.ERROR)]
    no_osv = audit(registry.url, CLOSED_URL, {"trustfx-ranged": "^1.0.0"})
    assert [(f.rule_id, f.level) for f in no_osv.findings] == [("trust/audit-unavailable", Level.ERROR)]
    opened = audit(registry.url, CLOSED_URL, {"trustfx-ranged": "^1.0.0"}, policy=trust_policy(fail_open=True))
    assert [(f.rule_id, f.level) for f in opened.findings] == [("trust/audit-unavailable", Level.WARNING)]
    assert "fail_open = true" in opened.findings[0].message


def test_full_check_of_an_extension_directory(registry: Verdaccio, osv: OsvServer, tmp_path: Path) -> None:
    ext = tmp_path / "ext"
    ext.mkdir()
    deps = {"trustfx-ranged": "^1.0.0", "trustfx-deprecated": "^1.0.0"}
    (ext / "package.json").write_text(
        package_json(deps, description="fixture", license="MIT", main="index.js", files=["index.js"])
    )
    (ext / "index.js").write_text("module.exports = 1;\n")
    verdict = extgate.check(ext, options=options(registry.url, osv.url, now=datetime.now(UTC)))
    trust = [f for f in verdict.findings if f.gate == "trust"]
    assert verdict.blocked
    assert {f.rule_id for f in trust} == {"trust/deprecated", "trust/vulnerability"}
    deprecated = next(f for f in trust if f.rule_id == "trust/deprecated")
    lines = (ext / "package.json").read_text().splitlines()
    assert deprecated.line is not None and '"trustfx-deprecated"' in lines[deprecated.line - 1]
    by_name = {d.name: d for d in verdict.dependencies}
    assert by_name["trustfx-ranged"].resolved == "1.3.0" and by_name["minimist"].direct is False
    as_json = json.loads(to_json(verdict))
    assert any(d["name"] == "trustfx-deprecated" and d["status"] == "audited" for d in as_json["dependencies"])
