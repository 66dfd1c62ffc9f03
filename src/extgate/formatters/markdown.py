"""Markdown report (PR comments, job summaries): status, findings table, dependencies, scorecard."""

from __future__ import annotations

from extgate.formatters.text import summary_line
from extgate.model import Status, Verdict

_ICON = {Status.PASSED: "✅", Status.NEEDS_ACKNOWLEDGEMENT: "⚠️", Status.BLOCKED: "⛔"}


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render(verdict: Verdict) -> str:
    out = [f"## {_ICON[verdict.status]} extgate: {verdict.status.value}", "", summary_line(verdict), ""]
    if verdict.findings:
        out += ["| Level | Rule | Location | Message |", "| --- | --- | --- | --- |"]
        for f in verdict.findings:
            loc = f.location
            where = f"`{loc.path}:{loc.line}`" if loc and loc.line else (f"`{loc.path}`" if loc else "")
            level = f.level.value + (" (ack)" if f.acknowledged else "")
            out.append(f"| {level} | `{f.rule_id}` | {_cell(where)} | {_cell(f.message)} |")
        out.append("")
    if verdict.dependencies:
        out += [
            "### Dependencies",
            "",
            "| Name | Spec | Resolved | Status | Advisories |",
            "| --- | --- | --- | --- | --- |",
        ]
        for d in verdict.dependencies:
            advisories = ", ".join(a.id for a in d.advisories)
            out.append(f"| {_cell(d.name)} | {_cell(d.spec)} | {_cell(d.resolved)} | {d.status} | {advisories} |")
        out.append("")
    if verdict.score is not None:
        try:
            from extgate.formatters.scorecard import render_markdown
        except ImportError:  # scorecard module not present: a one-line score instead
            s = verdict.score
            out += [f"**Score:** {s.earned:g}/{s.max:g} ({s.percentage:.0f}%, grade {s.grade})", ""]
        else:
            out += [render_markdown(verdict.score), ""]
    for note in verdict.notes:
        out.append(f"> {_cell(note)}")
    return "\n".join(out).rstrip() + "\n"
