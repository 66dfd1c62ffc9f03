"""SQLite cache for packuments, OSV answers and download counts, with per-kind TTLs.

Lives in the platformdirs user cache dir (or `Options.cache_dir`). `--no-cache` disables it entirely;
`--offline` reads entries of any age (stale is better than nothing, and the verdict says the cache was used).
A cache that is not a database, or breaks while in use, is discarded and rebuilt -- or, when that fails too,
the run continues without a cache. Either way a note says so; a cache never crashes a check or turns into a pass.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import platformdirs

SCHEMA = 1
FILE_NAME = "trust-cache.sqlite3"

# seconds; a policy can override each as `[trust] cache_ttl_<kind>`
DEFAULT_TTLS = {
    "packument": 3600.0,
    "osv-query": 6 * 3600.0,
    "osv-vuln": 24 * 3600.0,
    "downloads": 24 * 3600.0,
}


def default_dir() -> Path:
    """`EXTGATE_CACHE_DIR`, else the platform's user cache dir (`~/.cache/extgate` on Linux)."""
    override = os.environ.get("EXTGATE_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("extgate", appauthor=False))


class Cache:
    """get/put JSON values by (kind, key). A disabled cache (`Cache.disabled()`) answers None and stores nothing."""

    def __init__(self, path: Path | None, notes: list[str] | None = None) -> None:
        self.path = path
        self.notes: list[str] = notes if notes is not None else []
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = self._open(path)

    @classmethod
    def disabled(cls) -> Cache:
        return cls(None)

    @classmethod
    def at(cls, cache_dir: str | None, *, enabled: bool = True) -> Cache:
        if not enabled:
            return cls.disabled()
        folder = Path(cache_dir) if cache_dir else default_dir()
        return cls(folder / FILE_NAME)

    @property
    def enabled(self) -> bool:
        return self._db is not None

    # -- opening -------------------------------------------------------------------------------------------
    def _open(self, path: Path) -> sqlite3.Connection | None:
        try:
            return self._connect(path)
        except (sqlite3.Error, OSError) as exc:
            self.notes.append(f"trust: cache {path} was unusable ({exc}); it was discarded and rebuilt")
        try:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return self._connect(path)
        except (sqlite3.Error, OSError) as exc:
            self.notes.append(f"trust: cache {path} could not be rebuilt ({exc}); running without a cache")
            return None

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=5.0, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS entries (kind TEXT NOT NULL, key TEXT NOT NULL, "
                "stored REAL NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key))"
            )
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
            elif row[0] != str(SCHEMA):  # an older/newer layout: start over rather than misread it
                db.execute("DELETE FROM entries")
                db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA),))
            db.execute("PRAGMA quick_check").fetchone()
        except BaseException:
            db.close()
            raise
        return db

    def _broken(self, exc: Exception) -> None:
        self.notes.append(f"trust: cache {self.path} failed while in use ({exc}); continuing without it")
        if self._db is not None:
            try:
                self._db.close()
            finally:
                self._db = None

    # -- use ---------------------------------------------------------------------------------------------------
    def get(self, kind: str, key: str, ttl: float | None) -> tuple[bool, Any]:
        """(hit, value). ttl None = any age (offline). A value that is not JSON counts as a miss."""
        if self._db is None:
            return False, None
        try:
            row = self._db.execute(
                "SELECT stored, value FROM entries WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        except sqlite3.Error as exc:
            self._broken(exc)
            return False, None
        if row is None or (ttl is not None and time.time() - float(row[0]) > ttl):
            return False, None
        try:
            return True, json.loads(row[1])
        except (ValueError, RecursionError):
            return False, None

    def put(self, kind: str, key: str, value: Any) -> None:
        if self._db is None:
            return
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)",
                (kind, key, time.time(), json.dumps(value, separators=(",", ":"))),
            )
        except (sqlite3.Error, ValueError, TypeError) as exc:
            self._broken(exc)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
