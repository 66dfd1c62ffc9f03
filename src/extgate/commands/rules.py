"""`extgate rules`: list every rule (id, level, title)."""

from __future__ import annotations

import argparse
import json

from extgate.rules.registry import load_registry


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("rules", help="list the rules (id, default level, title)")
    p.add_argument("--gate", help="only this gate's rules (archive, safety, code, content, secrets, manifest, ...)")
    p.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help="markdown: the full reference"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rules = [r for r in load_registry() if not args.gate or r.gate == args.gate]
    if args.format == "json":
        rows = [
            {
                "id": r.id,
                "level": r.level.value,
                "title": r.title,
                "profiles": {k: v.value for k, v in r.profiles.items()},
            }
            for r in rules
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if args.format == "markdown":
        print("# extgate rules\n")
        print("\n".join(rule.help_markdown() for rule in rules))
        return 0
    width = max((len(r.id) for r in rules), default=10)
    for r in rules:
        print(f"{r.id:<{width}}  {r.level.value:<7}  {r.title}")
    return 0
