"""SARIF 2.1.0 for GitHub code scanning: rule metadata from the rule packs, results with relative URIs, regions,
`partialFingerprints.primaryLocationLineHash`, and acknowledged warnings as external suppressions.

URIs are relative to the package root (`uriBaseId` PKGROOT) unless the verdict was rebased onto the repository
(`target.root`, `--repo-root` / `--each-package`): then they are repository paths under `%SRCROOT%`, as code
scanning maps them onto files. Each run carries `automationDetails.id` `extgate/<package folder>/`, so several
packages of one repository are separate analyses (one run per package in `to_sarif_log`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from extgate.formatters.json import score_to_dict
from extgate.model import Finding, Verdict
from extgate.rules.registry import Rule, RuleRegistry, load_registry

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/extgate/extgate"
PKGROOT = "PKGROOT"
SRCROOT = "%SRCROOT%"
_BASE_TEXT = {
    PKGROOT: "The package root (npm tarball's package/)",
    SRCROOT: "The repository root (the checkout)",
}


def _rule_name(rule_id: str) -> str:
    """`code/dynamic-eval` -> `CodeDynamicEval` (SARIF `name`: a readable identifier, no slashes)."""
    return "".join(part.capitalize() for part in rule_id.replace("/", "-").split("-"))


def help_uri(rule: Rule) -> str:
    """The rule's documentation: its pack file (What / Why / Example / Fix; also `extgate explain RULE`)."""
    return f"{INFORMATION_URI}/blob/main/rules/{rule.pack or rule.gate}.yaml"


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
        "helpUri": help_uri(rule),
        "defaultConfiguration": {"level": rule.level.value},
        "properties": properties,
    }


def _fallback_uri(verdict: Verdict) -> str:
    """GitHub needs a location on every result: findings about the whole package point at its manifest."""
    root = verdict.target.root
    for candidate in ("package.json", "manifest.yaml", "manifest.yml"):
        rebased = candidate if root in ("", ".") else f"{root}/{candidate}"
        if rebased in verdict.target.publish_set:
            return rebased
    manifest = "manifest.yaml" if verdict.profile == "swamp" else "package.json"
    return manifest if root in ("", ".") else f"{root}/{manifest}"


def _uri(path: str) -> str:
    """A relative URI reference (RFC 3986): spaces, '%', '#', '?' and non-ASCII in file names percent-encoded."""
    return quote(path.replace("\\", "/"), safe="/-._~!$&'()*+,;=:@")


def automation_id(verdict: Verdict) -> str:
    """`extgate/<package folder>/` (the category code scanning groups alerts by; one per package)."""
    where = verdict.target.root or str(verdict.manifest.get("name") or "") or Path(verdict.target.path).name or "."
    return f"extgate/{where}/"


def _base_id(verdict: Verdict) -> str:
    return SRCROOT if verdict.target.root else PKGROOT


def _result(finding: Finding, index: int | None, fallback_uri: str, base: str) -> dict[str, Any]:
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
                    "artifactLocation": {
                        "uri": _uri(loc.path if loc and loc.path else fallback_uri),
                        "uriBaseId": base,
                    },
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
    """A SARIF log with one run for `verdict`."""
    return to_sarif_log([verdict], registry)


def to_sarif_log(verdicts: Iterable[Verdict], registry: RuleRegistry | None = None) -> dict[str, Any]:
    """A SARIF log with one run per verdict (`--each-package`)."""
    registry = registry or load_registry()
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [_run(v, registry) for v in verdicts]}


def _run(verdict: Verdict, registry: RuleRegistry) -> dict[str, Any]:
    rules = list(registry)
    index = {rule.id: i for i, rule in enumerate(rules)}
    fallback = _fallback_uri(verdict)
    base = _base_id(verdict)
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
        "automationDetails": {"id": automation_id(verdict)},
        "originalUriBaseIds": {base: {"description": {"text": _BASE_TEXT[base]}}},
        "invocations": [
            {
                "executionSuccessful": not internal,
                "toolExecutionNotifications": [{"level": "error", "message": {"text": f.message}} for f in internal],
            }
        ],
        "results": [_result(f, index.get(f.rule_id), fallback, base) for f in verdict.findings],
        "properties": {
            "status": verdict.status.value,
            "profile": verdict.profile,
            "target": {"path": verdict.target.path, "sha256": verdict.target.sha256},
            "score": score_to_dict(verdict.score),
        },
        "columnKind": "unicodeCodePoints",
    }
    return run


def render(verdict: Verdict) -> str:
    return json.dumps(to_sarif(verdict), indent=2, ensure_ascii=False) + "\n"
