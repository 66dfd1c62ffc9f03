"""Command line: argument parsing and exit codes only; every command lives in `extgate.commands.<name>`.

Exit codes (an API): 0 passed; 1 blocked, or needs-acknowledgement when not interactive; 2 usage or config error;
3 internal error (a blocked verdict is still written).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from extgate import __version__, commands
from extgate.policy import PolicyError

EXIT_PASSED = 0
EXIT_BLOCKED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extgate", description="Static-analysis publish gate and scorecard for extension archives."
    )
    parser.add_argument("--version", action="version", version=f"extgate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)  # each registers its subparser and sets `handler`
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return int(args.handler(args))
    except (commands.UsageError, PolicyError) as exc:
        print(f"extgate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `extgate rules | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PASSED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
