"""Loopback servers for the trust tests (OSV with the 48 real records, a packument registry)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from trust_helpers import all_raw_records

from support.osv_server import OsvServer


@pytest.fixture
def osv() -> Iterator[OsvServer]:
    with OsvServer(all_raw_records()) as server:
        assert isinstance(server, OsvServer)
        yield server
