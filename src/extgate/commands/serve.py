"""`extgate serve`: run the HTTP gate (POST /v1/check, /v1/check-publish) for a registry's push path."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from extgate.commands import UsageError
from extgate.options import DEFAULT_OSV_URL, Options
from extgate.policy import Policy

DEFAULT_PORT = 8787


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run the HTTP gate a registry calls on every publish (needs extgate[serve])")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--token", help="bearer token clients must send (default: $EXTGATE_TOKEN)")
    p.add_argument("--workers", type=int, default=2, metavar="N", help="worker processes running checks (default 2)")
    p.add_argument("--memory-mb", type=int, default=2048, metavar="MB", help="address-space limit per worker")
    p.add_argument("--max-body", default="64m", metavar="SIZE", help="largest request body: bytes, or 10k/64m/1g")
    p.add_argument("--max-concurrency", type=int, metavar="N", help="checks in flight before 429 (default 8 x workers)")
    p.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS", help="per check request (default 120)")
    p.add_argument("--policy", metavar="FILE", help="the operator's policy for every check")
    p.add_argument("--registry", metavar="URL", help="npm-style registry for version and dependency checks")
    p.add_argument("--osv-url", default=DEFAULT_OSV_URL, metavar="URL", help="OSV API base URL")
    p.add_argument("--osv-db", metavar="PATH", help="offline OSV database: folder of records or all.zip")
    p.add_argument("--offline", action="store_true", help="no network: cache and --osv-db only")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the local cache")
    p.add_argument("--cache-dir", metavar="DIR", help="cache folder (default: the user cache dir)")
    p.add_argument("--host-version", metavar="VERSION", help="host version for ABI/engine checks")
    p.add_argument("--network-timeout", type=float, default=10.0, metavar="SECONDS", help="per network request")
    p.set_defaults(handler=run)


def parse_size(text: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    raw = text.strip().lower().removesuffix("b")
    factor = units.get(raw[-1:], 1)
    digits = raw[:-1] if raw[-1:] in units else raw
    if not digits.isdigit() or int(digits) <= 0:
        raise UsageError(f"--max-body must be a size like 1048576, 512k or 64m, not {text!r}")
    return int(digits) * factor


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from extgate.server import ServeConfig, create_app
    except ImportError as exc:  # the optional extra is missing
        raise UsageError(f"extgate serve needs Starlette and uvicorn: pip install 'extgate[serve]' ({exc})") from exc
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    token = args.token or os.environ.get("EXTGATE_TOKEN") or None
    config = ServeConfig(
        token=token,
        max_body=parse_size(args.max_body),
        max_concurrency=args.max_concurrency or 8 * args.workers,
        timeout=args.timeout,
        workers=args.workers,
        memory_mb=args.memory_mb,
        policy=Policy.load(args.policy) if args.policy else Policy(),
        options=Options(
            registry=args.registry,
            osv_url=args.osv_url,
            osv_db=args.osv_db,
            offline=args.offline,
            network=not args.offline,
            use_cache=not args.no_cache,
            cache_dir=args.cache_dir,
            host_version=args.host_version,
            timeout=args.network_timeout,
        ),
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("extgate.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False
    if token is None:
        print("extgate serve: WARNING: no --token or EXTGATE_TOKEN: the check routes accept anyone", file=sys.stderr)
    # uvicorn's own access log prints the query string; ours (extgate.access) never does
    uvicorn.run(create_app(config), host=args.host, port=args.port, access_log=False, log_level="warning")
    return 0
