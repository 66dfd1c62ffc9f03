"""Rule packs + policy -> ContentConfig (hashable, picklable): the only place the gate reads YAML data or settings.

Matcher keys every kind understands:
  kind       regex | long-line | blob | ipv4 | url | pem | aws | assignment | dotenv
  patterns   list of regexes (Python `re` bytes syntax) or {regex, files, requires, prefilter, candidate} mappings (see
             PatternSpec); `${param}` expands to a parameter: a number as written, a list/mapping as an alternation
             (a prefix trie) of its escaped items, each up to its first `/`
  caseless   match the patterns case-insensitively
  files      [globs] or {include: [...], exclude: [...]}; globs without `/` match the file name
  settings   parameters the policy may override from its `[content]` section: a list of names, or a mapping
             parameter -> policy key
A pack's `data.shared` mapping is merged under each of its rules' matchers (placeholders, for instance).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from extgate.gates.content.interface import ContentConfig, FileFilter, Params, PatternSpec, RuleSpec
from extgate.gates.content.lines import run_pattern
from extgate.gates.content.matcher import ENGINES
from extgate.rules.registry import Rule, RuleRegistry

GATES = ("content", "secrets")
KINDS = frozenset({"regex", "long-line", "blob", "ipv4", "url", "pem", "aws", "assignment", "dotenv", "limit"})
_PARAM = re.compile(r"\$\{(\w+)\}")

Setting = Callable[[str, Any], Any]


def _no_policy(key: str, default: Any) -> Any:
    return default


def config_from(
    registry: RuleRegistry,
    setting: Setting = _no_policy,
    enabled: Callable[[str], bool] = lambda _rule_id: True,
) -> ContentConfig:
    """Build the config; `setting(key, default)` reads the policy's `[content]` section (GateContext.setting)."""
    data = registry.data("content")
    limits: Mapping[str, Any] = data.get("limits") or {}
    specs = tuple(
        _spec(rule, registry.data(rule.pack).get("shared") or {}, setting)
        for rule in registry
        if rule.gate in GATES and rule.matcher and enabled(rule.id)
    )
    engine = str(setting("engine", limits.get("engine", "auto")))
    if engine not in ENGINES:
        raise ValueError(f"[content] engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    return ContentConfig(
        rules=specs,
        text_suffixes=frozenset(str(s).lower() for s in data.get("text_suffixes") or ()),
        binary_suffixes=frozenset(str(s).lower() for s in data.get("binary_suffixes") or ()),
        max_hits_per_rule=_coerce(
            "max_hits_per_rule", setting("max_hits_per_rule", limits.get("max_hits_per_rule", 20)), 20
        ),
        max_counted=_coerce("max_counted", limits.get("max_counted", 1_000), 0),
        max_candidates=_coerce("max_candidates", setting("max_candidates", limits.get("max_candidates", 20_000)), 0),
        max_scan_bytes=_coerce(
            "max_scan_bytes", setting("max_scan_bytes", limits.get("max_scan_bytes", 16_000_000)), 0
        ),
        engine=engine,
    )


def _spec(rule: Rule, shared: Mapping[str, Any], setting: Setting) -> RuleSpec:
    raw: dict[str, Any] = {**shared, **rule.matcher}
    kind = str(raw.pop("kind", "regex"))
    if kind not in KINDS:
        raise ValueError(f"rule {rule.id}: unknown matcher kind {kind!r}")
    tunables = raw.pop("settings", None) or {}
    if not isinstance(tunables, Mapping):
        tunables = {str(name): str(name) for name in tunables}
    for param, key in tunables.items():
        raw[param] = _coerce(f"[content] {key}", setting(str(key), raw.get(param)), raw.get(param))
    files = FileFilter.of(raw.pop("files", None))
    caseless = bool(raw.pop("caseless", False))
    patterns = tuple(_pattern(p, raw, caseless, rule.id) for p in raw.pop("patterns", None) or ())
    if kind == "long-line" and not patterns:  # its expression is built from the (policy-tunable) threshold
        patterns = (run_pattern(int(raw.get("max_line_chars", 500))),)
    return RuleSpec(rule.id, kind, patterns, files, Params.of(raw))


def _pattern(raw: Any, params: Mapping[str, Any], caseless: bool, rule_id: str) -> PatternSpec:
    if isinstance(raw, str):
        raw = {"regex": raw}
    regex = str(raw["regex"])
    expanded = _PARAM.sub(lambda m: _expand(m.group(1), params, rule_id), regex)
    try:
        re.compile(expanded.encode())
    except re.error as exc:
        raise ValueError(f"rule {rule_id}: bad pattern {regex!r}: {exc}") from None
    requires = tuple(str(lit) for lit in raw.get("requires") or ())
    prefilter = _PARAM.sub(lambda m: _expand(m.group(1), params, rule_id), str(raw.get("prefilter") or ""))
    candidate = _PARAM.sub(lambda m: _expand(m.group(1), params, rule_id), str(raw.get("candidate") or ""))
    return PatternSpec(expanded, caseless, FileFilter.of(raw.get("files")), requires, prefilter, candidate)


def _expand(name: str, params: Mapping[str, Any], rule_id: str) -> str:
    if name not in params:
        raise ValueError(f"rule {rule_id}: pattern uses ${{{name}}} but the matcher has no {name!r}")
    value = params[name]
    if isinstance(value, Mapping):
        value = [item for items in value.values() for item in items]
    if isinstance(value, (list, tuple)):
        return trie_regex(frozenset(str(v).split("/", 1)[0] for v in value))
    return str(value)


def trie_regex(words: set[str] | frozenset[str]) -> str:
    """An alternation of literals as a prefix trie (`b(?:it\\.ly|itly\\.ws)`): `re` tries alternatives one by one at
    every position, so 100 hosts as a flat list cost 100 comparisons per byte; as a trie, one or two."""
    return _trie_regex(frozenset(words))


@functools.lru_cache(maxsize=256)  # a pure function of the words; every check builds the same configs again
def _trie_regex(words: frozenset[str]) -> str:
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alternatives = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not alternatives:
            return ""
        optional = "" in node
        if len(alternatives) == 1 and not optional:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")" + ("?" if optional else "")

    return build(trie) if words else "(?!)"


def _coerce(key: str, value: Any, default: Any) -> Any:
    """A policy value must have the type of the default it replaces: a typo must not disable a rule quietly."""
    if isinstance(default, bool) or default is None:
        return value
    try:
        if isinstance(default, int):
            if isinstance(value, bool) or int(value) != float(value) or int(value) < 0:
                raise ValueError
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, (list, tuple)):
            if isinstance(value, str) or not isinstance(value, (list, tuple)):
                raise ValueError
            return [str(v) for v in value]
        return str(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key}: expected a value like {default!r}, got {value!r}") from None
