"""`extgate reaudit --db catalogue.sqlite --advisories PATH`: which published versions do new advisories affect,
and what should the marketplace do with each (rules/lifecycle/actions.yaml)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from extgate.catalogue.reaudit import load_rules, reaudit, report, since_filter, table
from extgate.catalogue.store import Catalogue, CatalogueError
from extgate.cli import EXIT_BLOCKED, EXIT_PASSED
from extgate.commands import UsageError
from extgate.trust.interface import AuditUnavailable
from extgate.trust.osv import OsvDatabase


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("reaudit", help="match new OSV advisories against a catalogue; lifecycle action per version")
    p.add_argument("--db", required=True, metavar="catalogue.sqlite", help="a catalogue written by `extgate index`")
    p.add_argument("--advisories", required=True, metavar="PATH", help="new OSV records: a folder or a zip")
    p.add_argument("--since", metavar="TIMESTAMP", help="only records modified at or after this RFC 3339 time")
    p.add_argument("--format", choices=("table", "json"), default="table", help="table (default) or json")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report here (default: stdout)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not Path(args.db).is_file():
        raise UsageError(f"no such catalogue: {args.db} (create it with `extgate index`)")
    if not Path(args.advisories).exists():
        raise UsageError(f"--advisories: no such file or directory: {args.advisories}")
    try:
        catalogue = Catalogue(Path(args.db))
    except CatalogueError as exc:
        raise UsageError(str(exc)) from None
    try:
        try:
            records = since_filter(OsvDatabase(args.advisories).records(), args.since)
        except AuditUnavailable as exc:
            raise UsageError(str(exc)) from None
        affected, checked = reaudit(catalogue, records, load_rules())
        data = report(affected, records=len(records), catalogue=catalogue, checked=checked)
    finally:
        catalogue.close()
    text = json.dumps(data, indent=2) + "\n" if args.format == "json" else table(data)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(table(data).splitlines()[0], file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_BLOCKED if affected else EXIT_PASSED
