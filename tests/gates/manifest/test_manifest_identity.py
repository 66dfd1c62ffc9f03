"""manifest/name, manifest/scope and manifest/version on both manifest kinds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from manifest_support import NOW, ids, of, pkg, run

from extgate.options import Options
from extgate.policy import Policy


def swamp(manifest: str, **extra: str) -> dict[str, bytes | str]:
    return {"manifest.yaml": manifest, **extra}


# -- manifest/name ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["left-pad", "@acme/widget", "a", "x.y_z-1", "@scope-with-dash/name.with.dots", "a" * 214]
)
def test_valid_npm_names(name: str) -> None:
    assert of(run(pkg({"name": name, "version": "1.0.0"})), "manifest/name") == []


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "is empty"),
        ("My-Package", "uppercase"),
        (".hidden", "starts with '.'"),
        ("_private", "starts with '_'"),
        (" spaced", "whitespace"),
        ("a" * 215, "at most 214"),
        ("fs", "core module"),
        ("node_modules", "npm blocks"),
        ("hello world", "URL-friendly"),
        ("caf\u00e9", "URL-friendly"),
        ("wow!", "~'!()*"),
        ("@scope", "scoped form"),
        ("@scope/", "scoped form"),
        ("@a/b/c", "scoped form"),
        ("@sc ope/x", "URL-friendly"),
        ("@scope/_x", "package part starting"),
    ],
)
def test_invalid_npm_names(name: str, fragment: str) -> None:
    findings = of(run(pkg({"name": name, "version": "1.0.0"})), "manifest/name")
    assert findings, name
    assert any(fragment in f.message for f in findings), [f.message for f in findings]
    assert all(f.location is not None and f.location.line == 2 for f in findings)


def test_missing_name() -> None:
    (finding,) = of(run(pkg({"version": "1.0.0"})), "manifest/name")
    assert "no `name`" in finding.message


def test_non_string_name_is_left_to_the_schema() -> None:
    result = run(pkg({"name": 42, "version": "1.0.0"}))
    assert of(result, "manifest/name") == []
    assert [f.properties["pointer"] for f in of(result, "manifest/schema")] == ["/name"]


@pytest.mark.parametrize("name", ["git-lens", "a", "my-ext-2"])
def test_orchestra_names_are_lowercase_hyphenated(name: str) -> None:
    doc = {"name": name, "version": "1.0.0", "compat": "native"}
    assert of(run(pkg(doc)), "manifest/name") == []


@pytest.mark.parametrize("name", ["git_lens", "@acme/git-lens", "git--lens", "gitlens-", "git.lens", "a" * 101])
def test_orchestra_names_reject_other_shapes(name: str) -> None:
    doc = {"name": name, "version": "1.0.0", "categories": ["git"]}
    findings = of(run(pkg(doc)), "manifest/name")
    assert any("Orchestra" in f.message for f in findings)


def test_orchestra_rule_needs_orchestra_fields() -> None:
    assert of(run(pkg({"name": "git_lens", "version": "1.0.0"})), "manifest/name") == []


@pytest.mark.parametrize("name", ["@acme/deploy", "@swamp/aws/ec2", "@my_org/a-b/c_d"])
def test_valid_swamp_names(name: str) -> None:
    result = run(swamp(f'manifestVersion: 1\nname: "{name}"\nversion: "2026.05.01.1"\n'))
    assert of(result, "manifest/name") == []


@pytest.mark.parametrize("name", ["deploy", "@Acme/deploy", "@acme", "@acme/", "@acme/de.ploy", "@acme//x"])
def test_invalid_swamp_names(name: str) -> None:
    result = run(swamp(f'manifestVersion: 1\nname: "{name}"\nversion: "2026.05.01.1"\n'))
    (finding,) = of(result, "manifest/name")
    assert finding.location is not None and finding.location.line == 2


# -- manifest/scope --------------------------------------------------------------------------------------------


def test_scope_owned_by_publisher_passes() -> None:
    result = run(pkg({"name": "@acme/x", "version": "1.0.0"}), options=Options(now=NOW, publishers=("@acme",)))
    assert of(result, "manifest/scope") == []


def test_scope_accepts_publisher_without_at_sign() -> None:
    result = run(pkg({"name": "@acme/x", "version": "1.0.0"}), options=Options(now=NOW, publishers=("ACME",)))
    assert of(result, "manifest/scope") == []


def test_scope_not_owned_is_an_error() -> None:
    result = run(pkg({"name": "@acme/x", "version": "1.0.0"}), options=Options(now=NOW, publishers=("@other",)))
    (finding,) = of(result, "manifest/scope")
    assert "@acme" in finding.message and "@other" in finding.message
    assert "reserved" not in finding.message


@pytest.mark.parametrize("name", ["@swamp/aws", "@si/thing", "@SWAMP/x"])
def test_reserved_scope_has_its_own_message_even_without_publishers(name: str) -> None:
    (finding,) = of(run(pkg({"name": name.lower(), "version": "1.0.0"})), "manifest/scope")
    assert "reserved" in finding.message


def test_reserved_scope_allowed_when_the_caller_lists_it() -> None:
    result = run(pkg({"name": "@swamp/aws", "version": "1.0.0"}), options=Options(now=NOW, publishers=("@swamp",)))
    assert of(result, "manifest/scope") == []


def test_reserved_scopes_come_from_the_policy() -> None:
    policy = Policy.from_mapping({"manifest": {"reserved_scopes": ["@cinatra-ai"]}})
    files = pkg({"name": "@cinatra-ai/x-connector", "version": "1.0.0"})
    assert "reserved" in of(run(files, policy=policy), "manifest/scope")[0].message
    assert of(run(pkg({"name": "@swamp/x", "version": "1.0.0"}), policy=policy), "manifest/scope") == []


def test_swamp_collective_must_be_owned() -> None:
    text = 'manifestVersion: 1\nname: "@acme/deploy"\nversion: "2026.05.01.1"\n'
    assert of(run(swamp(text), options=Options(now=NOW, publishers=("@acme",))), "manifest/scope") == []
    (finding,) = of(run(swamp(text), options=Options(now=NOW, publishers=("@other",))), "manifest/scope")
    assert "collective" in finding.message


def test_swamp_reserved_collective() -> None:
    text = 'manifestVersion: 1\nname: "@si/deploy"\nversion: "2026.05.01.1"\n'
    (finding,) = of(run(swamp(text)), "manifest/scope")
    assert "reserved" in finding.message


def test_unscoped_npm_names_have_no_scope_to_check() -> None:
    assert of(run(pkg({"name": "x", "version": "1.0.0"}), options=Options(publishers=("@a",))), "manifest/scope") == []


# -- manifest/version ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0.0", "0.1.0", "2.0.0-beta.1", "1.0.0-rc.1+build.5", "10.20.30", "1.0.0-0"])
def test_valid_semver(version: str) -> None:
    assert of(run(pkg({"name": "x", "version": version})), "manifest/version") == []


@pytest.mark.parametrize(
    ("version", "fragment"),
    [
        ("v1.0.0", "'v' prefix"),
        ("=1.0.0", "'=' prefix"),
        ("1.0", "not a valid SemVer"),
        ("01.0.0", "not a valid SemVer"),
        ("1.0.0-", "not a valid SemVer"),
        ("1.0.0-01", "not a valid SemVer"),
        ("1.0.0\n", "whitespace"),
        ("\u0661.0.0", "not a valid SemVer"),
        ("0.0.0-dev.3f2a9c1", "dev compile"),
        ("0.0.0-dev.anything-at-all", "dev compile"),
        ("1." + "1" * 300 + ".0", "longer than"),
    ],
)
def test_invalid_semver(version: str, fragment: str) -> None:
    (finding,) = of(run(pkg({"name": "x", "version": version})), "manifest/version")
    assert fragment in finding.message
    assert finding.location is not None and finding.location.line == 3


def test_missing_version() -> None:
    (finding,) = of(run(pkg({"name": "x"})), "manifest/version")
    assert "no `version`" in finding.message


@pytest.mark.parametrize("version", ["2026.05.20.1", "2026.01.01.12", "2024.02.29.1", "2026.05.20.300"])
def test_valid_calver(version: str) -> None:
    result = run(swamp(f'manifestVersion: 1\nname: "@acme/x"\nversion: "{version}"\n'))
    assert of(result, "manifest/version") == []


@pytest.mark.parametrize(
    ("version", "fragment"),
    [
        ("2026.02.30.1", "real calendar date"),
        ("2025.02.29.1", "real calendar date"),
        ("2026.13.01.1", "real calendar date"),
        ("2026.05.21.1", "in the future"),
        ("2027.01.01.1", "in the future"),
        ("2026.5.1.1", "not CalVer"),
        ("2026.05.01.0", "not CalVer"),
        ("2026.05.01.01", "not CalVer"),
        ("2026.05.01", "not CalVer"),
        ("1.2.3", "not CalVer"),
    ],
)
def test_invalid_calver(version: str, fragment: str) -> None:
    result = run(swamp(f'manifestVersion: 1\nname: "@acme/x"\nversion: "{version}"\n'))
    (finding,) = of(result, "manifest/version")
    assert fragment in finding.message
    assert finding.location is not None and finding.location.line == 3


def test_calver_future_check_uses_the_fixed_clock() -> None:
    text = 'manifestVersion: 1\nname: "@acme/x"\nversion: "2026.05.21.1"\n'
    later = Options(now=datetime(2026, 5, 21, 0, 0, 1, tzinfo=UTC))
    assert of(run(swamp(text), options=later), "manifest/version") == []
    assert ids(run(swamp(text))) == ["manifest/version"]
