"""`reaudit --rescan`: re-run the full check for the touched versions whose archive is still where it was indexed
(same sha256), with only the new records as the offline advisory database; the rest keep the dependency match.

A full check re-resolves what the archive installs instead of trusting the recorded rows, so it also catches a
dependency the index did not record. A check that could not finish (timeout, crashed worker) confirms nothing:
that archive keeps its dependency-match result (fail closed).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from extgate.batch.interface import Job, Record
from extgate.batch.local import LocalBackend
from extgate.batch.work import sha256_file
from extgate.catalogue.reaudit import FULL_CHECK, Affected, Rule, group, npm_names, sort_affected
from extgate.catalogue.store import Catalogue, Installed
from extgate.model import Advisory
from extgate.options import Options
from extgate.policy import Policy
from extgate.trust.interface import OsvRecord


def rescan(
    catalogue: Catalogue,
    records: Sequence[OsvRecord],
    rules: Sequence[Rule],
    matched: Sequence[Affected],
    *,
    policy: Policy,
    jobs: int = 1,
    timeout: float = 300.0,
) -> tuple[list[Affected], int]:
    """(affected versions, how many were checked in full)."""
    names = set().union(*(npm_names(r) for r in records)) if records else set()
    touched = {row.archive_id: row for row in catalogue.installing(names)}
    present = [row for row in touched.values() if sha256_file(Path(row.path)) == row.sha256]
    if not present:
        return list(matched), 0
    folder = Path(tempfile.mkdtemp(prefix="extgate-rescan-"))
    try:
        for i, record in enumerate(records):
            (folder / f"{i:06d}.json").write_text(json.dumps(record.raw), encoding="utf-8")
        options = Options(offline=True, network=False, use_cache=False, osv_db=str(folder))
        batch = [Job(i, row.path, policy, options, timeout) for i, row in enumerate(present)]
        backend = LocalBackend(jobs)
        try:
            results = list(backend.run(batch))
        finally:
            backend.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    new_ids = {r.id for r in records} | {a for r in records for a in r.aliases}
    checked: set[int] = set()
    per_archive: dict[int, list[tuple[Installed, Advisory]]] = defaultdict(list)
    for job, result in results:
        row = present[job.index]
        if _unfinished(result):
            continue  # keeps its dependency-match result
        checked.add(row.archive_id)
        for dep in result["verdict"].get("dependencies", []):
            for adv in dep.get("advisories", []):
                if {adv["id"], *adv.get("aliases", [])} & new_ids:
                    per_archive[row.archive_id].append((_installed(row, dep), _advisory(adv)))
    kept = [a for a in matched if a.installed.archive_id not in checked]
    return sort_affected([*kept, *group(per_archive, rules, FULL_CHECK)], rules), len(checked)


def _unfinished(record: Record) -> bool:
    findings = record["verdict"].get("findings", [])
    return any(f.get("rule_id") == "engine/internal-error" for f in findings)


def _installed(row: Installed, dep: dict[str, Any]) -> Installed:
    return Installed(
        row.archive_id,
        row.name,
        row.version,
        row.path,
        row.sha256,
        str(dep["name"]),
        str(dep.get("resolved") or ""),
        bool(dep.get("direct", True)),
    )


def _advisory(adv: dict[str, Any]) -> Advisory:
    return Advisory(
        id=str(adv["id"]),
        aliases=tuple(adv.get("aliases") or ()),
        summary=str(adv.get("summary") or ""),
        severity=str(adv.get("severity") or "UNKNOWN"),
        score=adv.get("score"),
        fixed=tuple(adv.get("fixed") or ()),
        malicious=bool(adv.get("malicious")),
    )
