"""`extgate index DIR|LISTFILE --db catalogue.sqlite`: check archives and record them in a catalogue."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from extgate.batch.output import read_done
from extgate.catalogue.store import Catalogue, CatalogueError
from extgate.cli import EXIT_PASSED
from extgate.commands import UsageError
from extgate.commands.scan_many import add_batch_arguments, batch_jobs, run_batch


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("index", help="check archives and record identity, verdict and dependencies in a catalogue")
    add_batch_arguments(p)
    p.add_argument("--db", required=True, metavar="catalogue.sqlite", help="the catalogue (created when missing)")
    p.add_argument(
        "--from-jsonl", action="store_true", help="PATH is a scan-many JSONL file: record it without re-checking"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        catalogue = Catalogue(Path(args.db))
    except CatalogueError as exc:
        raise UsageError(str(exc)) from None
    try:
        if args.from_jsonl:
            if not Path(args.path).is_file():
                raise UsageError(f"no such JSONL file: {args.path}")
            records = list(read_done(Path(args.path)).values())
        else:
            records = run_batch(args, batch_jobs(args), None)
        for record in records:
            catalogue.add(record)
        print(f"index: {len(records)} archive(s) recorded; the catalogue has {catalogue.count()}", file=sys.stderr)
    finally:
        catalogue.close()
    return EXIT_PASSED
