"""The scorecard as markdown (PR comments, job summaries) and as plain text (terminal); plus its JSON shape.

The lead's markdown and text formatters embed these; `extgate score` prints them on their own.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from extgate.model import FactorResult, Score

_ICON = {"earned": "✅", "missed": "❌", "provisional": "⏳", "not-applicable": "➖"}
_TODO = ("missed", "provisional")  # statuses whose hint is worth printing
FOOTER = "Provisional and not-applicable factors are left out of the total. The score never blocks a publish."


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") if text else ""


def _points(factor: FactorResult) -> str:
    if factor.status in ("provisional", "not-applicable"):
        return f"– / {factor.max:g}"
    return f"{factor.earned:g} / {factor.max:g}"


def headline(score: Score) -> str:
    return f"{score.grade} {score.percentage:g}% ({score.earned:g}/{score.max:g} points, rubric {score.rubric_version})"


def render_markdown(score: Score) -> str:
    out = [
        f"### Quality score: {headline(score)}",
        "",
        "| Factor | Status | Points | Found | How to earn |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in score.factors:
        title = f"{_cell(f.title)} (`{f.id}`)" if f.title and f.title != f.id else f"`{f.id}`"
        status = f"{_ICON.get(f.status, '')} {f.status}".strip()
        todo = _cell(f.hint) if f.status in _TODO else ""
        out.append(f"| {title} | {status} | {_points(f)} | {_cell(f.detail)} | {todo} |")
    out += ["", f"_{FOOTER}_"]
    return "\n".join(out) + "\n"


def render_text(score: Score) -> str:
    out = [f"Quality score: {headline(score)} - never a gate"]
    id_width = max((len(f.id) for f in score.factors), default=0)
    for f in score.factors:
        points = _points(f).replace(" ", "")
        line = f"  {f.status:<14} {points:>7}  {f.id:<{id_width}}  {f.detail}".rstrip()
        out.append(line)
        if f.status in _TODO and f.hint:
            out.append(f"  {'':<14} {'':>7}  {'':<{id_width}}  -> {f.hint}")
    out.append(f"  {FOOTER}")
    return "\n".join(out) + "\n"


def score_to_dict(score: Score) -> dict[str, Any]:
    data = asdict(score)
    data["factors"] = [asdict(f) for f in score.factors]
    return data
