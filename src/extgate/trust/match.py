"""Does an OSV record affect an exact npm version? Matching per the OSV schema, and merging by alias.

Per affected entry: the package must be npm's and the name must match (below); then the version is affected
when it is in the explicit `versions` list or inside any SEMVER/ECOSYSTEM range. A range is evaluated as the
schema's pseudo-code does: events sorted by version; `introduced` (with "0" = the beginning) opens, `fixed`
closes at that version, `last_affected` closes after it; `limit` events, when present, cap the range (the
version must be below one of them, "*" = no cap). GIT ranges say nothing about npm versions and are ignored.
Records with `withdrawn` set are ignored. An event whose version is not semver is coerced ("1.0" -> "1.0.0");
one that cannot be read makes the range count as affecting (fail closed).

Package names. npm names are exact strings: the registry serves `JSONPath` and `jsonpath` as two different
packages, and OSV's API compares names byte-for-byte (only PyPI names are normalized there). Advisory data is
not always spelled right: GHSA-8hc4-vh64-cxmj names `Axios`, and `axios` is the package it is about (npm has
refused capital letters in new names since 2014, and the registry has no `Axios`). So extgate matches exactly
first, then case-insensitively *only* when the record's name has capitals -- a spelling npm no longer accepts --
and reports such a match as `case-insensitive`. The gate then asks the registry whether a package with the
record's exact spelling exists; if it does (a legacy mixed-case package such as `JSONPath`), the record is about
that package and the match is dropped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from extgate.model import Advisory
from extgate.trust.interface import OsvRecord
from extgate.trust.resolve import compare
from extgate.trust.severity import RANKS, severity_of

EXACT = "exact"
CASE_INSENSITIVE = "case-insensitive"
MAX_EVENTS = 10_000  # bound per range; real records have a handful
_COERCE = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$")


@dataclass(frozen=True, slots=True)
class Match:
    """How a record affects a version.

    record     the record
    name_match exact or case-insensitive
    fixed      fixed versions above the affected version, lowest first (what to upgrade to)
    last_affected  last_affected bounds above or at the version (no fix published within that range)
    affected   the affected entries that matched (their per-entry severity counts)
    """

    record: OsvRecord
    name_match: str
    fixed: tuple[str, ...]
    last_affected: tuple[str, ...]
    affected: tuple[Mapping[str, Any], ...]


def name_match(record_name: str, name: str) -> str | None:
    if record_name == name:
        return EXACT
    if record_name != record_name.lower() and record_name.lower() == name.lower():
        return CASE_INSENSITIVE
    return None


def coerce(version: str) -> str | None:
    """A semver string for an event/listed version, padding missing parts; None when unreadable."""
    found = _COERCE.match(version.strip())
    if not found:
        return None
    major, minor, patch, rest = found.groups()
    return f"{major}.{minor or 0}.{patch or 0}{rest}"


def _cmp(a: str, b: str) -> int | None:
    try:
        return compare(a, b)
    except (ValueError, TypeError):
        coerced_a, coerced_b = coerce(a), coerce(b)
        if coerced_a is None or coerced_b is None:
            return None
        try:
            return compare(coerced_a, coerced_b)
        except (ValueError, TypeError):
            return None


def _events(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    events = entry.get("events")
    out: list[tuple[str, str]] = []
    if not isinstance(events, list):
        return out
    for event in events[:MAX_EVENTS]:
        if isinstance(event, Mapping):
            for kind in ("introduced", "fixed", "last_affected", "limit"):
                value = event.get(kind)
                if isinstance(value, str):
                    out.append((kind, value))
    return out


def _event_cmp(a: tuple[str, str], b: tuple[str, str]) -> int:
    if a[1] == b[1]:
        return 0
    if a[1] == "0":
        return -1
    if b[1] == "0":
        return 1
    order = _cmp(a[1], b[1])
    return order if order is not None else 0


def in_range(version: str, entry: Mapping[str, Any]) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """(affected, fixed versions above `version`, last_affected bounds) for one SEMVER/ECOSYSTEM range."""
    events = sorted(_events(entry), key=functools.cmp_to_key(_event_cmp))
    affected = False
    for kind, bound in events:
        if kind == "introduced":
            order = 1 if bound == "0" else _cmp(version, bound)
            if order is None or order >= 0:
                affected = True
        elif kind == "fixed":
            order = _cmp(version, bound)
            if order is not None and order >= 0:
                affected = False
        elif kind == "last_affected":
            order = _cmp(version, bound)
            if order is not None and order > 0:
                affected = False
    limits = [bound for kind, bound in events if kind == "limit"]
    if affected and limits:
        affected = any(bound == "*" or (_cmp(version, bound) or 0) < 0 for bound in limits)
    fixed = tuple(b for k, b in events if k == "fixed" and (_cmp(b, version) or 0) > 0)
    last = tuple(b for k, b in events if k == "last_affected" and (_cmp(b, version) or 0) >= 0)
    return affected, fixed, last


def _listed(version: str, versions: Any) -> bool:
    if not isinstance(versions, list):
        return False
    for listed in versions[:MAX_EVENTS]:
        if isinstance(listed, str) and (listed == version or _cmp(listed, version) == 0):
            return True
    return False


def affects(record: OsvRecord, name: str, version: str, *, any_name: bool = False) -> Match | None:
    """The match when `record` affects npm `name`@`version`; None otherwise (and always for withdrawn records).

    any_name: skip the name test (the OSV API already chose the record for this package).
    """
    if record.withdrawn:
        return None
    entries = record.raw.get("affected")
    if not isinstance(entries, list):
        return None
    kind_seen: str | None = None
    fixed: list[str] = []
    last: list[str] = []
    hits: list[Mapping[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        package = entry.get("package")
        if not isinstance(package, Mapping) or str(package.get("ecosystem", "")).lower() != "npm":
            continue
        matched = EXACT if any_name else name_match(str(package.get("name", "")), name)
        if matched is None:
            continue
        hit = _listed(version, entry.get("versions"))
        ranges = entry.get("ranges")
        for item in ranges if isinstance(ranges, list) else []:
            if not isinstance(item, Mapping) or item.get("type") not in ("SEMVER", "ECOSYSTEM"):
                continue
            inside, fixes, lasts = in_range(version, item)
            if inside:
                hit = True
                fixed += fixes
                last += lasts
        if hit:
            hits.append(entry)
            kind_seen = EXACT if EXACT in (kind_seen, matched) else matched
    if not hits or kind_seen is None:
        return None
    return Match(record, kind_seen, _upgrade_targets(hits, fixed), _lowest_first(last), tuple(hits))


def _entry_hit(version: str, entry: Mapping[str, Any]) -> bool:
    if _listed(version, entry.get("versions")):
        return True
    ranges = entry.get("ranges")
    return any(
        isinstance(item, Mapping) and item.get("type") in ("SEMVER", "ECOSYSTEM") and in_range(version, item)[0]
        for item in (ranges if isinstance(ranges, list) else [])
    )


def _upgrade_targets(hits: Sequence[Mapping[str, Any]], fixed: Iterable[str]) -> tuple[str, ...]:
    """Fixed versions that no other range of the record still covers (overlapping ranges exist:
    GHSA-r683-j2x4-v87g has [0, 2.6.7) and [1.0, 3.1.1), so 2.6.7 is not an upgrade target)."""
    ordered = _lowest_first(fixed)
    clean = tuple(f for f in ordered if not any(_entry_hit(f, entry) for entry in hits))
    return clean or ordered[-1:]


def _version_cmp(a: str, b: str) -> int:
    return _cmp(a, b) or 0


def _lowest_first(versions: Iterable[str]) -> tuple[str, ...]:
    unique = list(dict.fromkeys(versions))
    unique.sort(key=functools.cmp_to_key(_version_cmp))
    return tuple(unique)


def is_malicious(record: OsvRecord) -> bool:
    """OpenSSF malicious-packages records (MAL-*), also when a record only carries the MAL id as an alias."""
    return record.id.startswith("MAL-") or any(alias.startswith("MAL-") for alias in record.aliases)


def merge(matches: Sequence[Match]) -> tuple[Advisory, ...]:
    """One Advisory per group of records that share an id or alias (a MAL record and the GHSA it mirrors)."""
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        while parent.setdefault(item, item) != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for match in matches:
        for alias in match.record.aliases:
            parent[find(alias)] = find(match.record.id)
    groups: dict[str, list[Match]] = {}
    for match in matches:
        groups.setdefault(find(match.record.id), []).append(match)
    return tuple(sorted((_advisory(group) for group in groups.values()), key=lambda a: a.id))


def _primary(ids: Iterable[str]) -> str:
    ordered = sorted(ids)
    for prefix in ("MAL-", "GHSA-"):
        for candidate in ordered:
            if candidate.startswith(prefix):
                return candidate
    return ordered[0]


def _advisory(group: Sequence[Match]) -> Advisory:
    ids = {m.record.id for m in group}
    aliases = {a for m in group for a in m.record.aliases} | ids
    primary = _primary(ids)
    rated = [severity_of(m.record.raw, m.affected) for m in group]
    label = max((r[0] for r in rated), key=lambda x: RANKS.get(x, 0))
    scores = [r[1] for r in rated if r[1] is not None]
    summary = next((str(m.record.raw.get("summary")) for m in group if m.record.raw.get("summary")), "")
    fixed = _lowest_first(f for m in group for f in m.fixed)
    return Advisory(
        id=primary,
        aliases=tuple(sorted(aliases - {primary})),
        summary=summary[:300],
        severity=label,
        score=max(scores) if scores else None,
        fixed=fixed,
        malicious=any(is_malicious(m.record) for m in group),
    )
