"""`extgate score`, the scorecard formatters, and scoring through the full `extgate.check` on a directory."""

from __future__ import annotations

import json
import shutil
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from scoring_support import FIXTURES, load, run

from extgate import Options, check, engine
from extgate.cli import main
from extgate.formatters.scorecard import render_markdown, render_text, score_to_dict
from extgate.intake import open_source
from extgate.intake.interface import IntakeLimits
from extgate.model import FactorResult, Package, Score, Verdict

OFFLINE = Options(offline=True, network=False, use_cache=False)


def fixture_dir(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def _intake_ready() -> bool:
    try:
        open_source(
            str(FIXTURES / "empty"), limits=IntakeLimits(max_files=10, max_file_bytes=10**6, max_total_bytes=10**6)
        )
    except NotImplementedError:
        return False
    return True


INTAKE_READY = _intake_ready()


@pytest.fixture(autouse=True)
def directory_intake(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the real intake is not implemented, read fixture directories with `Package.from_files` so the rest of
    the pipeline (gates, scoring, CLI) is still exercised; the real intake is used as soon as it exists."""
    if INTAKE_READY:
        return
    warnings.warn("intake not implemented yet: directory tests read files with Package.from_files", stacklevel=1)

    def read_directory(source: object, **_: object) -> Package:
        root = Path(str(source))
        if not root.is_dir():
            raise FileNotFoundError(root)
        files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
        return Package.from_files(files, source=str(root))

    monkeypatch.setattr(engine, "open_source", read_directory)


def checked(path: Path) -> Verdict:
    verdict = check(path, options=OFFLINE)
    crashed = [f.message for f in verdict.findings if (f.evidence or "").startswith(("intake:", "scoring:"))]
    assert not crashed
    return verdict


# -- through the engine ---------------------------------------------------------------------------------------


def test_check_on_complete_directory_scores_one_hundred(tmp_path: Path) -> None:
    verdict = checked(fixture_dir(tmp_path, "complete"))
    assert verdict.score is not None
    statuses = {f.id: f.status for f in verdict.score.factors}
    assert statuses["has-readme"] == statuses["symbols-docs"] == statuses["has-license"] == "earned"
    assert statuses["repository"] == "provisional"  # offline
    assert verdict.score.percentage == 100


def test_check_on_empty_directory_scores_low_and_the_score_never_blocks(tmp_path: Path) -> None:
    verdict = checked(fixture_dir(tmp_path, "empty"))
    assert verdict.score is not None and verdict.score.percentage <= 10
    # the score itself adds no findings: whatever the gates decided, scoring did not block
    assert not [f for f in verdict.findings if (f.evidence or "").startswith("scoring:")]


@pytest.mark.parametrize("name", ["swamp", "cinatra"])
def test_check_matches_in_memory_scoring(tmp_path: Path, name: str) -> None:
    verdict = checked(fixture_dir(tmp_path, name))
    assert verdict.score is not None
    expected = {f.id: f.status for f in run(load(name)).factors}
    got = {f.id: f.status for f in verdict.score.factors}
    for factor_id in ("has-readme", "symbols-docs", "description", "has-license", "types", "compat", "changelog"):
        assert got[factor_id] == expected[factor_id], factor_id


# -- the command -----------------------------------------------------------------------------------------------


def test_score_command_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = fixture_dir(tmp_path, "complete")
    checked(path)
    assert main(["score", str(path), "--offline", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["score"]["percentage"] == 100
    assert {f["id"] for f in doc["score"]["factors"]} >= {"has-readme", "symbols-docs", "provenance"}
    assert doc["score"]["rubric_version"]


def test_score_zero_still_exits_zero_and_writes_a_badge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = fixture_dir(tmp_path, "empty")
    checked(path)
    badge = tmp_path / "badge.svg"
    assert main(["score", str(path), "--offline", "--badge", str(badge)]) == 0
    assert "Quality score: F" in capsys.readouterr().out
    root = ET.fromstring(badge.read_text(encoding="utf-8"))
    assert any((t.text or "").startswith("F ") for t in root.iter("{http://www.w3.org/2000/svg}text"))


def test_score_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = fixture_dir(tmp_path, "swamp")
    checked(path)
    assert main(["score", str(path), "--offline", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### Quality score:")
    assert "| Documented exports (`symbols-docs`) |" in out


def test_score_usage_errors(tmp_path: Path) -> None:
    assert main(["score", str(tmp_path / "missing"), "--offline"]) == 2
    assert main(["score", str(tmp_path), "--offline", "--badge", str(tmp_path / "badge.png")]) == 2
    assert main(["score", str(tmp_path), "--format", "sarif"]) == 2


# -- formatters ------------------------------------------------------------------------------------------------


SCORE = Score(
    earned=3,
    max=4,
    percentage=75.0,
    grade="B",
    rubric_version="1.0",
    factors=(
        FactorResult("has-readme", "earned", 2, 2, "Add a README.", "README", "README.md (900 characters)"),
        FactorResult("description", "missed", 0, 1, "Describe it | briefly.", "Description", "no `description`"),
        FactorResult("changelog", "earned", 1, 1, "Ship a changelog.", "Changelog", "CHANGELOG.md"),
        FactorResult("repository", "provisional", 0, 2, "Run online.", "Source repository", "not verified"),
        FactorResult("dependency-trust", "not-applicable", 0, 2, "Fix errors.", "Dependency trust", "none"),
    ),
)


def test_render_markdown_table() -> None:
    md = render_markdown(SCORE)
    rows = [line for line in md.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(SCORE.factors)
    assert "B 75% (3/4 points, rubric 1.0)" in md
    assert "Describe it \\| briefly." in md  # pipes escaped so the table holds
    assert "| – / 2 |" in md  # provisional points are not counted
    assert "Add a README." not in md  # earned factors need no hint


def test_render_text() -> None:
    text = render_text(SCORE)
    assert text.splitlines()[0] == "Quality score: B 75% (3/4 points, rubric 1.0) - never a gate"
    assert "-> Describe it | briefly." in text
    assert "-> Run online." in text
    assert "-> Fix errors." not in text


def test_score_to_dict_round_trips_through_json() -> None:
    doc = json.loads(json.dumps(score_to_dict(SCORE)))
    assert doc["grade"] == "B"
    assert doc["factors"][1] == {
        "id": "description", "status": "missed", "earned": 0, "max": 1, "hint": "Describe it | briefly.",
        "title": "Description", "detail": "no `description`",
    }  # fmt: skip
