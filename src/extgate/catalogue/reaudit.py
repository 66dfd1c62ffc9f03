"""Re-audit a catalogue when advisories land: match only the new records, only against the versions whose
resolved dependencies they name, and say what the marketplace should do with each affected version."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from extgate import safeyaml
from extgate.catalogue.feed import parse_since
from extgate.catalogue.store import Catalogue, Installed
from extgate.datafiles import data_dir
from extgate.model import Advisory
from extgate.trust.interface import OsvRecord
from extgate.trust.match import Match, affects, merge

REPORT_SCHEMA = "extgate-reaudit/1"
DEPENDENCY_MATCH = "dependency-match"  # the new records vs the catalogue's recorded resolved dependencies
FULL_CHECK = "full-check"  # the archive itself checked again, with the new records as its advisory database


@dataclass(frozen=True, slots=True)
class Rule:
    """One lifecycle action and the advisories it applies to (rules/lifecycle/actions.yaml)."""

    action: str
    why: str
    malicious: bool | None = None
    severities: frozenset[str] = frozenset()

    def applies(self, advisory: Advisory) -> bool:
        if self.malicious is not None:
            return advisory.malicious == self.malicious
        return advisory.severity in self.severities


@dataclass(frozen=True, slots=True)
class Affected:
    """A published version that the new advisories affect, and the action for it (most urgent of its advisories)."""

    installed: Installed
    advisories: tuple[tuple[Installed, Advisory, str], ...]  # (dependency row, advisory, its action)
    action: str
    method: str = "dependency-match"  # how it was re-checked: dependency-match or full-check (--rescan)


def load_rules() -> tuple[Rule, ...]:
    path = data_dir("rules") / "lifecycle" / "actions.yaml"
    doc = safeyaml.load(path.read_bytes(), str(path))
    rules = []
    for item in doc["actions"]:
        when = item.get("when") or {}
        rules.append(
            Rule(
                action=str(item["action"]),
                why=" ".join(str(item.get("why", "")).split()),
                malicious=when.get("malicious"),
                severities=frozenset(str(s).upper() for s in when.get("severity", [])),
            )
        )
    return tuple(rules)


def npm_names(record: OsvRecord) -> set[str]:
    """The npm package names a record's `affected` entries name."""
    names: set[str] = set()
    entries = record.raw.get("affected")
    for entry in entries if isinstance(entries, list) else []:
        package = entry.get("package") if isinstance(entry, Mapping) else None
        if isinstance(package, Mapping) and str(package.get("ecosystem", "")).lower() == "npm":
            name = package.get("name")
            if isinstance(name, str) and name:
                names.add(name)
    return names


def since_filter(records: Iterable[OsvRecord], since: datetime | None) -> list[OsvRecord]:
    """Records modified (or published) at or after `since`, compared as times (offsets and fractions count);
    a record whose timestamps cannot be read is kept: better re-checked than missed."""
    if since is None:
        return list(records)
    kept = []
    for record in records:
        stamp = str(record.raw.get("modified") or record.raw.get("published") or "")
        try:
            if parse_since(stamp) < since:
                continue
        except ValueError:
            pass
        kept.append(record)
    return kept


def reaudit(catalogue: Catalogue, records: Sequence[OsvRecord], rules: Sequence[Rule]) -> tuple[list[Affected], int]:
    """The affected versions, most urgent first, and how many (version, dependency) rows were matched."""
    names = set().union(*(npm_names(r) for r in records)) if records else set()
    rows = list(catalogue.installing(names))
    by_name: dict[str, list[OsvRecord]] = defaultdict(list)
    for record in records:
        for name in npm_names(record):
            by_name[name.lower()].append(record)
    matches: dict[tuple[int, str, str], tuple[Installed, list[Match]]] = {}
    for row in rows:
        for record in by_name.get(row.dependency.lower(), ()):
            match = affects(record, row.dependency, row.dependency_version)
            if match is not None:
                key = (row.archive_id, row.dependency, row.dependency_version)
                matches.setdefault(key, (row, []))[1].append(match)
    per_archive: dict[int, list[tuple[Installed, Advisory]]] = defaultdict(list)
    for row, found in matches.values():
        for advisory in merge(found):
            per_archive[row.archive_id].append((row, advisory))
    return group(per_archive, rules, DEPENDENCY_MATCH), len(rows)


def group(
    per_archive: Mapping[int, Sequence[tuple[Installed, Advisory]]], rules: Sequence[Rule], method: str
) -> list[Affected]:
    """One Affected per archive, its advisories most urgent first, the archives most urgent first."""
    order = {rule.action: i for i, rule in enumerate(rules)}
    out = []
    for pairs in per_archive.values():
        items = [(row, advisory, _action(advisory, rules)) for row, advisory in pairs]
        items.sort(key=lambda item: (order.get(item[2], len(order)), item[1].id, item[0].dependency))
        out.append(Affected(items[0][0], tuple(items), items[0][2], method))
    return sort_affected(out, rules)


def sort_affected(affected: Iterable[Affected], rules: Sequence[Rule]) -> list[Affected]:
    order = {rule.action: i for i, rule in enumerate(rules)}
    key = lambda a: (order.get(a.action, len(order)), a.installed.name, a.installed.version, a.installed.sha256)  # noqa: E731
    return sorted(affected, key=key)


def _action(advisory: Advisory, rules: Sequence[Rule]) -> str:
    return next((rule.action for rule in rules if rule.applies(advisory)), "review")


def report(
    affected: Sequence[Affected], *, records: int, catalogue: Catalogue, checked: int, full_checks: int = 0
) -> dict[str, Any]:
    """The JSON a marketplace consumes. `method` is the run's (dependency-match, or full-check when --rescan
    re-checked every touched archive, mixed otherwise); each affected version says its own."""
    methods = {a.method for a in affected} or {FULL_CHECK if full_checks else DEPENDENCY_MATCH}
    return {
        "schema": REPORT_SCHEMA,
        "catalogue": str(catalogue.path),
        "catalogue_versions": catalogue.count(),
        "advisories_loaded": records,
        "dependency_rows_checked": checked,
        "method": methods.pop() if len(methods) == 1 else "mixed",
        "full_checks": full_checks,
        "affected": [
            {
                "name": a.installed.name,
                "version": a.installed.version,
                "sha256": a.installed.sha256,
                "path": a.installed.path,
                "action": a.action,
                "method": a.method,
                "advisories": [
                    {
                        "id": adv.id,
                        "aliases": list(adv.aliases),
                        "severity": adv.severity,
                        "score": adv.score,
                        "malicious": adv.malicious,
                        "summary": adv.summary,
                        "dependency": row.dependency,
                        "dependency_version": row.dependency_version,
                        "direct": row.direct,
                        "fixed": list(adv.fixed),
                        "action": action,
                    }
                    for row, adv, action in a.advisories
                ],
            }
            for a in affected
        ],
    }


def table(data: Mapping[str, Any]) -> str:
    """The human view of `report`."""
    affected = data["affected"]
    head = (
        f"reaudit: {data['advisories_loaded']} advisory record(s) against {data['catalogue_versions']} catalogue "
        f"version(s): {len(affected)} affected (re-checked by {data['method']}"
        + (f"; {data['full_checks']} archive(s) checked in full)" if data.get("full_checks") else ")")
    )
    if not affected:
        return head + "\n"
    lines = [head, "", f"{'package@version':<40}{'action':<30}{'advisory':<22}{'severity':<10}dependency"]
    for item in affected:
        who = f"{item['name']}@{item['version']}"
        for i, adv in enumerate(item["advisories"]):
            lines.append(
                f"{(who if i == 0 else ''):<40}{(adv['action']):<30}{adv['id']:<22}{adv['severity']:<10}"
                f"{adv['dependency']}@{adv['dependency_version']}{'' if adv['direct'] else ' (transitive)'}"
                + (f"  [{item['method']}]" if i == 0 and data["method"] == "mixed" else "")
            )
    return "\n".join(lines) + "\n"
