"""Data the code gate's per-file analysis takes and returns.

Everything here is frozen, hashable (config) or picklable (results), so `analyze_file(path, suffix, data, config)`
can be cached by content hash and run in worker processes. Nothing here depends on the policy's rule
enable/disable switches: the gate filters findings afterwards, so one cached analysis serves every policy.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from extgate.facts import ApiUse, ImportRef, Symbol
from extgate.gates.interface import FileHit
from extgate.lang import GRAMMAR_FOR_SUFFIX
from extgate.model import Level

# file suffix -> analysis language ('javascript', 'typescript', 'tsx' are tree-sitter grammars)
LANGUAGE_FOR_SUFFIX = {**GRAMMAR_FOR_SUFFIX, ".py": "python", ".html": "html", ".htm": "html"}

# prefilter groups: which kind of work a pattern hit asks for
GROUP_PARSE = "parse"  # a parser-based rule or a fact could apply: parse the file
GROUP_TROJAN = "trojan"  # bidi / zero-width characters present: run the character scan
GROUP_OBFUSCATION = "obfuscation"  # obfuscation markers present: compute the obfuscation metrics


@dataclass(frozen=True, slots=True)
class PrefilterPattern:
    """One prefilter expression.

    name     short id, reported in `FileAnalysis.prefilter_hits` and in unparsed-file messages
    regex    a bytes regular expression in the common subset of hyperscan and Python `re` (no lookaround)
    groups   what a hit asks for: parse, trojan, obfuscation
    """

    name: str
    regex: str
    groups: tuple[str, ...] = (GROUP_PARSE,)


@dataclass(frozen=True, slots=True)
class CallMatcher:
    """A rule expressed as data: calls (or `new`) of canonical API names.

    rule_id     the rule the finding belongs to
    javascript  fnmatch patterns over canonical JS names ('child_process.exec', 'Deno.Command', 'Bun.$')
    python      fnmatch patterns over canonical Python names ('subprocess.run', 'os.exec*')
    argument    '' for any call; 'string' when only a string-like first argument counts (implied eval)
    message     the finding message; '{api}' is replaced by the canonical name
    """

    rule_id: str
    javascript: tuple[str, ...] = ()
    python: tuple[str, ...] = ()
    argument: str = ""
    message: str = ""


@lru_cache(maxsize=256)
def names_regex(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled regex for a tuple of fnmatch patterns over canonical names (None when empty). Cached:
    patterns come from the immutable rule packs."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


@dataclass(frozen=True, slots=True)
class ApiNames:
    """How canonical API names are formed for `CodeFacts.api_uses` (data: api_names in rules/code.yaml).

    node_modules      capability modules: emitted as '<module>' on import and '<module>.<member>' on use
    js_globals        global APIs emitted verbatim when used ('fetch', 'WebSocket', 'navigator.sendBeacon')
    process_members   'process.<member>' names emitted
    deno_namespaces   Deno members that are namespaces: 'Deno.env.get' keeps the third segment
    python_modules    capability modules: '<module>' on import and '<module>.<member>' on use
    """

    node_modules: frozenset[str] = frozenset()
    js_globals: frozenset[str] = frozenset()
    process_members: frozenset[str] = frozenset()
    deno_namespaces: frozenset[str] = frozenset()
    python_modules: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ObfuscationThresholds:
    """Obfuscation classifier thresholds, measured on real bundles and javascript-obfuscator output (see the
    `code/obfuscated` rule docs). Ratios are computed per window of `window_bytes`."""

    window_bytes: int = 2_048  # windows overlap by half
    hex_ident_min: int = 10  # _0x identifiers in a window
    hex_ident_ratio: float = 0.05  # ... as a share of all identifiers
    hex_number_min: int = 10
    hex_number_ratio: float = 0.5  # hex numeric literals as a share of all numeric literals
    bracket_min: int = 10
    bracket_ratio: float = 0.3  # obj['name'] accesses as a share of obj['name'] + obj.name
    escape_min: int = 100
    escape_per_kb: float = 50.0  # \xNN / \uNNNN escapes per KiB
    minified_min_bytes: int = 1024
    minified_avg_line: int = 250  # average line length that marks minified code
    minified_long_line: int = 500  # or: a line this long ...
    minified_whitespace: float = 0.10  # ... in a file with at most this share of whitespace


@dataclass(frozen=True, slots=True)
class BehaviourConfig:
    """Data of the behaviour rules (rules/code.yaml `data.behaviour`; see gates/code/behaviour.py).

    fs_write, fs_delete, fs_read   member names of fs-like modules (fs, fs/promises, fs-extra, graceful-fs)
    fs_destination_second          members whose destination is the second argument (copyFile, rename)
    home_env                       environment variables that hold the home folder (HOME, USERPROFILE ...)
    system_prefixes                lower-case path prefixes of system folders ('/etc/', 'c:/windows/')
    credential_markers             lower-case path fragments of credential files ('.npmrc', '.ssh/', wallets)
    persistence_markers            lower-case fragments of shell start-up / autostart files ('.bashrc')
    locale_env                     locale / time-zone environment variables (LANG, LC_ALL, TZ)
    geoip_hosts                    IP-geolocation services
    delay_min_ms                   a timer delay at least this long (or random) counts as delayed execution
    """

    fs_write: frozenset[str] = frozenset()
    fs_delete: frozenset[str] = frozenset()
    fs_read: frozenset[str] = frozenset()
    fs_destination_second: frozenset[str] = frozenset()
    home_env: frozenset[str] = frozenset()
    system_prefixes: tuple[str, ...] = ()
    credential_markers: tuple[str, ...] = ()
    persistence_markers: tuple[str, ...] = ()
    locale_env: frozenset[str] = frozenset()
    geoip_hosts: tuple[str, ...] = ()
    delay_min_ms: float = 60_000


@dataclass(frozen=True, slots=True)
class CodeConfig:
    """Everything per-file analysis needs: rule-pack data plus the policy's `[code]` settings. Hashable.

    rules_version       the rule packs' digest (cache key part)
    max_parse_bytes     larger files are not parsed: safety/unparsed-file
    parse_timeout_ms    tree-sitter parse budget (cancelled through the progress callback); for Python the
                        same budget bounds a deterministic cost estimate made before the analysis (pyparse)
    python_max_depth    deeper Python syntax trees are not analysed (pyparse; the bound once protected libcst,
                        whose native parser crashes on very deep nesting, and is kept so verdicts stay the same)
    max_findings_per_rule  per file; the rest are counted in the last finding's message
    """

    rules_version: str = ""
    max_parse_bytes: int = 2_000_000
    parse_timeout_ms: int = 5_000
    python_max_depth: int = 200
    max_findings_per_rule: int = 25
    prefilter_backend: str = "auto"  # auto | hyperscan | re (tests and benchmarks force one)
    prefilter: tuple[PrefilterPattern, ...] = ()
    call_matchers: tuple[CallMatcher, ...] = ()
    js_network: tuple[str, ...] = ()
    js_serializers: tuple[str, ...] = ()
    py_network: tuple[str, ...] = ()
    py_serializers: tuple[str, ...] = ()
    network_methods: frozenset[str] = frozenset()
    api: ApiNames = field(default_factory=ApiNames)
    obfuscation: ObfuscationThresholds = field(default_factory=ObfuscationThresholds)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)


Props = tuple[tuple[str, Any], ...]


RawFinding = FileHit  # the shared per-file finding type (extgate.gates.interface)


@dataclass(slots=True)
class ParseResult:
    """What one language analyzer (javascript.py, python.py) accumulates for one file."""

    findings: list[RawFinding] = field(default_factory=list)
    # findings per (rule, level) including those not built once max_findings_per_rule was reached
    totals: dict[tuple[str, Level | None], int] = field(default_factory=dict)
    imports: list[ImportRef] = field(default_factory=list)
    api_uses: list[ApiUse] = field(default_factory=list)
    syntax_errors: bool = False
    symbols: tuple[Symbol, ...] | None = None  # exported declarations, read from the same tree (scoring)


@dataclass(frozen=True, slots=True)
class FileAnalysis:
    """The result of analysing one file.

    language        'javascript', 'typescript', 'tsx', 'python', 'html'; '' when not a code file
    prefilter_hits  names of the prefilter patterns that matched (sorted)
    parsed          True when a parser ran over the file (or all its inline scripts)
    skip_reason     why it was not parsed: 'no-prefilter-hit', 'too-large', 'timeout', 'syntax', 'too-deep',
                    'too-complex', 'not-code'; '' when parsed
    syntax_errors   tree-sitter produced ERROR/MISSING nodes (the file was still scanned)
    symbols         exported declarations and their docs, read from the tree this analysis parsed (for scoring's
                    symbols-docs factor: no second parse); None when no whole-file tree was parsed
    """

    path: str
    language: str = ""
    findings: tuple[RawFinding, ...] = ()
    imports: tuple[ImportRef, ...] = ()
    api_uses: tuple[ApiUse, ...] = ()
    prefilter_hits: tuple[str, ...] = ()
    parsed: bool = False
    skip_reason: str = ""
    syntax_errors: bool = False
    symbols: tuple[Symbol, ...] | None = None
