"""The per-file result cache contract: results of pure per-file analysis, by content-addressed key.

A key is the sha256 of everything the result depends on: the analysis function, the file's path and bytes, the
digest of the gate's config (rule packs + the policy settings that reach per-file analysis) and the extgate version
(see `runner.task_key`). A cache never decides a verdict: a miss, an unreadable row or a broken database only
means the file is analysed again.
"""

from __future__ import annotations

from typing import Any, Protocol


class ResultCache(Protocol):
    notes: list[str]  # what went wrong (discarded rows or databases); copied into the verdict's notes

    def get(self, key: str) -> Any | None:
        """The stored result, or None (missing, or unreadable: then it is deleted and a note says so)."""
        ...

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        """`get` for many keys at once: the usable results by key."""
        ...

    def put_many(self, items: list[tuple[str, Any]]) -> None:
        """Store results (one transaction); failures only add a note."""
        ...

    def close(self) -> None: ...


class NoCache:
    """`--no-cache`: nothing is read or written."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def get(self, key: str) -> Any | None:
        return None

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        return {}

    def put_many(self, items: list[tuple[str, Any]]) -> None:
        return None

    def close(self) -> None:
        return None
