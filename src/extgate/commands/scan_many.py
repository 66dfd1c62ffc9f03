"""`extgate scan-many DIR|LISTFILE`: check many archives, one JSONL verdict line each, on worker processes or Ray."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from extgate.batch.interface import Backend, Job, Record
from extgate.batch.output import Progress, drop_torn_tail, in_order, read_done, summary, to_line
from extgate.batch.work import discover, sha256_file
from extgate.cli import EXIT_BLOCKED, EXIT_PASSED
from extgate.commands import UsageError
from extgate.commands._common import add_scan_arguments, options_from_args
from extgate.policy import Policy, PolicyError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("scan-many", help="check many archives (a folder or a list file); JSONL verdicts")
    add_batch_arguments(p)
    p.add_argument("--output", "-o", metavar="FILE.jsonl", help="write the JSONL here (default: stdout)")
    p.add_argument("--resume", metavar="FILE.jsonl", help="skip archives already recorded in this JSONL file")
    p.set_defaults(handler=run)


def add_archive_timeout(p: argparse.ArgumentParser, help_text: str) -> None:
    """`--timeout` of a batch: seconds per archive (the network one is --request-timeout)."""
    p.add_argument("--timeout", dest="archive_timeout", type=float, default=300.0, metavar="SECONDS", help=help_text)


def add_batch_arguments(p: argparse.ArgumentParser) -> None:
    """The gate options of `check` plus the batch's own (shared by scan-many and index)."""
    add_scan_arguments(p, network_timeout_flag="--request-timeout", file_jobs=False)
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, metavar="N", help="archives in parallel")
    add_archive_timeout(p, "per archive: past it the archive is blocked and the batch goes on (default 300)")
    p.add_argument("--memory-mb", type=int, default=2048, metavar="MB", help="memory limit per worker (0 = none)")
    p.add_argument("--backend", choices=("local", "ray"), default="local", help="where archives are checked")
    p.add_argument("--ray-address", metavar="ADDR", help="an existing Ray cluster (default: start a local Ray)")
    p.add_argument("--yes", "-y", action="store_true", help="acknowledge all warnings (recorded as by flag)")


def batch_jobs(args: argparse.Namespace, skip: set[str] = frozenset()) -> list[Job]:  # type: ignore[assignment]
    target = Path(args.path)
    if not target.exists():
        raise UsageError(f"no such file or directory: {target}")
    if args.jobs < 1 or args.archive_timeout <= 0:
        raise UsageError("--jobs must be at least 1 and --timeout positive")
    try:
        policy = Policy.load(Path(args.policy)) if args.policy else (Policy.discover(Path.cwd()) or Policy())
    except (PolicyError, OSError) as exc:
        raise UsageError(f"policy: {exc}") from exc
    options = options_from_args(args, acknowledge_all=args.yes)
    paths = [p for p in discover(target) if p not in skip]
    return [Job(i, path, policy, options, args.archive_timeout) for i, path in enumerate(paths)]


def make_backend(args: argparse.Namespace) -> Backend:
    if args.backend == "ray":
        from extgate.batch.ray_backend import BackendUnavailable, RayBackend

        try:
            return RayBackend(args.ray_address, jobs=None if args.ray_address else args.jobs)
        except BackendUnavailable as exc:
            raise UsageError(str(exc)) from None
    from extgate.batch.local import LocalBackend

    return LocalBackend(args.jobs, memory_mb=args.memory_mb)


def run_batch(args: argparse.Namespace, jobs: list[Job], sink: TextIO | None) -> list[Record]:
    """Run every job; each record is written (in job order) as soon as its turn comes, then returned."""
    backend = make_backend(args)
    progress = Progress(len(jobs))
    records: list[Record] = []
    try:
        for _job, record in in_order(backend.run(jobs), len(jobs)):
            records.append(record)
            if sink is not None:
                sink.write(to_line(record) + "\n")
                sink.flush()  # a killed batch keeps every finished line: --resume picks up from there
            progress.update(record)
    finally:
        progress.close()
        backend.close()
    return records


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    resume = read_done(Path(args.resume)) if args.resume else {}
    # an archive replaced since it was recorded (same path, other bytes) is checked again, not skipped
    resume = {p: r for p, r in resume.items() if not Path(p).is_file() or sha256_file(Path(p)) == r.get("sha256")}
    jobs = batch_jobs(args, set(resume))
    same_file = bool(args.output and args.resume and Path(args.output).resolve() == Path(args.resume).resolve())
    if args.output:
        if same_file:
            drop_torn_tail(Path(args.output))
        with Path(args.output).open("a" if same_file else "w", encoding="utf-8") as sink:
            if args.resume and not same_file:
                sink.writelines(to_line(r) + "\n" for r in resume.values())
            records = run_batch(args, jobs, sink)
    else:
        records = run_batch(args, jobs, sys.stdout)
    everything = [*resume.values(), *records]
    print(summary(everything, resumed=len(resume), seconds=time.perf_counter() - started), file=sys.stderr)
    return EXIT_PASSED if all(r["status"] == "passed" for r in everything) else EXIT_BLOCKED
