"""The warm path's shortcuts stay fail-closed: the row codec is exact and refuses anything it did not write, a
database this process already found sound is not re-scanned -- yet damage that slips past that is still never
trusted -- and a runner hashes each file's bytes once without ever mixing up two files."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from extgate import Options, check
from extgate.cache import FileRunner, codec
from extgate.cache import sqlite as cache_sqlite
from extgate.cache.sqlite import FILE_NAME, SqliteResultCache
from extgate.facts import ApiUse, ImportRef, Symbol
from extgate.gates.code.interface import FileAnalysis, RawFinding
from extgate.model import Level, Verdict
from support.archives import npm_tgz

FILES = {
    "package.json": '{"name": "warm-probe", "version": "1.0.0", "license": "MIT"}',
    "lib/a.js": "const cp = require('child_process');\ncp.exec(process.argv[2]);\neval(atob(x));\n",
    "lib/b.js": "export function f() { return fetch('http://10.1.2.3/x') }\n",
    "tools/run.py": "import os, subprocess\nsubprocess.run(os.environ['CMD'], shell=True)\n",
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("warm") / "warm-probe-1.0.0.tgz"
    path.write_bytes(npm_tgz({name: text.encode() for name, text in FILES.items()}))
    return path


def options(cache_dir: Path | None) -> Options:
    return Options(
        offline=True, network=False, use_cache=cache_dir is not None, cache_dir=str(cache_dir) if cache_dir else None,
        jobs=1, osv_db=str(Path(__file__).parent),
    )  # fmt: skip


connect_raw = sqlite3.connect  # not traced: the test's own reads


def same(a: Verdict, b: Verdict) -> bool:
    return [(f.fingerprint, f.level) for f in a.findings] == [(f.fingerprint, f.level) for f in b.findings]


def test_rows_round_trip_with_every_shape() -> None:
    hit = RawFinding(
        "code/x", "m", 1, 2, 3, 4, "s", "e", Level.WARNING, (("k", (1, 2)), ("n", None), ("f", 1.5), ("b", True))
    )
    value = FileAnalysis(
        "a.js",
        "javascript",
        findings=(hit,),
        imports=(ImportRef("fs", "a.js", 3),),
        api_uses=(ApiUse("fetch", "a.js", 4),),
        prefilter_hits=("eval",),
        parsed=True,
        symbols=(Symbol("f", "function", 1, False),),
    )
    odd = ((), [1, (2, [3])], frozenset({"a", "b"}), {"k": (1,)}, b"\x00\xff", Level.ERROR, "", 0, None)
    for original in (value, odd, (value, value), ()):
        again = codec.loads(codec.dumps(original))
        assert again == original
        assert repr(again) == repr(original)  # same types all the way down (a list stays a list, a tuple a tuple)


@pytest.mark.parametrize(
    "text",
    [
        '{"FileAnalysis": ["a.js"]}',  # wrong field count: never built with defaults
        '{"os.system": ["ls"]}',  # only registered types
        '{"e": ["Path", "/"]}',  # only registered enums
        '{"FileHit": "x"}',
        '{"a": [1], "b": [2]}',
        '{"d": [[1]]}',
        "[" * 100_000,  # deep nesting: a decode error, not a crash
        "not json",
    ],
)
def test_rows_it_did_not_write_are_decode_errors(text: str) -> None:
    with pytest.raises(codec.DecodeError):
        codec.loads(text)


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement the cache runs from here on."""
    seen: list[str] = []
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = connect(*args, **kwargs)
        db.set_trace_callback(seen.append)
        return db

    monkeypatch.setattr(cache_sqlite.sqlite3, "connect", traced)
    return seen


def test_a_sound_unchanged_database_is_not_scanned_again(archive: Path, tmp_path: Path, statements: list[str]) -> None:
    check(archive, options=options(tmp_path))
    assert "PRAGMA quick_check" in statements  # a database this process has not seen yet is scanned
    statements.clear()
    check(archive, options=options(tmp_path))
    assert "PRAGMA quick_check" not in statements and statements  # unchanged since: not again


def test_damage_the_skipped_integrity_scan_misses_is_still_never_trusted(
    archive: Path, tmp_path: Path, statements: list[str]
) -> None:
    baseline = check(archive, options=options(None))
    check(archive, options=options(tmp_path))  # cold: writes; this process now knows the files as sound
    db = tmp_path / FILE_NAME
    for suffix in ("-wal", "-shm"):
        assert not Path(f"{db}{suffix}").exists()  # closed cleanly: everything is in the main file
    stat = db.stat()
    with contextlib.closing(connect_raw(db)) as raw:  # rewrite every stored result in place ...
        values = raw.execute("SELECT key, value FROM results").fetchall()
    blob = db.read_bytes()
    changed = 0
    for _, value in values:
        encoded = value.encode()
        if len(encoded) > 8 and encoded in blob:
            blob = blob.replace(encoded, encoded[:-3] + b"]]]", 1)  # same length: the file size does not change
            changed += 1
    assert changed
    db.write_bytes(blob)
    os.utime(db, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # ... and hide it: same size, same mtime
    statements.clear()
    warm = check(archive, options=options(tmp_path))
    assert "PRAGMA quick_check" not in statements  # the scan was skipped: the rows' HMAC is what catches it
    assert same(warm, baseline)
    assert any("damaged or modified entries" in note for note in warm.notes), warm.notes


def test_a_database_changed_on_disk_is_checked_again(archive: Path, tmp_path: Path) -> None:
    baseline = check(archive, options=options(None))
    check(archive, options=options(tmp_path))
    db = tmp_path / FILE_NAME
    db.write_bytes(db.read_bytes()[:2048])  # truncated after this process found it sound
    verdict = check(archive, options=options(tmp_path))
    assert any("discarded" in note for note in verdict.notes), verdict.notes
    assert same(verdict, baseline)
    again = check(archive, options=options(tmp_path))
    assert same(again, baseline) and not any("cache:" in note for note in again.notes)


def _size(path: str, data: bytes, config: None) -> int:
    return len(data) * 10 + len(path)


def test_a_runner_hashes_equal_bytes_objects_apart_and_never_confuses_files(tmp_path: Path) -> None:
    runner = FileRunner(SqliteResultCache(tmp_path), jobs=1)
    a, b = b"x" * 10, b"y" * 20
    assert runner.map(_size, [("a", a), ("b", b)], None) == [101, 201]
    assert runner.map(_size, [("a", b), ("b", a)], None) == [201, 101]  # swapped contents: keys follow the bytes
    c = bytes(bytearray(b"x" * 10))  # equal content, another object: the same key as `a`
    assert runner.map(_size, [("a", c)], None) == [101]
    runner.close()


def test_config_digests_are_memoized_but_never_stale() -> None:
    """The memoized config digest is always the canonical `digest` of the value as it is now: equal-but-differently-
    typed configs (1 == True == 1.0) keep their own digests, a mutable config changed in place is digested again,
    and a rebuilt equal config (another object) gets the same digest."""
    from extgate.gates.code.config import build_config
    from extgate.gates.content.config import config_from
    from extgate.rules import load_registry

    rules = load_registry()
    for build in (lambda: build_config(rules, lambda _k, d: d), lambda: config_from(rules)):
        first, again = build(), build()
        assert first is not again
        assert codec.config_digest(first) == codec.config_digest(again) == codec.digest(first)
        assert codec.config_digest(first) == codec.digest(first)  # identity hit

    typed = [(1,), (True,), (1.0,), ("1",)]
    digests = [codec.config_digest(value) for value in typed]
    assert digests == [codec.digest(value) for value in typed]
    assert len(set(digests)) == len(typed)
    digests = [codec.config_digest(value) for value in reversed(typed)]  # memo warm, other order
    assert digests == [codec.digest(value) for value in reversed(typed)]

    mutable = {"max": 1}
    before = codec.config_digest(mutable)
    mutable["max"] = 2
    assert codec.config_digest(mutable) == codec.digest(mutable) != before
    listed: tuple[Any, ...] = ("x", [1])
    before = codec.config_digest(listed)
    listed[1].append(2)
    assert codec.config_digest(listed) == codec.digest(listed) != before
