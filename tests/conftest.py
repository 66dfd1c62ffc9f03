"""Top-level test setup: `tests/` on sys.path (for `support.*`) and the session-wide Verdaccio registry."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support.verdaccio import Verdaccio, VerdaccioUnavailable, start_verdaccio

_VERDACCIO_SKIPPED = pytest.StashKey[str]()


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never read or write the user's real extgate cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("EXTGATE_CACHE_DIR", str(tmp_path_factory.mktemp("extgate-cache")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def verdaccio(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Verdaccio]:
    """A real Verdaccio 5 on 127.0.0.1 (no uplinks) for the whole session; skips loudly when missing."""
    try:
        server = start_verdaccio(tmp_path_factory.mktemp("verdaccio"))
    except VerdaccioUnavailable as exc:
        request.config.stash[_VERDACCIO_SKIPPED] = str(exc)
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    reason = config.stash.get(_VERDACCIO_SKIPPED, None)
    if reason:
        terminalreporter.write_sep("!", "REGISTRY TESTS SKIPPED", yellow=True, bold=True)
        terminalreporter.write_line(f"WARNING: {reason}", yellow=True, bold=True)
