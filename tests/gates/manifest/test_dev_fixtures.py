"""fixtures/*: Cinatra dev-mode fixtures (cinatra.devFixtures), one finding per violation with its pointer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from manifest_support import ids, of, pkg, run

from extgate.facts import CodeFacts
from extgate.gates.interface import GateResult

README = (
    "# Calendar\n\nShows the team calendar inside Cinatra and lets agents find free slots, book meetings and "
    "keep everyone's availability current across time zones without copying events around by hand.\n\n"
    "## Capabilities\n\n- Find free slots across attendees\n- Book meetings on a connected calendar\n"
)
PATH = "cinatra/dev-fixtures.json"


def package(
    fixtures: Any, *, ports: list[str] | None = None, raw: str | None = None, **block: Any
) -> dict[str, bytes | str]:
    cinatra = {
        "apiVersion": "cinatra.ai/v1",
        "kind": "connector",
        "dependencies": [],
        "requestedHostPorts": ["settings"] if ports is None else ports,
        "devFixtures": PATH,
        **block,
    }
    doc = {"name": "@acme/calendar-connector", "version": "1.0.0", "license": "MIT", "cinatra": cinatra}
    text = raw if raw is not None else json.dumps(fixtures, indent=2)
    return pkg(doc, {"README.md": README, PATH: text})


def fixture_findings(result: GateResult) -> list[tuple[str, str]]:
    return [(f.rule_id, str(f.properties.get("pointer"))) for f in result.findings if f.rule_id.startswith("fixtures/")]


def check(fixtures: Any = None, **kwargs: Any) -> GateResult:
    return run(package(fixtures, **kwargs), code=CodeFacts())


SETTING = {"id": "demo-view", "surface": "setting", "key": "demoDefaultCalendarView", "value": "month"}
OBJECT = {"id": "demo-note", "surface": "object", "typeId": "@acme/calendar:note", "data": {"title": "Standup"}}


def test_the_documented_example_passes() -> None:
    result = check({"version": 1, "fixtures": [SETTING, OBJECT]})
    assert ids(result) == []


def test_no_dev_fixtures_declared_means_nothing_to_check() -> None:
    files = package(None)
    doc = json.loads(files["package.json"])
    del doc["cinatra"]["devFixtures"]
    files["package.json"] = json.dumps(doc)
    del files[PATH]
    assert ids(run(files, code=CodeFacts())) == []


def test_missing_file() -> None:
    files = package({"version": 1, "fixtures": []})
    del files[PATH]
    (finding,) = of(run(files, code=CodeFacts()), "fixtures/missing-file")
    assert finding.properties["pointer"] == "/cinatra/devFixtures"
    assert finding.location is not None and finding.location.path == "package.json"


@pytest.mark.parametrize(
    ("ref", "rule"),
    [("../outside.json", "fixtures/missing-file"), ("/abs.json", "fixtures/missing-file"), (7, "fixtures/shape")],
)
def test_bad_dev_fixtures_reference(ref: Any, rule: str) -> None:
    files = package({"version": 1, "fixtures": []}, devFixtures=ref)
    assert [f.rule_id for f in run(files, code=CodeFacts()).findings if f.rule_id.startswith("fixtures/")] == [rule]


def test_invalid_json_with_line_and_column() -> None:
    (finding,) = of(check(raw='{\n  "version": 1,\n  "fixtures": [\n    {"id": "a",}\n  ]\n}'), "fixtures/invalid-json")
    assert finding.location is not None
    assert (finding.location.path, finding.location.line) == (PATH, 4)


def test_duplicate_keys_in_a_fixture() -> None:
    raw = '{"version": 1, "fixtures": [\n{"id": "a", "surface": "setting", "key": "k", "key": "k2", "value": 1}]}'
    findings = of(check(raw=raw), "fixtures/invalid-json")
    assert [f.properties["pointer"] for f in findings] == ["/fixtures/0/key"]


@pytest.mark.parametrize("version", [None, 0, -1, "1", 1.0, True])
def test_version_must_be_an_integer_of_at_least_one(version: Any) -> None:
    doc: dict[str, Any] = {"fixtures": []}
    if version is not None:
        doc["version"] = version
    assert fixture_findings(check(doc)) == [("fixtures/version", "/version" if version is not None else "")]


def test_versions_above_one_are_fine() -> None:
    assert fixture_findings(check({"version": 7, "fixtures": []})) == []


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([], [("fixtures/shape", "")]),
        ({"version": 1}, [("fixtures/shape", "")]),
        ({"version": 1, "fixtures": {}}, [("fixtures/shape", "/fixtures")]),
        ({"version": 1, "fixtures": ["x"]}, [("fixtures/shape", "/fixtures/0")]),
        ({"version": 1, "fixtures": [{**SETTING, "id": ""}]}, [("fixtures/shape", "/fixtures/0/id")]),
        (
            {"version": 1, "fixtures": [{k: v for k, v in SETTING.items() if k != "key"}]},
            [("fixtures/shape", "/fixtures/0")],
        ),
        (
            {"version": 1, "fixtures": [{k: v for k, v in SETTING.items() if k != "value"}]},
            [("fixtures/shape", "/fixtures/0")],
        ),
        ({"version": 1, "fixtures": [{**OBJECT, "typeId": 3}]}, [("fixtures/shape", "/fixtures/0/typeId")]),
        ({"version": 1, "fixtures": [{**OBJECT, "data": []}]}, [("fixtures/shape", "/fixtures/0/data")]),
    ],
)
def test_shape(doc: Any, expected: list[tuple[str, str]]) -> None:
    assert fixture_findings(check(doc)) == expected


def test_duplicate_ids() -> None:
    doc = {"version": 1, "fixtures": [SETTING, {**OBJECT, "id": "demo-view"}, {**OBJECT, "id": "other"}]}
    assert fixture_findings(check(doc)) == [("fixtures/duplicate-id", "/fixtures/1/id")]


@pytest.mark.parametrize("surface", ["secret", "installed_extension", "sql", None])
def test_surface(surface: Any) -> None:
    fixture = {"id": "a", "key": "k", "value": 1}
    if surface is not None:
        fixture["surface"] = surface
    expected = "/fixtures/0/surface" if surface is not None else "/fixtures/0"
    assert fixture_findings(check({"version": 1, "fixtures": [fixture]})) == [("fixtures/surface", expected)]


def test_unknown_fields() -> None:
    doc = {"version": 1, "fixtures": [{**SETTING, "typeId": "x"}, {**OBJECT, "seed": "run"}], "extra": 1}
    assert sorted(fixture_findings(check(doc))) == [
        ("fixtures/unknown-field", "/extra"),
        ("fixtures/unknown-field", "/fixtures/0/typeId"),
        ("fixtures/unknown-field", "/fixtures/1/seed"),
    ]


def test_setting_fixture_needs_the_settings_grant() -> None:
    doc = {"version": 1, "fixtures": [SETTING, OBJECT]}
    assert fixture_findings(check(doc, ports=["nango"])) == [("fixtures/settings-grant", "/fixtures/0/surface")]
    assert fixture_findings(check({"version": 1, "fixtures": [OBJECT]}, ports=[])) == []


@pytest.mark.parametrize(
    ("fixture", "pointer"),
    [
        ({**SETTING, "orgId": "org_1"}, "/fixtures/0/orgId"),
        ({**SETTING, "key": "organizationId"}, "/fixtures/0/key"),
        ({**OBJECT, "data": {"owner": {"tenant_id": "t1"}}}, "/fixtures/0/data/owner/tenant_id"),
        ({**OBJECT, "data": {"org": "org_2abcDEF34567gh"}}, "/fixtures/0/data/org"),
        ({**SETTING, "value": "DELETE FROM users WHERE 1=1"}, "/fixtures/0/value"),
        ({**SETTING, "value": "select * from accounts"}, "/fixtures/0/value"),
        ({**OBJECT, "data": {"q": "INSERT INTO notes VALUES (1)"}}, "/fixtures/0/data/q"),
        ({**OBJECT, "data": {"steps": ["DROP TABLE x"]}}, "/fixtures/0/data/steps/0"),
        ({**SETTING, "value": "function run() { return 1 }"}, "/fixtures/0/value"),
        ({**SETTING, "value": "(ctx) => ctx.db.query()"}, "/fixtures/0/value"),
        ({**SETTING, "value": "require('child_process')"}, "/fixtures/0/value"),
        ({**OBJECT, "data": {"html": "<script>alert(1)</script>"}}, "/fixtures/0/data/html"),
    ],
)
def test_forbidden_content(fixture: dict[str, Any], pointer: str) -> None:
    assert fixture_findings(check({"version": 1, "fixtures": [fixture]})) == [("fixtures/forbidden-content", pointer)]


@pytest.mark.parametrize(
    "value",
    [
        "month",
        "Select a view from the menu",
        "Update settings to change the view",
        "Functions are grouped by team",
        "=> arrows are used in the changelog",
        "import the calendar first",
        42,
        {"title": "Weekly sync", "attendees": ["ana@example.com"]},
    ],
)
def test_ordinary_values_are_not_forbidden(value: Any) -> None:
    assert fixture_findings(check({"version": 1, "fixtures": [{**SETTING, "value": value}]})) == []


def test_findings_carry_lines_in_the_fixtures_file() -> None:
    doc = {"version": 1, "fixtures": [SETTING, {**SETTING, "id": "demo-view"}]}
    (finding,) = of(check(doc), "fixtures/duplicate-id")
    assert finding.location is not None and finding.location.line is not None
    assert finding.location.path == PATH
    text = json.dumps(doc, indent=2).split("\n")
    assert '"id": "demo-view"' in text[finding.location.line - 1]
