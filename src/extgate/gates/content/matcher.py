"""The multi-pattern prefilter: one pass over a file tells which of the rules' expressions can match, and where.

With hyperscan, every expression of every enabled rule goes into one database, in one of two modes:

- located (the pattern has a `candidate` expression): compiled with `HS_FLAG_SOM_LEFTMOST`, so each match reports its
  span; every match of the exact regex starts inside one of these spans (the rule data promises it, tests check it).
  `re` then searches only from the spans (`located_finditer`), not the whole file.
- presence (no `candidate`): compiled in prefilter mode (`HS_FLAG_PREFILTER`: constructs hyperscan lacks, like
  look-behind, are widened, so it may say yes too often but never no wrongly) with `HS_FLAG_SINGLEMATCH` (one
  callback however often it matches); `re` scans the whole file when it fires.

Exact matches always come from Python `re`, searched so that they are the ones `finditer` over the whole file gives
(see `located_finditer`): both engines produce identical hits by construction. Without hyperscan every expression
runs through `re` over the whole file, after a `bytes.find` for its required literals.

Compiled matchers are cached per expression tuple: immutable, derived from the bundled rule data.
"""

from __future__ import annotations

import importlib
import math
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from extgate.gates.content.interface import Candidates, PatternSpec, Spans

_hs: Any
try:  # hyperscan has wheels for x86-64 only; elsewhere the `re` path is the engine
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised on platforms without the wheel
    _hs = None

ENGINES = ("auto", "hyperscan", "re")


def hyperscan_available() -> bool:
    return _hs is not None


# A located pattern reporting more spans than this in one file is searched through the whole file instead (bounded
# memory); after _MAX_REPORTS callbacks the scan stops and every expression runs over the whole file (bounded time).
_MAX_SPANS = 20_000
_MAX_REPORTS = 200_000
_SHORT = 48  # a span rest shorter than this is tried position by position (`regex.match`), not with `search`


@dataclass(frozen=True, slots=True)
class Compiled:
    """The `re` objects for exact matching, index-aligned with the pattern tuple they were built from, and how far
    past its start each one reads (None: unbounded; see `read_extent`)."""

    patterns: tuple[PatternSpec, ...]
    regexes: tuple[re.Pattern[bytes], ...]
    extents: tuple[int | None, ...] = ()


@lru_cache(maxsize=16)
def compile_patterns(patterns: tuple[PatternSpec, ...]) -> Compiled:
    return Compiled(
        patterns, tuple(p.compiled() for p in patterns), tuple(read_extent(p.regex.encode("utf-8")) for p in patterns)
    )


_parser: Any = importlib.import_module("re._parser")  # the stdlib's regex parser (no public API; stable since 3.11)
_c: Any = importlib.import_module("re._constants")
_LEAF = frozenset({"LITERAL", "NOT_LITERAL", "ANY", "IN"})


def read_extent(regex: bytes) -> int | None:
    """An upper bound on how many bytes past a match's start `re` reads to decide a match there (look-aheads and the
    one-byte peeks of repeats, `$` and `\\b` included; look-behinds read before the start). None when unbounded."""
    try:
        parsed = _parser.parse(regex)
    except (re.error, RecursionError):
        return None
    _, read = _extent(list(parsed))
    return None if math.isinf(read) else int(read) + 2


def locatable(pattern: PatternSpec) -> bool:
    """Located search needs a `candidate` and a regex that cannot match the empty string (it advances per match)."""
    if not pattern.candidate:
        return False
    try:
        return bool(_parser.parse(pattern.regex.encode("utf-8")).getwidth()[0] > 0)
    except (re.error, RecursionError):
        return False


def _extent(items: list[Any]) -> tuple[float, float]:
    """(most bytes advanced, most bytes read past the start) for a parsed sequence."""
    pos = read = 0.0
    for op, arg in items:
        name = str(op)
        if name in _LEAF:
            advance, reach = 1.0, 1.0
        elif name == "AT":
            advance, reach = 0.0, 1.0
        elif name == "BRANCH":
            parts = [_extent(list(branch)) for branch in arg[1]]
            advance, reach = max(p[0] for p in parts), max(p[1] for p in parts)
        elif name == "SUBPATTERN":
            advance, reach = _extent(list(arg[3]))
        elif name == "ATOMIC_GROUP":
            advance, reach = _extent(list(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            _low, high, sub = arg
            inner, inner_reach = _extent(list(sub))
            if high == _c.MAXREPEAT:
                advance = reach = math.inf if inner > 0 else inner_reach
            else:
                advance, reach = high * inner, max(0, high - 1) * inner + inner_reach if high else 0.0
        elif name in ("ASSERT", "ASSERT_NOT"):
            direction, sub = arg
            advance, reach = 0.0, _extent(list(sub))[1] if direction == 1 else 0.0
        else:  # back-references, conditionals: no bound
            return math.inf, math.inf
        read = max(read, pos + reach)
        pos += advance
    return pos, read


def located_finditer(
    regex: re.Pattern[bytes], data: bytes, spans: Spans | None, extent: int | None
) -> Iterator[re.Match[bytes]]:
    """Exactly `regex.finditer(data)`, given that every match starts inside one of `spans` (ascending, merged,
    inclusive ends): the leftmost match from a position is the first start position where `regex.match` succeeds,
    and gaps between spans hold no start, so only start positions inside spans are tried. A short rest of a span
    is tried position by position; a long one with one `search` that stops `extent` bytes past the span's end (a
    start inside the span reads nothing beyond that point, so a match found starting in the span is the one the
    whole-file search finds; one found past the span is not trusted unless nothing was cut off)."""
    if spans is None:
        yield from regex.finditer(data)
        return
    size = len(data)
    pos = 0
    for start, end in spans:
        at = max(pos, start)
        while at <= end:
            match: re.Match[bytes] | None = None
            if end - at < _SHORT:
                for offset in range(at, end + 1):
                    match = regex.match(data, offset)
                    if match is not None:
                        break
                if match is None:
                    break
            else:
                stop = size if extent is None else min(size, end + extent)
                match = regex.search(data, at, stop)
                if match is None:
                    if stop == size:
                        return
                    break
                if match.start() > end and stop < size:
                    break
            yield match
            pos = at = match.end()  # located patterns never match empty (see `locatable`)


class RePrefilter:
    """Without hyperscan: an expression whose required literals (`requires`) are all absent cannot match, and
    `bytes.find` (memchr speed) says so far faster than running the regex; the rest go to `re`."""

    engine = "re"

    def __init__(self, patterns: tuple[PatternSpec, ...] = ()) -> None:
        self._checks = tuple(
            (i, tuple(lit.encode("utf-8") for lit in p.requires), p.caseless) for i, p in enumerate(patterns)
        )

    def candidates(self, data: bytes) -> Candidates | None:
        if not any(literals for _, literals, _ in self._checks):
            return None
        lowered: bytes | None = None
        found: dict[int, Spans | None] = {}
        for index, literals, caseless in self._checks:
            if not literals:
                found[index] = None
                continue
            haystack = data
            if caseless:
                lowered = data.lower() if lowered is None else lowered
                haystack = lowered
            if any((lit.lower() if caseless else lit) in haystack for lit in literals):
                found[index] = None
        return found


class HyperscanPrefilter:
    """One hyperscan block-mode database over all expressions (located or presence mode, see the module docstring).
    An expression hyperscan rejects in its mode is tried in presence mode, and if hyperscan rejects that too (it
    cannot compile every `re` construct even in prefilter mode) it always runs through `re`, so a rule never goes
    silently blind."""

    engine = "hyperscan"

    def __init__(self, patterns: tuple[PatternSpec, ...]) -> None:
        assert _hs is not None
        self._scratch = threading.local()  # hyperscan scratch space is per thread; allocating it costs ~0.1 ms
        self._always: frozenset[int] = frozenset()
        modes = {i: "located" if locatable(p) else "presence" for i, p in enumerate(patterns)}
        self._db = self._compile(patterns, modes)
        if self._db is None:  # find the expressions hyperscan refuses, compile the rest
            for i in list(modes):
                if modes[i] == "located" and self._compile(patterns, {i: "located"}) is None:
                    modes[i] = "presence"
                if modes[i] == "presence" and self._compile(patterns, {i: "presence"}) is None:
                    del modes[i]
            self._always = frozenset(set(range(len(patterns))) - set(modes))
            self._db = self._compile(patterns, modes) if modes else None
        self._located = frozenset(i for i, mode in modes.items() if mode == "located")

    @staticmethod
    def _compile(patterns: tuple[PatternSpec, ...], modes: dict[int, str]) -> Any:
        assert _hs is not None
        ids = sorted(modes)
        expressions, flags = [], []
        for i in ids:
            spec = patterns[i]
            caseless = _hs.HS_FLAG_CASELESS if spec.caseless else 0
            if modes[i] == "located":
                expressions.append(spec.candidate.encode("utf-8"))
                flags.append(_hs.HS_FLAG_SOM_LEFTMOST | caseless)
            else:
                expressions.append((spec.prefilter or spec.regex).encode("utf-8"))
                flags.append(_hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_SINGLEMATCH | caseless)
        db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        try:
            db.compile(expressions=expressions, ids=ids, elements=len(ids), flags=flags)
        except _hs.error:
            return None
        return db

    @property
    def always(self) -> frozenset[int]:
        """Expressions hyperscan could not compile (run through `re` on every file)."""
        return self._always

    @property
    def located(self) -> frozenset[int]:
        """Expressions whose match spans the scan reports."""
        return self._located

    def candidates(self, data: bytes) -> Candidates | None:
        found: dict[int, Spans | None] = dict.fromkeys(self._always)
        if self._db is None:
            return found
        assert _hs is not None
        located = self._located
        spans: dict[int, list[tuple[int, int]]] = {}
        reports = 0

        def on_match(pattern_id: int, start: int, end: int, flags: int, context: object) -> bool:
            nonlocal reports
            reports += 1
            if pattern_id not in located or found.get(pattern_id, 0) is None:
                found[pattern_id] = None  # presence, or too many spans to keep: `re` looks at the whole file
            else:
                reported = spans.setdefault(pattern_id, [])
                reported.append((start, end))
                if len(reported) > _MAX_SPANS:
                    found[pattern_id] = None
                    del spans[pattern_id]
            return reports >= _MAX_REPORTS  # True stops the scan (ScanTerminated below)

        scratch = getattr(self._scratch, "space", None)
        if scratch is None:
            scratch = self._scratch.space = _hs.Scratch(self._db)
        try:
            self._db.scan(data, match_event_handler=on_match, scratch=scratch)
        except _hs.error:
            return None  # fail towards more work: let `re` look at everything
        for pattern_id, reported in spans.items():
            found[pattern_id] = _merge(reported)
        return found


def _merge(reported: list[tuple[int, int]]) -> Spans:
    """Sorted, overlapping or touching spans joined; ends inclusive (a match may start at a candidate's end)."""
    reported.sort()
    merged: list[tuple[int, int]] = []
    for start, end in reported:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


@lru_cache(maxsize=16)
def prefilter_for(patterns: tuple[PatternSpec, ...], engine: str) -> RePrefilter | HyperscanPrefilter:
    """`engine`: auto (hyperscan when importable), hyperscan (required), re."""
    if engine not in ENGINES:
        raise ValueError(f"[content] engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "re" or not patterns:
        return RePrefilter(patterns)
    if _hs is None:
        if engine == "hyperscan":
            raise RuntimeError("[content] engine = 'hyperscan' but the hyperscan module is not installed")
        return RePrefilter(patterns)
    return HyperscanPrefilter(patterns)
