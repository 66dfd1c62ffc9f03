"""The per-archive work (a module-level function, picklable by name) and the batch's inputs."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from extgate.batch.interface import Job, Record
from extgate.engine import check
from extgate.options import Options
from extgate.policy import Policy
from extgate.workers.failure import failure_verdict

ARCHIVE_SUFFIXES = (".tgz", ".tar.gz", ".tar", ".zip", ".vsix")


def scan_one(path: str, policy: Policy, options: Options) -> Record:
    """Check one archive; the record a batch writes for it (durations are the only run-dependent field)."""
    verdict = check(Path(path), policy, options=options)
    return {"path": path, "sha256": verdict.target.sha256, "status": verdict.status.value, "verdict": verdict.to_dict()}


def run_job(job: Job) -> Record:
    """`scan_one` for a Job (what a worker is sent)."""
    return scan_one(job.path, job.policy, job.options)


def failure_record(job: Job, stage: str, reason: str) -> Record:
    """The blocked record for an archive whose check could not finish (timeout, dead worker, task error)."""
    digest = sha256_file(Path(job.path))
    verdict = failure_verdict(b"", stage, reason, job.policy, job.options.profile)
    verdict = replace(verdict, target=replace(verdict.target, path=job.path, sha256=digest, integrity=""))
    return {"path": job.path, "sha256": digest, "status": verdict.status.value, "verdict": verdict.to_dict()}


def sha256_file(path: Path) -> str:
    """The file's sha256; "" when it is not a readable regular file (a folder, gone, unreadable)."""
    if not path.is_file():
        return ""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def discover(where: Path) -> list[str]:
    """The archives to scan: every archive file under a folder (sorted), or the paths listed in a file (one per
    line; `#` comments and blank lines skipped; relative paths are relative to the list file's folder)."""
    if where.is_dir():
        found = [p for p in where.rglob("*") if p.is_file() and p.name.lower().endswith(ARCHIVE_SUFFIXES)]
        return sorted(str(p) for p in found)
    out: list[str] = []
    for line in where.read_text(encoding="utf-8").splitlines():
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        path = Path(item)
        out.append(str(path if path.is_absolute() else where.parent / path))
    return out
