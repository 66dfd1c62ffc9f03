"""The bundled example (README quickstart #1) passes end to end, offline, through the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extgate import Options, Status, check
from extgate.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "weather-swamp"


def test_example_passes_with_its_publish_set() -> None:
    verdict = check(EXAMPLE, options=Options(network=False))
    assert verdict.status is Status.PASSED, [f.message for f in verdict.findings]
    assert verdict.profile == "swamp"
    assert set(verdict.target.publish_set) == {
        "manifest.yaml",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        "extensions/models/weather_station.ts",
        "extensions/models/_lib/units.ts",  # imported by the model: published with it
        "extensions/workflows/daily_forecast.yaml",
    }
    assert verdict.score is not None and verdict.score.grade in ("A", "B")


def test_example_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "verdict.json"
    assert main(["check", str(EXAMPLE), "--offline", "--format", "json", "-o", str(out), "--format", "text"]) == 0
    assert json.loads(out.read_text())["status"] == "passed"
    assert "PASSED: @examples/weather@2026.11.01.1 [swamp]" in capsys.readouterr().out


def test_check_writes_a_score_badge(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    badge = tmp_path / "score.svg"
    assert main(["check", str(EXAMPLE), "--offline", "--no-input", "--badge", str(badge)]) == 0
    root = ET.fromstring(badge.read_text())
    assert root.tag.endswith("svg")
    texts = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    verdict = check(EXAMPLE, options=Options(network=False))
    assert verdict.score is not None and f"{verdict.score.percentage:.0f}%" in texts
