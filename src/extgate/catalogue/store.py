"""The catalogue database (SQLite, embedded; one file).

Schema (version 1; `PRAGMA user_version`):

    archives(id INTEGER PRIMARY KEY, sha256 TEXT UNIQUE NOT NULL, path TEXT, name TEXT, version TEXT,
             status TEXT NOT NULL,            -- passed | needs-acknowledgement | blocked
             errors INT, warnings INT, notes INT, score REAL,   -- verdict summary (score: percent, NULL if none)
             rules TEXT,                      -- JSON list of the error/warning rule ids
             tool_version TEXT, indexed_at TEXT)   -- extgate version and UTC time of the check
    dependencies(archive_id INT REFERENCES archives(id) ON DELETE CASCADE, name TEXT NOT NULL,
                 version TEXT NOT NULL, direct INT NOT NULL, PRIMARY KEY (archive_id, name, version))
    INDEX dependencies_by_name ON dependencies(name)

An archive is identified by its sha256 (re-indexing it replaces its row). Dependencies are the versions the trust
gate resolved (what will install), so a new advisory is matched against the catalogue without re-resolving.
PostgreSQL (`--db postgresql://...`) is not supported yet: the schema is plain SQL and would port as is.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS archives (
  id INTEGER PRIMARY KEY, sha256 TEXT UNIQUE NOT NULL, path TEXT, name TEXT, version TEXT, status TEXT NOT NULL,
  errors INT, warnings INT, notes INT, score REAL, rules TEXT, tool_version TEXT, indexed_at TEXT);
CREATE TABLE IF NOT EXISTS dependencies (
  archive_id INT NOT NULL REFERENCES archives(id) ON DELETE CASCADE, name TEXT NOT NULL, version TEXT NOT NULL,
  direct INT NOT NULL, PRIMARY KEY (archive_id, name, version));
CREATE INDEX IF NOT EXISTS dependencies_by_name ON dependencies(name);
"""


class CatalogueError(Exception):
    """The database is not an extgate catalogue (or a newer schema): a usage error."""


@dataclass(frozen=True, slots=True)
class Installed:
    """One catalogue version that installs `dependency`@`version`."""

    archive_id: int
    name: str
    version: str
    path: str
    sha256: str
    dependency: str
    dependency_version: str
    direct: bool


class Catalogue:
    def __init__(self, path: Path) -> None:
        if str(path).startswith(("postgresql:", "postgres:")):
            raise CatalogueError("PostgreSQL catalogues are not supported yet; use a SQLite file")
        self.path = path
        try:
            self.db = sqlite3.connect(path)
            self.db.execute("PRAGMA foreign_keys = ON")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise CatalogueError(
                    f"{path}: catalogue schema {version} is newer than this extgate ({SCHEMA_VERSION})"
                )
            self.db.executescript(_SCHEMA)
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise CatalogueError(f"{path}: not a catalogue database ({exc})") from None

    def add(self, record: dict[str, Any]) -> None:
        """Record one scan-many record (its verdict summary and resolved dependencies)."""
        verdict = record["verdict"]
        package = verdict.get("package") or {}
        summary = verdict.get("summary") or {}
        score = verdict.get("score") or {}
        rules = sorted({f["rule_id"] for f in verdict.get("findings", []) if f.get("level") in ("error", "warning")})
        with self.db:
            self.db.execute("DELETE FROM archives WHERE sha256 = ?", (record["sha256"],))
            cursor = self.db.execute(
                "INSERT INTO archives (sha256, path, name, version, status, errors, warnings, notes, score, rules,"
                " tool_version, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record["sha256"],
                    record["path"],
                    package.get("name"),
                    package.get("version"),
                    record["status"],
                    summary.get("error", 0),
                    summary.get("warning", 0),
                    summary.get("note", 0),
                    score.get("percentage") if isinstance(score, dict) else None,
                    json.dumps(rules),
                    (verdict.get("tool") or {}).get("version"),
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )
            rows = {
                (d["name"], d["resolved"], int(bool(d.get("direct", True))))
                for d in verdict.get("dependencies", [])
                if isinstance(d.get("name"), str) and isinstance(d.get("resolved"), str)
            }
            self.db.executemany(
                "INSERT OR IGNORE INTO dependencies (archive_id, name, version, direct) VALUES (?, ?, ?, ?)",
                [(cursor.lastrowid, *row) for row in sorted(rows)],
            )

    def installing(self, names: set[str]) -> Iterator[Installed]:
        """Every catalogue version that installs any of `names` (case-insensitive, as advisories misspell)."""
        lowered = sorted({n.lower() for n in names})
        for start in range(0, len(lowered), 500):
            chunk = lowered[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = (
                "SELECT a.id, a.name, a.version, a.path, a.sha256, d.name, d.version, d.direct FROM dependencies d"
                f" JOIN archives a ON a.id = d.archive_id WHERE lower(d.name) IN ({marks}) ORDER BY a.id, d.name"
            )
            for row in self.db.execute(query, chunk):
                yield Installed(row[0], row[1] or "", row[2] or "", row[3] or "", row[4], row[5], row[6], bool(row[7]))

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM archives").fetchone()[0])

    def close(self) -> None:
        self.db.close()
