"""The trust gate end to end against loopback registry/OSV/downloads servers (no real network)."""

from __future__ import annotations

import asyncio
import copy
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from trust_helpers import (
    CLOSED_URL,
    FIXTURES,
    by_rule,
    options,
    package_json,
    raw_record,
    rules_of,
    run_gate,
    trust_policy,
)

from extgate.facts import ImportRef
from extgate.gates.interface import GateResult
from extgate.model import Level
from extgate.policy import Policy
from support.osv_server import DownloadsServer, OsvServer, PackumentServer, packument

OLD = "2019-01-01T00:00:00.000Z"


def registry_docs() -> dict[str, dict[str, object]]:
    return {
        "lodash": packument("lodash", ["4.17.15", "4.17.20", "4.17.21"], latest="4.17.20"),
        "axios": packument(
            "axios", {"1.7.2": {"dependencies": {"follow-redirects": "^1.15.0"}}, "1.7.4": {}}, latest="1.7.2"
        ),
        "follow-redirects": packument("follow-redirects", ["1.15.5", "1.15.6"], latest="1.15.5"),
        "debug": packument("debug", ["4.4.1", "4.4.2"], latest="4.4.1"),
        "node-fetch": packument("node-fetch", ["2.6.0", "3.0.0-beta.8"], latest="2.6.0"),
        "left-pad": packument("left-pad", ["1.3.0"], time_of={"1.3.0": OLD}),
        "orphan": packument("orphan", ["1.0.0"], maintainers=[]),
        "weird-license": packument("weird-license", {"1.0.0": {"license": "SEE LICENSE IN EULA"}}),
        "gpl-only": packument("gpl-only", {"1.0.0": {"license": "GPL-3.0-only"}}),
        "dual": packument("dual", {"1.0.0": {"license": "(GPL-3.0-only OR MIT)"}}),
        "builder": packument("builder", {"1.0.0": {"dependencies": {"native": "^2.0.0"}}}),
        "native": packument("native", {"2.0.0": {"scripts": {"postinstall": "node-gyp rebuild"}}}),
        "clean": packument("clean", ["1.0.0", "1.1.0"]),
    }


@pytest.fixture
def registry() -> Iterator[PackumentServer]:
    with PackumentServer(registry_docs()) as server:
        assert isinstance(server, PackumentServer)
        yield server


def gate(
    deps: dict[str, str],
    registry: PackumentServer,
    osv: OsvServer,
    *,
    files: dict[str, str] | None = None,
    opts: dict[str, Any] | None = None,
    policy: Policy | None = None,
    imports: Iterable[ImportRef] = (),
) -> GateResult:
    everything = {"package.json": package_json(deps), **(files or {})}
    return run_gate(everything, options=options(registry.url, osv.url, **(opts or {})), policy=policy, imports=imports)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_no_dependencies_means_no_network(registry: PackumentServer, osv: OsvServer) -> None:
    result = run_gate({"package.json": package_json()}, options=options(registry.url, osv.url))
    assert result.findings == () and result.facts is not None and result.facts.dependencies == ()
    assert registry.requests == [] and osv.requests == []


def test_only_jsr_and_host_provided_imports_means_no_network(registry: PackumentServer, osv: OsvServer) -> None:
    imports = [ImportRef("npm:zod@4", "extensions/models/widget.ts", 1), ImportRef("jsr:@std/path@1", "m.ts", 2)]
    result = run_gate(
        {"manifest.yaml": "name: '@acme/widget'\n"},
        options=options(registry.url, osv.url),
        profile="swamp",
        imports=imports,
    )
    assert result.findings == ()
    assert result.facts is not None
    assert [(d.name, d.status) for d in result.facts.dependencies] == [
        ("zod", "excluded"),
        ("@std/path", "not-audited-jsr"),
    ]
    assert registry.requests == [] and osv.requests == []


def test_vulnerable_range_resolves_like_npm_and_is_located(registry: PackumentServer, osv: OsvServer) -> None:
    result = gate({"lodash": "^4.17.0"}, registry, osv)
    vulns = by_rule(result.findings, "trust/vulnerability")
    assert [(f.properties["advisory"], f.level) for f in vulns] == [
        ("GHSA-29mw-wpgm-hmr9", Level.WARNING),  # MEDIUM
        ("GHSA-35jh-r3h4-6jhm", Level.ERROR),  # HIGH
    ]
    high = vulns[1]
    assert high.properties["version"] == "4.17.20"  # `latest`, not the max 4.17.21: what npm installs
    assert high.line == line_of(package_json({"lodash": "^4.17.0"}), '"lodash"')
    for needle in ("lodash 4.17.20", "GHSA-35jh-r3h4-6jhm (CVE-2021-23337)", "HIGH 7.2", "4.17.21 or later"):
        assert needle in high.message
    assert result.facts is not None
    (dep,) = result.facts.dependencies
    assert (dep.name, dep.spec, dep.resolved, dep.status, dep.source) == (
        "lodash",
        "^4.17.0",
        "4.17.20",
        "audited",
        "package.json",
    )
    assert [a.id for a in dep.advisories] == ["GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm"]
    # OSV got exact versions, never the range
    queries = next(body for _, path, body in osv.requests if path == "/v1/querybatch")["queries"]
    assert [q["version"] for q in queries] == ["4.17.20"]


def test_fixed_version_is_clean(registry: PackumentServer, osv: OsvServer) -> None:
    result = gate({"lodash": "4.17.21", "clean": "^1.0.0"}, registry, osv)
    assert result.findings == ()
    assert result.facts is not None
    assert [(d.name, d.resolved, d.status) for d in result.facts.dependencies] == [
        ("lodash", "4.17.21", "audited"),
        ("clean", "1.1.0", "audited"),
    ]


def test_low_severity_is_a_note_and_unknown_an_error(registry: PackumentServer) -> None:
    unknown = copy.deepcopy(raw_record("GHSA-8cf7-32gw-wr33"))  # empty severity list
    del unknown["database_specific"]["severity"]
    with OsvServer([raw_record("GHSA-w7rc-rwvf-8q5r"), unknown]) as server:
        assert isinstance(server, OsvServer)
        low = gate({"node-fetch": "2.6.0"}, registry, server)
        assert [(f.rule_id, f.level) for f in low.findings] == [("trust/vulnerability", Level.NOTE)]
        registry.packuments["jsonwebtoken"] = packument("jsonwebtoken", ["8.5.1"])
        bad = gate({"jsonwebtoken": "^8.0.0"}, registry, server)
        assert [(f.level, f.properties["severity"]) for f in bad.findings] == [(Level.ERROR, "UNKNOWN")]


def test_malicious_package(registry: PackumentServer, osv: OsvServer) -> None:
    result = gate({"debug": "4.4.2"}, registry, osv)
    (finding,) = result.findings
    assert finding.rule_id == "trust/malicious-package" and finding.level is Level.ERROR
    assert "MAL-2025-46974" in finding.message and "GHSA-8mgj-vmr8-frr6" in finding.message
    assert gate({"debug": "^4.4.0"}, registry, osv).findings == ()  # latest 4.4.1 is not listed


def test_transitive_vulnerability_is_found_and_located_at_the_direct_dependency(
    registry: PackumentServer, osv: OsvServer
) -> None:
    result = gate({"axios": "~1.7.0"}, registry, osv)
    (finding,) = by_rule(result.findings, "trust/vulnerability")
    assert finding.properties["name"] == "follow-redirects" and finding.properties["via"] == ("axios",)
    assert "via axios" in finding.message and "Upgrade axios" in finding.message
    assert finding.line == line_of(package_json({"axios": "~1.7.0"}), '"axios"')
    assert result.facts is not None
    transitive = [d for d in result.facts.dependencies if not d.direct]
    assert [(d.name, d.spec, d.resolved) for d in transitive] == [("follow-redirects", "^1.15.0", "1.15.5")]


def test_transitive_walk_can_be_turned_off(registry: PackumentServer, osv: OsvServer) -> None:
    result = gate({"axios": "~1.7.0"}, registry, osv, policy=trust_policy(transitive=False))
    assert by_rule(result.findings, "trust/vulnerability") == []


def test_unresolvable_dependencies(registry: PackumentServer, osv: OsvServer) -> None:
    result = gate(
        {"lodash": "^9.0.0", "no-such-pkg": "^1.0.0", "gitdep": "github:someone/gitdep", "clean": "nosuchtag"},
        registry,
        osv,
    )
    found = {f.properties["name"]: f.message for f in by_rule(result.findings, "trust/unresolved-dependency")}
    assert set(found) == {"lodash", "no-such-pkg", "gitdep", "clean"}
    assert "no published version matches range '^9.0.0'" in found["lodash"]
    assert "has no package 'no-such-pkg'" in found["no-such-pkg"]
    assert "git dependency" in found["gitdep"]
    assert "dist-tag 'nosuchtag'" in found["clean"]
    assert all(f.level is Level.ERROR for f in result.findings)
    assert result.facts is not None
    assert {d.status for d in result.facts.dependencies} == {"unresolved"}


def test_registry_unreachable_fails_closed(osv: OsvServer) -> None:
    files = {"package.json": package_json({"lodash": "^4.17.0", "axios": "^1.0.0"})}
    result = run_gate(files, options=options(CLOSED_URL, osv.url))
    (finding,) = result.findings
    assert finding.rule_id == "trust/registry-unavailable" and finding.level is Level.ERROR
    assert "2 dependencies (lodash, axios)" in finding.message
    assert result.facts is not None and {d.status for d in result.facts.dependencies} == {"not-audited"}
    assert osv.requests == []


def test_registry_5xx_fails_closed_and_fail_open_downgrades_visibly(registry: PackumentServer, osv: OsvServer) -> None:
    registry.always = 503
    result = gate({"lodash": "^4.17.0"}, registry, osv, policy=trust_policy(fail_open=True))
    (finding,) = result.findings
    assert finding.rule_id == "trust/registry-unavailable" and finding.level is Level.WARNING
    assert "HTTP 503" in finding.message
    assert "downgraded to a warning by policy `[trust] fail_open = true`" in finding.message
    assert finding.properties["fail_open"] is True


def test_osv_unreachable_fails_closed(registry: PackumentServer) -> None:
    files = {"package.json": package_json({"lodash": "^4.17.0"})}
    result = run_gate(files, options=options(registry.url, CLOSED_URL))
    (finding,) = result.findings
    assert finding.rule_id == "trust/audit-unavailable" and finding.level is Level.ERROR
    assert "OSV API" in finding.message and "--osv-db" in finding.message
    assert result.facts is not None and result.facts.dependencies[0].status == "not-audited"
    opened = run_gate(files, options=options(registry.url, CLOSED_URL), policy=trust_policy(fail_open=True))
    assert [f.level for f in opened.findings] == [Level.WARNING]
    assert "the audit did NOT run" in opened.findings[0].message


def test_offline_uses_cache_and_offline_db_only(registry: PackumentServer, osv: OsvServer, tmp_path: Path) -> None:
    db = tmp_path / "osvdb"
    shutil.copytree(FIXTURES / "npm", db)
    deps = {"lodash": "^4.17.0"}
    cold = gate(deps, registry, osv, opts={"offline": True, "use_cache": True, "cache_dir": str(tmp_path)})
    assert rules_of(cold.findings) == ["trust/registry-unavailable"]
    assert "--offline" in cold.findings[0].message
    assert registry.requests == []
    # warm the cache online, then go offline with the offline DB: no request at all
    gate(deps, registry, osv, opts={"use_cache": True, "cache_dir": str(tmp_path)})
    before = (len(registry.requests), len(osv.requests))
    warm = gate(
        deps, registry, osv, opts={"offline": True, "use_cache": True, "cache_dir": str(tmp_path), "osv_db": str(db)}
    )
    assert (len(registry.requests), len(osv.requests)) == before
    assert rules_of(warm.findings) == ["trust/vulnerability", "trust/vulnerability"]


def test_offline_without_osv_db_or_cache_is_audit_unavailable(registry: PackumentServer, tmp_path: Path) -> None:
    deps = {"lodash": "^4.17.0"}
    files = {"package.json": package_json(deps)}
    warm = options(registry.url, CLOSED_URL, use_cache=True, cache_dir=str(tmp_path))
    run_gate(files, options=warm)  # caches the packument (OSV fails)
    result = run_gate(
        files, options=options(registry.url, CLOSED_URL, use_cache=True, cache_dir=str(tmp_path), offline=True)
    )
    assert rules_of(result.findings) == ["trust/audit-unavailable"]
    assert "--offline without --osv-db" in result.findings[0].message


def test_miscased_record_via_offline_db(registry: PackumentServer, tmp_path: Path) -> None:
    db = tmp_path / "osvdb"
    shutil.copytree(FIXTURES / "npm", db)
    registry.packuments["axios"] = packument("axios", ["1.7.2"])
    result = run_gate(
        {"package.json": package_json({"axios": "1.7.2"})}, options=options(registry.url, CLOSED_URL, osv_db=str(db))
    )
    (finding,) = result.findings
    assert finding.properties["advisory"] == "GHSA-8hc4-vh64-cxmj" and finding.level is Level.ERROR
    assert "/Axios" in registry.paths()  # asked whether a package spelled "Axios" exists: it does not
    # when the registry does have a legacy mixed-case "Axios", the record is about that package
    registry.packuments["Axios"] = packument("Axios", ["0.1.0"])
    other = run_gate(
        {"package.json": package_json({"axios": "1.7.2"})}, options=options(registry.url, CLOSED_URL, osv_db=str(db))
    )
    assert other.findings == ()
    assert other.facts is not None and any("different registry package" in n for n in other.facts.notes)


def test_registry_signals(registry: PackumentServer, osv: OsvServer) -> None:
    deps = {"left-pad": "^1.0.0", "orphan": "1.0.0", "weird-license": "1", "gpl-only": "1", "dual": "1"}
    result = gate(deps, registry, osv)
    found = {(f.rule_id, f.properties["name"]) for f in result.findings}
    assert found == {
        ("trust/stale", "left-pad"),
        ("trust/no-maintainers", "orphan"),
        ("trust/license", "weird-license"),
        ("trust/license", "gpl-only"),
    }  # "(GPL-3.0-only OR MIT)" may be used under MIT: fine
    assert all(f.level is Level.WARNING for f in result.findings)
    weird = next(f for f in result.findings if f.properties["name"] == "weird-license")
    assert "not a valid SPDX expression" in weird.message
    stale = next(f for f in result.findings if f.rule_id == "trust/stale")
    assert "2019-01-01" in stale.message
    allowed = gate(deps, registry, osv, policy=trust_policy(licenses=["MIT", "GPL-3.0-only"], stale_months=120))
    assert {f.rule_id for f in allowed.findings} == {"trust/no-maintainers", "trust/license"}


def test_install_script_in_a_transitive_dependency(registry: PackumentServer, osv: OsvServer) -> None:
    result = gate({"builder": "^1.0.0"}, registry, osv)
    (finding,) = result.findings
    assert finding.rule_id == "trust/install-script" and finding.properties["name"] == "native"
    assert "postinstall" in finding.message and "via builder" in finding.message


def test_low_downloads_and_unknown_downloads(registry: PackumentServer, osv: OsvServer) -> None:
    with DownloadsServer({"clean": 12, "lodash": 50_000_000}) as downloads:
        assert isinstance(downloads, DownloadsServer)
        result = gate({"clean": "^1.0.0", "lodash": "4.17.21"}, registry, osv, opts={"downloads_url": downloads.url})
        assert [(f.rule_id, f.properties["name"]) for f in result.findings] == [("trust/low-downloads", "clean")]
        assert "12 downloads" in result.findings[0].message
        downloads.always = 500
        unknown = gate({"clean": "^1.0.0"}, registry, osv, opts={"downloads_url": downloads.url})
        assert unknown.findings == ()
        assert unknown.facts is not None and any("downloads of clean unknown" in n for n in unknown.facts.notes)
        asked = len(downloads.requests)
        off = Policy.from_mapping({"rules": {"trust/low-downloads": {"enabled": False}}})
        gate({"clean": "^1.0.0"}, registry, osv, opts={"downloads_url": downloads.url}, policy=off)
        assert len(downloads.requests) == asked  # a disabled rule: the API is not even asked


def test_lockfile_pins_and_import_locations(registry: PackumentServer, osv: OsvServer) -> None:
    lock = '{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/minimist": {"version": "1.2.5"}\n  }\n}\n'
    imports = [ImportRef("npm:lodash@4.17.20", "src/mod.ts", 7)]
    result = gate({}, registry, osv, files={"package-lock.json": lock}, imports=imports)
    located = sorted((f.properties["name"], f.path, f.line) for f in result.findings)
    assert ("minimist", "package-lock.json", 4) in located
    assert ("lodash", "src/mod.ts", 7) in located
    assert result.facts is not None
    sources = {(d.name, d.source, d.direct) for d in result.facts.dependencies}
    assert ("minimist", "lockfile", False) in sources and ("lodash", "import", True) in sources


def test_max_dependencies_stops_the_walk_and_fails_closed(registry: PackumentServer, osv: OsvServer) -> None:
    result = gate({"axios": "~1.7.0"}, registry, osv, policy=trust_policy(max_dependencies=1))
    assert "trust/audit-unavailable" in rules_of(result.findings)


def test_fingerprint_evidence_excludes_versions(registry: PackumentServer, osv: OsvServer) -> None:
    first = by_rule(gate({"lodash": "4.17.15"}, registry, osv).findings, "trust/vulnerability")
    second = by_rule(gate({"lodash": "4.17.20"}, registry, osv).findings, "trust/vulnerability")
    shared = {f.evidence for f in first} & {f.evidence for f in second}
    assert "lodash GHSA-35jh-r3h4-6jhm" in shared


def test_too_many_direct_dependencies_are_bounded(registry: PackumentServer, osv: OsvServer) -> None:
    deps = {f"pkg-{i}": "^1.0.0" for i in range(5)}
    result = gate(deps, registry, osv, policy=trust_policy(max_dependencies=2))
    assert "trust/audit-unavailable" in rules_of(result.findings)
    assert len([p for p in registry.paths() if p.startswith("/pkg-")]) == 2


def test_gate_works_when_called_from_a_running_event_loop(registry: PackumentServer, osv: OsvServer) -> None:
    async def inside() -> list[str]:
        return rules_of(gate({"debug": "4.4.2"}, registry, osv).findings)

    assert asyncio.run(inside()) == ["trust/malicious-package"]


def test_a_hanging_registry_is_not_asked_again_for_every_package(registry: PackumentServer, osv: OsvServer) -> None:
    registry.delay = 0.5
    deps = {f"pkg-{i}": "^1.0.0" for i in range(6)}
    result = gate(deps, registry, osv, opts={"timeout": 0.1}, policy=trust_policy(concurrency=1))
    (finding,) = result.findings
    assert finding.rule_id == "trust/registry-unavailable" and "6 dependencies" in finding.message
    assert "timed out" in finding.message
    # one package's retries at most (a connect-phase timeout under load may never reach the server); the other
    # five fail fast instead of each waiting through its own retries (that would be 18 requests)
    assert 1 <= len(registry.requests) <= 3
