"""`extgate provenance ARCHIVE -o SIDECAR.json`: check the archive and write its provenance sidecar.

The sidecar records the manifest's name and version, the payload digests (sha256 hex, sha512 SRI) and size,
publishedAt, the extgate version and the verdict's canonical digest; `extgate verify` checks an archive
against it. The check takes the same options as `extgate check`.

Exit codes follow `extgate check` (0 passed; 1 blocked or needs acknowledgement; 3 internal error). A sidecar
attests a pass: for a package that did not pass (blocked, or warnings not acknowledged with `--yes` or the
policy) none is written, the reasons go to stderr, and `extgate verify` rejects any sidecar whose verdict is
not `passed`.
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
from extgate.formatters.text import render_finding, summary_line
from extgate.model import Level, Status
from extgate.provenance import build_sidecar, render


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "provenance",
        help="check an archive and write its provenance sidecar (digests, identity, verdict digest)",
        description="Check ARCHIVE like `extgate check` and write a provenance sidecar for it.",
    )
    add_scan_arguments(p)
    p.add_argument("-o", "--output", metavar="SIDECAR.json", help="where to write the sidecar (default: stdout)")
    p.add_argument("--yes", "-y", action="store_true", help="acknowledge all warnings (recorded as by flag)")
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
    verdict = check(archive, policy, options=options_from_args(args, acknowledge_all=args.yes))
    if verdict.status is not Status.PASSED:
        for finding in verdict.findings:
            if finding.level is Level.ERROR or (finding.level is Level.WARNING and not finding.acknowledged):
                print(render_finding(finding), file=sys.stderr)
        hint = (
            " (acknowledge the warnings with --yes or the policy)"
            if verdict.status is Status.NEEDS_ACKNOWLEDGEMENT
            else ""
        )
        print(f"extgate: error: no sidecar written: {summary_line(verdict)}{hint}", file=sys.stderr)
        return exit_code(verdict)
    text = render(build_sidecar(archive, verdict, published_at=published_at))
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"extgate: wrote {args.output} (verdict: {verdict.status.value})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return exit_code(verdict)
