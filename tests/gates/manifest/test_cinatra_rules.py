"""The Cinatra pack: every cinatra/* rule, positive and negative, on package.json files with a cinatra block."""

from __future__ import annotations

from typing import Any

import pytest
from manifest_support import NOW, code_facts, ids, of, pkg, run

from extgate.facts import CodeFacts
from extgate.gates.manifest.cinatra import abi_bounds, abi_satisfied, base_package, resolve_server_entry
from extgate.options import Options

README = """# Acme CRM

Connects Cinatra to the Acme CRM so agents can look up accounts and contacts, log activities and keep the
pipeline current without anyone copying data between tabs. Each workspace member connects their own account.

## Works with

- Acme CRM (cloud edition)

## Capabilities

- Look up accounts and contacts by name, domain or email
- Log calls, meetings and notes against a contact
"""

NAMES = {
    "connector": "@acme/crm-connector",
    "artifact": "@cinatra-ai/crm-artifact",
    "skill": "@acme/crm-skills",
    "agent": "@acme/crm-agent",
}


def cinatra(
    kind: str = "connector", *, name: str | None = None, files: dict[str, str] | None = None, **block: Any
) -> dict[str, bytes | str]:
    doc: dict[str, Any] = {
        "name": name or NAMES[kind],
        "version": "1.0.0",
        "license": "Apache-2.0",
        "cinatra": {"apiVersion": "cinatra.ai/v1", "kind": kind, "dependencies": [], **block},
    }
    if kind == "artifact" and "artifact" not in block:
        doc["cinatra"]["artifact"] = {"accepts": {"file": {"mimeTypes": ["application/json"]}}}
    return pkg(doc, {"README.md": README, **(files or {})})


def cinatra_ids(files: dict[str, bytes | str], **kwargs: Any) -> list[str]:
    return [
        i
        for i in ids(run(files, code=kwargs.pop("code", CodeFacts()), **kwargs))
        if i.startswith(("cinatra/", "fixtures/"))
    ]


@pytest.mark.parametrize("kind", ["connector", "artifact", "skill", "agent"])
def test_minimal_valid_extension_of_each_kind(kind: str) -> None:
    assert ids(run(cinatra(kind), code=CodeFacts())) == []


def test_cinatra_profile_is_detected_from_the_block() -> None:
    result = run(pkg({"name": "x", "version": "1.0.0", "cinatra": {"kind": "nope"}}), code=CodeFacts())
    assert "cinatra/kind" in ids(result)
    plain = run(pkg({"name": "x", "version": "1.0.0"}), code=CodeFacts())
    assert not [i for i in ids(plain) if i.startswith("cinatra/")]


def test_cinatra_profile_without_a_block() -> None:
    result = run(pkg({"name": "x", "version": "1.0.0"}), profile="cinatra", code=CodeFacts())
    assert ids(result) == ["cinatra/kind"]


# -- cinatra/kind ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "pointer"),
    [
        ({"kind": "workflow"}, "/cinatra/kind"),
        ({"apiVersion": "cinatra.ai/v2"}, "/cinatra/apiVersion"),
        ({"migrations": []}, "/cinatra/migrations"),
        ({"migrations": None}, "/cinatra/migrations"),
        ({"roles": ["ok", ""]}, "/cinatra/roles"),
        ({"roles": "admin"}, "/cinatra/roles"),
        ({"visibility": "public"}, "/cinatra/visibility"),
    ],
)
def test_kind_rule(block: dict[str, Any], pointer: str) -> None:
    kind = block.pop("kind", "connector")
    files = cinatra("connector", **block)
    if kind != "connector":
        files["package.json"] = str(files["package.json"]).replace('"kind": "connector"', f'"kind": "{kind}"')
    result = run(files, code=CodeFacts())
    findings = of(result, "cinatra/kind")
    assert [f.properties["pointer"] for f in findings] == [pointer]


def test_kind_allows_roles_and_visibility_when_well_formed() -> None:
    assert cinatra_ids(cinatra("connector", roles=["admin"], visibility="workspace")) == []


# -- cinatra/dependencies ----------------------------------------------------------------------------------------

GOOD_DEP = {
    "packageName": "@acme/web-agent",
    "edgeType": "runtime",
    "requirement": "required",
    "versionConstraint": {"kind": "semver-range", "range": "^1.0.0"},
}


def dep(**changes: Any) -> dict[str, Any]:
    out = {**GOOD_DEP, **changes}
    return {k: v for k, v in out.items() if v is not None}


def test_well_formed_dependencies_pass() -> None:
    deps = [
        GOOD_DEP,
        dep(packageName="@acme/b", edgeType="peer", requirement="optional", kind="agent"),
        dep(packageName="@acme/c", edgeType="install-time", versionConstraint={"kind": "exact", "version": "1.2.3"}),
    ]
    assert cinatra_ids(cinatra(dependencies=deps)) == []


@pytest.mark.parametrize(
    ("deps", "pointers"),
    [
        (None, ["/cinatra/dependencies"]),
        ({}, ["/cinatra/dependencies"]),
        ([dep(edgeType="hard")], ["/cinatra/dependencies/0/edgeType"]),
        ([dep(requirement=None)], ["/cinatra/dependencies/0/requirement"]),
        ([dep(packageName="")], ["/cinatra/dependencies/0/packageName"]),
        ([dep(packageName="@acme/crm-connector")], ["/cinatra/dependencies/0/packageName"]),
        ([dep(versionConstraint={"kind": "semver-range"})], ["/cinatra/dependencies/0/versionConstraint/range"]),
        ([dep(versionConstraint={"kind": "tag", "tag": "x"})], ["/cinatra/dependencies/0/versionConstraint/kind"]),
        ([dep(versionConstraint="^1")], ["/cinatra/dependencies/0/versionConstraint"]),
        ([dep(kind="workflow")], ["/cinatra/dependencies/0/kind"]),
        (["@acme/web-agent"], ["/cinatra/dependencies/0"]),
        ([GOOD_DEP, GOOD_DEP], ["/cinatra/dependencies/1/packageName"]),
    ],
)
def test_malformed_dependencies(deps: Any, pointers: list[str]) -> None:
    files = cinatra(dependencies=deps)
    findings = of(run(files, code=CodeFacts()), "cinatra/dependencies")
    assert [f.properties["pointer"] for f in findings] == pointers
    assert all(f.level.value == "error" for f in findings)


def test_missing_dependencies_array() -> None:
    files = pkg(
        {
            "name": "@acme/x-connector",
            "version": "1.0.0",
            "license": "MIT",
            "cinatra": {"apiVersion": "cinatra.ai/v1", "kind": "connector"},
        },
        {"README.md": README},
    )
    (finding,) = of(run(files, code=CodeFacts()), "cinatra/dependencies")
    assert "is missing" in finding.message


def test_git_ref_dependency_is_a_warning() -> None:
    files = cinatra(dependencies=[dep(versionConstraint={"kind": "git-ref", "ref": "main"})])
    (finding,) = of(run(files, code=CodeFacts()), "cinatra/dependencies")
    assert finding.level.value == "warning"


# -- cinatra/host-ports ------------------------------------------------------------------------------------------


def test_known_host_ports_pass() -> None:
    assert cinatra_ids(cinatra(requestedHostPorts=["db", "settings", "authSession", "telemetry"])) == []


def test_unknown_host_ports() -> None:
    findings = of(
        run(cinatra(requestedHostPorts=["settings", "setting", "oauth"]), code=CodeFacts()), "cinatra/host-ports"
    )
    assert [f.properties["pointer"] for f in findings] == [
        "/cinatra/requestedHostPorts/1",
        "/cinatra/requestedHostPorts/2",
    ]
    assert of(run(cinatra(requestedHostPorts="db"), code=CodeFacts()), "cinatra/host-ports")


# -- cinatra/abi -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["", "*", "^2", "~2.1", ">=2.0.0", "=2.2.0", "2", "2.x", "2.1.x", "^2.X.*", " ^2 "])
def test_supported_abi_ranges(spec: str) -> None:
    assert abi_bounds(spec) is not None
    assert of(run(cinatra(sdkAbiRange=spec), code=CodeFacts()), "cinatra/abi") == []


@pytest.mark.parametrize("spec", ["^0.9", "0", "2.0.0 - 3.0.0", "^2 || ^3", "<3", "latest", "v2", "2.2.2.2", "\u0662"])
def test_unsupported_abi_ranges(spec: str) -> None:
    assert abi_bounds(spec) is None
    (finding,) = of(run(cinatra(sdkAbiRange=spec), code=CodeFacts()), "cinatra/abi")
    assert finding.level.value == "error"


def test_abi_range_type() -> None:
    (finding,) = of(run(cinatra(sdkAbiRange=2), code=CodeFacts()), "cinatra/abi")
    assert "must be a string" in finding.message


@pytest.mark.parametrize(
    ("spec", "host", "ok"),
    [
        ("^2", "2.2.0", True),
        ("^2", "3.0.0", False),
        ("~2.1", "2.1.9", True),
        ("~2.1", "2.2.0", False),
        ("~2", "2.9.0", True),
        ("=2.2.0", "2.2.0", True),
        ("=2.2.0", "2.2.1", False),
        ("2.2", "2.2.7", True),
        ("2.2", "2.3.0", False),
        ("2", "2.9.9", True),
        (">=2.1", "9.0.0", True),
        (">=2.1", "2.0.9", False),
        ("^2.4.0", "2.3.0", False),
        ("*", "0.0.1", True),
    ],
)
def test_abi_host_satisfaction(spec: str, host: str, ok: bool) -> None:
    assert abi_satisfied(spec, host) is ok


def test_abi_not_satisfied_by_host_is_a_warning() -> None:
    result = run(cinatra(sdkAbiRange="^3"), options=Options(now=NOW, host_version="2.2.0"), code=CodeFacts())
    (finding,) = of(result, "cinatra/abi")
    assert finding.level.value == "warning"
    assert (
        of(
            run(cinatra(sdkAbiRange="^2"), options=Options(now=NOW, host_version="2.2.0"), code=CodeFacts()),
            "cinatra/abi",
        )
        == []
    )


# -- cinatra/name ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("connector", "@acme/gmail"),
        ("connector", "acme-connector"),
        ("connector", "@Acme/gmail-connector"),
        ("artifact", "@acme/pdf-artifact"),
        ("artifact", "@cinatra-ai/pdf"),
        ("skill", "@acme/helpers"),
        ("skill", "@acme/helpers-skill"),
    ],
)
def test_kind_at_end_names(kind: str, name: str) -> None:
    findings = of(run(cinatra(kind, name=name), code=CodeFacts()), "cinatra/name")
    assert len(findings) == 1
    assert findings[0].properties["pointer"] == "/name"


@pytest.mark.parametrize(("kind", "name"), [("artifact", "@cinatra-ai/email-artifacts"), ("agent", "@acme/anything")])
def test_accepted_names(kind: str, name: str) -> None:
    assert of(run(cinatra(kind, name=name), code=CodeFacts()), "cinatra/name") == []


def test_vendored_skill_keeps_its_upstream_name() -> None:
    assert (
        of(
            run(cinatra("skill", name="@anthropics/skills", vendoredFrom="github:anthropics/skills"), code=CodeFacts()),
            "cinatra/name",
        )
        == []
    )
    assert of(run(cinatra("skill", name="@anthropics/skills", vendoredFrom=None), code=CodeFacts()), "cinatra/name")


# -- cinatra/artifact-shape --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["serverEntry", "sdkAbiRange", "logo", "oas", "requestedHostPorts"])
def test_artifact_block_is_metadata_only(key: str) -> None:
    block: dict[str, Any] = {key: "./x"}
    findings = of(run(cinatra("artifact", **block), code=CodeFacts()), "cinatra/artifact-shape")
    assert [f.properties["pointer"] for f in findings] == [f"/cinatra/{key}"]


def test_artifact_allows_presentation_and_renderer_keys() -> None:
    files = cinatra(
        "artifact", displayName="CRM", vendor={"key": "acme"}, roles=["viewer"], views=[], fieldRenderers=[]
    )
    assert cinatra_ids(files) == []


@pytest.mark.parametrize(
    "artifact",
    [None, "pdf", {"satisfies": ["x"]}, {"accepts": {}}, {"accepts": "file"}, {"accepts": {"email": {}}}],
)
def test_artifact_needs_accepts(artifact: Any) -> None:
    files = cinatra("artifact", artifact=artifact)
    assert of(run(files, code=CodeFacts()), "cinatra/artifact-shape")


def test_artifact_shape_does_not_apply_to_connectors() -> None:
    assert of(run(cinatra("connector", logo="./logo.svg"), code=CodeFacts()), "cinatra/artifact-shape") == []


# -- cinatra/server-entry ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "exports", "expected"),
    [
        ("./dist/register.mjs", None, ("ok", "./dist/register.mjs")),
        ("./register", {"./register": "./dist/register.js"}, ("ok", "./dist/register.js")),
        ("./register", {"./register": {"types": "./x.d.ts", "import": "./dist/r.mjs"}}, ("ok", "./dist/r.mjs")),
        ("./register", {"./register": {"require": "./dist/r.cjs"}}, ("ok", "./dist/r.cjs")),
        ("./register", {"./register": {"node": {"import": "./dist/r.mjs"}}}, ("invalid-target", "")),
        ("./register", {"./register": ["./dist/r.mjs"]}, ("invalid-target", "")),
        ("./register", {"./register": "dist/r.mjs"}, ("invalid-target", "")),
        ("register.mjs", None, ("invalid-target", "")),
        ("./dist/../register.mjs", None, ("unsafe", "./dist/../register.mjs")),
        ("./register", {"./register": "./../r.mjs"}, ("unsafe", "./../r.mjs")),
        (".//abs.mjs", None, ("unsafe", ".//abs.mjs")),
    ],
)
def test_server_entry_resolution(entry: str, exports: Any, expected: tuple[str, str]) -> None:
    assert resolve_server_entry(entry, exports) == expected


def test_built_server_entry_passes() -> None:
    files = cinatra(serverEntry="./register", files={"dist/register.mjs": ""})
    doc_files = dict(files)
    import json

    doc = json.loads(doc_files["package.json"])
    doc["exports"] = {"./register": "./dist/register.mjs"}
    doc_files["package.json"] = json.dumps(doc, indent=2)
    assert cinatra_ids(doc_files) == []


@pytest.mark.parametrize(
    ("entry", "files", "level", "fragment"),
    [
        ("./src/register.ts", {"src/register.ts": ""}, "warning", "TypeScript source"),
        ("./src/register", {"src/register.ts": ""}, "error", "not a file"),
        ("./dist/register.mjs", {}, "error", "not a file"),
        ("./dist", {"dist/index.mjs": ""}, "error", "not a file"),
        ("./dist/register.json", {"dist/register.json": ""}, "error", "neither a built module"),
        ("register", {"register": ""}, "error", "resolver language"),
        ("./a/../register.mjs", {"register.mjs": ""}, "error", "'..' segment"),
    ],
)
def test_server_entry_findings(entry: str, files: dict[str, str], level: str, fragment: str) -> None:
    (finding,) = of(run(cinatra(serverEntry=entry, files=files), code=CodeFacts()), "cinatra/server-entry")
    assert finding.level.value == level
    assert fragment in finding.message
    assert finding.properties["pointer"] == "/cinatra/serverEntry"


# -- cinatra/first-party-import ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "base"),
    [("@a/b/c", "@a/b"), ("pkg/sub", "pkg"), ("@a", None), ("./x", None), ("/abs", None), ("", None)],
)
def test_base_package(spec: str, base: str | None) -> None:
    assert base_package(spec) == base


def test_sdk_imports_and_self_imports_pass() -> None:
    code = code_facts(
        imports=[
            ("@cinatra-ai/sdk-extensions", "src/a.ts", 1),
            ("@cinatra-ai/sdk-ui/icons", "src/a.ts", 2),
            ("@cinatra-ai/crm-connector/deps", "src/a.ts", 3),
            ("react", "src/a.ts", 4),
            ("./local", "src/a.ts", 5),
            ("@cinatra-ai-other/x", "src/a.ts", 6),
        ]
    )
    files = cinatra(name="@cinatra-ai/crm-connector")
    assert of(run(files, code=code), "cinatra/first-party-import") == []


@pytest.mark.parametrize(
    "spec", ["@/lib/db", "@/components/ui/button", "@cinatra-ai/crm-core", "@cinatra-ai/mcp-client/tools"]
)
def test_banned_imports_are_reported_at_the_import(spec: str) -> None:
    code = code_facts(imports=[(spec, "src/index.ts", 7)])
    (finding,) = of(run(cinatra(), code=code), "cinatra/first-party-import")
    assert finding.location is not None
    assert (finding.location.path, finding.location.line) == ("src/index.ts", 7)


def test_non_sdk_first_party_dependency_in_manifest() -> None:
    import json

    files = cinatra()
    doc = json.loads(files["package.json"])
    doc["peerDependencies"] = {"@cinatra-ai/sdk-extensions": "*", "@cinatra-ai/objects": "*"}
    doc["devDependencies"] = {"@cinatra-ai/test-utils": "*"}  # never installed by consumers
    files["package.json"] = json.dumps(doc, indent=2)
    (finding,) = of(run(files, code=CodeFacts()), "cinatra/first-party-import")
    assert finding.properties["pointer"] == "/peerDependencies/@cinatra-ai~1objects"


def test_first_party_imports_need_code_facts() -> None:
    result = run(cinatra(), code=None)
    assert result.facts is not None
    assert any(n.startswith("cinatra/first-party-import: source imports not checked") for n in result.facts.notes)


# -- cinatra/license ---------------------------------------------------------------------------------------------


def test_first_party_license_must_be_apache() -> None:
    files = cinatra("artifact")
    import json

    doc = json.loads(files["package.json"])
    doc["license"] = "MIT"
    files["package.json"] = json.dumps(doc, indent=2)
    (finding,) = of(run(files, code=CodeFacts()), "cinatra/license")
    assert finding.level.value == "error"
    assert finding.properties["pointer"] == "/license"


def test_vendored_first_party_keeps_upstream_license() -> None:
    import json

    files = cinatra("skill", name="@cinatra-ai/vendored", vendoredFrom="github:x/y")
    doc = json.loads(files["package.json"])
    doc["license"] = "MIT"
    files["package.json"] = json.dumps(doc, indent=2)
    assert of(run(files, code=CodeFacts()), "cinatra/license") == []


@pytest.mark.parametrize("license_value", [None, "", {"type": "MIT"}])
def test_third_party_without_license_warns(license_value: Any) -> None:
    import json

    files = cinatra()
    doc = json.loads(files["package.json"])
    if license_value is None:
        del doc["license"]
    else:
        doc["license"] = license_value
    files["package.json"] = json.dumps(doc, indent=2)
    (finding,) = of(run(files, code=CodeFacts()), "cinatra/license")
    assert finding.level.value == "warning"


# -- cinatra/readme (the contract's details are in test_cinatra_readme.py) ---------------------------------------


def test_missing_readme() -> None:
    files = cinatra()
    del files["README.md"]
    (finding,) = of(run(files, code=CodeFacts()), "cinatra/readme")
    assert "no root README.md" in finding.message


def test_bad_readme_findings_point_into_the_readme() -> None:
    files = cinatra(files={"README.md": README.replace("## Capabilities", "### Capabilities")})
    findings = of(run(files, code=CodeFacts()), "cinatra/readme")
    assert findings and all(f.location is not None and f.location.path == "README.md" for f in findings)
