"""The SVG badge is well-formed XML and says the grade and percentage."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from scoring_support import load, run

from extgate.model import Score
from extgate.scoring.badge import GRADE_COLORS, render, text_width

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_badge_is_well_formed_and_shows_grade_and_percentage() -> None:
    score = run(load("complete"))
    svg = render(score)
    assert "A 100%" in texts(svg)
    assert "quality" in texts(svg)
    root = ET.fromstring(svg)
    assert root.get("aria-label") == "quality: A 100%"
    assert GRADE_COLORS["A"] in svg


@pytest.mark.parametrize(("grade", "pct"), [("B", 80.4), ("F", 0.0), ("D", 41.6)])
def test_badge_colour_follows_grade(grade: str, pct: float) -> None:
    svg = render(Score(earned=1, max=2, percentage=pct, grade=grade, rubric_version="1.0"))
    assert f"{grade} {pct:.0f}%" in texts(svg)
    assert GRADE_COLORS[grade] in svg


def test_label_is_escaped() -> None:
    svg = render(Score(1, 1, 100.0, "A", "1.0"), label='<q&"a>')
    assert '<q&"a>' in texts(svg)


def test_missing_score_renders_unknown() -> None:
    assert "unknown" in texts(render(None))


def test_width_grows_with_text() -> None:
    assert text_width("A 100%") > text_width("A 9%") > 0
    wide = ET.fromstring(render(Score(1, 1, 100.0, "A", "1.0"), label="a much longer label"))
    narrow = ET.fromstring(render(Score(1, 1, 100.0, "A", "1.0")))
    assert int(wide.get("width") or 0) > int(narrow.get("width") or 0)
