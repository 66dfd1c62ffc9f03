"""`extgate check --each-package ROOT [CHANGED_FILE ...]`: gate every extension of a monorepo, each on its own.

Packages are found by `extgate.workspace`; with changed files (pre-commit passes them) only the packages that
hold one are checked. Paths are reported relative to `--repo-root` (default: ROOT); the exit code is the worst.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from extgate.cli import EXIT_BLOCKED, EXIT_INTERNAL, EXIT_PASSED
from extgate.commands import UsageError
from extgate.commands._common import options_from_args, policy_from_args
from extgate.engine import check
from extgate.formatters.multi import overall_line, render_many
from extgate.formatters.paths import rebase, relative_root
from extgate.formatters.text import summary_line
from extgate.model import Status, Verdict
from extgate.workspace import WorkspaceError, find_packages, owning_packages


def run_each_package(args: argparse.Namespace, formats: list[str]) -> int:
    from extgate.commands.check import acknowledge_hint, exit_code  # check imports this module lazily

    if args.badge or args.baseline:
        raise UsageError("--badge and --baseline need a single package; not with --each-package")
    root = Path(args.each_package)
    try:
        packages = find_packages(root)
    except WorkspaceError as exc:
        raise UsageError(str(exc)) from None
    changed: list[str] = list(args.path)
    if changed:
        packages = owning_packages(packages, changed)
        if not packages:
            print(
                "extgate: none of the changed files belongs to an extension package: nothing to check", file=sys.stderr
            )
            return EXIT_PASSED
    elif not packages:
        raise UsageError(
            f"no extension package under {root} (a manifest.yaml, a package.json with a `cinatra` block, "
            "or a workspace member)"
        )
    repo_root = Path(args.repo_root) if args.repo_root else root
    verdicts: list[Verdict] = []
    codes: list[int] = []
    for folder in packages:
        one = argparse.Namespace(**{**vars(args), "path": str(folder)})
        policy, policy_file = policy_from_args(one)
        verdict = check(folder, policy, options=options_from_args(one, acknowledge_all=args.yes))
        where = relative_root(folder, repo_root) or folder.name
        verdict = rebase(verdict, where)
        verdicts.append(verdict)
        codes.append(exit_code(verdict))
        if verdict.status is Status.NEEDS_ACKNOWLEDGEMENT:
            shown = Path(where) / ".extgate.toml" if policy_file is not None and not args.policy else policy_file
            print(acknowledge_hint(verdict, shown, f"--each-package {args.each_package}"), file=sys.stderr)
    text_on_stdout = False
    for i, fmt in enumerate(formats):
        text = render_many(fmt, verdicts)
        if i < len(args.output) and args.output[i] != "-":
            Path(args.output[i]).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
            text_on_stdout = text_on_stdout or fmt == "text"
    if not text_on_stdout:
        for verdict in verdicts:
            print(summary_line(verdict), file=sys.stderr)
        print(overall_line(verdicts), file=sys.stderr)
    if EXIT_INTERNAL in codes:
        return EXIT_INTERNAL
    return EXIT_BLOCKED if EXIT_BLOCKED in codes else EXIT_PASSED
