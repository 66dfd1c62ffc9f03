"""`extgate check PATH`: run the gates, write the verdict in each requested format, exit with the verdict's code."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from extgate.cli import EXIT_BLOCKED, EXIT_INTERNAL, EXIT_PASSED
from extgate.commands import UsageError
from extgate.commands._common import add_scan_arguments, options_from_args, policy_from_args, source_from_args
from extgate.engine import check
from extgate.formatters import FORMATS, renderer
from extgate.formatters.paths import rebase, relative_root
from extgate.formatters.text import render_finding, summary_line
from extgate.model import Level, Status, Verdict, status_for
from extgate.policy import Acknowledgement, dump_acknowledgements
from extgate.workspace import workspace_patterns


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("check", help="check an extension archive or directory and print the verdict")
    add_scan_arguments(p, path_nargs="*")
    p.add_argument("--format", action="append", choices=FORMATS, help="|".join(FORMATS) + " (repeatable)")
    p.add_argument("--output", "-o", action="append", default=[], metavar="FILE", help="file for the matching --format")
    p.add_argument("--yes", "-y", action="store_true", help="acknowledge all warnings (recorded as by flag)")
    p.add_argument("--no-input", action="store_true", help="never prompt, even on a terminal")
    p.add_argument("--badge", metavar="FILE.svg", help="also write a score badge (SVG)")
    p.add_argument(
        "--each-package",
        metavar="ROOT",
        help="monorepo: check every extension under ROOT on its own (with changed files as PATHs: only theirs)",
    )
    p.add_argument(
        "--repo-root",
        metavar="DIR",
        help="report paths relative to DIR (the repository root) instead of the package, as CI annotations need",
    )
    p.add_argument(
        "--baseline",
        metavar="OLD|auto",
        help="compare with the previous release (archive or directory), or 'auto': the previous published version "
        "on --registry; reports drift/* changes",
    )
    p.set_defaults(handler=run)


def exit_code(verdict: Verdict) -> int:
    if any(f.rule_id == "engine/internal-error" for f in verdict.findings):
        return EXIT_INTERNAL
    return EXIT_PASSED if verdict.status is Status.PASSED else EXIT_BLOCKED


def run(args: argparse.Namespace) -> int:
    formats: list[str] = args.format or ["text"]
    if len(args.output) > len(formats):
        raise UsageError("more --output than --format: give one --format per --output")
    if args.each_package is not None:
        from extgate.commands._each_package import run_each_package

        return run_each_package(args, formats)
    if len(args.path) != 1:
        raise UsageError("give one PATH to check (several only with --each-package ROOT, as changed files)")
    args.path = args.path[0]
    policy, policy_file = policy_from_args(args)
    source = source_from_args(args)
    if isinstance(source, Path) and source.is_dir() and workspace_patterns(source):
        print(
            f"extgate: note: {args.path} is a workspace root, checked as one package; "
            f"`extgate check --each-package {args.path}` checks each member on its own",
            file=sys.stderr,
        )
    if args.baseline == "auto" and not args.registry:
        raise UsageError("--baseline auto needs --registry URL (the registry the previous version is published on)")
    if args.baseline and args.baseline != "auto" and not Path(args.baseline).exists():
        raise UsageError(f"no such baseline file or directory: {args.baseline}")
    options = options_from_args(args, acknowledge_all=args.yes, baseline=args.baseline)
    verdict = check(source, policy, options=options)
    interactive = not args.no_input and sys.stdin.isatty() and sys.stderr.isatty()
    if verdict.status is Status.NEEDS_ACKNOWLEDGEMENT and interactive and policy_file is not None:
        verdict = acknowledge_interactively(verdict, policy_file, sys.stdin, sys.stderr)
    if verdict.status is Status.NEEDS_ACKNOWLEDGEMENT:
        print(acknowledge_hint(verdict, policy_file, args.path), file=sys.stderr)
    verdict = rebase_on_repo(verdict, args)
    text_on_stdout = False
    for i, fmt in enumerate(formats):
        text = renderer(fmt)(verdict)
        if i < len(args.output) and args.output[i] != "-":
            Path(args.output[i]).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
            text_on_stdout = text_on_stdout or fmt == "text"
    if not text_on_stdout:  # reports went to files or are machine formats: the outcome still shows on the terminal
        print(summary_line(verdict), file=sys.stderr)
    if args.badge:
        write_badge(verdict, Path(args.badge))
    return exit_code(verdict)


def rebase_on_repo(verdict: Verdict, args: argparse.Namespace) -> Verdict:
    """--repo-root: a directory's paths become repository paths (an archive's members are not repository files)."""
    if not args.repo_root or args.path == "-" or not Path(args.path).is_dir():
        return verdict
    root = relative_root(Path(args.path), Path(args.repo_root))
    if root is None:
        raise UsageError(f"{args.path} is not inside --repo-root {args.repo_root}")
    return rebase(verdict, root)


def acknowledge_hint(verdict: Verdict, policy_file: Path | None, how: str = "") -> str:
    """How to acknowledge the open warnings when nobody could be asked: --yes, or ready-to-paste entries."""
    open_warnings = [f for f in verdict.findings if f.level is Level.WARNING and not f.acknowledged]
    where = f" to {policy_file}" if policy_file is not None else " to your policy file"
    command = f"extgate check {how} --yes".replace("  ", " ")
    entries = [Acknowledgement(f.fingerprint, "TODO: why this is fine", f.rule_id) for f in open_warnings]
    return (
        f"extgate: {len(open_warnings)} warning(s) need an acknowledgement (exit 1). Review them, then either run "
        f"`{command}` to acknowledge all of them, or add `[[acknowledge]]` entries{where}:"
        + dump_acknowledgements(entries).rstrip("\n")
    )


def acknowledge_interactively(verdict: Verdict, policy_file: Path, stdin: TextIO, out: TextIO) -> Verdict:
    """Ask about each unacknowledged warning; record accepted ones (fingerprint + reason) in the policy file."""
    accepted: list[Acknowledgement] = []
    findings = list(verdict.findings)
    for i, finding in enumerate(findings):
        if finding.level is not Level.WARNING or finding.acknowledged:
            continue
        out.write(render_finding(finding) + "\nAcknowledge this warning? [y/N] ")
        out.flush()
        if stdin.readline().strip().lower() not in ("y", "yes"):
            continue
        out.write("Reason (recorded in the policy): ")
        out.flush()
        reason = stdin.readline().strip() or "acknowledged interactively"
        accepted.append(Acknowledgement(finding.fingerprint, reason, finding.rule_id))
        findings[i] = replace(finding, acknowledged=True, acknowledgement=f"policy: {reason}")
    if accepted:
        with policy_file.open("a", encoding="utf-8") as fh:
            fh.write(dump_acknowledgements(accepted))
        out.write(f"Recorded {len(accepted)} acknowledgement(s) in {policy_file}\n")
    return replace(verdict, findings=tuple(findings), status=status_for(findings))


def write_badge(verdict: Verdict, path: Path) -> None:
    if verdict.score is None:
        print("extgate: no score computed; badge not written", file=sys.stderr)
        return
    from extgate.scoring.badge import render as render_badge

    path.write_text(render_badge(verdict.score), encoding="utf-8")
