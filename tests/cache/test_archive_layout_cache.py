"""The archive-level layout cache: an upload read cleanly before is rebuilt without parsing it again, into exactly
the Package a full read gives; anything else -- issues, other formats, a record that does not match its bytes,
--no-cache, large or streamed uploads -- is read in full as always, and nothing it stores can change a verdict."""

from __future__ import annotations

import io
import sqlite3
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from extgate import Options, check
from extgate.cache import archive as layout_cache
from extgate.cache.interface import NoCache
from extgate.cache.sqlite import FILE_NAME, SqliteResultCache
from extgate.intake import IntakeLimits, open_source
from extgate.intake import tar as tar_reader
from extgate.intake.layout import Layout, layout_of, rebuild
from extgate.model import Package, Verdict
from hostile.hostile_archives import Member, tar_bytes, zip_bytes
from hostile.smuggling import AGREEING, DISAGREEING, HIDDEN

LIMITS = IntakeLimits()
FILES = [
    ("package/package.json", '{"name": "layout-probe", "version": "1.0.0", "license": "MIT"}'),
    ("package/index.js", "const cp = require('child_process');\ncp.exec(process.argv[2]);\n"),
    ("package/lib/\u00fcber.js", "eval(atob(x));\n"),
    ("package/empty.js", b""),
    ("package/data.bin", bytes(range(256)) * 700),
]
ODD = [
    *FILES,
    Member("package/lib/", type=tarfile.DIRTYPE),
    Member("package/link.js", type=tarfile.SYMTYPE, linkname="index.js"),
    Member("package/" + "long-directory-name/" * 8 + "deep.js", b"x"),
]


def _via_cache(data: bytes, cache: SqliteResultCache) -> Package:
    notes: list[str] = []
    package = layout_cache.open_cached(data, limits=LIMITS, cache=cache, notes=notes)
    assert not notes
    return package or open_source(data, limits=LIMITS)


def options(cache_dir: Path | None) -> Options:
    return Options(
        offline=True, network=False, use_cache=cache_dir is not None, cache_dir=str(cache_dir) if cache_dir else None,
        jobs=1, osv_db=str(Path(__file__).parent),
    )  # fmt: skip


def _rows(folder: Path) -> list[str]:
    with sqlite3.connect(folder / FILE_NAME) as db:
        return [value for (value,) in db.execute("SELECT value FROM results")]


def _layouts(folder: Path) -> int:
    return sum(value.startswith('{"Layout"') for value in _rows(folder))


def _same(a: Verdict, b: Verdict) -> None:
    assert [(f.fingerprint, f.level, f.message) for f in a.findings] == [
        (f.fingerprint, f.level, f.message) for f in b.findings
    ]
    assert (a.status, a.target, a.score) == (b.status, b.target, b.score)


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", ""])
def test_a_rebuilt_package_is_the_package_a_full_read_gives(compression: str, tmp_path: Path) -> None:
    data = tar_bytes(ODD, compression)
    full = open_source(data, limits=LIMITS)
    cache = SqliteResultCache(tmp_path)
    cold = _via_cache(data, cache)
    assert cold == full and _layouts(tmp_path) == 1
    warm = _via_cache(data, cache)
    assert warm == full
    assert [e.kind for e in warm.entries] == [e.kind for e in full.entries] and warm.root_prefix == "package/"


@pytest.mark.parametrize("name", sorted(AGREEING))
def test_honest_archives_of_every_layout_rebuild_exactly(name: str, tmp_path: Path) -> None:
    data = AGREEING[name]()
    cache = SqliteResultCache(tmp_path)
    assert _via_cache(data, cache) == open_source(data, limits=LIMITS)
    assert _via_cache(data, cache) == open_source(data, limits=LIMITS)


@pytest.mark.parametrize("name", sorted(HIDDEN) + sorted(DISAGREEING))
def test_archives_with_intake_issues_are_never_recorded(name: str, tmp_path: Path) -> None:
    builder = HIDDEN.get(name) or DISAGREEING[name]
    data = builder()
    cache = SqliteResultCache(tmp_path)
    first = _via_cache(data, cache)
    assert first.issues and first == open_source(data, limits=LIMITS)
    assert _layouts(tmp_path) == 0
    assert _via_cache(data, cache) == first


def test_limit_hits_zips_and_directories_are_read_in_full(tmp_path: Path) -> None:
    cache = SqliteResultCache(tmp_path)
    small = IntakeLimits(max_file_bytes=1000)
    truncated = tar_bytes(FILES)
    notes: list[str] = []
    package = layout_cache.open_cached(truncated, limits=small, cache=cache, notes=notes)
    assert package is not None and package.issues and package == open_source(truncated, limits=small)
    zipped = zip_bytes([("package/index.js", "x")])
    assert _via_cache(zipped, cache) == open_source(zipped, limits=LIMITS)
    folder = tmp_path / "tree"
    (folder / "lib").mkdir(parents=True)
    (folder / "package.json").write_text('{"name": "t", "version": "1.0.0"}')
    (folder / "lib" / "a.js").write_text("x")
    assert layout_cache.open_cached(folder, limits=LIMITS, cache=cache, notes=notes) is None  # read as always
    assert _layouts(tmp_path) == 0 and not notes


def test_a_warm_check_does_not_parse_the_tar_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "probe-1.0.0.tgz"
    archive.write_bytes(tar_bytes(ODD))
    baseline = check(archive, options=options(None))
    cold = check(archive, options=options(tmp_path / "cache"))
    _same(cold, baseline)

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(tar_reader.tarfile, "open", boom)
    assert any(f.rule_id == "engine/internal-error" for f in check(archive, options=options(None)).findings)
    warm = check(archive, options=options(tmp_path / "cache"))  # rebuilt from the layout: tarfile never runs
    _same(warm, baseline)
    assert not any("cache:" in note for note in warm.notes)


def test_a_record_that_does_not_match_its_bytes_is_not_used(tmp_path: Path) -> None:
    data = tar_bytes(ODD)
    cache = SqliteResultCache(tmp_path)
    full = _via_cache(data, cache)
    key = layout_cache.layout_key(full.sha256, LIMITS)
    record = cache.get(key)
    assert isinstance(record, Layout)
    file_at = next(i for i, m in enumerate(record.members) if m.kind == "file" and m.size)
    wrong_data = replace(record.members[file_at], offset=record.members[file_at].offset + 1)
    wrong_length = replace(record, stream_bytes=record.stream_bytes - 512)
    for bad in (
        replace(record, members=(*record.members[:file_at], wrong_data, *record.members[file_at + 1 :])),
        wrong_length,
        replace(record, format="tar.xz"),
    ):
        assert rebuild(data, bad, source="<bytes>") is None
        cache.put_many([(key, bad)])  # a valid row (right key, good HMAC) that lies about the bytes
        notes: list[str] = []
        again = layout_cache.open_cached(data, limits=LIMITS, cache=cache, notes=notes)
        assert again == full and any("did not match" in note for note in notes)


def test_a_layout_only_applies_to_the_bytes_and_limits_it_was_recorded_for(tmp_path: Path) -> None:
    data = tar_bytes(FILES)
    package = open_source(data, limits=LIMITS)
    assert layout_cache.layout_key(package.sha256, LIMITS) != layout_cache.layout_key(
        package.sha256, IntakeLimits(max_files=10)
    )
    other = tar_bytes([*FILES, ("package/extra.js", "evil()")])
    cache = SqliteResultCache(tmp_path)
    _via_cache(data, cache)
    assert _via_cache(other, cache) == open_source(other, limits=LIMITS)  # a different upload: its own read
    assert _layouts(tmp_path) == 2


def test_no_cache_large_and_streamed_uploads_take_the_normal_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tar_bytes(FILES)
    notes: list[str] = []
    assert layout_cache.open_cached(data, limits=LIMITS, cache=NoCache(), notes=notes) is None
    cache = SqliteResultCache(tmp_path)
    assert layout_cache.open_cached(io.BytesIO(data), limits=LIMITS, cache=cache, notes=notes) is None
    monkeypatch.setattr(layout_cache, "LAYOUT_MAX", len(data) - 1)
    path = tmp_path / "big.tgz"
    path.write_bytes(data)
    assert layout_cache.open_cached(path, limits=LIMITS, cache=cache, notes=notes) is None
    assert layout_cache.open_cached(data, limits=LIMITS, cache=cache, notes=notes) is None
    assert _layouts(tmp_path) == 0 and not notes


def test_layouts_round_trip_and_records_refuse_other_packages() -> None:
    data = tar_bytes(ODD)
    package, sink = layout_cache.read_tar_upload(data, source="<bytes>", limits=LIMITS)
    record = layout_of(package, sink)
    assert record is not None
    from extgate.cache import codec

    assert codec.loads(codec.dumps(record)) == record
    assert layout_of(package, None) is None
    assert layout_of(replace(package, format="zip"), sink) is None
    dropped = replace(package, entries=tuple(e for e in package.entries if e.path != "index.js"))
    assert layout_of(dropped, sink) is None  # a file without its offset, or an offset without its file


def test_a_substitute_reader_is_always_used(tmp_path: Path) -> None:
    data = tar_bytes(FILES)
    cache = SqliteResultCache(tmp_path)
    _via_cache(data, cache)  # a layout is stored for these bytes ...
    stand_in = Package(source="<stand-in>", format="tgz", entries=())
    got = layout_cache.open_cached(data, limits=LIMITS, cache=cache, notes=[], read=lambda source, **kw: stand_in)
    assert got is None  # ... but a caller that substitutes intake reads with its substitute
