"""The decompressed tar stream is read ahead in large pulls (one pass for tarfile and the npm-view model): what is
read, where a limit trips and which error is reported must be the same as reading it in tiny pieces."""

from __future__ import annotations

import random
import tarfile

import pytest

from extgate.intake import IntakeLimits, limits, open_source
from extgate.intake.limits import LimitReached, StreamCounter
from extgate.model import Package
from hostile.hostile_archives import Member, tar_bytes


def _files(count: int, size: int, seed: int = 7) -> list[tuple[str, bytes]]:
    rnd = random.Random(seed)  # incompressible-ish content: a cut lands in the middle of the members
    return [(f"package/f{i:03}.js", rnd.randbytes(size)) for i in range(count)]


def _view(package: Package) -> tuple[object, ...]:
    entries = tuple((e.path, e.kind, e.size, e.sha256, e.data, e.truncated) for e in package.entries)
    # compressed_bytes_read (a bomb ratio's denominator) is where the decompressor stood: granular by its pulls
    issues = tuple(
        (i.rule_id, i.message, i.path, {k: v for k, v in i.properties.items() if k != "compressed_bytes_read"})
        for i in package.issues
    )
    return entries, issues, package.decompressed_bytes, package.sha256


def _both(data: bytes, caps: IntakeLimits, monkeypatch: pytest.MonkeyPatch) -> tuple[Package, Package]:
    ahead = open_source(data, limits=caps)
    with monkeypatch.context() as m:
        m.setattr(limits, "PULL", 512)  # one tar block per pull: no read-ahead to speak of
        tiny = open_source(data, limits=caps)
    return ahead, tiny


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", ""])
@pytest.mark.parametrize("cut", [0.3, 0.55, 0.8, 0.999, 1.0])
def test_truncated_archives_read_the_same_with_and_without_read_ahead(
    compression: str, cut: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tar_bytes(_files(60, 9000), compression)
    data = data[: int(len(data) * cut)]
    ahead, tiny = _both(data, IntakeLimits(), monkeypatch)
    assert _view(ahead) == _view(tiny)
    if cut == 1.0:
        assert ahead.issues == () and len(ahead.entries) == 60
    elif cut <= 0.8:
        assert "archive/corrupt" in [i.rule_id for i in ahead.issues]
        # what was decompressed before the cut is kept (bzip2's single 900 kB block yields nothing when cut)
        assert 0 < len(ahead.entries) < 60 or compression == "bz2"


@pytest.mark.parametrize(
    "caps",
    [
        IntakeLimits(max_total_bytes=200_000),  # the content cap trips in the middle of a member
        IntakeLimits(max_files=17),
        IntakeLimits(max_file_bytes=5000),  # every member truncated, reading goes on
    ],
)
def test_limits_trip_at_the_same_place_with_read_ahead(caps: IntakeLimits, monkeypatch: pytest.MonkeyPatch) -> None:
    ahead, tiny = _both(tar_bytes(_files(60, 9000)), caps, monkeypatch)
    assert _view(ahead) == _view(tiny)
    assert ahead.issues
    for found in ahead.issues:
        if found.rule_id == "archive/too-large":  # where reading stopped, not how far the read-ahead went
            assert 0 < found.properties["compressed_bytes_read"] <= tiny.archive_bytes


def test_npm_view_problems_are_still_found_in_read_ahead_data(monkeypatch: pytest.MonkeyPatch) -> None:
    honest = tar_bytes(_files(30, 3000), "")
    hidden = tar_bytes([Member("package/hidden.js", b"evil()")], "")
    ahead, tiny = _both(honest + hidden, IntakeLimits(), monkeypatch)  # a second archive after the end blocks
    assert _view(ahead) == _view(tiny)
    assert [i.rule_id for i in ahead.issues] == ["archive/corrupt"] and ahead.issues[0].properties["npm_view"]


class _Source:
    """`chunks` then an error (or the end); records how much was asked for."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = list(chunks)
        self.error = error
        self.produced = 0

    def read(self, size: int = -1, /) -> bytes:
        if self.chunks:
            chunk = self.chunks.pop(0)[:size]
            self.produced += len(chunk)
            return chunk
        if self.error is not None:
            raise self.error
        return b""


def test_a_decompressor_error_is_raised_only_after_every_byte_before_it() -> None:
    source = _Source([b"a" * 3000, b"b" * 3000], tarfile.ReadError("bad data"))
    seen: list[bytes] = []
    counter = StreamCounter(source, cap=10**9, tap=seen.append)
    got = b""
    with pytest.raises(tarfile.ReadError, match="bad data"):
        while True:
            got += counter.read(1000)
    assert got == b"a" * 3000 + b"b" * 3000 and counter.count == 6000
    assert b"".join(seen) == got  # the npm view saw each byte once, in order


def test_read_ahead_never_decompresses_more_than_the_cap_allows() -> None:
    source = _Source([bytes(limits.PULL)] * 100)
    counter = StreamCounter(source, cap=100_000)
    with pytest.raises(LimitReached) as stop:
        while counter.read(10240):
            pass
    assert stop.value.issue.rule_id == "archive/too-large"
    assert source.produced == 100_001 and counter.count > 100_000
