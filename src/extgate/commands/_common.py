"""Arguments shared by every command that runs a check (check, score, provenance): one definition, one mapping
to `Options` and `Policy`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import BinaryIO, cast

from extgate.commands import UsageError
from extgate.intake import Source
from extgate.options import DEFAULT_OSV_URL, Options
from extgate.policy import Policy, PolicyError
from extgate.profiles import PROFILE_NAMES
from extgate.registry.tls import CaBundleError, ssl_context


def add_scan_arguments(
    parser: argparse.ArgumentParser,
    *,
    path_nargs: str | None = None,
    network_timeout_flag: str = "--timeout",
    file_jobs: bool = True,
) -> None:
    """`file_jobs=False` for commands that run archives in parallel themselves (scan-many's own --jobs): each
    archive's files are then analysed in its worker (Options.jobs = 1)."""
    what = "archive (.tgz .tar .zip .vsix), directory, or '-' for an archive on stdin"
    if path_nargs is None:
        parser.add_argument("path", help=what)
    else:  # `check`: PATH, or with --each-package the changed files
        parser.add_argument("path", nargs=path_nargs, help=f"{what}; with --each-package: changed files (optional)")
    parser.add_argument("--profile", choices=PROFILE_NAMES, help="force a profile (default: detect)")
    parser.add_argument("--manifest-kind", choices=("package.json", "manifest.yaml"), help="force the manifest kind")
    parser.add_argument("--policy", metavar="FILE", help="policy TOML (or a pyproject.toml with [tool.extgate])")
    parser.add_argument("--all-files", action="store_true", help="directory input: scan the whole tree")
    parser.add_argument(
        "--publisher", action="append", default=[], metavar="SCOPE", help="a scope the publisher owns (repeatable)"
    )
    parser.add_argument("--registry", metavar="URL", help="npm-style registry for version and dependency checks")
    parser.add_argument("--osv-url", default=DEFAULT_OSV_URL, metavar="URL", help="OSV API base URL")
    parser.add_argument("--osv-db", metavar="PATH", help="offline OSV database: folder of records or all.zip")
    parser.add_argument("--offline", action="store_true", help="no network: cache and --osv-db only")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the local caches")
    parser.add_argument("--cache-dir", metavar="DIR", help="cache folder (default: the user cache dir)")
    parser.add_argument("--downloads-url", metavar="URL", help="npm downloads API base URL (low-downloads signal)")
    parser.add_argument("--host-version", metavar="VERSION", help="host version for ABI/engine checks")
    parser.add_argument(
        network_timeout_flag, dest="timeout", type=float, default=10.0, metavar="SECONDS", help="per network request"
    )
    if file_jobs:
        parser.add_argument(
            "--jobs",
            dest="file_jobs",
            type=_jobs,
            metavar="N",
            help="worker processes for the files of a large package (default: the usable cores)",
        )
    add_ca_bundle_argument(parser)


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_ca_bundle_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ca-bundle",
        metavar="PEM",
        help="CA certificates (file or folder) to trust instead of the system store, e.g. a proxy's CA "
        "(default: system trust store plus SSL_CERT_FILE / SSL_CERT_DIR)",
    )


def ca_bundle_from_args(args: argparse.Namespace) -> str | None:
    """The --ca-bundle path, checked now: a bad one is a usage error, not a blocked verdict per request."""
    if not args.ca_bundle:
        return None
    resolved = str(Path(args.ca_bundle).resolve())
    try:
        ssl_context(resolved)
    except CaBundleError as exc:
        raise UsageError(str(exc)) from None
    return resolved


def options_from_args(args: argparse.Namespace, **extra: object) -> Options:
    if args.osv_db and not Path(args.osv_db).exists():  # a typo is the caller's mistake, not the package's
        raise UsageError(f"--osv-db: no such file or directory: {args.osv_db}")
    publishers = tuple(p if p.startswith("@") else f"@{p}" for p in args.publisher)
    return Options(
        profile=args.profile,
        manifest_kind=args.manifest_kind,
        all_files=args.all_files,
        publishers=publishers,
        registry=args.registry,
        osv_url=args.osv_url,
        osv_db=args.osv_db,
        offline=args.offline,
        use_cache=not args.no_cache,
        cache_dir=args.cache_dir,
        downloads_url=args.downloads_url,
        host_version=args.host_version,
        network=not args.offline,
        timeout=args.timeout,
        jobs=getattr(args, "file_jobs", 1),
        ca_bundle=ca_bundle_from_args(args),
        **extra,  # type: ignore[arg-type]
    )


def policy_from_args(args: argparse.Namespace) -> tuple[Policy, Path | None]:
    """The caller's policy and the file acknowledgements are recorded in.

    --policy FILE wins. For an archive, the caller's working directory may hold `.extgate.toml` or
    `[tool.extgate]` in pyproject.toml. For a directory, the engine reads the author's policy inside it.
    """
    try:
        if args.policy:
            path = Path(args.policy)
            if not path.is_file():
                raise UsageError(f"policy file not found: {path}")
            return Policy.load(path), path
        target = Path(args.path)
        if args.path != "-" and target.is_dir():
            return Policy(), target / ".extgate.toml"
        found = Policy.discover(Path.cwd())
        return (found or Policy()), (Path(found.source) if found else Path(".extgate.toml"))
    except PolicyError as exc:
        raise UsageError(str(exc)) from exc


def source_from_args(args: argparse.Namespace) -> Source:
    if args.path == "-":  # streamed: intake reads it within its caps, never the whole of it into memory first
        return cast(BinaryIO, sys.stdin.buffer)
    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"no such file or directory: {path}")
    return path
