"""Human output, ruff-style: one line per finding, then a summary line."""

from __future__ import annotations

from extgate.model import Finding, Level, Verdict

_ORDER = {Level.ERROR: 0, Level.WARNING: 1, Level.NOTE: 2}


def _where(finding: Finding) -> str:
    loc = finding.location
    if loc is None:
        return "<package>"
    parts = [loc.path or "<package>"]
    if loc.line:
        parts.append(str(loc.line))
        if loc.column:
            parts.append(str(loc.column))
    return ":".join(parts)


def render_finding(finding: Finding) -> str:
    ack = f"  (acknowledged: {finding.acknowledgement})" if finding.acknowledged else ""
    lines = [f"{_where(finding)}: {finding.level.value}[{finding.rule_id}] {finding.message}{ack}"]
    if finding.snippet:
        lines.append(f"    | {finding.snippet}")
    return "\n".join(lines)


def summary_line(verdict: Verdict) -> str:
    counts = {level: 0 for level in Level}
    acknowledged = 0
    for f in verdict.findings:
        counts[f.level] += 1
        acknowledged += int(f.acknowledged)
    ack = f" ({acknowledged} acknowledged)" if acknowledged else ""
    name = verdict.manifest.get("name")
    version = verdict.manifest.get("version")
    what = f"{name}@{version}" if name and version else verdict.target.path
    return (
        f"{verdict.status.value.upper()}: {what} [{verdict.profile}] - "
        f"{counts[Level.ERROR]} error(s), {counts[Level.WARNING]} warning(s){ack}, {counts[Level.NOTE]} note(s); "
        f"{verdict.target.files} files, {verdict.target.bytes} bytes, {verdict.duration_ms} ms"
    )


def render(verdict: Verdict) -> str:
    findings = sorted(verdict.findings, key=lambda f: (_ORDER[f.level], f.sort_key()))
    out = [render_finding(f) for f in findings]
    for note in verdict.notes:
        out.append(f"note: {note}")
    if verdict.score is not None:
        s = verdict.score
        out.append(f"score: {s.earned:g}/{s.max:g} ({s.percentage:.0f}%, grade {s.grade}) - never a gate")
    out.append(summary_line(verdict))
    return "\n".join(out) + "\n"
