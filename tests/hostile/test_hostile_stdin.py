"""Issue 15.9: `extgate check -` streams stdin through the intake limits instead of reading it all first."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import pytest

from extgate.cli import main
from extgate.intake import IntakeLimits
from extgate.intake.limits import raw_cap
from hostile.hostile_archives import npm_tarball

ENDLESS = 1_000_000_000


class Endless(io.RawIOBase):
    """A one-way stdin of `size` bytes ('x' then zeros), produced on demand; counts what was read."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = b"x" * n if self.read_bytes == 0 else bytes(n)
        self.left -= n
        self.read_bytes += n
        return n


class FakeStdin:
    def __init__(self, raw: io.RawIOBase) -> None:
        self.buffer = io.BufferedReader(raw)

    def isatty(self) -> bool:
        return False


def test_endless_stdin_is_read_only_up_to_the_cap(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[archive]\nmax_total_bytes = 1000000\n")  # a small cap keeps the test fast
    endless = Endless(ENDLESS)
    monkeypatch.setattr("sys.stdin", FakeStdin(endless))
    tracemalloc.start()
    try:
        code = main(["check", "-", "--offline", "--no-input", "--format", "json", "--policy", str(policy)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["status"] == "blocked"
    assert endless.read_bytes <= raw_cap(IntakeLimits(max_total_bytes=1_000_000)) + 2 * 1024 * 1024
    assert peak < 32_000_000  # the cap, not the 1 GB offered, bounds memory


def test_archive_on_stdin_is_checked(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = npm_tarball({"package.json": '{"name": "x", "version": "1.0.0"}', "index.js": "eval(process.env.X)\n"})
    monkeypatch.setattr("sys.stdin", FakeStdin(io.BytesIO(data)))  # type: ignore[arg-type]
    assert main(["check", "-", "--offline", "--no-input", "--format", "json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert "code/dynamic-eval" in {f["rule_id"] for f in verdict["findings"]}
    assert verdict["target"]["files"] == 2
