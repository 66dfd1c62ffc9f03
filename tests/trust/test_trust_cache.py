"""The SQLite cache: TTLs, offline reads of any age, corrupt files discarded (with a note), never a crash."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from extgate.trust.cache import FILE_NAME, Cache


def test_round_trip_and_ttl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Cache.at(str(tmp_path))
    cache.put("packument", "r\0lodash", {"doc": {"name": "lodash"}})
    assert cache.get("packument", "r\0lodash", 60) == (True, {"doc": {"name": "lodash"}})
    assert cache.get("packument", "r\0other", 60) == (False, None)
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    assert cache.get("packument", "r\0lodash", 60) == (False, None)  # expired
    assert cache.get("packument", "r\0lodash", None)[0]  # offline: any age
    cache.close()


def test_disabled_cache_stores_nothing(tmp_path: Path) -> None:
    cache = Cache.at(str(tmp_path), enabled=False)
    cache.put("packument", "k", 1)
    assert cache.get("packument", "k", None) == (False, None)
    assert not (tmp_path / FILE_NAME).exists()


def test_corrupt_cache_is_discarded_and_rebuilt_with_a_note(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"this is not an sqlite database" * 100)
    cache = Cache.at(str(tmp_path))
    assert cache.enabled
    assert any("was discarded and rebuilt" in n for n in cache.notes)
    cache.put("osv-query", "k", ["GHSA-1"])
    assert cache.get("osv-query", "k", 60) == (True, ["GHSA-1"])
    cache.close()


def test_unrebuildable_cache_runs_without_one(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    cache = Cache.at(str(blocker))
    assert not cache.enabled
    assert any("running without a cache" in n for n in cache.notes)
    assert cache.get("k", "k", None) == (False, None)


def test_cache_breaking_in_use_is_dropped_not_raised(tmp_path: Path) -> None:
    cache = Cache.at(str(tmp_path))
    assert cache._db is not None
    cache._db.execute("DROP TABLE entries")
    assert cache.get("packument", "k", None) == (False, None)
    assert not cache.enabled
    assert any("failed while in use" in n for n in cache.notes)


def test_non_json_values_count_as_misses(tmp_path: Path) -> None:
    cache = Cache.at(str(tmp_path))
    cache.close()
    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.execute("INSERT INTO entries VALUES ('k', 'k', ?, '{broken')", (time.time(),))
    db.commit()
    db.close()
    assert Cache.at(str(tmp_path)).get("k", "k", None) == (False, None)
