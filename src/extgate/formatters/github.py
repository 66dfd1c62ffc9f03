"""GitHub Actions workflow commands (`--format github`, as ruff's): one `::error`/`::warning` annotation per
unacknowledged error or warning, so findings show on the PR diff and in the job's annotations.

Paths are whatever the verdict's locations say: give `--repo-root` (the Action does) so they are repository
paths GitHub can place on files.
"""

from __future__ import annotations

from extgate.model import Finding, Level, Verdict


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    kind = "error" if finding.level is Level.ERROR else "warning"
    props: list[str] = []
    loc = finding.location
    if loc is not None and loc.path:
        props.append(f"file={_property(loc.path)}")
        if loc.line:
            props.append(f"line={loc.line}")
            if loc.column:
                props.append(f"col={loc.column}")
            if loc.end_line:
                props.append(f"endLine={loc.end_line}")
    props.append(f"title={_property(f'extgate {finding.rule_id}')}")
    return f"::{kind} {','.join(props)}::{_data(finding.message)}"


def render(verdict: Verdict) -> str:
    wanted = [
        f for f in verdict.findings if f.level is Level.ERROR or (f.level is Level.WARNING and not f.acknowledged)
    ]
    return "".join(annotation(f) + "\n" for f in sorted(wanted, key=lambda f: (-f.level.rank, f.sort_key())))
