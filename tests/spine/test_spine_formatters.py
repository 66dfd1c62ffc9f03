"""Formatters: the JSON verdict validates against its shipped schema; SARIF against the official OASIS schema and
GitHub code scanning's needs."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from helpers import FuncGate, registry_with_test_rules, use_package

from extgate import Options, check
from extgate.formatters import markdown, sarif, text, to_json, to_sarif
from extgate.gates.interface import GateContext
from extgate.model import Finding, Package, Verdict

FIXTURES = Path(__file__).parent.parent / "fixtures"
PKG = Package.from_files({"package.json": '{"name": "demo", "version": "1.2.3"}', "lib/a.js": "eval(x)\n"})


def mixed(ctx: GateContext) -> list[Finding]:
    return [
        ctx.finding("demo/error-rule", "an error", path="lib/a.js", line=1, column=1, snippet="eval(x)"),
        ctx.finding("demo/warning-rule", "a warning", path="lib/a.js", line=2),
        ctx.finding("demo/note-rule", "a note | with pipe"),
    ]


@pytest.fixture
def verdict(monkeypatch: pytest.MonkeyPatch) -> Verdict:
    use_package(monkeypatch, PKG, [FuncGate("code", mixed)])
    return check(b"x", options=Options(acknowledge_all=True))


def test_json_validates_against_shipped_schema(verdict: Verdict) -> None:
    schema = json.loads(resources.files("extgate").joinpath("schemas/verdict.schema.json").read_text())
    data = json.loads(to_json(verdict))
    jsonschema.validate(data, schema)
    assert data["status"] == "blocked"
    assert data["summary"] == {"error": 1, "warning": 1, "note": 1, "acknowledged": 1}
    assert data["target"]["publish_set"] == ["package.json", "lib/a.js"]


def test_json_schema_rejects_a_broken_verdict(verdict: Verdict) -> None:
    schema = json.loads(resources.files("extgate").joinpath("schemas/verdict.schema.json").read_text())
    data = json.loads(to_json(verdict))
    data["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_sarif_validates_against_oasis_schema(verdict: Verdict) -> None:
    schema = json.loads((FIXTURES / "schemas" / "sarif-schema-2.1.0.json").read_text())
    log = json.loads(to_sarif(verdict))
    jsonschema.Draft4Validator(schema).validate(log)


def test_sarif_meets_github_code_scanning_needs(verdict: Verdict) -> None:
    run = json.loads(to_sarif(verdict))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in registry_with_test_rules()]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["markdown"].startswith(f"## {rule['id']}")
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert isinstance(rule["properties"]["tags"], list)
        if "security-severity" in rule["properties"]:
            float(rule["properties"]["security-severity"])  # a number written as a string
            assert isinstance(rule["properties"]["security-severity"], str)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        loc = result["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] >= 1
        assert result["partialFingerprints"]["primaryLocationLineHash"]
    note = next(r for r in run["results"] if r["level"] == "note")
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "package.json"
    acked = [r for r in run["results"] if r.get("suppressions")]
    assert len(acked) == 1 and acked[0]["level"] == "warning"
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_flags_unsuccessful_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ctx: GateContext) -> list[Finding]:
        raise ValueError("nope")

    use_package(monkeypatch, PKG, [FuncGate("code", boom)])
    run = sarif.to_sarif(check(b"x"))["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "nope" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


def test_text_and_markdown(verdict: Verdict) -> None:
    out = text.render(verdict)
    assert "lib/a.js:1:1: error[demo/error-rule] an error" in out
    assert out.rstrip().splitlines()[-1].startswith("BLOCKED: <memory> [npm] - 1 error(s), 1 warning(s) (1 ack")
    md = markdown.render(verdict)
    assert md.startswith("## ⛔ extgate: blocked")
    assert "a note \\| with pipe" in md
