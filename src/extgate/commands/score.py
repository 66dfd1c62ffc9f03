"""`extgate score PATH [--offline] [--badge FILE.svg] [--format text|json|markdown]`: run the full check and print
the quality scorecard.

Exit 0 whatever the score (a score of 0 still passes; the verdict's status is not the point here); 2 for usage
errors; 3 when no score could be computed (the package could not be read, or scoring itself failed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from extgate.cli import EXIT_INTERNAL, EXIT_PASSED
from extgate.commands import UsageError
from extgate.commands._common import add_scan_arguments, options_from_args, policy_from_args, source_from_args
from extgate.engine import check
from extgate.formatters.scorecard import render_markdown, render_text, score_to_dict
from extgate.model import Score, Verdict
from extgate.scoring.badge import render as render_badge

FORMATS = ("text", "json", "markdown")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "score",
        help="print the quality scorecard of an extension (never a gate)",
        description="Run the full check and print the quality scorecard. The score never blocks: exit 0 for any score.",
    )
    add_scan_arguments(p)
    p.add_argument("--format", choices=FORMATS, default="text", help="scorecard format (default: text)")
    p.add_argument("--badge", metavar="FILE.svg", help="also write a shields-style SVG badge")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.badge and not str(args.badge).lower().endswith(".svg"):
        raise UsageError(f"--badge needs a .svg file name, not {args.badge!r}")
    policy, _ = policy_from_args(args)
    verdict = check(source_from_args(args), policy, options=options_from_args(args))
    internal = [f for f in verdict.findings if f.rule_id == "engine/internal-error"]
    for finding in internal:
        print(f"extgate: warning: {finding.message}", file=sys.stderr)
    unreadable = any((f.evidence or "").startswith(("intake:", "scoring:")) for f in internal)
    if args.badge:
        Path(args.badge).write_text(render_badge(None if unreadable else verdict.score), encoding="utf-8")
    if unreadable or (verdict.score is None and internal):
        print("extgate: error: no score computed (see the warnings above)", file=sys.stderr)
        return EXIT_INTERNAL
    if verdict.score is None:
        print("extgate: scoring is switched off by the policy ([scoring] enabled = false)", file=sys.stderr)
        return EXIT_PASSED
    sys.stdout.write(render(verdict, verdict.score, args.format))
    return EXIT_PASSED


def render(verdict: Verdict, score: Score, fmt: str) -> str:
    if fmt == "json":
        doc = {
            "name": verdict.manifest.get("name"),
            "version": verdict.manifest.get("version"),
            "profile": verdict.profile,
            "target": verdict.target.path,
            "score": score_to_dict(score),
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return render_markdown(score)
    return render_text(score)
