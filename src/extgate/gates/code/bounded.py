"""Memoized, depth-bounded recursive resolution that still settles alias chains of any length.

The name resolvers (jsresolve.py, python.py) recurse: `e = d; d = c; ...; a = eval` is one call level per alias.
A fixed depth bound keeps the Python stack safe, but alone it lets a chain one alias longer than the bound hide
`eval`. So a top-level question is answered in passes:

    pass 1 resolves from the root until the depth bound cuts it at node F (the frontier)
    F is then resolved on its own, from depth 0; its complete result is memoized
    the next pass reaches F again, finds the memoized value and goes on past it

A chain of n aliases settles in about 2n / max_depth passes, each as shallow as one bounded pass. Within a pass
every question is answered once (cut results included), so may-alias fan-out stays linear; across passes only
complete results are kept. Passes are bounded in number and by the analysis deadline. When even that budget
runs out the answer is `incomplete`, which the analyzers report (safety/unparsed-file, reason unresolved-chain)
instead of treating the unknown as harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

MAX_DEPTH = 32  # recursion levels within one pass (each level is a few Python frames)
MAX_OPEN = 80  # bounded calls open at once (~6 Python frames each), whatever depth the callers passed
MAX_PASSES = 4_096  # passes one top-level question may take: chains of ~65,000 aliases settle


class ResolutionTimeout(Exception):
    """The resolution passes ran past the analysis deadline."""


class Bounded:
    """The memo and bookkeeping of one resolver. `call(key, depth, compute)` answers `compute(depth)` for `key`.

    key       identifies the question: the same key always means the same computation (('resolve', node id))
    enabled   keep complete answers across top-level questions; set once every binding is registered
    deadline  monotonic-clock time after which a new pass raises `timeout()` (default ResolutionTimeout)
    incomplete  the last top-level question could not be settled within the bounds
    """

    def __init__(self, deadline: float = float("inf"), timeout: Callable[[], Exception] = ResolutionTimeout) -> None:
        self.deadline = deadline
        self.timeout = timeout
        self.enabled = False
        self.incomplete = False
        self._complete: dict[Hashable, object] = {}
        self._seen: dict[Hashable, tuple[object, bool, bool]] = {}  # this pass only: value, cut, provisional
        self._cut = False
        self._provisional = False
        self._frontier: tuple[Hashable, Callable[[int], object]] | None = None
        self._open = 0

    def call(self, key: Hashable, depth: int, compute: Callable[[int], T]) -> T | None:
        if self._open == 0:
            if key in self._complete:  # what _settle's first pass would return, without the pass
                self.incomplete = False
                return self._complete[key]  # type: ignore[return-value]
            return self._settle(key, compute)
        return self._step(key, depth, compute)

    def mark_provisional(self) -> None:
        """The current computation met a question still being answered (a cycle, `a = b; b = a`): its answer
        holds for this pass only, or `b = a; b = eval` would memoize `a` as unknown before `eval` is seen."""
        self._provisional = True

    def _step(self, key: Hashable, depth: int, compute: Callable[[int], T]) -> T | None:
        if key in self._complete:
            return self._complete[key]  # type: ignore[return-value]
        seen = self._seen.get(key)
        if seen is not None:
            self._cut |= seen[1]
            self._provisional |= seen[2]
            return seen[0]  # type: ignore[return-value]
        if depth > MAX_DEPTH or self._open >= MAX_OPEN:
            self._cut = True
            if self._frontier is None:
                self._frontier = (key, compute)
            return None
        outer = self._cut, self._provisional
        self._cut = self._provisional = False
        self._open += 1
        try:
            value = compute(depth)
        finally:
            self._open -= 1
        cut, provisional = self._cut, self._provisional
        self._cut, self._provisional = outer[0] or cut, outer[1] or provisional
        if self.enabled and not (cut or provisional):
            self._complete[key] = value
        else:
            self._seen[key] = (value, cut, provisional)
        return value

    def _settle(self, key: Hashable, compute: Callable[[int], T]) -> T | None:
        pending: list[tuple[Hashable, Callable[[int], object]]] = []
        result: T | None = None
        for _ in range(MAX_PASSES):
            if time.monotonic() > self.deadline:
                raise self.timeout()
            self._seen.clear()
            self._cut, self._provisional, self._frontier = False, False, None
            target_key, target = pending[-1] if pending else (key, compute)
            value = self._step(target_key, 0, target)
            if not pending:
                result = value  # type: ignore[assignment]
            if not self._cut:
                if not pending:
                    self.incomplete = False
                    return result
                pending.pop()
                self._complete[target_key] = value  # even if provisional: the pass before it can go further
                continue
            frontier = self._frontier
            if (
                not self.enabled
                or frontier is None
                or frontier[0] == target_key
                or any(frontier[0] == k for k, _ in pending)
            ):
                break  # no memo to make progress with, or a cut that does not move
            pending.append(frontier)
        self._seen.clear()
        self.incomplete = True
        return result
