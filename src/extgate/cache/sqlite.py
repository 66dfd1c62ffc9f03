"""SQLite per-file result cache (`file-cache.sqlite3` in the extgate cache dir), safe for several processes.

WAL mode and a busy timeout let concurrent checks share it. Every row carries an HMAC-SHA256 of (key, value) under
a random key kept beside the database (`file-cache.key`, mode 0600), so a row edited outside extgate -- or bytes
damaged on disk -- fails verification and is deleted, never used. A file that is not a usable database is
discarded and rebuilt; if that fails too the run continues uncached. Every such event adds a note.
"""

from __future__ import annotations

import hmac
import os
import secrets
import sqlite3
import threading
from pathlib import Path
from typing import Any

from extgate.cache import codec

SCHEMA = 1
FILE_NAME = "file-cache.sqlite3"
KEY_NAME = "file-cache.key"
BATCH = 20_000


class SqliteResultCache:
    def __init__(self, folder: Path) -> None:
        self.notes: list[str] = []
        self.path = folder / FILE_NAME
        self._db: sqlite3.Connection | None = None
        try:
            self._secret = _secret(folder / KEY_NAME)
        except OSError as exc:
            self.notes.append(f"cache: {folder / KEY_NAME} unusable ({exc}); running without the file cache")
            return
        self._db = self._open()

    @property
    def enabled(self) -> bool:
        return self._db is not None

    def _open(self) -> sqlite3.Connection | None:
        try:
            return _connect(self.path)
        except (sqlite3.Error, OSError) as exc:
            self.notes.append(f"cache: {self.path} was unusable ({exc}); it was discarded and rebuilt")
        try:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return _connect(self.path)
        except (sqlite3.Error, OSError) as exc:
            self.notes.append(f"cache: {self.path} could not be rebuilt ({exc}); running without the file cache")
            return None

    def _mac(self, key: str, value: str) -> str:
        return hmac.digest(self._secret, f"{key}\0{value}".encode(), "sha256").hex()

    def get(self, key: str) -> Any | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        """The verified results among `keys` (one query for as many keys as SQLite binds at once: all of a gate's files
        in practice); bad rows are dropped with a note."""
        found: dict[str, Any] = {}
        step = self._batch()
        for start in range(0, len(keys), step):
            if self._db is None:
                break
            chunk = keys[start : start + step]
            marks = ",".join("?" * len(chunk))
            try:
                query = f"SELECT key, value, mac FROM results WHERE key IN ({marks})"
                rows = self._db.execute(query, chunk).fetchall()
            except sqlite3.Error as exc:
                self._broken(exc)
                break
            for key, value, mac in rows:
                result = self._verified(key, value, mac)
                if result is not None:
                    found[key] = result
        return found

    def _batch(self) -> int:
        """How many keys one query binds: SQLite's variable limit (32766 since 3.32, 999 before), at most BATCH."""
        try:
            limit = self._db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if self._db is not None else 999
        except (AttributeError, sqlite3.Error):  # Python < 3.11
            limit = 999
        return max(1, min(limit, BATCH))

    def _verified(self, key: str, value: object, mac: object) -> Any | None:
        if self._db is None:
            return None
        if isinstance(value, str) and isinstance(mac, str) and hmac.compare_digest(mac, self._mac(key, value)):
            try:
                return codec.loads(value)
            except codec.DecodeError:
                pass
        note = f"cache: damaged or modified entries in {self.path} were discarded; those files were re-analysed"
        if note not in self.notes:
            self.notes.append(note)
        try:
            self._db.execute("DELETE FROM results WHERE key = ?", (key,))
        except sqlite3.Error as exc:
            self._broken(exc)
        return None

    def put_many(self, items: list[tuple[str, Any]]) -> None:
        if self._db is None or not items:
            return
        rows = []
        for key, result in items:
            value = codec.dumps(result)
            rows.append((key, value, self._mac(key, value)))
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO results (key, value, mac) VALUES (?, ?, ?)", rows)
        except sqlite3.Error as exc:
            self._broken(exc)
            return
        _mark_sound(self.path)

    def _broken(self, exc: sqlite3.Error) -> None:
        self.notes.append(f"cache: {self.path} failed while in use ({exc}); continuing without the file cache")
        _forget(self.path)
        self._close()

    def close(self) -> None:
        sound = self._db is not None and _sound.get(str(self.path)) == _signature(self.path)
        self._close()
        if sound:  # closing checkpoints the WAL into the database: our own write, still sound
            _mark_sound(self.path)

    def _close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            finally:
                self._db = None


# The database files as this process last left them or found them sound: (path -> stat of the file and its WAL).
# `quick_check` reads the whole database, so it runs when the files changed since (another process wrote, or
# something damaged them), not on every check of a warm process. Damage it cannot see still fails closed: rows are
# HMAC-verified and a failing query drops the cache for that check with a note.
_sound: dict[str, tuple[object, ...]] = {}
_sound_lock = threading.Lock()


def _signature(path: Path) -> tuple[object, ...]:
    out: list[object] = []
    for suffix in ("", "-wal"):
        try:
            st = os.stat(f"{path}{suffix}")
        except OSError:
            out.append(None)
        else:
            out.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)


def _mark_sound(path: Path) -> None:
    with _sound_lock:
        _sound[str(path)] = _signature(path)


def _forget(path: Path) -> None:
    with _sound_lock:
        _sound.pop(str(path), None)


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    with _sound_lock:  # before opening: opening in WAL mode creates the WAL file
        known = _sound.get(str(path)) == _signature(path)
    db = sqlite3.connect(path, timeout=10.0, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        if not known:
            (check,) = db.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise sqlite3.DatabaseError(f"integrity check: {check}")
        with db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL, mac TEXT NOT NULL)"
            )
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
        (schema,) = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        if schema != str(SCHEMA):
            raise sqlite3.DatabaseError(f"schema {schema}, expected {SCHEMA}")
    except BaseException:
        _forget(path)
        db.close()
        raise
    _mark_sound(path)
    return db


def _secret(path: Path) -> bytes:
    """The HMAC key: created once (exclusively, 0600) and shared by every process using this cache dir."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():  # write aside, then link into place: readers never see a half-written key
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    try:  # any damage is an OSError: the caller then runs without the cache, with a note
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise OSError("unexpected key file contents") from None
    if len(key) != 32:
        raise OSError("unexpected key file contents")
    return key
