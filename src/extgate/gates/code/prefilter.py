"""Multi-pattern prefilter: which files can match any code rule, so only those are parsed.

One hyperscan database holds every pattern (single-match mode: each pattern reports at most once per file); where
hyperscan has no wheel, each pattern is searched with Python `re` instead. Patterns use the subset both engines
read the same way (no lookaround, no backreferences); a test checks the two backends agree.

Compiled databases are immutable and cached by the pattern tuple (which comes from the versioned rule pack).
Hyperscan scratch space is per thread.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from extgate.gates.code.interface import PrefilterPattern

_hs: Any
try:  # hyperscan ships wheels for x86_64 only
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised by forcing the fallback in tests
    _hs = None


@dataclass(frozen=True, slots=True)
class PrefilterHits:
    """Names of the patterns that matched, and the union of their groups."""

    names: frozenset[str]
    groups: frozenset[str]


class Prefilter:
    """A compiled pattern set. `scan(data)` returns which patterns occur in `data`."""

    def __init__(self, patterns: tuple[PrefilterPattern, ...], *, backend: str = "auto") -> None:
        if not patterns:
            raise ValueError("the code rule pack defines no prefilter patterns")
        self.patterns = patterns
        use_hs = _hs is not None and backend in ("auto", "hyperscan")
        if backend == "hyperscan" and _hs is None:
            raise RuntimeError("hyperscan is not installed")
        self.backend = "hyperscan" if use_hs else "re"
        self._scan: Callable[[bytes], set[int]]
        if use_hs:
            self._scan = self._hyperscan_scanner()
        else:
            compiled = [re.compile(p.regex.encode("ascii")) for p in patterns]
            self._scan = lambda data: {i for i, rx in enumerate(compiled) if rx.search(data)}

    def _hyperscan_scanner(self) -> Callable[[bytes], set[int]]:
        hs = _hs
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        db.compile(
            expressions=[p.regex.encode("ascii") for p in self.patterns],
            ids=list(range(len(self.patterns))),
            flags=[hs.HS_FLAG_SINGLEMATCH] * len(self.patterns),
        )
        local = threading.local()

        def scan(data: bytes) -> set[int]:
            scratch = getattr(local, "scratch", None)
            if scratch is None:
                scratch = local.scratch = hs.Scratch(db)
            hits: set[int] = set()

            def on_match(pattern_id: int, start: int, end: int, flags: int, context: object) -> bool:
                hits.add(pattern_id)
                return False  # keep scanning: other patterns may still match

            if data:
                db.scan(data, match_event_handler=on_match, scratch=scratch)
            return hits

        return scan

    def scan(self, data: bytes) -> PrefilterHits:
        ids = self._scan(data)
        names = frozenset(self.patterns[i].name for i in ids)
        groups = frozenset(g for i in ids for g in self.patterns[i].groups)
        return PrefilterHits(names, groups)


@lru_cache(maxsize=8)
def compiled(patterns: tuple[PrefilterPattern, ...], backend: str = "auto") -> Prefilter:
    """The compiled prefilter for a pattern set (cached: the rule pack is immutable)."""
    return Prefilter(patterns, backend=backend)


def available_backend() -> str:
    return "hyperscan" if _hs is not None else "re"
