"""`extgate reaudit --db catalogue.sqlite --advisories PATH`: which published versions do new advisories affect,
and what should the marketplace do with each (rules/lifecycle/actions.yaml)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from extgate.catalogue.feed import MODIFIED_CSV_URL, FeedUnavailable, fetch_since, parse_since
from extgate.catalogue.reaudit import load_rules, reaudit, report, since_filter, table
from extgate.catalogue.rescan import rescan
from extgate.catalogue.store import Catalogue, CatalogueError
from extgate.cli import EXIT_BLOCKED, EXIT_INTERNAL, EXIT_PASSED
from extgate.commands import UsageError
from extgate.commands._common import add_ca_bundle_argument, ca_bundle_from_args
from extgate.commands.scan_many import add_archive_timeout
from extgate.options import DEFAULT_OSV_URL
from extgate.policy import Policy, PolicyError
from extgate.trust.interface import AuditUnavailable
from extgate.trust.osv import OsvDatabase


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("reaudit", help="match new OSV advisories against a catalogue; lifecycle action per version")
    p.add_argument("--db", required=True, metavar="catalogue.sqlite", help="a catalogue written by `extgate index`")
    p.add_argument("--advisories", metavar="PATH", help="new OSV records: a folder or a zip")
    p.add_argument(
        "--since",
        metavar="TIMESTAMP",
        help="records modified at or after this RFC 3339 time: filters --advisories; without it, asks the OSV API",
    )
    p.add_argument("--osv-url", default=DEFAULT_OSV_URL, metavar="URL", help="OSV API base URL (with --since)")
    p.add_argument(
        "--osv-modified-url",
        default=MODIFIED_CSV_URL,
        metavar="URL",
        help="OSV's modified_id.csv for the ecosystem (with --since; default: the npm one in OSV's data bucket)",
    )
    p.add_argument("--request-timeout", type=float, default=10.0, metavar="SECONDS", help="per OSV request")
    add_ca_bundle_argument(p)
    p.add_argument(
        "--rescan",
        action="store_true",
        help="re-run the full check (new records as the offline DB) for touched versions whose archive is still "
        "at its indexed path with the same sha256; others keep the dependency match",
    )
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="with --rescan: archives in parallel")
    add_archive_timeout(p, "with --rescan: per archive (default 300)")
    p.add_argument("--policy", metavar="FILE", help="with --rescan: policy TOML (default: discovered from the cwd)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="table (default) or json")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report here (default: stdout)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not Path(args.db).is_file():
        raise UsageError(f"no such catalogue: {args.db} (create it with `extgate index`)")
    if args.jobs < 1 or args.archive_timeout <= 0:
        raise UsageError("--jobs must be at least 1 and --timeout positive")
    if args.advisories is None and args.since is None:
        raise UsageError("give --advisories PATH (a folder or zip of OSV records) or --since TIMESTAMP (the OSV API)")
    if args.advisories is not None and not Path(args.advisories).exists():
        raise UsageError(f"--advisories: no such file or directory: {args.advisories}")
    since = None
    if args.since is not None:
        try:
            since = parse_since(args.since)
        except ValueError:
            raise UsageError(f"--since: not an RFC 3339 timestamp: {args.since}") from None
    try:
        catalogue = Catalogue(Path(args.db))
    except CatalogueError as exc:
        raise UsageError(str(exc)) from None
    try:
        try:
            if args.advisories is not None:
                records = since_filter(OsvDatabase(args.advisories).records(), since)
            else:
                assert since is not None  # checked above: one of the two was given
                records = fetch_since(
                    since,
                    osv_url=args.osv_url,
                    modified_url=args.osv_modified_url,
                    timeout=args.request_timeout,
                    ca_bundle=ca_bundle_from_args(args),
                )
        except AuditUnavailable as exc:  # a zip or folder that cannot be read: the caller's input
            raise UsageError(str(exc)) from None
        except FeedUnavailable as exc:  # nothing was re-audited: not a clean result, not a usage error
            print(f"extgate: error: {exc}", file=sys.stderr)
            return EXIT_INTERNAL
        rules = load_rules()
        affected, checked = reaudit(catalogue, records, rules)
        full_checks = 0
        if args.rescan:
            affected, full_checks = rescan(
                catalogue, records, rules, affected, policy=_policy(args), jobs=args.jobs, timeout=args.archive_timeout
            )
        data = report(affected, records=len(records), catalogue=catalogue, checked=checked, full_checks=full_checks)
    finally:
        catalogue.close()
    text = json.dumps(data, indent=2) + "\n" if args.format == "json" else table(data)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(table(data).splitlines()[0], file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_BLOCKED if affected else EXIT_PASSED


def _policy(args: argparse.Namespace) -> Policy:
    try:
        return Policy.load(Path(args.policy)) if args.policy else (Policy.discover(Path.cwd()) or Policy())
    except (PolicyError, OSError) as exc:
        raise UsageError(f"policy: {exc}") from exc
