"""`extgate provenance ARCHIVE -o SIDECAR.json`: check the archive and write its provenance sidecar.

The sidecar records the manifest's name and version, the payload digests (sha256 hex, sha512 SRI) and size,
publishedAt, the extgate version and the verdict's canonical digest; `extgate verify` checks an archive
against it. The check takes the same options as `extgate check`.

Exit codes follow `extgate check` (0 passed; 1 blocked or needs acknowledgement; 3 internal error): the
sidecar is written in every case and records the verdict's status, so a blocked package never yields a
sidecar that looks like a pass.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from extgate.commands import UsageError
from extgate.commands._common import add_scan_arguments, options_from_args, policy_from_args
from extgate.commands.check import exit_code
from extgate.engine import check
from extgate.provenance import build_sidecar, render


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "provenance",
        help="check an archive and write its provenance sidecar (digests, identity, verdict digest)",
        description="Check ARCHIVE like `extgate check` and write a provenance sidecar for it.",
    )
    add_scan_arguments(p)
    p.add_argument("-o", "--output", metavar="SIDECAR.json", help="where to write the sidecar (default: stdout)")
    p.add_argument(
        "--published-at",
        metavar="ISO-8601",
        help="publication time to record (default: now, UTC); for reproducible sidecars",
    )
    p.set_defaults(handler=run)


def parse_time(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--published-at must be an ISO-8601 time, not {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run(args: argparse.Namespace) -> int:
    archive = Path(args.path)
    if args.path == "-" or not archive.is_file():
        raise UsageError(f"provenance needs an archive file (digests are over its bytes): {args.path}")
    published_at = parse_time(args.published_at)
    policy, _ = policy_from_args(args)
    verdict = check(archive, policy, options=options_from_args(args))
    text = render(build_sidecar(archive, verdict, published_at=published_at))
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"extgate: wrote {args.output} (verdict: {verdict.status.value})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return exit_code(verdict)
