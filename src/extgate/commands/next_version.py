"""`extgate next-version PATH --registry URL`: print the next free version of the package at PATH.

swamp manifest.yaml (CalVer YYYY.MM.DD.N): today.N+1 when the registry already has versions dated today,
otherwise today.1. package.json (SemVer): the manifest's version when the registry does not have it and it is
newer than every published version; otherwise the patch after the highest published version (build metadata
ignored, as npm ignores it). A package the registry has never seen gets the manifest's version (today.1 for
CalVer). Exit 0 with the version on stdout; 1 when the registry cannot be asked (nothing is printed: a guess
could collide); 2 for usage errors (no manifest, no --registry).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from extgate.cli import EXIT_BLOCKED, EXIT_PASSED
from extgate.commands import UsageError
from extgate.commands._common import add_ca_bundle_argument, ca_bundle_from_args
from extgate.gates.manifest.versions import next_calver, next_semver, published_versions
from extgate.intake import open_source
from extgate.intake.interface import IntakeLimits
from extgate.provenance import package_identity
from extgate.registry.client import RegistryUnavailable, fetch_packument


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "next-version",
        help="print the next free version of a package on a registry",
        description="Print the next version of the package at PATH that the registry does not have yet.",
    )
    p.add_argument("path", help="archive or directory holding package.json or manifest.yaml")
    p.add_argument("--registry", required=True, metavar="URL", help="npm-style registry to ask")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="per network request")
    add_ca_bundle_argument(p)
    p.add_argument("--today", metavar="YYYY-MM-DD", help="the UTC date for CalVer (default: today)")
    p.set_defaults(handler=run)


def today(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today must be YYYY-MM-DD, not {value!r}") from None


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"no such file or directory: {path}")
    day = today(args.today)
    package = open_source(path, limits=IntakeLimits())
    calver = package.get("manifest.yaml") is not None or package.get("manifest.yml") is not None
    name, version = package_identity(package)
    if name is None:
        raise UsageError(f"{path}: no readable package.json or manifest.yaml with a `name`")
    try:
        packument = fetch_packument(args.registry, name, timeout=args.timeout, ca_bundle=ca_bundle_from_args(args))
    except RegistryUnavailable as exc:
        print(f"extgate: error: the registry gave no usable answer ({exc.reason}); no version printed", file=sys.stderr)
        return EXIT_BLOCKED
    except ValueError as exc:
        print(f"extgate: error: {exc}", file=sys.stderr)
        return EXIT_BLOCKED
    published = published_versions(packument) if packument is not None else set()
    print(next_calver(published, day) if calver else next_semver(version, published))
    return EXIT_PASSED
