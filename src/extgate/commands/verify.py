"""`extgate verify ARCHIVE SIDECAR.json`: does the archive match its provenance sidecar?

Recomputes the payload digests (sha256, sha512 SRI) and size and re-reads the manifest's name and version,
then prints each mismatch. Exit 0 when everything matches, 1 on any mismatch (a sidecar that is not valid
JSON or not an extgate sidecar is a mismatch too), 2 when a file cannot be found.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from extgate.cli import EXIT_BLOCKED, EXIT_PASSED
from extgate.commands import UsageError
from extgate.intake import open_source
from extgate.intake.interface import IntakeLimits
from extgate.provenance import verify


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "verify",
        help="verify an archive against its provenance sidecar (exit 1 on any mismatch)",
        description="Recompute ARCHIVE's digests and identity and compare them with SIDECAR.",
    )
    p.add_argument("archive", help="the published archive")
    p.add_argument("sidecar", help="the sidecar `extgate provenance` wrote")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    archive, sidecar_path = Path(args.archive), Path(args.sidecar)
    if not archive.is_file():
        raise UsageError(f"no such archive file: {archive}")
    if not sidecar_path.is_file():
        raise UsageError(f"no such sidecar file: {sidecar_path}")
    try:
        sidecar = json.loads(sidecar_path.read_bytes())
    except (ValueError, RecursionError) as exc:
        print(f"MISMATCH sidecar: not valid JSON ({type(exc).__name__})")
        return EXIT_BLOCKED
    package = open_source(archive, limits=IntakeLimits())
    mismatches = verify(archive, sidecar, package)
    for mismatch in mismatches:
        print(f"MISMATCH {mismatch}")
    if mismatches:
        return EXIT_BLOCKED
    print(f"ok: {archive.name} matches {sidecar_path.name} ({sidecar.get('name')}@{sidecar.get('version')})")
    return EXIT_PASSED
