"""The multi-pattern prefilter: one pass over a file tells which of the rules' expressions can match at all.

With hyperscan, every expression of every enabled rule goes into one database compiled in prefilter mode
(`HS_FLAG_PREFILTER`: constructs hyperscan lacks, like look-behind, are widened, so it may say yes too often but never
no wrongly) with `HS_FLAG_SINGLEMATCH` (one callback per expression, however often it matches: a 5 MB base64 line
costs one call, not millions). Exact spans then come from Python `re` on the expressions that fired, so both engines
produce identical hits by construction; without hyperscan every expression simply runs through `re`.

Compiled matchers are cached per expression tuple: immutable, derived from the bundled rule data.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from extgate.gates.content.interface import PatternSpec

_hs: Any
try:  # hyperscan has wheels for x86-64 only; elsewhere the `re` path is the engine
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised on platforms without the wheel
    _hs = None

ENGINES = ("auto", "hyperscan", "re")


def hyperscan_available() -> bool:
    return _hs is not None


@dataclass(frozen=True, slots=True)
class Compiled:
    """The `re` objects for exact matching, index-aligned with the pattern tuple they were built from."""

    patterns: tuple[PatternSpec, ...]
    regexes: tuple[re.Pattern[bytes], ...]


@lru_cache(maxsize=16)
def compile_patterns(patterns: tuple[PatternSpec, ...]) -> Compiled:
    return Compiled(patterns, tuple(p.compiled() for p in patterns))


class RePrefilter:
    """Without hyperscan: an expression whose required literals (`requires`) are all absent cannot match, and
    `bytes.find` (memchr speed) says so far faster than running the regex; the rest go to `re`."""

    engine = "re"

    def __init__(self, patterns: tuple[PatternSpec, ...] = ()) -> None:
        self._checks = tuple(
            (i, tuple(lit.encode("utf-8") for lit in p.requires), p.caseless) for i, p in enumerate(patterns)
        )

    def candidates(self, data: bytes) -> frozenset[int] | None:
        if not any(literals for _, literals, _ in self._checks):
            return None
        lowered: bytes | None = None
        found: set[int] = set()
        for index, literals, caseless in self._checks:
            if not literals:
                found.add(index)
                continue
            haystack = data
            if caseless:
                lowered = data.lower() if lowered is None else lowered
                haystack = lowered
            if any((lit.lower() if caseless else lit) in haystack for lit in literals):
                found.add(index)
        return frozenset(found)


class HyperscanPrefilter:
    """One hyperscan block-mode database over all expressions. Expressions hyperscan rejects (it cannot compile every
    `re` construct even in prefilter mode) are always run through `re`, so a rule never goes silently blind."""

    engine = "hyperscan"

    def __init__(self, patterns: tuple[PatternSpec, ...]) -> None:
        assert _hs is not None
        self._scratch = threading.local()  # hyperscan scratch space is per thread; allocating it costs ~0.1 ms
        self._always: frozenset[int] = frozenset()
        accepted = list(range(len(patterns)))
        self._db = self._compile(patterns, accepted)
        if self._db is None:  # find the expressions hyperscan refuses, compile the rest
            accepted = [i for i in range(len(patterns)) if self._compile(patterns, [i]) is not None]
            self._always = frozenset(set(range(len(patterns))) - set(accepted))
            self._db = self._compile(patterns, accepted) if accepted else None

    @staticmethod
    def _compile(patterns: tuple[PatternSpec, ...], ids: list[int]) -> Any:
        assert _hs is not None
        db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        flags = [
            _hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_SINGLEMATCH | (_hs.HS_FLAG_CASELESS if patterns[i].caseless else 0)
            for i in ids
        ]
        try:
            db.compile(
                expressions=[(patterns[i].prefilter or patterns[i].regex).encode("utf-8") for i in ids],
                ids=ids,
                elements=len(ids),
                flags=flags,
            )
        except _hs.error:
            return None
        return db

    @property
    def always(self) -> frozenset[int]:
        """Expressions hyperscan could not compile (run through `re` on every file)."""
        return self._always

    def candidates(self, data: bytes) -> frozenset[int] | None:
        if self._db is None:
            return self._always
        assert _hs is not None
        found: set[int] = set(self._always)

        def on_match(pattern_id: int, start: int, end: int, flags: int, context: object) -> None:
            found.add(pattern_id)

        scratch = getattr(self._scratch, "space", None)
        if scratch is None:
            scratch = self._scratch.space = _hs.Scratch(self._db)
        try:
            self._db.scan(data, match_event_handler=on_match, scratch=scratch)
        except _hs.error:
            return None  # fail towards more work: let `re` look at everything
        return frozenset(found)


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
