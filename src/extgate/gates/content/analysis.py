"""`analyze_file(path, data, config) -> tuple[Hit, ...]`: the content gate's per-file work, a pure function.

Steps: skip binary files; one prefilter pass (hyperscan or none) over the file; each applicable rule's handler reads
exact `re` matches of its own expressions; hits are capped per rule (the rest become one summary hit); finally byte
offsets become 1-based line/column in one ascending walk over the file.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from types import MappingProxyType

from extgate.gates.content.blobs import blob
from extgate.gates.content.files import dotenv_file
from extgate.gates.content.interface import (
    Candidates,
    ContentConfig,
    Hit,
    PatternSpec,
    Prefilter,
    Raw,
    RuleSpec,
    Scan,
    props,
)
from extgate.gates.content.lines import long_line
from extgate.gates.content.matcher import Compiled, compile_patterns, located_finditer, prefilter_for
from extgate.gates.content.network import ipv4_literal, shady_url
from extgate.gates.content.secrets import assignment, aws_key, pem_private_key, regex_rule
from extgate.gates.content.text import Positions, is_text

Handler = Callable[[RuleSpec, Scan], Iterator[Raw]]

HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {
        "regex": regex_rule,
        "long-line": long_line,
        "blob": blob,
        "ipv4": ipv4_literal,
        "url": shady_url,
        "pem": pem_private_key,
        "aws": aws_key,
        "assignment": assignment,
        "dotenv": dotenv_file,
    }
)
SCAN_LIMIT = "content/scan-limit"
SECRET_PREFIX = "secrets/"


@dataclass(frozen=True, slots=True)
class _Layout:
    """All rules' expressions in one tuple (one prefilter database) and which of them belong to which rule."""

    patterns: tuple[PatternSpec, ...]
    owners: Mapping[str, tuple[int, ...]]
    rule_of: tuple[str, ...]  # the rule each expression belongs to (by index)

    def of(self, rule_id: str) -> tuple[int, ...]:
        return self.owners.get(rule_id, ())


def _layout(config: ContentConfig) -> _Layout:
    patterns: list[PatternSpec] = []
    owners: dict[str, tuple[int, ...]] = {}
    rule_of: list[str] = []
    for spec in config.rules:
        owners[spec.rule_id] = tuple(range(len(patterns), len(patterns) + len(spec.patterns)))
        patterns.extend(spec.patterns)
        rule_of += [spec.rule_id] * len(spec.patterns)
    return _Layout(tuple(patterns), MappingProxyType(owners), tuple(rule_of))


@dataclass(frozen=True, slots=True)
class _Prepared:
    layout: _Layout
    compiled: Compiled
    prefilter: Prefilter


class _EmptyScan:
    """A zero-byte file: running every handler over it once checks the rules' settings (a bad CIDR in a policy)
    when the config is prepared, so a bad setting fails every file, also the many a handler is skipped for."""

    path = ""
    data = b""

    def matches(self, spec: RuleSpec, *, bounded: bool = True) -> Iterator[re.Match[bytes]]:
        return iter(())

    def active(self, rule_id: str) -> bool:
        return False


@lru_cache(maxsize=16)
def _prepare(config: ContentConfig) -> _Prepared:
    layout = _layout(config)
    for spec in config.rules:
        if spec.kind in HANDLERS:
            for _ in HANDLERS[spec.kind](spec, _EmptyScan()):
                pass
    return _Prepared(layout, compile_patterns(layout.patterns), prefilter_for(layout.patterns, config.engine))


_last: tuple[ContentConfig, _Prepared] | None = None


def _prepared(config: ContentConfig) -> _Prepared:
    """`_prepare` with a fast path for the config of the previous file (hashing a config costs ~30 us, and a scan
    calls this for every file). Replacing the tuple is atomic, so threads may race here harmlessly."""
    global _last
    last = _last
    if last is not None and last[0] is config:
        return last[1]
    prepared = _prepare(config)
    _last = (config, prepared)
    return prepared


@dataclass(frozen=True, slots=True)
class _Order:
    """The config's rules as every file evaluates them, worked out once per config: handled rules only, those that
    defer to others last (stable), each with whether it has a file filter; and whether content/scan-limit is on."""

    rules: tuple[tuple[RuleSpec, bool], ...]
    limit_on: bool


_last_order: tuple[ContentConfig, _Order] | None = None


def _order(config: ContentConfig) -> _Order:
    """Per config (identity fast path like `_prepared`; no validation here, that stays with `_prepared`)."""
    global _last_order
    last = _last_order
    if last is not None and last[0] is config:
        return last[1]
    handled = [s for s in config.rules if s.kind in HANDLERS]
    ordered = sorted(handled, key=lambda s: bool(s.params.get("defer_to")))
    order = _Order(
        tuple((s, bool(s.files.include or s.files.exclude)) for s in ordered),
        config.rule(SCAN_LIMIT) is not None,
    )
    _last_order = (config, order)
    return order


class _FileScan:
    """One file as the handlers see it (the `Scan` protocol)."""

    def __init__(self, path: str, data: bytes, config: ContentConfig, active: frozenset[str]) -> None:
        self.path = path
        self.data = data
        self._config = config
        self._active = active
        prepared = _prepared(config)
        self._layout = prepared.layout
        self._compiled = prepared.compiled
        self._candidates: Candidates | None = prepared.prefilter.candidates(data)
        self._usable_of: dict[str, list[int]] = {}
        # rules with at least one prefilter candidate (None: no prefilter, every rule may match)
        candidates = self._candidates
        self._hinted: frozenset[str] | None = (
            None if candidates is None else frozenset(self._layout.rule_of[i] for i in candidates)
        )
        self.limited: dict[str, int] = {}

    def active(self, rule_id: str) -> bool:
        return rule_id in self._active

    def _usable(self, spec: RuleSpec) -> list[int]:
        found = self._usable_of.get(spec.rule_id)  # `possible` then `matches` ask for the same rule
        if found is not None:
            return found
        patterns = self._layout.patterns
        candidates = self._candidates
        found = [
            i
            for i in self._layout.of(spec.rule_id)
            if (candidates is None or i in candidates) and patterns[i].files.applies(self.path)
        ]
        self._usable_of[spec.rule_id] = found
        return found

    def possible(self, spec: RuleSpec) -> bool:
        """Whether any of the rule's expressions can match in this file (a rule without expressions always can)."""
        if not spec.patterns:
            return True
        if self._hinted is not None and spec.rule_id not in self._hinted:
            return False  # no expression of the rule is a candidate here (the common case)
        return bool(self._usable(spec))

    def matches(self, spec: RuleSpec, *, bounded: bool = True) -> Iterator[re.Match[bytes]]:
        """Exact matches of the rule's expressions in offset order, without overlaps; at most max_candidates when
        `bounded`. The same matches as `finditer` over the file; with hyperscan's spans only around candidates."""
        compiled = self._compiled
        candidates = self._candidates
        iterators = [
            located_finditer(
                compiled.regexes[i],
                self.data,
                None if candidates is None else candidates[i],
                compiled.extents[i],
            )
            for i in self._usable(spec)
        ]
        if not iterators:
            return
        merged = iterators[0] if len(iterators) == 1 else heapq.merge(*iterators, key=lambda m: m.start())
        budget = self._config.max_candidates if bounded else -1
        last_end = -1
        for match in merged:
            if match.start() < last_end:
                continue
            if budget == 0:
                self.limited[spec.rule_id] = match.start()
                return
            budget -= 1
            last_end = match.end()
            yield match


def analyze_file(path: str, data: bytes, config: ContentConfig) -> tuple[Hit, ...]:
    """Every content/secrets hit in one file, sorted by position then rule. Pure: same inputs, same output."""
    if not is_text(path, data, config.text_suffixes, config.binary_suffixes):
        return ()
    order = _order(config)
    # already in evaluation order: rules that defer to others (a generic assignment rule vs a specific token rule)
    # run last and drop their hits that overlap the others'
    ordered = [spec for spec, filtered in order.rules if not filtered or spec.files.applies(path)]
    limit_on = order.limit_on
    if not ordered:
        return ()
    scanned = data[: config.max_scan_bytes] if len(data) > config.max_scan_bytes else data
    scan = _FileScan(path, scanned, config, frozenset(s.rule_id for s in ordered))
    found: list[tuple[str, Raw]] = []
    if limit_on and len(data) > config.max_scan_bytes:
        found.append((SCAN_LIMIT, _size_limit(len(data), config.max_scan_bytes)))
    for spec in ordered:
        if not scan.possible(spec):
            continue  # no expression of the rule can match here: its handler would find nothing
        deferred = _spans(found, spec)
        kept, extra, first_extra, capped = _collect(HANDLERS[spec.kind](spec, scan), config, deferred)
        found += [(spec.rule_id, raw) for raw in kept]
        if first_extra is not None:
            found.append((spec.rule_id, _summary(spec.rule_id, extra, capped, config, first_extra)))
        if limit_on and spec.rule_id in scan.limited:
            found.append((SCAN_LIMIT, _candidate_limit(spec.rule_id, scan.limited[spec.rule_id], config)))
    return _positioned(scanned, found)


def _spans(found: list[tuple[str, Raw]], spec: RuleSpec) -> list[tuple[int, int]]:
    prefixes = spec.params.strings("defer_to")
    if not prefixes:
        return []
    return [
        span
        for rid, raw in found
        if rid != spec.rule_id and rid.startswith(prefixes)
        for span in ((raw.start, raw.end), *raw.covers)
    ]


def _collect(
    raws: Iterator[Raw], config: ContentConfig, deferred: list[tuple[int, int]]
) -> tuple[list[Raw], int, Raw | None, bool]:
    kept: list[Raw] = []
    extra = 0
    first_extra: Raw | None = None
    for raw in raws:
        if any(raw.start < end and start < max(raw.end, raw.start + 1) for start, end in deferred):
            continue
        if len(kept) < config.max_hits_per_rule:
            kept.append(raw)
            continue
        first_extra = first_extra or raw
        extra += 1
        if extra >= config.max_counted:
            return kept, extra, first_extra, True
    return kept, extra, first_extra, False


def _summary(rule_id: str, extra: int, capped: bool, config: ContentConfig, first: Raw) -> Raw:
    count = f"{extra:,}{'+' if capped else ''}"
    return Raw(
        first.start,
        first.start,
        f"{count} more {rule_id} hits in this file are not listed (only the first {config.max_hits_per_rule} are; "
        f"this is the next one). Fix the listed ones and re-run, or raise [content] max_hits_per_rule.",
        evidence="more-hits",
        level=first.level,
        properties=props(more=extra, capped=capped),
    )


def _size_limit(size: int, limit: int) -> Raw:
    return Raw(
        limit,
        limit,
        f"Only the first {limit:,} of {size:,} bytes of this file were checked by the content and secrets rules; the "
        f"rest was not scanned. Split or shrink the file, or raise [content] max_scan_bytes.",
        evidence=f"size>{limit}",
        properties=props(size=size, limit=limit),
    )


def _candidate_limit(rule_id: str, offset: int, config: ContentConfig) -> Raw:
    return Raw(
        offset,
        offset,
        f"{rule_id} stopped after examining {config.max_candidates:,} candidates in this file; from here on the "
        f"file was not checked for it. Such density is itself suspicious: review the file, or raise "
        f"[content] max_candidates.",
        evidence=f"candidates:{rule_id}",
        properties=props(rule=rule_id, limit=config.max_candidates),
    )


_WITHHELD = "(snippet withheld: it overlaps a secret reported in this file)"


def _withhold(found: list[tuple[str, Raw]]) -> list[tuple[str, Raw]]:
    """Blank snippets of other rules (a long line, a blob's head) that would copy part of a reported secret."""
    secrets = [
        span for rid, raw in found if rid.startswith(SECRET_PREFIX) for span in ((raw.start, raw.end), *raw.covers)
    ]
    if not secrets:
        return found
    out = []
    for rule_id, raw in found:
        shows = raw.shows
        if shows is not None and any(shows[0] < end and start < shows[1] for start, end in secrets):
            raw = replace(raw, snippet=_WITHHELD, shows=None)
        out.append((rule_id, raw))
    return out


def _positioned(data: bytes, found: list[tuple[str, Raw]]) -> tuple[Hit, ...]:
    found = _withhold(found)
    offsets = sorted({o for _, raw in found for o in (raw.start, raw.end)})
    positions = Positions(data)
    where = {offset: positions.at(offset) for offset in offsets}
    hits = []
    for rule_id, raw in found:
        line, column = where[raw.start]
        end_line, end_column = where[raw.end]
        hits.append(
            Hit(
                rule_id=rule_id,
                message=raw.message,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                snippet=raw.snippet,
                evidence=raw.evidence,
                level=raw.level,
                properties=raw.properties,
            )
        )
    hits.sort(key=lambda h: (h.line or 0, h.column or 0, h.rule_id, h.message))
    return tuple(hits)
