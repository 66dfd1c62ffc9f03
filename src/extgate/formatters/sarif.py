"""SARIF 2.1.0 for GitHub code scanning: rule metadata from the rule packs, results with relative URIs, regions,
`partialFingerprints.primaryLocationLineHash`, and acknowledged warnings as external suppressions."""

from __future__ import annotations

import json
from typing import Any

from extgate.formatters.json import score_to_dict
from extgate.model import Finding, Verdict
from extgate.rules.registry import Rule, RuleRegistry, load_registry

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/extgate/extgate"


def _rule_name(rule_id: str) -> str:
    """`code/dynamic-eval` -> `CodeDynamicEval` (SARIF `name`: a readable identifier, no slashes)."""
    return "".join(part.capitalize() for part in rule_id.replace("/", "-").split("-"))


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    properties: dict[str, Any] = {"tags": sorted({*rule.tags, rule.gate}), "precision": rule.precision}
    if rule.security_severity is not None:
        properties["security-severity"] = rule.security_severity
    full = " ".join(part.strip() for part in (rule.what, rule.why) if part.strip()) or rule.title
    return {
        "id": rule.id,
        "name": _rule_name(rule.id),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": full},
        "help": {"text": f"{rule.fix.strip() or rule.title}", "markdown": rule.help_markdown()},
        "defaultConfiguration": {"level": rule.level.value},
        "properties": properties,
    }


def _fallback_uri(verdict: Verdict) -> str:
    """GitHub needs a location on every result: findings about the whole package point at its manifest."""
    for candidate in ("package.json", "manifest.yaml", "manifest.yml"):
        if candidate in verdict.target.publish_set:
            return candidate
    return verdict.target.path.replace("\\", "/").rsplit("/", 1)[-1] or "."


def _result(finding: Finding, index: int | None, fallback_uri: str) -> dict[str, Any]:
    loc = finding.location
    region: dict[str, Any] = {"startLine": (loc.line if loc and loc.line else 1)}
    if loc and loc.column:
        region["startColumn"] = loc.column
    if loc and loc.end_line:
        region["endLine"] = loc.end_line
    if loc and loc.end_column:
        region["endColumn"] = loc.end_column
    if finding.snippet:
        region["snippet"] = {"text": finding.snippet}
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "level": finding.level.value,
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": (loc.path if loc else fallback_uri), "uriBaseId": "PKGROOT"},
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": finding.fingerprint},
        "fingerprints": {"extgate/v1": finding.fingerprint},
    }
    if index is not None:
        result["ruleIndex"] = index
    if finding.properties:
        result["properties"] = dict(finding.properties)
    if finding.acknowledged:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": finding.acknowledgement or ""}
        ]
    return result


def to_sarif(verdict: Verdict, registry: RuleRegistry | None = None) -> dict[str, Any]:
    registry = registry or load_registry()
    rules = list(registry)
    index = {rule.id: i for i, rule in enumerate(rules)}
    fallback = _fallback_uri(verdict)
    internal = [f for f in verdict.findings if f.rule_id == "engine/internal-error"]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "extgate",
                "version": verdict.tool_version,
                "semanticVersion": verdict.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(rule) for rule in rules],
            }
        },
        "originalUriBaseIds": {"PKGROOT": {"description": {"text": "The package root (npm tarball's package/)"}}},
        "invocations": [
            {
                "executionSuccessful": not internal,
                "toolExecutionNotifications": [{"level": "error", "message": {"text": f.message}} for f in internal],
            }
        ],
        "results": [_result(f, index.get(f.rule_id), fallback) for f in verdict.findings],
        "properties": {
            "status": verdict.status.value,
            "profile": verdict.profile,
            "target": {"path": verdict.target.path, "sha256": verdict.target.sha256},
            "score": score_to_dict(verdict.score),
        },
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(verdict: Verdict) -> str:
    return json.dumps(to_sarif(verdict), indent=2, ensure_ascii=False) + "\n"
