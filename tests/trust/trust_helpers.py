"""Shared helpers for the trust tests: fixture records, a GateContext builder, finding filters."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extgate.facts import CodeFacts, Facts, ImportRef
from extgate.gates.interface import GateContext, GateResult
from extgate.gates.trust import TrustGate
from extgate.model import Finding, Package
from extgate.options import Options
from extgate.policy import Policy
from extgate.profiles import get_profile
from extgate.rules.registry import load_registry
from extgate.trust.interface import OsvRecord

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "osv"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CLOSED_URL = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused at once


def raw_record(record_id: str) -> dict[str, Any]:
    folder = "malformed" if record_id.startswith("MAL-0000") else "npm"
    data: dict[str, Any] = json.loads((FIXTURES / folder / f"{record_id}.json").read_text())
    return data


def record(record_id: str) -> OsvRecord:
    return OsvRecord(record_id, raw_record(record_id))


def all_raw_records() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((FIXTURES / "npm").glob("*.json"))]


def package_json(deps: Mapping[str, Any] | None = None, **fields: Any) -> str:
    doc: dict[str, Any] = {"name": "ext", "version": "1.0.0"}
    if deps is not None:
        doc["dependencies"] = dict(deps)
    doc.update(fields)
    return json.dumps(doc, indent=2) + "\n"


def run_gate(
    files: Mapping[str, str | bytes],
    *,
    options: Options | None = None,
    policy: Policy | None = None,
    profile: str = "npm",
    imports: Iterable[ImportRef] = (),
) -> GateResult:
    rules = load_registry()
    code = CodeFacts(imports=tuple(imports)) if imports else None
    ctx = GateContext(
        Package.from_files(files),
        get_profile(profile, rules),
        policy or Policy(),
        options or Options(use_cache=False, now=NOW),
        rules,
        Facts(code=code),
        "trust",
    )
    return TrustGate().run(ctx)


def options(registry: str, osv: str, **more: Any) -> Options:
    values: dict[str, Any] = {"registry": registry, "osv_url": osv, "use_cache": False, "now": NOW, "timeout": 5.0}
    values.update(more)
    return Options(**values)


def trust_policy(**settings: Any) -> Policy:
    return Policy.from_mapping({"trust": settings})


def by_rule(findings: Iterable[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule_id == rule]


def rules_of(findings: Iterable[Finding]) -> list[str]:
    return sorted(f.rule_id for f in findings)
