"""`extgate explain RULE`: the rule's What / Why / Example / Fix."""

from __future__ import annotations

import argparse
import difflib

from extgate.commands import UsageError
from extgate.rules.registry import load_registry


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("explain", help="explain a rule: what, why, example, fix")
    p.add_argument("rule", help="rule id, e.g. code/dynamic-eval")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    registry = load_registry()
    if args.rule not in registry:
        close = difflib.get_close_matches(args.rule, [r.id for r in registry], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `extgate rules`"
        raise UsageError(f"unknown rule {args.rule!r}{hint}")
    print(registry[args.rule].help_markdown(), end="")
    return 0
