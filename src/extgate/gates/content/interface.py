"""Data shared by the content gate's parts: rule specs and config in, hits out.

Everything here is frozen, hashable and picklable, so `analyze_file(path, data, config)` can be cached by content hash
and run in worker processes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import translate
from functools import lru_cache
from typing import Any, Protocol

from extgate.gates.interface import FileHit
from extgate.model import Level

Frozen = Any  # str | int | float | bool | None | tuple[Frozen, ...] -- mypy has no recursive alias worth the noise


def freeze(value: Any) -> Frozen:
    """YAML/TOML data -> hashable data: lists become tuples, mappings become sorted (key, value) tuples."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(freeze(v) for v in value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"unsupported value in rule data: {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Params:
    """A rule's matcher settings as a frozen, sorted tuple of (key, value) pairs (plus a lookup index)."""

    items: tuple[tuple[str, Frozen], ...] = ()
    _index: dict[str, Frozen] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", dict(self.items))

    @classmethod
    def of(cls, mapping: Mapping[str, Any]) -> Params:
        return cls(tuple(sorted((str(k), freeze(v)) for k, v in mapping.items())))

    def get(self, key: str, default: Any = None) -> Any:
        return self._index.get(key, default)

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.get(key, ())
        return (value,) if isinstance(value, str) else tuple(str(v) for v in value)

    def table(self, key: str) -> dict[str, Frozen]:
        """A frozen mapping parameter back as a dict."""
        return dict(self.get(key, ()))


@dataclass(frozen=True, slots=True)
class FileFilter:
    """Which files a rule or pattern applies to. Globs without `/` match the file name, others the whole path;
    matching is case-insensitive. Empty `include` means every text file."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(cls, raw: Any) -> FileFilter:
        if raw is None:
            return cls()
        if isinstance(raw, (list, tuple)):
            return cls(include=tuple(str(g).lower() for g in raw))
        return cls(
            include=tuple(str(g).lower() for g in raw.get("include") or ()),
            exclude=tuple(str(g).lower() for g in raw.get("exclude") or ()),
        )

    def applies(self, path: str) -> bool:
        if not self.include and not self.exclude:
            return True
        lower = path.lower()
        name = lower.rsplit("/", 1)[-1]
        if self.exclude and _globs(self.exclude).matches(lower, name):
            return False
        return not self.include or _globs(self.include).matches(lower, name)


@dataclass(frozen=True, slots=True)
class _Globs:
    """Globs compiled once: those with a `/` against the path, the others against the file name."""

    by_path: re.Pattern[str] | None
    by_name: re.Pattern[str] | None

    def matches(self, path: str, name: str) -> bool:
        return bool(
            (self.by_path is not None and self.by_path.match(path))
            or (self.by_name is not None and self.by_name.match(name))
        )


@lru_cache(maxsize=256)
def _globs(globs: tuple[str, ...]) -> _Globs:
    def join(items: list[str]) -> re.Pattern[str] | None:
        return re.compile("|".join(f"(?:{translate(g)})" for g in items)) if items else None

    return _Globs(join([g for g in globs if "/" in g]), join([g for g in globs if "/" not in g]))


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """One regular expression of a rule (bytes syntax of Python `re`, also fed to hyperscan in prefilter mode).

    regex     the expression after `${param}` expansion
    caseless  match case-insensitively
    files     extra file filter for this pattern only (e.g. unquoted assignments only in config files)
    requires  literals of which at least one occurs in every match (YAML `requires`): without hyperscan, a
              `bytes.find` for them skips the regex on files that cannot match
    prefilter what hyperscan compiles instead of `regex` (YAML `prefilter`), for expressions whose bounded repeats
              make hyperscan's compile slow: any expression that matches wherever `regex` does
    candidate a hyperscan expression (YAML `candidate`, compiled with start-of-match reporting) that locates the
              matches: every match of `regex` must start inside the span of one of its matches. Then `re` searches
              only from those spans instead of the whole file. Empty: `prefilter` (or `regex`) only says whether
              `re` scans the whole file.
    """

    regex: str
    caseless: bool = False
    files: FileFilter = FileFilter()
    requires: tuple[str, ...] = ()
    prefilter: str = ""
    candidate: str = ""

    def compiled(self) -> re.Pattern[bytes]:
        return re.compile(self.regex.encode("utf-8"), re.IGNORECASE if self.caseless else 0)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule as the content gate runs it.

    rule_id   stable id (`content/...` or `secrets/...`)
    kind      the handler: regex, long-line, blob, ipv4, url, pem, aws, assignment, dotenv
    patterns  the rule's expressions (may be empty for structural kinds)
    files     which files the rule applies to
    params    everything else from the YAML matcher, with policy overrides already applied
    """

    rule_id: str
    kind: str
    patterns: tuple[PatternSpec, ...] = ()
    files: FileFilter = FileFilter()
    params: Params = Params()


@dataclass(frozen=True, slots=True)
class ContentConfig:
    """Everything `analyze_file` needs besides the file. Hashable: use it as part of a cache key.

    rules              enabled rules, in evaluation order
    text_suffixes      always scanned as text, even with NUL bytes (code and docs run or get read as text)
    binary_suffixes    never scanned (images, fonts, archives)
    max_hits_per_rule  hits listed per rule per file; the rest become one summary hit
    max_counted        how far the rest are counted before the summary says "N+"
    max_candidates     regex candidates one rule may examine in one file; then a content/scan-limit hit
    max_scan_bytes     bytes of one file that are scanned; the rest gets a content/scan-limit hit
    engine             auto | hyperscan | re: the prefilter; exact spans always come from `re`
    """

    rules: tuple[RuleSpec, ...]
    text_suffixes: frozenset[str] = frozenset()
    binary_suffixes: frozenset[str] = frozenset()
    max_hits_per_rule: int = 20
    max_counted: int = 1_000
    max_candidates: int = 20_000
    max_scan_bytes: int = 16_000_000
    engine: str = "auto"

    def rule(self, rule_id: str) -> RuleSpec | None:
        for spec in self.rules:
            if spec.rule_id == rule_id:
                return spec
        return None


Hit = FileHit  # the shared per-file finding type (extgate.gates.interface)


@dataclass(frozen=True, slots=True)
class Raw:
    """A handler's hit before positions are computed: byte offsets into the file.

    covers  further spans this hit accounts for (an AWS key's secret), so deferring rules do not report them again
    shows   the byte range the snippet copies from the file (None: the snippet holds no raw file text); a snippet
            that would show part of a reported secret is withheld
    """

    start: int
    end: int
    message: str
    snippet: str | None = None
    evidence: str | None = None
    level: Level | None = None
    properties: tuple[tuple[str, str | int | float | bool], ...] = ()
    covers: tuple[tuple[int, int], ...] = ()
    shows: tuple[int, int] | None = None


Spans = tuple[tuple[int, int], ...]
# pattern index -> where its matches can start (ascending, merged [start, end] spans), or None: anywhere in the file.
# A pattern missing from the mapping cannot match at all.
Candidates = Mapping[int, Spans | None]


class Prefilter(Protocol):
    """A multi-pattern prefilter: which patterns can match in `data`, and where (None = maybe all, anywhere)."""

    engine: str

    def candidates(self, data: bytes) -> Candidates | None: ...


class Scan(Protocol):
    """What a rule handler sees of one file (implemented in analysis.py)."""

    path: str
    data: bytes

    def matches(self, spec: RuleSpec, *, bounded: bool = True) -> Iterator[re.Match[bytes]]: ...

    def active(self, rule_id: str) -> bool: ...


def props(**values: str | int | float | bool) -> tuple[tuple[str, str | int | float | bool], ...]:
    return tuple(sorted(values.items()))
