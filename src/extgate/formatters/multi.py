"""Several verdicts in one report (`extgate check --each-package`): one block per package in text, markdown and
annotations; one JSON document listing every verdict; one SARIF log with a run per package."""

from __future__ import annotations

import json
from collections.abc import Sequence

from extgate.formatters import renderer
from extgate.formatters.sarif import to_sarif_log
from extgate.model import SCHEMA_VERSION, Status, Verdict

_RANK = {Status.PASSED: 0, Status.NEEDS_ACKNOWLEDGEMENT: 1, Status.BLOCKED: 2}


def worst_status(verdicts: Sequence[Verdict]) -> Status:
    return max((v.status for v in verdicts), key=_RANK.__getitem__, default=Status.PASSED)


def overall_line(verdicts: Sequence[Verdict]) -> str:
    counts = {status: sum(v.status is status for v in verdicts) for status in Status}
    parts = ", ".join(f"{n} {status.value}" for status, n in counts.items() if n)
    return f"{worst_status(verdicts).value.upper()}: {len(verdicts)} package(s): {parts}"


def to_dict(verdicts: Sequence[Verdict]) -> dict[str, object]:
    """{"schema_version", "status" (the worst), "packages": [verdict, ...]}; each verdict has `target.root`."""
    return {
        "schema_version": SCHEMA_VERSION,
        "status": worst_status(verdicts).value,
        "packages": [v.to_dict() for v in verdicts],
    }


def render_many(name: str, verdicts: Sequence[Verdict]) -> str:
    if name == "json":
        return json.dumps(to_dict(verdicts), indent=2, ensure_ascii=False) + "\n"
    if name == "sarif":
        return json.dumps(to_sarif_log(verdicts), indent=2, ensure_ascii=False) + "\n"
    render = renderer(name)
    if name == "github":
        return "".join(render(v) for v in verdicts)
    heading = "## {}\n\n" if name == "markdown" else "== {} ==\n"
    blocks = [heading.format(v.target.root or v.target.path) + render(v) for v in verdicts]
    return "\n".join(blocks) + ("\n" if name == "markdown" else "") + overall_line(verdicts) + "\n"
