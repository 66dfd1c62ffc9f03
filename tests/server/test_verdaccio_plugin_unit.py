"""The plugin's own node unit tests (summary text, path matching), run under pytest so the suite covers them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parents[2] / "integrations" / "verdaccio"


def test_plugin_node_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not on PATH: the Verdaccio plugin's unit tests are SKIPPED")
    result = subprocess.run(
        [node, "--test", "test/"], cwd=PLUGIN, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "# pass 3" in result.stdout
